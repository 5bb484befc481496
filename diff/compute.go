package diff

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/permsync/permsync/internal/canon"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// Options tune Compute.
type Options struct {
	// AllowMassDelete lifts settings.maxDeletes (--allow-mass-delete).
	AllowMassDelete bool
}

// PlanError lists every problem that makes a plan impossible.
type PlanError struct {
	Problems []string // sorted
}

func (e *PlanError) Error() string {
	if len(e.Problems) == 1 {
		return "plan: " + e.Problems[0]
	}
	return fmt.Sprintf("plan: %d problems:\n  - %s", len(e.Problems), strings.Join(e.Problems, "\n  - "))
}

// Compute plans the changes that make the server match the desired state.
// live is what was read from the server, st what permsync last applied
// (nil: no state yet). It is pure and deterministic. Problems that make a
// plan impossible (users referenced but known nowhere, ...) come back
// together as one *PlanError.
func Compute(d *spec.Desired, live *Live, st *state.State, opts Options) (*plan.Plan, error) {
	if d == nil {
		return nil, errors.New("plan: no desired state")
	}
	if live == nil {
		live = &Live{}
	}
	if st == nil {
		st = state.New()
	}
	p := &planner{
		d: d, live: live, st: st, opts: opts,
		noops:     map[plan.Kind]int{},
		warnings:  map[string]bool{},
		protected: map[string]bool{},
		caps:      map[capBucket]*capCounts{},
		deletes:   map[plan.Kind][]planned{},
		projects:  projectNames(d, live, st),
	}
	for _, u := range d.Settings.ProtectedUsers {
		p.protected[u] = true
	}
	if live.TokenUser != "" {
		p.protected[live.TokenUser] = true
	}
	p.collectReferences()
	if len(p.problems) > 0 {
		sort.Strings(p.problems)
		return nil, &PlanError{Problems: p.problems}
	}
	p.countExisting()
	p.planSystemRoles()
	p.planOrgs()
	p.planUsers()
	p.planProjects()
	p.checkDeletes()
	p.checkAdmins()

	pl := &plan.Plan{Changes: sortPlanned(p.changes), NoOps: map[plan.Kind]int{}}
	for k, n := range p.noops {
		if n > 0 {
			pl.NoOps[k] = n
		}
	}
	if len(pl.NoOps) == 0 {
		pl.NoOps = nil
	}
	if pl.Changes == nil {
		pl.Changes = []plan.Change{}
	}
	if live.TokenUser == "" && removesUsers(pl.Changes) {
		p.warn("the user behind the token is not known, so nothing keeps this plan from removing or unbinding it: set PERMSYNC_TOKEN_USER (or --token-user) to its uniqueId")
	}
	pl.Warnings = sortedKeys(p.warnings)
	sort.Strings(p.refusals)
	pl.Refusals = p.refusals
	return pl, nil
}

type planner struct {
	d    *spec.Desired
	live *Live
	st   *state.State
	opts Options

	changes   []planned
	deletes   map[plan.Kind][]planned
	noops     map[plan.Kind]int
	warnings  map[string]bool
	refusals  []string
	problems  []string
	protected map[string]bool
	caps      map[capBucket]*capCounts // settings.maxDeletes

	declared   map[string]bool            // users under users:
	referenced map[string]bool            // users referenced anywhere
	projRefs   map[string]map[string]bool // project name → users bound in it
	projects   []string                   // every project name known, sorted
}

// removesUsers reports whether a change takes a user out of the domain, a
// project, a role, a data permission or a group.
func removesUsers(changes []plan.Change) bool {
	for _, c := range changes {
		if c.Action == plan.Delete && (c.Kind == KindUser || c.Kind == KindMember) {
			return true
		}
		for _, attr := range []string{"users", "members"} {
			after := map[string]bool{}
			for _, u := range c.After.Strings(attr) {
				after[u] = true
			}
			for _, u := range c.Before.Strings(attr) {
				if !after[u] {
					return true
				}
			}
		}
	}
	return false
}

func (p *planner) warn(format string, args ...any) {
	p.warnings[fmt.Sprintf(format, args...)] = true
}

func (p *planner) state(k plan.Kind, key string) *state.Object {
	return p.st.Objects[plan.StateKey(k, key)]
}

// projectStateKeys lists, sorted and without the "project/" prefix, the
// keys of the state's objects of a project-scoped kind in one project.
// Keys are "project/rest" and names may hold "/": a key of project "a/b"
// also starts with "a/", so keys under a longer project name that is
// known (files, server or state) belong to that project, not this one.
func (p *planner) projectStateKeys(k plan.Kind, project string) []string {
	var out []string
	for _, key := range p.stateKeys(k, project+"/") {
		mine := true
		for _, other := range p.projects {
			if strings.HasPrefix(other, project+"/") && strings.HasPrefix(key, other+"/") {
				mine = false
				break
			}
		}
		if mine {
			out = append(out, strings.TrimPrefix(key, project+"/"))
		}
	}
	return out
}

// projectNames lists, sorted, the names of the projects in the files, on
// the server and in the state.
func projectNames(d *spec.Desired, live *Live, st *state.State) []string {
	names := map[string]bool{}
	for _, pr := range d.Projects {
		names[pr.Name] = true
	}
	for name := range live.Projects {
		names[name] = true
	}
	prefix := string(KindProject) + " "
	for sk := range st.Objects {
		if strings.HasPrefix(sk, prefix) {
			names[strings.TrimPrefix(sk, prefix)] = true
		}
	}
	return sortedKeys(names)
}

// stateKeys lists, sorted, the keys of the state's objects of one kind
// that start with prefix.
func (p *planner) stateKeys(k plan.Kind, prefix string) []string {
	var out []string
	full := string(k) + " " + prefix
	for sk := range p.st.Objects {
		if strings.HasPrefix(sk, full) {
			out = append(out, strings.TrimPrefix(sk, string(k)+" "))
		}
	}
	sort.Strings(out)
	return out
}

func (p *planner) add(c plan.Change, depth int) {
	p.changes = append(p.changes, planned{c: c, depth: depth})
}

func (p *planner) addDelete(c plan.Change, depth int) {
	c.Action = plan.Delete
	c.NewState = nil
	p.deletes[c.Kind] = append(p.deletes[c.Kind], planned{c: c, depth: depth})
}

// collectReferences finds the users the files refer to, and reports those
// known neither in the files nor on the server, and unknown system roles.
func (p *planner) collectReferences() {
	p.declared = map[string]bool{}
	p.referenced = map[string]bool{}
	p.projRefs = map[string]map[string]bool{}
	for _, u := range p.d.Users {
		p.declared[u.UniqueID] = true
	}
	srcs := map[string]map[string]bool{}
	ref := func(project, user string, src spec.Source) {
		p.referenced[user] = true
		if project != "" {
			if p.projRefs[project] == nil {
				p.projRefs[project] = map[string]bool{}
			}
			p.projRefs[project][user] = true
		}
		if srcs[user] == nil {
			srcs[user] = map[string]bool{}
		}
		srcs[user][srcString(src)] = true
	}
	if p.d.Orgs != nil {
		for _, dep := range p.d.Orgs.Departments {
			for _, a := range dep.Admins {
				ref("", a, dep.Src)
			}
		}
	}
	sysRoles := map[string]bool{}
	for _, r := range p.d.SystemRoles {
		sysRoles[r.Name] = true
	}
	for _, pr := range p.d.Projects {
		for _, m := range pr.Members {
			ref("", m.User, m.Src)
			for _, sr := range m.SystemRoles {
				if _, builtin := spec.BuiltinSystemRoles[sr]; builtin || sysRoles[sr] {
					continue
				}
				if _, ok := p.live.SystemRoles[sr]; ok {
					continue
				}
				p.problems = append(p.problems, fmt.Sprintf("system role %q of member %s/%s is neither under systemRoles: nor on the server (%s)", sr, pr.Name, m.User, srcString(m.Src)))
			}
		}
		for _, g := range pr.Groups {
			for _, u := range g.Members {
				ref(pr.Name, u, g.Src)
			}
		}
		for _, r := range pr.Roles {
			for _, u := range r.Users {
				ref(pr.Name, u, r.Src)
			}
		}
		for _, r := range pr.DataPermissions {
			for _, u := range r.Users {
				ref(pr.Name, u, r.Src)
			}
		}
		for _, rm := range pr.ResourceMembers {
			for _, m := range rm.Members {
				ref(pr.Name, m.User, rm.Src)
			}
		}
	}
	for _, u := range sortedKeys(p.referenced) {
		if p.declared[u] {
			continue
		}
		if _, ok := p.live.Users[u]; ok {
			if p.d.Settings.StrictUsers {
				p.problems = append(p.problems, fmt.Sprintf("user %q is referenced but not under users: (settings.strictUsers): %s", u, strings.Join(sortedSources(srcs[u]), ", ")))
			}
			continue
		}
		p.problems = append(p.problems, fmt.Sprintf("user %q is referenced but is neither under users: nor on the server: %s", u, strings.Join(sortedSources(srcs[u]), ", ")))
	}
}

// sortedSources sorts "file:line" sources by file, then by line number
// (desired.yaml:8 before desired.yaml:13).
func sortedSources(m map[string]bool) []string {
	out := sortedKeys(m)
	split := func(s string) (string, int) {
		i := strings.LastIndexByte(s, ':')
		if i < 0 {
			return s, 0
		}
		n, err := strconv.Atoi(s[i+1:])
		if err != nil {
			return s, 0
		}
		return s[:i], n
	}
	sort.SliceStable(out, func(i, j int) bool {
		fi, li := split(out[i])
		fj, lj := split(out[j])
		if fi != fj {
			return fi < fj
		}
		return li < lj
	})
	return out
}

// srcString renders a source as "file:line" (the field path without a file).
func srcString(s spec.Source) string {
	if s.File == "" {
		return s.Path
	}
	return s.File + ":" + strconv.Itoa(s.Line)
}

func sortedKeys[V any](m map[string]V) []string {
	if len(m) == 0 {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// kv is an attribute name and its value.
type kv struct {
	name string
	v    any
}

// obj builds the change of one object facet by facet.
type obj struct {
	p      *planner
	kind   plan.Kind
	key    string
	src    spec.Source
	exists bool
	old    *state.Object
	before plan.Attrs
	after  plan.Attrs
	ns     *state.Object

	drift, changed, notInState, replace []string
	createReason                        string
	forceUpdate                         []string
}

func (p *planner) newObj(k plan.Kind, key string, src spec.Source, exists bool) *obj {
	o := &obj{p: p, kind: k, key: key, src: src, exists: exists, old: p.state(k, key),
		after: plan.Attrs{}, ns: &state.Object{}}
	if exists {
		o.before = plan.Attrs{}
	}
	if o.old != nil {
		o.ns.Created = o.old.Created
		o.ns.ID = o.old.ID
	}
	if !exists {
		o.ns.Created = true
	}
	return o
}

// ident sets an identity attribute on both sides.
func (o *obj) ident(name string, v any) {
	o.after.Set(name, v)
	if o.exists {
		o.before.Set(name, v)
	}
}

// id records the server id, when known.
func (o *obj) id(id int64) {
	if id == 0 {
		return
	}
	if o.exists {
		o.before.Set("id", id)
		o.after.Set("id", id)
	}
	o.ns.ID = id
}

// maxReasonValue is the longest server value a drift reason quotes.
const maxReasonValue = 48

// readable compares a desired value with the live one.
func (o *obj) readable(name string, desired, live any) {
	d := canon.JSON(desired)
	o.after[name] = d
	if !o.exists {
		return
	}
	l := canon.JSON(live)
	o.before[name] = l
	if !bytes.Equal(d, l) {
		// Neutral: the plan cannot tell whether the server or the files
		// moved. A short value reads well in the reason; a long one
		// (members, rules) is shown by the attribute lines, not repeated.
		if utf8.RuneCount(l) <= maxReasonValue {
			o.drift = append(o.drift, fmt.Sprintf("the server has %s %s", name, l))
		} else {
			o.drift = append(o.drift, fmt.Sprintf("the server has different %s", name))
		}
	}
}

// writeOnly compares the desired values of one facet with the state's
// fingerprint. items, when non-nil, are kept in the state and shown as the
// first value's Before when the fingerprint differs.
func (o *obj) writeOnly(facet string, items []string, vals ...kv) {
	m := make(map[string]json.RawMessage, len(vals))
	for _, v := range vals {
		o.after.Set(v.name, v.v)
		m[v.name] = o.after[v.name]
	}
	h := canon.FingerprintRaw(m)
	f := state.Facet{Hash: h}
	if items != nil {
		f.Items = append([]string{}, items...)
	}
	if o.ns.Facets == nil {
		o.ns.Facets = map[string]state.Facet{}
	}
	o.ns.Facets[facet] = f
	if !o.exists {
		return
	}
	var old state.Facet
	var ok bool
	if o.old != nil {
		old, ok = o.old.Facets[facet]
	}
	switch {
	case ok && old.Hash == h:
		for _, v := range vals {
			o.before[v.name] = o.after[v.name]
		}
	case ok:
		o.changed = append(o.changed, facet)
		if items != nil {
			prev := old.Items
			if prev == nil {
				prev = []string{}
			}
			o.before.Set(vals[0].name, prev)
		}
	default:
		o.notInState = append(o.notInState, facet)
	}
}

// oldItems returns the items the state has for a facet (nil, false when
// the facet is not in the state).
func (o *obj) oldItems(facet string) ([]string, bool) {
	if o.old == nil {
		return nil, false
	}
	f, ok := o.old.Facets[facet]
	if !ok {
		return nil, false
	}
	return f.Items, true
}

func (o *obj) reason() string {
	var parts []string
	parts = append(parts, o.replace...)
	parts = append(parts, o.forceUpdate...)
	sort.Strings(o.drift)
	parts = append(parts, o.drift...)
	if len(o.changed) > 0 {
		sort.Strings(o.changed)
		parts = append(parts, "changed since last apply: "+strings.Join(o.changed, ", "))
	}
	if len(o.notInState) > 0 {
		sort.Strings(o.notInState)
		parts = append(parts, "not in state: "+strings.Join(o.notInState, ", "))
	}
	return strings.Join(parts, "; ")
}

// finish adds the object's change to the plan, or counts it as a no-op.
func (o *obj) finish(depth int) {
	c := plan.Change{Kind: o.kind, Key: o.key, Source: srcString(o.src), After: o.after, NewState: o.ns}
	switch {
	case !o.exists:
		c.Action = plan.Create
		c.NewState.ID = 0
		c.Reason = o.createReason
		if c.Reason == "" {
			c.Reason = "not on the server"
		}
	case len(o.replace) > 0:
		c.Action = plan.Replace
		c.Before = o.before
		c.Reason = o.reason()
		c.NewState.ID = 0
	case len(o.drift)+len(o.changed)+len(o.notInState)+len(o.forceUpdate) > 0:
		c.Action = plan.Update
		c.Before = o.before
		c.Reason = o.reason()
	default:
		o.p.noops[o.kind]++
		return
	}
	if len(c.NewState.Facets) == 0 {
		c.NewState.Facets = nil
	}
	o.p.add(c, depth)
}
