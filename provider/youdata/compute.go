package youdata

import (
	"errors"
	"fmt"
	"strings"

	"github.com/permsync/permsync/diff"
	"github.com/permsync/permsync/internal/sets"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// Options tune Compute.
type Options = diff.Options

// PlanError lists every problem that makes a plan impossible.
type PlanError = diff.PlanError

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
		d: d, live: live, st: st,
		projects: projectNames(d, live, st),
	}
	p.Planner = diff.NewPlanner(Registry, st, opts, d.Settings.MaxDeletes, p.scopeOf)
	p.matchIdentities()
	for _, u := range d.Settings.ProtectedUsers {
		p.Protect(u)
	}
	if live.TokenUser != "" {
		p.Protect(live.TokenUser)
	}
	p.collectReferences()
	if err := p.Err(); err != nil {
		return nil, err
	}
	p.countExisting()
	p.planSystemRoles()
	p.planOrgs()
	p.planUsers()
	p.planProjects()
	p.countRemovals()
	p.checkAdmins()
	if live.TokenUser == "" && removesUsers(p.all()) {
		p.Warn("the user behind the token is not known, so nothing keeps this plan from removing or unbinding it: set PERMSYNC_TOKEN_USER (or --token-user) to its uniqueId")
	}
	pl := p.Plan()
	p.sequence(pl)
	return pl, nil
}

// planner plans Youdata's objects with the diff's core.
type planner struct {
	*diff.Planner
	d    *spec.Desired
	live *Live
	st   *state.State

	declared   map[string]bool            // users under users:
	referenced map[string]bool            // users referenced anywhere
	projRefs   map[string]map[string]bool // project name → users bound in it
	projects   []string                   // every project name known, sorted
	ident      *identity                  // the objects found by the state's ids
	leavers    map[string]spec.User       // users the files mark left
}

// all are the changes planned so far, deletions included.
func (p *planner) all() []plan.Change {
	out := p.Changes()
	for _, k := range Registry.KindOrder() {
		out = append(out, p.Deletes(k)...)
	}
	return out
}

// scopeOf is the project of a key of a project-scoped kind, "" for the
// other kinds.
func (p *planner) scopeOf(k plan.Kind, key string) string {
	if projectKinds[k] {
		return p.projectOf(key)
	}
	return ""
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

// projectStateKeys lists, sorted and without the "project/" prefix, the
// keys of the state's objects of a project-scoped kind in one project.
// Keys are "project/rest" and names may hold "/": a key of project "a/b"
// also starts with "a/", so keys under a longer project name that is
// known (files, server or state) belong to that project, not this one.
func (p *planner) projectStateKeys(k plan.Kind, project string) []string {
	var out []string
	for _, key := range p.StateKeys(k, project+"/") {
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
	return sets.SortedKeys(names)
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
		srcs[user][diff.SourceString(src)] = true
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
				if _, builtin := builtinSystemRoleIDs[sr]; builtin || sysRoles[sr] {
					continue
				}
				if _, ok := p.live.SystemRoles[sr]; ok {
					continue
				}
				p.Problem(fmt.Sprintf("system role %q of member %s/%s is neither under systemRoles: nor on the server (%s)", sr, pr.Name, m.User, diff.SourceString(m.Src)))
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
	for _, u := range sets.SortedKeys(p.referenced) {
		if p.declared[u] {
			continue
		}
		if _, ok := p.live.Users[u]; ok {
			if p.d.Settings.StrictUsers {
				p.Problem(fmt.Sprintf("user %q is referenced but not under users: (settings.strictUsers): %s", u, strings.Join(diff.SortedSources(srcs[u]), ", ")))
			}
			continue
		}
		p.Problem(fmt.Sprintf("user %q is referenced but is neither under users: nor on the server: %s", u, strings.Join(diff.SortedSources(srcs[u]), ", ")))
	}
}
