package youdata

import (
	"bytes"
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/permsync/permsync/internal/canon"
	"github.com/permsync/permsync/internal/sets"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"

	"golang.org/x/sync/errgroup"
)

// Youdata's units (provider.Refresher), what a read can read alone:
//
//   - "users": the domain's users (user/getAllUsers, every page);
//   - "project NAME": a project's member listing and both role trees
//     (projectUser/list, role/list), NAME as the files name it;
//   - "member NAME/uniqueId": a member's roles, data permissions, groups
//     and system roles in the project (user/permissions); "member NAME/*"
//     stands for every member of the project.
//
// The custom system roles and the project list are read by every read
// (two calls). Departments, users' write-only facets, role resources,
// group and department bindings of roles and resource members cannot be
// read at all: the state's fingerprints cover them as before.
//
// A narrowed read reads a project's listing and trees whenever it reads
// one of its members (the listing gives the members' ids and admins, the
// trees the roles their permissions name), and every listed member of
// which the state has no record. What it does not read, Plan takes as the
// files want it (assume): the users the files declare or refer to, a
// project's members, their system roles, bindings and groups, roles and
// groups with the ids the state recorded.
const unitUsers = "users"

// unitProjects and unitSystemRoles are the project list and the custom
// system roles, which every read reads: a verify of a change of a project
// or a system role reads them again.
const (
	unitProjects    = "projects"
	unitSystemRoles = "systemRoles"
)

func projectUnit(project string) string { return "project " + project }

func memberUnit(project, user string) string {
	return string(KindMember) + " " + project + "/" + user
}

// allMembersUnit stands for every member of a project.
func allMembersUnit(project string) string { return memberUnit(project, "*") }

var _ provider.Refresher = (*Provider)(nil)

// LiveReads is what a read read, by unit.
type LiveReads struct {
	// Narrowed is set for a read narrowed to some units: what it did not
	// read is taken, when planning, as the files want it.
	Narrowed bool
	// Asked are the units a narrowed read was asked for.
	Asked map[string]bool
	// Users is set when the domain's users were read.
	Users bool
	// Listed maps each project whose listing and role trees were read (by
	// the files' name) to the members listed; Read to those whose
	// permissions were read; All marks those whose every member was read.
	Listed map[string]map[string]bool
	Read   map[string]map[string]bool
	All    map[string]bool
	// ListedNow and ReadNow are what of Listed and Read this read read
	// itself, not took from the earlier read it extends (Refresh.Base).
	ListedNow map[string]bool
	ReadNow   map[string]map[string]bool
}

// GroupMembers are, by the files' project name and group name, the
// members the files give each group.
type GroupMembers map[string]map[string][]string

// scopeGroups are the files' groups' members.
func scopeGroups(d *spec.Desired) GroupMembers {
	out := GroupMembers{}
	for _, pr := range d.Projects {
		m := make(map[string][]string, len(pr.Groups))
		for _, g := range pr.Groups {
			m[g.Name] = g.Members
		}
		out[pr.Name] = m
	}
	return out
}

// probes reports whether a read should probe the group gname of lp that
// the state knows and the read does not show (probeGroups): always after
// a read in full. After a narrowed one, only when it read the permissions
// of a member that the files put in the group and whose record says the
// last read found it as the files want it now (so it was in the group
// then), or, for a group the files give no member, when it read the
// project's listing for the sweep. Any other group shows in no permission
// the read had reason to expect it in, and is taken as last read.
func (r *LiveReads) probes(lp *LiveProject, gname string, o ReadOptions) bool {
	if r == nil || !r.Narrowed {
		return true
	}
	var matched func(string) bool
	if o.Refresh != nil {
		matched = o.Refresh.Matched
	}
	if matched == nil {
		return false
	}
	name := lp.FilesName
	if name == "" {
		name = lp.Name
	}
	members := o.GroupMembers[name][gname]
	if len(members) == 0 {
		return r.ListedNow[name] && matched(projectUnit(name))
	}
	now := r.ReadNow[name]
	for _, u := range members {
		if now[u] && matched(memberUnit(name, u)) {
			return true
		}
	}
	return false
}

// wanted is what a narrowed read reads.
type wanted struct {
	units   map[string]bool
	assumed func(string) bool
	members map[string]*projectWant // by the files' project name
}

type projectWant struct{ all, any bool }

func newWanted(r *provider.Refresh, projects []string) *wanted {
	w := &wanted{units: map[string]bool{}, assumed: r.Assumed, members: map[string]*projectWant{}}
	if w.assumed == nil {
		w.assumed = func(string) bool { return false }
	}
	for _, u := range r.Units {
		w.units[u] = true
		rest, ok := strings.CutPrefix(u, string(KindMember)+" ")
		if !ok {
			continue
		}
		p := longestProject(projects, rest)
		if p == "" {
			continue
		}
		pw := w.members[p]
		if pw == nil {
			pw = &projectWant{}
			w.members[p] = pw
		}
		if rest == p+"/*" {
			pw.all = true
		} else {
			pw.any = true
		}
	}
	return w
}

// longestProject is the longest of projects that key starts with,
// followed by "/" ("" for none): project names may hold "/".
func longestProject(projects []string, key string) string {
	best := ""
	for _, p := range projects {
		if len(p) > len(best) && strings.HasPrefix(key, p+"/") {
			best = p
		}
	}
	return best
}

func (w *wanted) reads(u string) bool { return w.units[u] || !w.assumed(u) }

func (w *wanted) users() bool { return w.reads(unitUsers) }

// project reports whether the read reads a project's listing and trees.
func (w *wanted) project(p string) bool {
	pw := w.members[p]
	return w.reads(projectUnit(p)) || pw != nil && (pw.any || pw.all)
}

func (w *wanted) member(p, user string) bool {
	if pw := w.members[p]; pw != nil && pw.all {
		return true
	}
	return w.reads(memberUnit(p, user))
}

// Refreshed lists the units the read read and found, sorted.
func (l *Live) Refreshed() []string {
	if l == nil || l.Reads == nil {
		return nil
	}
	var out []string
	if l.Reads.Users {
		out = append(out, unitUsers)
	}
	for p := range l.Reads.Listed {
		out = append(out, projectUnit(p))
		for u := range l.Reads.Read[p] {
			out = append(out, memberUnit(p, u))
		}
	}
	sort.Strings(out)
	return out
}

// Fresh reports whether the read holds what the server has of unit u.
func (l *Live) Fresh(u string) bool {
	if l == nil || l.Reads == nil {
		return false
	}
	r := l.Reads
	if !r.Narrowed || r.Asked[u] {
		// A narrowed read reads every unit asked for that the files'
		// projects hold; one it did not find is not on the server.
		return true
	}
	if u == unitUsers {
		return r.Users
	}
	if p, ok := strings.CutPrefix(u, "project "); ok {
		_, listed := r.Listed[p]
		return listed
	}
	rest, ok := strings.CutPrefix(u, string(KindMember)+" ")
	if !ok {
		return false
	}
	p := longestProject(sets.SortedKeys(r.Listed), rest)
	if p == "" {
		return false
	}
	m := strings.TrimPrefix(rest, p+"/")
	if r.All[p] {
		return true
	}
	if m == "*" {
		return false
	}
	return r.Read[p][m] || !r.Listed[p][m]
}

var _ provider.CompletedLive = (*Live)(nil)

// Completed is l with what a narrowed read did not read taken as the
// files d want it, as Plan takes it; l itself after a read in full.
func (l *Live) Completed(d *spec.Desired, st *state.State) provider.Live {
	if l == nil || l.Reads == nil || !l.Reads.Narrowed || d == nil {
		return l
	}
	c := l.clone()
	assume(d, c, st)
	return c
}

// Units fingerprints what the files want of every unit they cover.
func (p *Provider) Units(d *spec.Desired) map[string]string { return desiredUnits(d) }

// Writes lists the units a change writes.
func (p *Provider) Writes(c plan.Change) []string { return writtenBy(c) }

// Needs lists the units whose live data a change stands on.
func (p *Provider) Needs(c plan.Change) []string { return neededBy(c) }

// changeProject is the project of a project-scoped change.
func changeProject(c plan.Change) string {
	if c.Scope != "" {
		return c.Scope
	}
	if i := strings.IndexByte(c.Key, '/'); i >= 0 {
		return c.Key[:i]
	}
	return c.Key
}

// readableUserFacets are the facets of a user that user/getAllUsers
// shows.
var readableUserFacets = []string{"email", "phone", "nick", "customInfo"}

func userReadableChange(c plan.Change) bool {
	if c.Action != plan.Update {
		return true
	}
	for _, f := range readableUserFacets {
		if a, ok := c.After[f]; ok && !bytes.Equal(a, c.Before[f]) {
			return true
		}
	}
	return false
}

// bindingUsers are the users whose binding to a role or data permission
// the change adds, removes or re-dates; every user bound after a create or
// a replace.
func bindingUsers(c plan.Change) []string {
	after := c.After.Strings("users")
	if c.Action == plan.Create || c.Action == plan.Replace {
		return after
	}
	if !c.After.Has("users") {
		return nil
	}
	before := c.Before.Strings("users")
	out := append(sets.Minus(after, before), sets.Minus(before, after)...)
	var ae, be map[string]string
	_ = c.After.Decode("user_expires", &ae)
	_ = c.Before.Decode("user_expires", &be)
	for _, u := range after {
		if ae[u] != be[u] && slices.Contains(before, u) {
			out = append(out, u)
		}
	}
	return sets.Uniq(out)
}

// groupUsers are the users a group change adds or removes; every member
// of a group created, re-created or deleted.
func groupUsers(c plan.Change) []string {
	switch c.Action {
	case plan.Create, plan.Replace:
		return c.After.Strings("members")
	case plan.Delete:
		return c.Before.Strings("members")
	}
	if !c.After.Has("members") {
		return nil
	}
	before, after := c.Before.Strings("members"), c.After.Strings("members")
	return sets.Uniq(append(sets.Minus(after, before), sets.Minus(before, after)...))
}

func memberUnits(project string, users []string) []string {
	out := make([]string, 0, len(users))
	for _, u := range users {
		out = append(out, memberUnit(project, u))
	}
	return out
}

// writtenBy lists the units change c writes: a verify reads them again.
func writtenBy(c plan.Change) []string {
	switch c.Kind {
	case KindUser:
		if userReadableChange(c) {
			return []string{unitUsers}
		}
	case KindSystemRole:
		return []string{unitSystemRoles}
	case KindProject:
		out := []string{unitProjects, projectUnit(c.Key)}
		if c.Action == plan.Create {
			out = append(out, memberUnits(c.Key, c.After.Strings("receivers"))...)
		}
		return out
	case KindMember:
		// The listing shows a member and whether it is an admin.
		p := changeProject(c)
		return []string{projectUnit(p), memberUnit(p, memberUser(c))}
	case KindGroup:
		p := changeProject(c)
		return memberUnits(p, groupUsers(c))
	case KindRole, KindDataPermission:
		p := changeProject(c)
		var out []string
		if c.Action != plan.Update || differs(c, "description") {
			// The role trees show roles, their types and descriptions.
			out = append(out, projectUnit(p))
		}
		users := bindingUsers(c)
		if after := c.After.Strings("users"); c.Kind == KindDataPermission && differs(c, "rules") && len(after) > 0 {
			// Rules show in the permissions of their holders.
			users = sets.Uniq(append(users, after[0]))
		}
		return append(out, memberUnits(p, users)...)
	}
	return nil
}

// differs reports whether an update sets one of the attributes to another
// value.
func differs(c plan.Change, attrs ...string) bool {
	for _, a := range attrs {
		if v, ok := c.After[a]; ok && !bytes.Equal(v, c.Before[a]) {
			return true
		}
	}
	return false
}

// neededBy lists the units whose live data change c stands on: a change
// inside a project needs the project's listing and trees read, and a
// change of a group whose id is not known the permissions of one of its
// members, which show it; a removal
// needs the member removed or unbound read; a re-create, which brings back
// what the server has of what the files leave alone, needs every member
// read; a user created or deleted, or whose readable facets change, needs
// the domain's users.
func neededBy(c plan.Change) []string {
	switch c.Kind {
	case KindUser:
		if userReadableChange(c) {
			return []string{unitUsers}
		}
	case KindMember:
		p := changeProject(c)
		out := []string{projectUnit(p)}
		if c.Action != plan.Create {
			out = append(out, memberUnit(p, memberUser(c)))
		}
		return out
	case KindGroup, KindRole, KindDataPermission:
		p := changeProject(c)
		out := []string{projectUnit(p)}
		if c.Kind == KindGroup && c.Action != plan.Create && !c.Before.Has("id") {
			// Its id shows only in its members' permissions: one of them.
			if m := sets.Uniq(c.Before.Strings("members")); len(m) > 0 {
				out = append(out, memberUnit(p, m[0]))
			}
		}
		switch c.Action {
		case plan.Replace:
			out = append(out, allMembersUnit(p))
		case plan.Update:
			var removed []string
			if c.Kind == KindGroup {
				removed = sets.Minus(c.Before.Strings("members"), c.After.Strings("members"))
			} else if c.After.Has("users") {
				removed = sets.Minus(c.Before.Strings("users"), c.After.Strings("users"))
			}
			out = append(out, memberUnits(p, removed)...)
		}
		return out
	}
	return nil
}

// referencedUsers are the users the files refer to outside users:
// departments' admins, members, groups' members, bindings, resource
// members.
func referencedUsers(d *spec.Desired) map[string]bool {
	out := map[string]bool{}
	if d.Orgs != nil {
		for _, dep := range d.Orgs.Departments {
			for _, a := range dep.Admins {
				out[a] = true
			}
		}
	}
	for _, pr := range d.Projects {
		for u := range projectUsers(pr) {
			out[u] = true
		}
	}
	return out
}

// projectUsers are the users a project of the files names, each with
// whether it is under members:.
func projectUsers(pr spec.Project) map[string]bool {
	out := map[string]bool{}
	add := func(u string, listed bool) { out[u] = out[u] || listed }
	for _, m := range pr.Members {
		add(m.User, true)
	}
	for _, g := range pr.Groups {
		for _, u := range g.Members {
			add(u, false)
		}
	}
	for _, r := range pr.Roles {
		for _, u := range r.Users {
			add(u, false)
		}
	}
	for _, r := range pr.DataPermissions {
		for _, u := range r.Users {
			add(u, false)
		}
	}
	for _, rm := range pr.ResourceMembers {
		for _, m := range rm.Members {
			add(m.User, false)
		}
	}
	return out
}

// memberIndex is, per user of a project, what the files want of it.
type memberIndex struct {
	systemRoles map[string][]string // under members:, with systemRoles:
	listed      map[string]bool     // under members:
	groups      map[string][]string
	roles       map[string][]binding // roles and data permissions
}

type binding struct {
	kind    plan.Kind
	key     string // folder/name
	expires string
}

func indexProject(pr spec.Project) *memberIndex {
	ix := &memberIndex{systemRoles: map[string][]string{}, listed: map[string]bool{}, groups: map[string][]string{}, roles: map[string][]binding{}}
	for _, m := range pr.Members {
		ix.listed[m.User] = true
		if m.SystemRoles != nil {
			ix.systemRoles[m.User] = sets.Uniq(m.SystemRoles)
		}
	}
	for _, g := range pr.Groups {
		for _, u := range sets.Uniq(g.Members) {
			ix.groups[u] = append(ix.groups[u], g.Name)
		}
	}
	for _, r := range pr.Roles {
		for _, u := range sets.Uniq(r.Users) {
			ix.roles[u] = append(ix.roles[u], binding{KindRole, r.Folder + "/" + r.Name, r.Expires[u]})
		}
	}
	for _, r := range pr.DataPermissions {
		for _, u := range sets.Uniq(r.Users) {
			ix.roles[u] = append(ix.roles[u], binding{KindDataPermission, r.Folder + "/" + r.Name, r.Expires[u]})
		}
	}
	return ix
}

// Fingerprints of the files' units. Each holds the settings, so that a
// change of them (prune, protected users) reads everything again.

type userFP struct {
	UniqueID   string         `json:"u"`
	Email      *string        `json:"e,omitempty"`
	Phone      *string        `json:"p,omitempty"`
	Nick       *string        `json:"n,omitempty"`
	CustomInfo map[string]any `json:"c,omitempty"`
}

type groupFP struct {
	Name        string  `json:"name"`
	Folder      string  `json:"folder"`
	Description *string `json:"description"`
	Members     bool    `json:"members"`
}

type roleFP struct {
	Kind        plan.Kind         `json:"kind"`
	Key         string            `json:"key"`
	Level       int               `json:"level"`
	Description *string           `json:"description"`
	Groups      []string          `json:"groups"`
	Orgs        []string          `json:"orgs"`
	Expires     map[string]string `json:"expires"` // of groups and departments
	Resources   []spec.Resource   `json:"resources"`
	Rules       []spec.Rule       `json:"rules"`
	Users       bool              `json:"users"`
}

func bindingExpires(b spec.Bindings) map[string]string {
	out := map[string]string{}
	for _, n := range append(append([]string{}, b.Groups...), b.Orgs...) {
		if e, ok := b.Expires[n]; ok {
			out[n] = e
		}
	}
	return out
}

func desiredUnits(d *spec.Desired) map[string]string {
	settings := canon.Fingerprint(d.Settings)
	out := map[string]string{}

	declared := map[string]bool{}
	users := make([]userFP, 0, len(d.Users))
	for _, u := range d.Users {
		declared[u.UniqueID] = true
		users = append(users, userFP{UniqueID: u.UniqueID, Email: u.Email, Phone: u.Phone, Nick: u.Nick, CustomInfo: u.CustomInfo})
	}
	sort.SliceStable(users, func(i, j int) bool { return users[i].UniqueID < users[j].UniqueID })
	var undeclared []string
	for _, u := range sets.SortedKeys(referencedUsers(d)) {
		if !declared[u] {
			undeclared = append(undeclared, u)
		}
	}
	out[unitUsers] = canon.Fingerprint(map[string]any{"settings": settings, "users": users, "referenced": undeclared})

	for _, pr := range d.Projects {
		var groups []groupFP
		for _, g := range pr.Groups {
			groups = append(groups, groupFP{Name: g.Name, Folder: g.Folder, Description: g.Description, Members: g.Members != nil})
		}
		sort.SliceStable(groups, func(i, j int) bool { return groups[i].Name < groups[j].Name })
		var roles []roleFP
		for _, r := range pr.Roles {
			roles = append(roles, roleFP{Kind: KindRole, Key: r.Folder + "/" + r.Name, Level: r.Level, Description: r.Description,
				Groups: sets.Uniq(r.Groups), Orgs: sets.Uniq(r.Orgs), Expires: bindingExpires(r.Bindings), Resources: r.Resources, Users: r.Users != nil})
		}
		for _, r := range pr.DataPermissions {
			roles = append(roles, roleFP{Kind: KindDataPermission, Key: r.Folder + "/" + r.Name, Description: r.Description,
				Groups: sets.Uniq(r.Groups), Orgs: sets.Uniq(r.Orgs), Expires: bindingExpires(r.Bindings), Rules: r.Rules, Users: r.Users != nil})
		}
		sort.SliceStable(roles, func(i, j int) bool {
			if roles[i].Kind != roles[j].Kind {
				return roles[i].Kind < roles[j].Kind
			}
			return roles[i].Key < roles[j].Key
		})
		out[projectUnit(pr.Name)] = canon.Fingerprint(map[string]any{"settings": settings, "name": pr.Name, "id": pr.ID,
			"description": pr.Description, "members": pr.Members != nil, "groups": groups, "roles": roles})

		ix := indexProject(pr)
		managed := pr.Members != nil
		for u := range projectUsers(pr) {
			var binds []string
			for _, b := range ix.roles[u] {
				binds = append(binds, string(b.kind)+"\x1f"+b.key+"\x1f"+b.expires)
			}
			sort.Strings(binds)
			groups := append([]string{}, ix.groups[u]...)
			sort.Strings(groups)
			var systemRoles any
			if r, ok := ix.systemRoles[u]; ok {
				systemRoles = r
			}
			out[memberUnit(pr.Name, u)] = canon.Fingerprint(map[string]any{"settings": settings, "managed": managed,
				"listed": ix.listed[u], "systemRoles": systemRoles, "groups": groups, "bindings": binds})
		}
	}
	return out
}

// assume takes what the narrowed read l (a copy: the read's own model is
// left as it was read) did not read as the files want it, so
// that the plan plans no change of it: the users the files declare (with
// the ids the state recorded) and refer to, and in each project the
// members not read (their system roles, bindings and groups), and for a
// project not read at all its roles, data permissions and groups with the
// ids the state recorded.
func assume(d *spec.Desired, l *Live, st *state.State) {
	r := l.Reads
	if r == nil || !r.Narrowed {
		return
	}
	if st == nil {
		st = state.New()
	}
	if !r.Users {
		for _, u := range d.Users {
			lu := LiveUser{UniqueID: u.UniqueID, Email: u.Email, Nick: u.Nick, Phone: u.Phone}
			if o := st.Objects[state.Key(string(KindUser), u.UniqueID)]; o != nil {
				lu.ID = o.ID
			}
			if u.CustomInfo != nil {
				lu.CustomInfo = canon.JSON(u.CustomInfo)
			}
			l.Users[u.UniqueID] = lu
		}
		for u := range referencedUsers(d) {
			if _, ok := l.Users[u]; !ok {
				l.Users[u] = LiveUser{UniqueID: u}
			}
		}
	}
	a := &assumer{l: l, st: st}
	for _, pr := range d.Projects {
		lp := a.project(pr)
		if lp == nil {
			continue
		}
		ix := indexProject(pr)
		listed, read := r.Listed[pr.Name]
		if !read {
			if lp.Read {
				continue // read under another of the files' names
			}
			a.wholeProject(pr, lp, ix)
		} else {
			for _, u := range sets.SortedKeys(listed) {
				if !r.Read[pr.Name][u] {
					a.member(pr, lp, ix, u)
				}
			}
		}
		for _, lg := range lp.Groups {
			sort.Strings(lg.Members)
		}
	}
	resolveTokenUser(l)
}

type assumer struct {
	l  *Live
	st *state.State
}

// project is the live project of a project of the files: by its pinned id,
// else by name.
func (a *assumer) project(pr spec.Project) *LiveProject {
	if pr.ID != 0 {
		for _, name := range sets.SortedKeys(a.l.Projects) {
			if lp := a.l.Projects[name]; lp.ID == pr.ID {
				return lp
			}
		}
		return nil
	}
	return a.l.Projects[pr.Name]
}

func (a *assumer) stateID(k plan.Kind, key string) (int64, bool) {
	o := a.st.Objects[state.Key(string(k), key)]
	if o == nil || o.Pending {
		return 0, false
	}
	return o.ID, true
}

// wholeProject fills a project no read read with what the files want.
func (a *assumer) wholeProject(pr spec.Project, lp *LiveProject, ix *memberIndex) {
	lp.Members = map[string]LiveMember{}
	lp.Roles = map[string]*LiveRole{}
	lp.DataPermissions = map[string]*LiveRole{}
	lp.RoleFolders = map[string]int64{}
	lp.DataPermissionFolders = map[string]int64{}
	lp.Groups = map[string]*LiveGroup{}
	for _, r := range pr.Roles {
		key := r.Folder + "/" + r.Name
		id, _ := a.stateID(KindRole, pr.Name+"/"+key)
		typ := apiclient.RoleKindLevel1
		if r.Level == 2 {
			typ = apiclient.RoleKindLevel2
		}
		lp.Roles[key] = &LiveRole{ID: id, Name: r.Name, Folder: r.Folder, Type: typ, Description: deref(r.Description), Users: map[string]*string{}}
	}
	for _, r := range pr.DataPermissions {
		key := r.Folder + "/" + r.Name
		id, _ := a.stateID(KindDataPermission, pr.Name+"/"+key)
		lp.DataPermissions[key] = &LiveRole{ID: id, Name: r.Name, Folder: r.Folder, Type: apiclient.RoleKindRowPerm, Description: deref(r.Description), Users: map[string]*string{}}
	}
	for _, u := range sets.SortedKeys(projectUsers(pr)) {
		a.member(pr, lp, ix, u)
	}
	lp.Read = true
}

// member fills a member no read read with what the files want of it.
func (a *assumer) member(pr spec.Project, lp *LiveProject, ix *memberIndex, u string) {
	lm, ok := lp.Members[u]
	if !ok {
		lm.UserID = a.l.Users[u].ID
	}
	if roles, ok := ix.systemRoles[u]; ok {
		lm.SystemRoleIDs = nil
		for _, name := range roles {
			if id, ok := builtinSystemRoleIDs[name]; ok {
				lm.SystemRoleIDs = append(lm.SystemRoleIDs, id)
			} else if sr, ok := a.l.SystemRoles[name]; ok {
				lm.SystemRoleIDs = append(lm.SystemRoleIDs, sr.ID)
			}
		}
		sort.Slice(lm.SystemRoleIDs, func(i, j int) bool { return lm.SystemRoleIDs[i] < lm.SystemRoleIDs[j] })
		if lm.Category == "" && slices.Contains(roles, "admin") {
			lm.Category = "admin"
		}
	}
	lp.Members[u] = lm
	for _, b := range ix.roles[u] {
		m := lp.Roles
		if b.kind == KindDataPermission {
			m = lp.DataPermissions
		}
		lr := m[b.key]
		if lr == nil {
			continue
		}
		var exp *string
		if b.expires != "" {
			e := b.expires
			exp = &e
		}
		lr.Users[u] = exp
	}
	for _, g := range ix.groups[u] {
		lg := lp.Groups[g]
		if lg == nil {
			// With the id the state recorded, if any: a change of the
			// group, which needs it, reads one of its members (neededBy).
			o := a.st.Objects[state.Key(string(KindGroup), pr.Name+"/"+g)]
			if o != nil && o.Pending {
				continue // a create whose answer was lost: planned from the state
			}
			if lp.GoneGroups[g] {
				continue // deleted on the server, as the read's probe found
			}
			lg = &LiveGroup{Name: g}
			if o != nil {
				lg.ID = o.ID
			}
			lp.Groups[g] = lg
		}
		if !slices.Contains(lg.Members, u) {
			lg.Members = append(lg.Members, u)
		}
	}
}

// more reads, into a copy of an earlier read base of the same files, the
// units asked for again (a verify: what the apply wrote) and what base
// lacks of the units the read wants (a second read of one plan: what a
// change stands on), and keeps the rest of base. A project whose listing
// is asked for again is read anew, and the project list or the custom
// system roles asked for again make it a read from scratch.
func (rd *reader) more(ctx context.Context, base *Live, projects []ProjectRef) (*Live, error) {
	again := map[string]bool{}
	for _, u := range rd.o.Refresh.Units {
		again[u] = true
	}
	if again[unitProjects] || again[unitSystemRoles] {
		return rd.fresh(ctx, projects)
	}
	live := base.clone()
	reads := live.Reads
	reads.Narrowed = true
	if reads.Asked == nil {
		reads.Asked = map[string]bool{}
	}
	for u := range again {
		reads.Asked[u] = true
	}
	reads.ListedNow, reads.ReadNow = map[string]bool{}, map[string]map[string]bool{}
	names := make([]string, 0, len(projects))
	for _, ref := range projects {
		names = append(names, ref.Name)
	}
	rd.want = newWanted(rd.o.Refresh, names)
	g, gctx := errgroup.WithContext(ctx)
	if again[unitUsers] || !reads.Users && rd.want.users() {
		reads.Users = true
		live.Users = map[string]LiveUser{}
		g.Go(func() error { return rd.users(gctx, live) })
	}
	byFiles := map[string]*LiveProject{}
	for _, lp := range live.Projects {
		if lp.FilesName != "" {
			byFiles[lp.FilesName] = lp
		}
	}
	type newProject struct {
		name string
		lp   *LiveProject
		pr   projectRead
	}
	var fresh []*newProject
	seen := map[string]bool{}
	for _, name := range names {
		lp := byFiles[name]
		if lp == nil || seen[name] {
			continue
		}
		seen[name] = true
		listed, ok := reads.Listed[name]
		if !ok || again[projectUnit(name)] {
			if ok || rd.want.project(name) {
				delete(reads.All, name)
				np := &newProject{name: name, lp: lp}
				fresh = append(fresh, np)
				g.Go(func() (err error) {
					np.pr, err = rd.project(gctx, lp, name)
					return err
				})
			}
			continue
		}
		all := rd.want.members[name] != nil && rd.want.members[name].all
		var todo []apiclient.ProjectUser
		redo := map[string]bool{}
		for _, u := range sets.SortedKeys(listed) {
			read := reads.Read[name][u]
			switch {
			case all || again[memberUnit(name, u)]:
				if read {
					redo[u] = true
				}
			case read || !rd.want.member(name, u):
				continue
			}
			lm := lp.Members[u]
			todo = append(todo, apiclient.ProjectUser{UniqueID: u, UserID: lm.UserID, Category: lm.Category})
			reads.Read[name][u] = true
			if reads.ReadNow[name] == nil {
				reads.ReadNow[name] = map[string]bool{}
			}
			reads.ReadNow[name][u] = true
		}
		if len(reads.Read[name]) == len(listed) {
			reads.All[name] = true
		}
		if len(todo) == 0 {
			continue
		}
		forget(lp, redo)
		rolesByID := map[int64]*LiveRole{}
		for _, m := range []map[string]*LiveRole{lp.Roles, lp.DataPermissions} {
			for _, lr := range m {
				rolesByID[lr.ID] = lr
			}
		}
		g.Go(func() error { return rd.permissions(gctx, lp, rolesByID, todo) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, np := range fresh {
		reads.Listed[np.name], reads.Read[np.name] = np.pr.listed, np.pr.read
		reads.ListedNow[np.name], reads.ReadNow[np.name] = true, np.pr.read
		if np.pr.all {
			reads.All[np.name] = true
		}
	}
	resolveTokenUser(live)
	return live, nil
}

// forget takes out of lp what the permissions of users showed, before
// they are read again: their bindings, their groups (a group no one else
// showed goes with them) and their system roles.
func forget(lp *LiveProject, users map[string]bool) {
	if len(users) == 0 {
		return
	}
	for _, m := range []map[string]*LiveRole{lp.Roles, lp.DataPermissions} {
		for _, lr := range m {
			for u := range lr.Users {
				if users[u] {
					delete(lr.Users, u)
				}
			}
		}
	}
	for name, lg := range lp.Groups {
		kept := lg.Members[:0]
		for _, u := range lg.Members {
			if !users[u] {
				kept = append(kept, u)
			}
		}
		lg.Members = kept
		if len(kept) == 0 {
			delete(lp.Groups, name)
		}
	}
	for u := range users {
		lm := lp.Members[u]
		lp.Members[u] = LiveMember{UserID: lm.UserID, Category: lm.Category}
	}
}

// clone copies what a plan's assumptions or a second read change of l.
func (l *Live) clone() *Live {
	out := &Live{TokenUser: l.TokenUser, Users: make(map[string]LiveUser, len(l.Users)),
		SystemRoles: make(map[string]LiveSystemRole, len(l.SystemRoles)), Projects: make(map[string]*LiveProject, len(l.Projects))}
	for k, v := range l.Users {
		out.Users[k] = v
	}
	for k, v := range l.SystemRoles {
		out.SystemRoles[k] = v
	}
	for k, lp := range l.Projects {
		out.Projects[k] = lp.clone()
	}
	if r := l.Reads; r != nil {
		cr := &LiveReads{Narrowed: r.Narrowed, Users: r.Users, Asked: make(map[string]bool, len(r.Asked)),
			Listed: map[string]map[string]bool{}, Read: map[string]map[string]bool{}, All: map[string]bool{}}
		for u := range r.Asked {
			cr.Asked[u] = true
		}
		for p, m := range r.Listed {
			cr.Listed[p] = copySet(m)
		}
		for p, m := range r.Read {
			cr.Read[p] = copySet(m)
		}
		for p := range r.All {
			cr.All[p] = true
		}
		out.Reads = cr
	}
	return out
}

func copySet(m map[string]bool) map[string]bool {
	out := make(map[string]bool, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (lp *LiveProject) clone() *LiveProject {
	cp := *lp
	if lp.Members != nil {
		cp.Members = make(map[string]LiveMember, len(lp.Members))
		for k, v := range lp.Members {
			cp.Members[k] = v
		}
	}
	cloneRoles := func(in map[string]*LiveRole) map[string]*LiveRole {
		if in == nil {
			return nil
		}
		out := make(map[string]*LiveRole, len(in))
		for k, r := range in {
			cr := *r
			cr.Users = make(map[string]*string, len(r.Users))
			for u, e := range r.Users {
				cr.Users[u] = e
			}
			out[k] = &cr
		}
		return out
	}
	cp.Roles, cp.DataPermissions = cloneRoles(lp.Roles), cloneRoles(lp.DataPermissions)
	copyIDs := func(in map[string]int64) map[string]int64 {
		if in == nil {
			return nil
		}
		out := make(map[string]int64, len(in))
		for k, v := range in {
			out[k] = v
		}
		return out
	}
	cp.RoleFolders, cp.DataPermissionFolders = copyIDs(lp.RoleFolders), copyIDs(lp.DataPermissionFolders)
	if lp.Groups != nil {
		cp.Groups = make(map[string]*LiveGroup, len(lp.Groups))
		for k, g := range lp.Groups {
			cg := *g
			cg.Members = append([]string(nil), g.Members...)
			cp.Groups[k] = &cg
		}
	}
	return &cp
}
