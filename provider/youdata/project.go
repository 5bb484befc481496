package youdata

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/permsync/permsync/diff"
	"github.com/permsync/permsync/internal/canon"
	"github.com/permsync/permsync/internal/sets"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// findProject is the live project a desired one refers to: by its pinned
// id, else by name.
func (p *planner) findProject(pr spec.Project) *LiveProject {
	if pr.ID != 0 {
		for _, name := range sets.SortedKeys(p.live.Projects) {
			if lp := p.live.Projects[name]; lp != nil && lp.ID == pr.ID {
				return lp
			}
		}
		return nil
	}
	return p.live.Projects[pr.Name] // keyed by the files' names (matchIdentities)
}

// planProjects plans projects and everything inside them.
func (p *planner) planProjects() {
	projects := append([]spec.Project(nil), p.d.Projects...)
	sort.SliceStable(projects, func(i, j int) bool { return projects[i].Name < projects[j].Name })
	inFiles := map[string]bool{}
	for _, pr := range projects {
		lp := p.findProject(pr)
		inFiles[pr.Name] = true
		if lp != nil {
			inFiles[lp.Name] = true
		}
		pi := p.ident.projects[pr.Name]
		o := p.NewObject(KindProject, pr.Name, pr.Src, lp != nil)
		o.After.Set("name", pr.Name)
		if pi.movedFrom != "" {
			adoptState(o, p.StateOf(KindProject, pi.movedFrom))
			o.After.Set("moved_from", movedKey("", pi.movedFrom))
		}
		if lp != nil {
			// Compared trimmed, as the files' names are: a name typed with
			// a trailing space in the web console is not renamed.
			o.Before.Set("name", strings.TrimSpace(lp.Name))
			switch m := pi.match; {
			case m.How == diff.RenamedOnServer || m.How == diff.RenamedInFiles:
				o.ForceUpdate = append(o.ForceUpdate, m.Reason())
			case m.How == diff.RecreatedOnServer:
				// Made again by hand: not permsync's, known by its new id.
				adoptState(o, nil)
				o.ForceUpdate = append(o.ForceUpdate, m.Reason())
			case strings.TrimSpace(lp.Name) != pr.Name:
				o.ForceUpdate = append(o.ForceUpdate, fmt.Sprintf("rename: the project with id %d is named %q on the server", lp.ID, lp.Name))
			case pi.movedFrom != "":
				o.ForceUpdate = append(o.ForceUpdate, fmt.Sprintf("the state records the project with id %d as %q: its records follow the files' name", lp.ID, pi.movedFrom))
			}
			o.ID(lp.ID)
		} else {
			if pi.match.How == diff.DeletedOnServer {
				o.CreateReason = pi.match.Reason()
			}
			o.After.Set("receivers", p.receivers(pr))
		}
		if pr.Description != nil {
			var desc string
			if lp != nil {
				desc = lp.Description
			}
			o.Readable("description", *pr.Description, desc)
		}
		o.Finish(0)

		var pid int64
		if lp != nil {
			pid = lp.ID
			if !lp.Read {
				lp = &LiveProject{ID: lp.ID, Name: lp.Name, Description: lp.Description}
			}
		}
		ctx := &projectCtx{p: p, pr: pr, lp: lp, pid: pid, ident: pi, replacedGroups: map[string]bool{}, deletedGroups: map[string]bool{}}
		ctx.planMembers()
		ctx.planGroups()
		ctx.planRoles()
		ctx.planResourceMembers()
	}
	// Projects permsync created and the files no longer name. project/del
	// takes every report, dashboard and data model of the project with it
	// and cannot be undone: besides maxDeletes, each such deletion must be
	// confirmed in the files (settings.deleteProjects).
	confirmed := sets.Of(p.d.Settings.DeleteProjects)
	for _, name := range sets.SortedKeys(p.live.Projects) {
		if inFiles[name] {
			continue
		}
		old := p.StateOf(KindProject, name)
		if old == nil || !old.Created {
			continue
		}
		lp := p.live.Projects[name]
		if old.ID != 0 && old.ID != lp.ID {
			continue // the state's project is gone; this one was made by hand
		}
		if p.d.Projects == nil {
			p.Undeclared(KindProject, "projects", name)
			continue
		}
		var before plan.Attrs
		before.Set("name", name)
		before.Set("id", lp.ID)
		p.AddDelete(plan.Change{Kind: KindProject, Key: name, Before: before, Reason: "not in the files; created by permsync"}, 0)
		if !confirmed[name] {
			p.Refuse(plan.RefuseDataLoss, fmt.Sprintf("project %s (id %d) would be deleted, and every report, dashboard and data model in it with it (project/del cannot be undone): %s",
				name, lp.ID, confirmDelete(name, lp.ID)))
		}
	}
}

// receivers are the members project/add starts a project with: its admins,
// else its members, else the token's user.
func (p *planner) receivers(pr spec.Project) []string {
	var admins, all []string
	for _, m := range pr.Members {
		all = append(all, m.User)
		for _, r := range m.SystemRoles {
			if r == "admin" {
				admins = append(admins, m.User)
			}
		}
	}
	out := admins
	if len(out) == 0 {
		out = all
	}
	if len(out) == 0 && p.live.TokenUser != "" {
		out = []string{p.live.TokenUser}
	}
	if out == nil {
		out = []string{}
	}
	sort.Strings(out)
	return out
}

// projectCtx plans the objects inside one desired project.
type projectCtx struct {
	p   *planner
	pr  spec.Project
	lp  *LiveProject // nil when the project does not exist yet
	pid int64
	// ident is how the project was found (renamed, re-created, moved).
	ident projectIdentity
	// replacedGroups are the groups this plan re-creates: roles bind
	// them again.
	replacedGroups map[string]bool
	// deletedGroups are the groups this plan deletes: group/dels drops
	// their role bindings, so roles need not unbind them.
	deletedGroups map[string]bool
}

func (c *projectCtx) key(parts ...string) string {
	return c.pr.Name + "/" + strings.Join(parts, "/")
}

func (c *projectCtx) newObj(k plan.Kind, key string, src spec.Source, exists bool) *diff.Object {
	o := c.p.NewObject(k, key, src, exists)
	if c.ident.stale || c.ident.movedFrom != "" {
		adoptState(o, c.stateOf(k, strings.TrimPrefix(key, c.pr.Name+"/")))
	}
	o.Scope = c.pr.Name
	if c.pid != 0 {
		o.Ident("project_id", c.pid)
	}
	return o
}

// systemRoleNames maps live system role ids to names.
func (p *planner) systemRoleNames(ids []int64) []string {
	byID := map[int64]string{}
	for name, id := range builtinSystemRoleIDs {
		byID[id] = name
	}
	for name, r := range p.live.SystemRoles {
		byID[r.ID] = name
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if n, ok := byID[id]; ok {
			out = append(out, n)
		} else {
			out = append(out, "#"+strconv.FormatInt(id, 10))
		}
	}
	sort.Strings(out)
	return out
}

// systemRoleIDs maps system role names to the ids known at plan time.
func (p *planner) systemRoleIDs(names []string) map[string]int64 {
	out := map[string]int64{}
	for _, n := range names {
		if id, ok := builtinSystemRoleIDs[n]; ok {
			out[n] = id
		} else if r, ok := p.live.SystemRoles[n]; ok {
			out[n] = r.ID
		}
	}
	return out
}

// planMembers plans the project's membership when members: is present.
func (c *projectCtx) planMembers() {
	c.planLeavers()
	if c.pr.Members == nil {
		return
	}
	p := c.p
	var live map[string]LiveMember
	if c.lp != nil {
		live = c.lp.Members
	}
	want := map[string]spec.Member{}
	for _, m := range c.pr.Members {
		if c.p.revoked(m.User) {
			continue // removed by planLeavers
		}
		want[m.User] = m
	}
	for _, u := range sets.SortedKeys(want) {
		m := want[u]
		lm, ok := live[u]
		o := c.newObj(KindMember, c.key(u), m.Src, ok && c.lp != nil)
		o.Ident("user", u)
		if m.SystemRoles != nil {
			roles := sets.Uniq(m.SystemRoles)
			liveRoles := p.systemRoleNames(lm.SystemRoleIDs)
			if ok && p.Protected(u) && slices.Contains(liveRoles, "admin") && !slices.Contains(roles, "admin") {
				p.Warn("user %s is protected (settings.protectedUsers or the token's user): keeps the admin system role in project %s", u, c.pr.Name)
				roles = sets.Uniq(append(roles, "admin"))
			}
			o.Readable("systemRoles", roles, liveRoles)
			o.After.Set("system_role_ids", p.systemRoleIDs(roles))
			if ok {
				o.Before.Set("system_role_ids", p.systemRoleIDs(liveRoles))
			}
		}
		o.Finish(0)
	}
	for _, u := range sets.SortedKeys(live) {
		if _, ok := want[u]; ok || c.p.revoked(u) {
			continue
		}
		if c.p.projRefs[c.pr.Name][u] {
			continue // bound by a role, a group or a resource: a member through them
		}
		if p.Protected(u) {
			p.Warn("user %s is protected (settings.protectedUsers or the token's user): not removed from project %s", u, c.pr.Name)
			continue
		}
		lm := live[u]
		var before plan.Attrs
		before.Set("user", u)
		before.Set("project_id", c.pid)
		before.Set("id", lm.UserID)
		before.Set("systemRoles", p.systemRoleNames(lm.SystemRoleIDs))
		p.AddDelete(plan.Change{Kind: KindMember, Key: c.key(u), Scope: c.pr.Name, Before: before, Reason: "not in the project's members"}, 0)
	}
}

// planGroups plans the project's groups.
func (c *projectCtx) planGroups() {
	p := c.p
	want := map[string]spec.Group{}
	for _, g := range c.pr.Groups {
		want[g.Name] = g
	}
	var liveGroups map[string]*LiveGroup
	if c.lp != nil {
		liveGroups = c.lp.Groups
	}
	for _, name := range sets.SortedKeys(want) {
		g := want[name]
		key := c.key(name)
		lg := liveGroups[name] // one renamed on the server sits here too
		m := c.groupMatch(name)
		var old *state.Object
		switch m.How {
		case diff.RenamedInFiles:
			old = c.stateOf(KindGroup, m.StateName)
		case diff.RecreatedOnServer, diff.DeletedOnServer:
			// The state's record is of a group that is gone.
		default:
			old = c.stateOf(KindGroup, name)
		}
		// Known to the state without an id, and gone (the probe by its
		// path said so): created again.
		goneByPath := lg == nil && c.lp != nil && c.lp.GoneGroups[name] && m.How != diff.DeletedOnServer
		if goneByPath {
			old = nil
		}
		// A group without members shows in no read: one the state knows
		// exists. One whose create is pending (permsync sent group/add
		// and never recorded the answer) may or may not: it is replaced,
		// as the plan says. The executor sends group/add again and only
		// when the name is taken deletes, by the path that create named,
		// the memberless group it left, then creates it again: its id
		// cannot be learned otherwise.
		lost := c.lp != nil && lg == nil && old != nil && old.Pending
		exists := c.lp != nil && (lg != nil || old != nil && !old.Pending)
		o := c.newObj(KindGroup, key, g.Src, exists || lost)
		if m.How != diff.ByName && m.How != diff.Hidden && m.How != diff.New || goneByPath {
			adoptState(o, old)
		}
		o.After.Set("name", name)
		if o.Exists {
			switch {
			case lg != nil:
				o.Before.Set("name", lg.Name)
			case m.How == diff.RenamedInFiles:
				o.Before.Set("name", m.StateName)
			default:
				o.Before.Set("name", name)
			}
		}
		switch m.How {
		case diff.RenamedOnServer, diff.RecreatedOnServer:
			o.ForceUpdate = append(o.ForceUpdate, m.Reason())
		case diff.RenamedInFiles:
			o.After.Set("moved_from", movedKey(c.pr.Name, m.StateName))
			o.ForceUpdate = append(o.ForceUpdate, m.Reason())
		case diff.DeletedOnServer:
			o.CreateReason = m.Reason()
		}
		if goneByPath {
			o.CreateReason = "deleted on the server (no group is at the path the state records); creating it again"
		}
		if m.How == diff.RecreatedOnServer || m.How == diff.DeletedOnServer || goneByPath {
			// The group made by hand, or the one made again, holds none
			// of the old one's role bindings.
			c.replacedGroups[name] = true
			p.Warn("group %s was deleted on the server: %s", key, c.rebindNote(name))
		}
		if lg != nil {
			o.ID(lg.ID)
			if old != nil && old.Pending {
				// Seen on the server, with members: the group the state
				// marks pending is recorded with its id, and never
				// treated as a lost create again.
				o.ForceUpdate = append(o.ForceUpdate, fmt.Sprintf("the state marks a create of it pending, and the server shows it (id %d): recorded as existing", lg.ID))
			}
		} else if exists {
			o.ID(old.ID)
		}
		// folder: set on create; the API cannot move a group.
		o.After.Set("folder", g.Folder)
		folderFacet := state.Facet{Hash: canon.Fingerprint(g.Folder), Items: []string{g.Folder}}
		switch {
		case lost:
			at := g.Folder
			if prev, known := o.OldItems("folder"); known && len(prev) == 1 {
				at = prev[0]
			}
			o.Before.Set("folder", at)
			o.Replace = append(o.Replace, lostCreateReason(at))
		case exists:
			prev, known := o.OldItems("folder")
			switch {
			case known && len(prev) == 1 && prev[0] != g.Folder:
				o.Before.Set("folder", prev[0])
				o.Replace = append(o.Replace, fmt.Sprintf("the API cannot move a group: folder %q becomes %q", prev[0], g.Folder))
			default:
				o.Before.Set("folder", g.Folder)
			}
		}
		if g.Description != nil {
			o.WriteOnly("description", nil, diff.KV{Name: "description", Value: *g.Description})
		}
		if o.New.Facets == nil {
			o.New.Facets = map[string]state.Facet{}
		}
		o.New.Facets["folder"] = folderFacet
		if g.Members != nil {
			var liveMembers []string
			if lg != nil {
				liveMembers = lg.Members
			}
			o.Readable("members", p.staying(g.Members), sets.Uniq(liveMembers))
		} else if len(o.Replace) > 0 && lg != nil {
			// A re-created group gets back the members it has: unchanged.
			o.After.Set("members", sets.Uniq(lg.Members))
			o.Before.Set("members", sets.Uniq(lg.Members))
		}
		if len(o.Replace) > 0 {
			c.replacedGroups[name] = true
			p.Warn("group %s is re-created: %s", key, c.rebindNote(name))
		}
		o.Finish(0)
	}
	if c.lp == nil {
		return
	}
	// Deletions: groups seen on the server or known from the state.
	candidates := map[string]bool{}
	for name := range liveGroups {
		candidates[name] = true
	}
	for _, name := range c.stateKeys(KindGroup) {
		candidates[name] = true
	}
	moved := c.movedGroups()
	for _, name := range sets.SortedKeys(candidates) {
		if _, ok := want[name]; ok {
			continue
		}
		if _, ok := moved[name]; ok {
			continue // renamed in the files: its record is the new name's
		}
		key := c.key(name)
		old := c.stateOf(KindGroup, name)
		lg := liveGroups[name]
		if lg == nil && c.lp.GoneGroups[name] {
			// Deleted on the server: nothing to delete, and the state
			// forgets it (no call; not a removal maxDeletes counts).
			var before plan.Attrs
			before.Set("name", name)
			before.Set("project_id", c.pid)
			before.Set("exists", false)
			c.deletedGroups[name] = true
			p.Add(plan.Change{Action: plan.Delete, Kind: KindGroup, Key: key, Scope: c.pr.Name, Before: before,
				Reason: "deleted on the server (it is not in the files either): its record leaves the state, nothing is sent"}, 0)
			continue
		}
		if lg != nil && old != nil && old.ID != 0 && old.ID != lg.ID {
			old = nil // a group made by hand under the name of one that is gone
		}
		why := diff.DeleteWhy(old, p.d.Settings.Prune.Groups, "prune.groups")
		if why == "" {
			continue
		}
		var before plan.Attrs
		before.Set("name", name)
		before.Set("project_id", c.pid)
		if lg != nil {
			before.Set("id", lg.ID)
			before.Set("members", sets.Uniq(lg.Members))
		} else if old != nil && old.ID != 0 {
			before.Set("id", old.ID)
		}
		if old != nil {
			if f, ok := old.Facets["folder"]; ok && len(f.Items) == 1 {
				before.Set("folder", f.Items[0])
			}
		}
		c.deletedGroups[name] = true
		p.AddDelete(plan.Change{Kind: KindGroup, Key: key, Scope: c.pr.Name, Before: before, Reason: why}, 0)
	}
}

// lostCreateReason is the reason of the replace of a group whose create
// permsync sent without recording the answer: what the apply does, and
// only when the name is taken.
func lostCreateReason(folder string) string {
	at := "at the root"
	if folder != "" {
		at = fmt.Sprintf("in folder %q", folder)
	}
	return "a group/add permsync sent for it lost its answer: it is sent again, and only if the name is taken, " +
		"the group that create left " + at + " (no members, so no read shows it or its id) is deleted by its path and created again"
}

// rebindNote says which roles bind a re-created group again: those of
// the project whose groups: list it. Other bindings cannot be read back.
func (c *projectCtx) rebindNote(group string) string {
	var keys []string
	for _, r := range c.pr.Roles {
		if slices.Contains(r.Groups, group) {
			keys = append(keys, c.key(r.Folder, r.Name))
		}
	}
	for _, r := range c.pr.DataPermissions {
		if slices.Contains(r.Groups, group) {
			keys = append(keys, c.key(r.Folder, r.Name))
		}
	}
	if len(keys) == 0 {
		return "no groups: in the files lists it, so any binding of it to a role is lost, as the API cannot read them back"
	}
	sort.Strings(keys)
	return "only the roles and data permissions whose groups: list it bind it again (" + strings.Join(keys, ", ") +
		"); other bindings of it are lost, as the API cannot read them back"
}

// resourceMember is one direct member of a resource in attributes.
type resourceMember struct {
	User        string   `json:"user"`
	Permissions []string `json:"permissions"`
}

// planResourceMembers plans the full syncs of resources' direct members.
func (c *projectCtx) planResourceMembers() {
	rms := append([]spec.ResourceMember(nil), c.pr.ResourceMembers...)
	sort.SliceStable(rms, func(i, j int) bool {
		if rms[i].Type != rms[j].Type {
			return rms[i].Type < rms[j].Type
		}
		return rms[i].ID < rms[j].ID
	})
	listed := map[string]bool{}
	defer c.planDroppedResourceMembers(listed)
	for _, rm := range rms {
		key := c.key(rm.Type, strconv.FormatInt(rm.ID, 10))
		listed[rm.Type+"/"+strconv.FormatInt(rm.ID, 10)] = true
		old := c.stateOf(KindResourceMembers, strings.TrimPrefix(key, c.pr.Name+"/"))
		o := c.newObj(KindResourceMembers, key, rm.Src, old != nil && c.lp != nil)
		o.CreateReason = "not in state; the server does not show direct members, so they are synced in full"
		o.Ident("type", rm.Type)
		o.Ident("resource_id", rm.ID)
		members := make([]resourceMember, 0, len(rm.Members))
		for _, m := range rm.Members {
			if c.p.revoked(m.User) {
				continue
			}
			perms := sortedCopy(m.Permissions)
			if perms == nil {
				perms = []string{}
			}
			members = append(members, resourceMember{User: m.User, Permissions: perms})
		}
		sort.SliceStable(members, func(i, j int) bool { return members[i].User < members[j].User })
		o.WriteOnly("members", nil, diff.KV{Name: "members", Value: members})
		o.Finish(0)
	}
}
