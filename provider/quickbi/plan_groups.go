package quickbi

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/permsync/permsync/diff"
	"github.com/permsync/permsync/internal/canon"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/quickbi/apiclient"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// groupIDPattern is what a group id of the files may be: a caller-chosen
// UserGroupId (letters, digits, - and _, at most 64) short enough to take
// MovedSuffix.
var groupIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,57}$`)

// Bucket of settings.maxDeletes for the members the plan takes out of
// groups that stay.
const capGroupMembers = "group member removals"

// groupPlan is what the plan does with one group of the files.
type groupPlan struct {
	g     *spec.QuickBIGroup
	depth int
	// live is the group on the server (nil: created); twin is the other
	// group an interrupted move left, deleted by the plan.
	live, twin *LiveGroup
	// parent is the server id of the parent once the plan is applied
	// (apiclient.RootUserGroupID at the top); serverID the group's own.
	parent, serverID string
	moved            bool
	// ident is how the group was matched by diff.MatchIdentities;
	// adopted is set when the group on the server is one made by hand
	// under its name after the one permsync knew was deleted.
	ident   diff.Identity[string]
	adopted bool
}

// groupServerID is the server id a group the files name has once the
// plan is applied: its planned id, or the id of a group that is on the
// server and not in the files.
func (p *planner) groupServerID(id string) string {
	if gp := p.groupPlan[id]; gp != nil {
		return gp.serverID
	}
	return id
}

// groupServerIDs maps group ids of the files to server ids, sorted.
func (p *planner) groupServerIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, p.groupServerID(id))
	}
	return sortedUniq(out)
}

// liveGroupIDs shows the group ids a rule or whitelist holds on the
// server: an id no group has any more is "?<id>".
func (p *planner) liveGroupIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if p.live.GroupsRead && p.live.Groups[id] == nil {
			id = "?" + id
		}
		out = append(out, id)
	}
	return sortedUniq(out)
}

// groupKnown reports whether a group id names a group of the files or one
// on the server.
func (p *planner) groupKnown(id string) bool {
	if _, ok := p.groups[id]; ok {
		return true
	}
	return p.live.Groups[id] != nil
}

// parentDisplay shows a parent id: "" for the top level.
func parentDisplay(id string) string {
	if id == apiclient.RootUserGroupID {
		return ""
	}
	return id
}

// planGroups plans the user-group tree: groups keyed on the files' ids,
// created top-down with the ids the files choose; renamed and
// re-described in place; moved (Quick BI cannot change a group's parent)
// by a copy under the new parent with the members, then the deletion of
// the old group; and deleted bottom-up.
func (p *planner) planGroups() {
	p.groups = map[string]*spec.QuickBIGroup{}
	p.groupPlan = map[string]*groupPlan{}
	p.adopted = map[string]string{}
	names := map[string]string{}
	for i := range p.q.Groups {
		g := &p.q.Groups[i]
		switch {
		case p.groups[g.ID] != nil:
			p.Problem(fmt.Sprintf("group %s is declared twice (%s)", g.ID, src(g.Src)))
			continue
		case !groupIDPattern.MatchString(g.ID) || strings.HasSuffix(g.ID, MovedSuffix):
			p.Problem(fmt.Sprintf("group id %q: a group id is 1 to 57 letters, digits, - and _, and does not end in %q, which permsync gives a moved group (%s)", g.ID, MovedSuffix, src(g.Src)))
		case g.Name == "":
			p.Problem(fmt.Sprintf("group %s has no name (%s)", g.ID, src(g.Src)))
		}
		if other, dup := names[g.Name]; dup {
			p.Problem(fmt.Sprintf("groups %s and %s are both named %q, but group names are unique in the organization (%s)", other, g.ID, g.Name, src(g.Src)))
		}
		names[g.Name] = g.ID
		p.groups[g.ID] = g
	}
	order := p.groupOrder()
	p.matchGroupIdentities()
	for _, id := range order {
		p.matchGroup(p.groupPlan[id])
	}
	for _, id := range order {
		p.planGroup(p.groupPlan[id])
	}
	p.checkGroupNames()
	p.planGroupDeletes()
}

// groupOrder computes each group's depth and returns the ids top-down
// (by depth, then id). A parent that is neither in the files nor on the
// server, and a cycle, are problems.
func (p *planner) groupOrder() []string {
	depth := map[string]int{}
	var visit func(id string, path []string) int
	visit = func(id string, path []string) int {
		if d, ok := depth[id]; ok {
			return d
		}
		g := p.groups[id]
		for _, x := range path {
			if x == id {
				p.Problem(fmt.Sprintf("groups %s form a cycle of parents (%s)", strings.Join(append(path, id), " → "), src(g.Src)))
				depth[id] = 0
				return 0
			}
		}
		d := 0
		switch {
		case g.Parent == "":
		case p.groups[g.Parent] != nil:
			d = visit(g.Parent, append(path, id)) + 1
		case p.live.Groups[g.Parent] != nil:
			d = p.liveDepth(g.Parent) + 1
		default:
			p.Problem(fmt.Sprintf("group %s: parent %q is neither a group of the files nor on the server (%s)", id, g.Parent, src(g.Src)))
		}
		depth[id] = d
		return d
	}
	ids := sortedKeys(p.groups)
	for _, id := range ids {
		visit(id, nil)
		p.groupPlan[id] = &groupPlan{g: p.groups[id], depth: depth[id]}
	}
	sort.SliceStable(ids, func(i, j int) bool {
		if depth[ids[i]] != depth[ids[j]] {
			return depth[ids[i]] < depth[ids[j]]
		}
		return ids[i] < ids[j]
	})
	return ids
}

// liveDepth is a server group's depth (0 at the top).
func (p *planner) liveDepth(id string) int {
	d := 0
	for seen := map[string]bool{}; ; d++ {
		lg := p.live.Groups[id]
		if lg == nil || lg.Parent == apiclient.RootUserGroupID || seen[id] {
			return d
		}
		seen[id] = true
		id = lg.Parent
	}
}

// matchGroup finds a group of the files on the server, by its id or its
// id after a move, and decides its server id once the plan is applied.
// Parents come first, so the parent's server id is known.
func (p *planner) matchGroup(gp *groupPlan) {
	g := gp.g
	gp.parent = apiclient.RootUserGroupID
	if g.Parent != "" {
		gp.parent = p.groupServerID(g.Parent)
	}
	a, b := p.live.Groups[g.ID], p.live.Groups[g.ID+MovedSuffix]
	if a == nil && b == nil {
		a = p.adoptGroup(gp)
	}
	switch {
	case a != nil && b != nil:
		// A move was interrupted between the copy and the deletion of the
		// old group: the copy is the one under the parent the files want
		// (else the one with the files' name, else the files' id).
		score := func(lg *LiveGroup) int {
			s := 0
			if lg.Parent == gp.parent {
				s += 2
			}
			if lg.Name == g.Name {
				s++
			}
			return s
		}
		if score(b) > score(a) {
			a, b = b, a
		}
		gp.live, gp.twin = a, b
	case a != nil:
		gp.live = a
	case b != nil:
		gp.live = b
	}
	switch {
	case gp.live == nil:
		gp.serverID = g.ID
	case gp.twin != nil:
		// Finish the move: the copy stays, the old group goes.
		gp.serverID, gp.moved = gp.live.ID, true
		if gp.live.Parent != gp.parent {
			p.Problem(fmt.Sprintf("group %s is on the server twice, as %s and %s, and neither is under %s as the files say: delete one of them on the server (%s)",
				g.ID, gp.live.ID, gp.twin.ID, topName(gp.parent), src(g.Src)))
		}
	case gp.live.Parent == gp.parent:
		gp.serverID = gp.live.ID
	default:
		gp.serverID = otherGroupID(gp.live.ID)
		gp.moved = true
	}
	if gp.live != nil && fileGroupID(gp.live.ID) != g.ID {
		p.adopted[gp.live.ID] = g.ID
	}
	if fileGroupID(gp.serverID) != g.ID {
		p.adopted[gp.serverID] = g.ID
	}
}

// old is the group a moved group's change starts from: the old group of
// an interrupted move, else the group on the server.
func (gp *groupPlan) old() *LiveGroup {
	if gp.twin != nil {
		return gp.twin
	}
	return gp.live
}

// planGroup plans one group of the files.
func (p *planner) planGroup(gp *groupPlan) {
	g, lg := gp.g, gp.old()
	o := p.NewObject(KindGroup, g.ID, g.Src, lg != nil)
	o.After.Set("id", gp.serverID)
	if lg != nil {
		o.Before.Set("id", lg.ID)
	} else {
		o.CreateReason = "not on the server (no group with id " + g.ID + " or " + g.ID + MovedSuffix + ")"
	}
	var live LiveGroup
	if lg != nil {
		live = *lg
	}
	o.Readable("name", g.Name, live.Name)
	o.Fingerprint("name", g.Name) // what was applied: a later drift is the console's
	if fileGroupID(gp.serverID) != g.ID {
		// The server's id of a group made by hand that the plan takes
		// for this one: found by it from now on.
		if o.New.Facets == nil {
			o.New.Facets = map[string]state.Facet{}
		}
		o.New.Facets[FacetGroupID] = idFacet(gp.serverID)
	}
	switch m := gp.ident; {
	case lg == nil && m.How == diff.DeletedOnServer:
		o.CreateReason = m.Reason()
	case gp.adopted:
		o.ForceUpdate = append(o.ForceUpdate, m.Reason()+"; taken for this group, not made twice")
	case m.How == diff.RenamedOnServer && lg != nil && !gp.moved && gp.twin == nil && o.Old != nil && o.Old.Facets["name"].Hash == canon.Fingerprint(g.Name):
		// Found by its UserGroupId, and the files name it as when it was
		// last applied: the name drift is a rename in the console, put
		// back.
		o.Drift = slices.DeleteFunc(o.Drift, func(d string) bool { return strings.HasPrefix(d, "the server has name ") })
		o.ForceUpdate = append(o.ForceUpdate, m.Reason())
	}
	if g.Description != nil {
		o.Readable("description", *g.Description, live.Description)
	}
	o.Readable("parent", parentDisplay(gp.parent), parentDisplay(live.Parent))
	switch {
	case gp.twin != nil:
		o.Replace = append(o.Replace, fmt.Sprintf("a move was interrupted: its copy %s is under %s; the copy gets the members and group %s is deleted", gp.live.ID, topName(gp.parent), lg.ID))
		// The copy is there: what it has instead of a create.
		o.Ident(attrCopyName, gp.live.Name)
		o.Ident(attrCopyDescription, gp.live.Description)
		p.checkMovable(gp)
	case gp.moved:
		why := fmt.Sprintf("moved from %s to %s: Quick BI cannot change a group's parent, so a copy with id %s is made under %s with the members, and then group %s is deleted",
			topName(live.Parent), topName(gp.parent), gp.serverID, topName(gp.parent), lg.ID)
		if parent := p.groupPlan[g.Parent]; parent != nil && parent.moved && fileGroupID(live.Parent) == g.Parent {
			why = fmt.Sprintf("its parent %s moves, so it moves with it: a copy with id %s is made under the parent's copy %s with the members, and then group %s is deleted",
				g.Parent, gp.serverID, gp.parent, lg.ID)
		}
		o.Replace = append(o.Replace, why)
		p.checkMovable(gp)
	}

	liveMembers := p.namesOf(live.Members)
	var want []string
	switch {
	case g.Members != nil:
		want = make([]string, 0, len(g.Members))
		for _, u := range g.Members {
			want = append(want, p.userRef(u))
		}
		want = sortedUniq(want)
		if lg != nil {
			for _, u := range minus(liveMembers, want) {
				if p.Protected(u) {
					p.Warn("user %s is protected (settings.protectedUsers or the member behind the credentials): not removed from group %s", u, g.ID)
					want = sortedUniq(append(want, u))
				}
			}
		}
	case gp.twin != nil:
		// The copy gets the old group's members and keeps its own.
		want = sortedUniq(append(append([]string{}, liveMembers...), p.namesOf(gp.live.Members)...))
	case gp.moved:
		want = liveMembers // copied
	}
	if want != nil {
		o.Readable("members", want, liveMembers)
		if lg != nil && g.Members != nil {
			p.CapExisting("", capGroupMembers, len(liveMembers))
			var removed []string
			for _, u := range minus(liveMembers, want) {
				if !p.leaving[u] {
					removed = append(removed, u)
				}
			}
			p.CapRemoved("", capGroupMembers, g.ID, removed)
		}
		touched := want
		if lg != nil && !gp.moved {
			touched = append(minus(want, liveMembers), minus(liveMembers, want)...)
		}
		if ids := p.userIDsByName(touched); len(ids) > 0 {
			o.Ident(attrUserIDs, ids)
		}
	}
	o.Finish(gp.depth)
}

// topName names a parent in a reason.
func topName(id string) string {
	if id == apiclient.RootUserGroupID || id == "" {
		return "the top level"
	}
	return "group " + id
}

// userIDsByName maps the plan's names of users to UserIds, for the
// users on the server.
func (p *planner) userIDsByName(names []string) map[string]string {
	out := map[string]string{}
	for _, n := range names {
		if id, ok := p.ids[n]; ok {
			out[n] = id
		}
	}
	return out
}

// checkMovable reports a moved group whose old group cannot be deleted
// once the copy is made: one with a child group the files do not move
// along (a group not in the files).
func (p *planner) checkMovable(gp *groupPlan) {
	for _, c := range gp.old().Children {
		if p.ofFiles(c) {
			continue
		}
		p.Problem(fmt.Sprintf("group %s moves, but the old group %s has child group %s, which is not in the files: Quick BI deletes a group only once it has no child groups, so declare %s in the files (under %s), or move it away first (%s)",
			gp.g.ID, gp.old().ID, c, fileGroupID(c), gp.g.ID, src(gp.g.Src)))
	}
}

// ofFiles reports whether a server group is a group of the files or the
// twin the plan deletes.
func (p *planner) ofFiles(serverID string) bool {
	gp := p.groupPlan[p.filesGroupID(serverID)]
	return gp != nil && (gp.live != nil && gp.live.ID == serverID || gp.twin != nil && gp.twin.ID == serverID)
}

// checkGroupNames reports the names the plan cannot give: Quick BI keeps
// group names unique in the organization. A group created or renamed may
// take the name of a group of the files the plan renames first; a moved
// group takes its own old name (the old group is renamed out of the way
// first).
func (p *planner) checkGroupNames() {
	if !p.live.GroupsRead {
		return
	}
	holders := map[string]*LiveGroup{}
	for _, id := range sortedKeys(p.live.Groups) {
		lg := p.live.Groups[id]
		holders[lg.Name] = lg
	}
	renamedAway := func(lg *LiveGroup) bool {
		gp := p.groupPlan[p.filesGroupID(lg.ID)]
		return gp != nil && gp.live == lg && !gp.moved && gp.g.Name != lg.Name
	}
	for _, id := range sortedKeys(p.groupPlan) {
		gp := p.groupPlan[id]
		g := gp.g
		if gp.live != nil && !gp.moved && gp.live.Name == g.Name {
			continue // keeps its name
		}
		holder := holders[g.Name]
		switch {
		case holder == nil, holder == gp.live:
		case gp.twin == holder:
			// The old group of the move: renamed out of the way first.
		case renamedAway(holder) && (gp.live == nil || gp.moved):
			// Renamed first: the create finds the name free.
		case renamedAway(holder):
			p.Problem(fmt.Sprintf("group %s: name %q is held by group %s, which this plan renames too; Quick BI refuses a name another group holds at the moment it is given: rename one of them in an apply of its own first (%s)", g.ID, g.Name, holder.ID, src(g.Src)))
		default:
			what := "a group not in the files"
			switch {
			case p.ofFiles(holder.ID):
				what = "a group this plan moves or renames only after"
			case gp.ident.How == diff.RecreatedOnServer && gp.ident.ID == holder.ID:
				what = fmt.Sprintf("made again by hand after group %s was deleted, but under %s where the files say %s: move it there in Quick BI, or delete it, and it is taken for %s", g.ID, topName(holder.Parent), topName(gp.parent), g.ID)
			}
			p.Problem(fmt.Sprintf("group %s: name %q is taken by group %s on the server (%s), and group names are unique in the organization (%s)", g.ID, g.Name, holder.ID, what, src(g.Src)))
		}
	}
}

// planGroupDeletes plans the deletion, bottom-up, of the groups absent
// from the files that permsync created, or all of them with
// settings.prune.groups.
func (p *planner) planGroupDeletes() {
	if !p.live.GroupsRead {
		return
	}
	deleting := map[string]bool{}
	type del struct {
		lg  *LiveGroup
		why string
	}
	var dels []del
	for _, id := range sortedKeys(p.live.Groups) {
		lg := p.live.Groups[id]
		// settings.maxDeletes is a share of every group, kept ones too.
		p.CapObject("", KindGroup, id)
		if p.ofFiles(id) {
			continue
		}
		why := diff.DeleteWhy(p.StateOf(KindGroup, p.stateGroupKey(id)), p.q.Settings.Prune.Groups, "settings.prune.groups")
		if why == "" {
			continue
		}
		if p.q.Groups == nil {
			p.Undeclared(KindGroup, "groups", id)
			continue
		}
		deleting[id] = true
		dels = append(dels, del{lg, why})
	}
	for _, d := range dels {
		lg := d.lg
		for _, c := range lg.Children {
			if !deleting[c] && !p.ofFiles(c) {
				p.Refuse(plan.RefuseOther, fmt.Sprintf("group %s is to be deleted (%s), but its child group %s stays, and Quick BI deletes a group only once it has no child groups: delete or move %s too, or keep %s in the files", lg.ID, d.why, c, c, fileGroupID(lg.ID)))
			}
			if gp := p.groupPlan[fileGroupID(c)]; gp != nil && gp.live != nil && gp.live.ID == c && !gp.moved {
				p.Refuse(plan.RefuseOther, fmt.Sprintf("group %s is to be deleted (%s), but group %s of the files stays under it", lg.ID, d.why, fileGroupID(c)))
			}
		}
		var before plan.Attrs
		before.Set("id", lg.ID)
		before.Set("name", lg.Name)
		before.Set("description", lg.Description)
		before.Set("parent", parentDisplay(lg.Parent))
		if lg.MembersRead {
			before.Set("members", p.namesOf(lg.Members))
		}
		key := lg.ID
		if sk := p.stateGroupKey(lg.ID); sk != fileGroupID(lg.ID) {
			// A group made by hand that an earlier plan took for the
			// files' group sk: keyed by the state's record, which goes
			// with it.
			key = sk
		}
		p.AddDelete(plan.Change{Kind: KindGroup, Key: key, Before: before, Reason: d.why}, p.liveDepth(lg.ID))
	}
}
