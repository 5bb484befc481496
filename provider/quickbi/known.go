package quickbi

import (
	"context"
	"sort"
	"strings"

	"github.com/permsync/permsync/diff"
	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/internal/canon"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/state"
)

// Objects the state knows by id, and edits made in the web console.
//
// Most of what Quick BI holds is found again by what the files key it on:
// users by account, groups by the UserGroupId the files choose, rules by
// the RuleId the state learned. What the state adds:
//
//   - A workspace the files name without pinning its id is recorded with
//     the id the plan found it by (KindWorkspace, facet FacetWorkspaceID)
//     once an apply changes something in it. A later read finds it by that
//     id, so one renamed in the console (no action renames a workspace
//     back) is still the files' workspace, with a warning.
//   - A group made again by hand in the console under the name of one of
//     the files', with an id the server chose, after the group permsync
//     knew was deleted there, is taken for it (diff.MatchIdentities says
//     RecreatedOnServer): the state records the server's id (facet
//     FacetGroupID of the group's record), the read finds it by that id
//     later, and rules and whitelists name it by it.

// KindWorkspace is the kind of the state's records of workspaces: not a
// kind of the plan (permsync neither creates nor changes workspaces),
// only the id the state learned, keyed by the files' name.
const KindWorkspace plan.Kind = "workspace"

// FacetWorkspaceID is the facet of a workspace's record holding its id
// (the one item); FacetGroupID the facet of a group's record holding its
// server id when it is not the files' id (a group made by hand that the
// plan took for the files' one).
const (
	FacetWorkspaceID = "workspaceId"
	FacetGroupID     = "groupId"
)

var _ engine.StateReader = (*Provider)(nil)

// ReadKnown reads what s covers, as Read does, and also finds by id what
// the state knows: the workspaces it learned the ids of (renamed in the
// console or not), and the members of the groups whose server id it
// recorded. The read changes nothing on the server.
func (p *Provider) ReadKnown(ctx context.Context, s provider.Scope, st *state.State) (provider.Live, error) {
	if rs, ok := s.Extra.(ReadScope); ok && st != nil && !s.AllSpaces {
		s.Extra = KnownScope(rs, st)
	}
	return p.Read(ctx, s)
}

// KnownScope is rs with what st knows by id: each workspace's learned id
// (KnownID, for those the files do not pin) and the server ids of the
// files' groups the state records (MemberGroups).
func KnownScope(rs ReadScope, st *state.State) ReadScope {
	out := rs
	out.Workspaces = make([]WorkspaceScope, len(rs.Workspaces))
	for i, w := range rs.Workspaces {
		if w.ID == "" {
			w.KnownID = knownWorkspaceID(st, w.Name)
		}
		out.Workspaces[i] = w
	}
	ids := append([]string(nil), rs.MemberGroups...)
	for _, id := range rs.MemberGroups {
		if sid := knownGroupID(st, id); sid != "" && sid != id {
			ids = append(ids, sid)
		}
	}
	sort.Strings(ids)
	out.MemberGroups = uniq(ids)
	return out
}

// knownWorkspaceID is the id the state learned for the workspace the
// files call name ("" when none).
func knownWorkspaceID(st *state.State, name string) string {
	return oneItem(st, KindWorkspace, name, FacetWorkspaceID)
}

// knownGroupID is the server id the state records for the files' group
// id ("" when it records none: the server id is the files' id, or that
// id after a move).
func knownGroupID(st *state.State, id string) string {
	return oneItem(st, KindGroup, id, FacetGroupID)
}

func oneItem(st *state.State, k plan.Kind, key, facet string) string {
	if st == nil {
		return ""
	}
	o := st.Objects[plan.StateKey(k, key)]
	if o == nil {
		return ""
	}
	if f, ok := o.Facets[facet]; ok && len(f.Items) == 1 {
		return f.Items[0]
	}
	return ""
}

// idFacet is a facet holding one id.
func idFacet(id string) state.Facet {
	return state.Facet{Hash: canon.Fingerprint(id), Items: []string{id}}
}

// learnWorkspaceIDs records in st the id of every workspace a change of p
// is made in (attribute workspace_id) that the files do not pin and the
// state has no id of, or another: a workspace is then found by its id,
// even after a rename in the console. Only the id is recorded: permsync
// creates no workspace. It reports whether st changed.
func learnWorkspaceIDs(p *plan.Plan, st *state.State) bool {
	changed := false
	for _, c := range p.Changes {
		if !scopedKinds[c.Kind] || c.Scope == "" {
			continue
		}
		id := c.After.String(attrWorkspaceID)
		if id == "" {
			id = c.Before.String(attrWorkspaceID)
		}
		if id == "" || knownWorkspaceID(st, c.Scope) == id {
			continue
		}
		st.Put(plan.StateKey(KindWorkspace, c.Scope), &state.Object{Facets: map[string]state.Facet{FacetWorkspaceID: idFacet(id)}})
		changed = true
	}
	return changed
}

// matchGroupIdentities matches the files' groups with the server by name
// and by the ids they are known by (diff.MatchIdentities): the files' id
// (or that id after a move, or the server id the state records) when the
// read shows it, else, for a group the state has a record of, the id it
// had. The tree is read whole, so an id it does not show is gone.
func (p *planner) matchGroupIdentities() {
	if !p.live.GroupsRead {
		return
	}
	liveByName := map[string]string{}
	for _, id := range sortedKeys(p.live.Groups) {
		lg := p.live.Groups[id]
		liveByName[lg.Name] = lg.ID
	}
	var names []string
	known := map[string]string{}
	for _, id := range sortedKeys(p.groupPlan) {
		g := p.groupPlan[id].g
		names = append(names, g.Name)
		sid := knownGroupID(p.st, g.ID)
		for _, cand := range []string{g.ID, g.ID + MovedSuffix, sid, otherGroupID(sid)} {
			if cand != "" && cand != MovedSuffix && p.live.Groups[cand] != nil {
				known[g.Name] = cand
				break
			}
		}
		if _, ok := known[g.Name]; !ok && p.StateOf(KindGroup, g.ID) != nil {
			if sid == "" {
				sid = g.ID
			}
			known[g.Name] = sid
		}
	}
	m := diff.MatchIdentities(diff.IdentityInput[string]{Desired: names, Live: liveByName, State: known, Complete: true})
	for _, id := range sortedKeys(p.groupPlan) {
		gp := p.groupPlan[id]
		gp.ident = m.ByDesired[gp.g.Name]
		if gp.ident.How == diff.RenamedOnServer && strings.HasPrefix(gp.ident.Live, movingName("")) {
			// The old group of an interrupted move, not a rename.
			gp.ident.How = diff.ByName
		}
	}
}

// adoptGroup is the group on the server that a group of the files whose
// id the read does not show is: the one the state records the server id
// of, or one made by hand in the console under its name, under the parent
// the files give, after the one the state knew was deleted (nil: none).
func (p *planner) adoptGroup(gp *groupPlan) *LiveGroup {
	if sid := knownGroupID(p.st, gp.g.ID); sid != "" {
		for _, id := range []string{sid, otherGroupID(sid)} {
			if lg := p.live.Groups[id]; lg != nil && p.groups[fileGroupID(id)] == nil {
				return lg
			}
		}
	}
	if gp.ident.How != diff.RecreatedOnServer {
		return nil
	}
	lg := p.live.Groups[gp.ident.ID]
	if lg == nil || lg.Parent != gp.parent || p.groups[fileGroupID(lg.ID)] != nil || p.adopted[lg.ID] != "" {
		return nil
	}
	gp.adopted = true
	return lg
}

// filesGroupID is the files' id of a server group id: the group of the
// files the plan took it for, else the id without MovedSuffix.
func (p *planner) filesGroupID(serverID string) string {
	if id, ok := p.adopted[serverID]; ok {
		return id
	}
	return fileGroupID(serverID)
}

// stateGroupKey is the key of the state's record of a server group: the
// files' group whose record holds its id (FacetGroupID), else its id
// without MovedSuffix.
func (p *planner) stateGroupKey(serverID string) string {
	if id, ok := p.adopted[serverID]; ok {
		return id
	}
	for _, key := range p.StateKeys(KindGroup, "") {
		if sid := knownGroupID(p.st, key); sid != "" && (sid == serverID || otherGroupID(sid) == serverID) {
			return key
		}
	}
	return fileGroupID(serverID)
}
