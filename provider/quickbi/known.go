package quickbi

import (
	"context"
	"sort"

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
		st.Objects[plan.StateKey(KindWorkspace, c.Scope)] = &state.Object{Facets: map[string]state.Facet{FacetWorkspaceID: idFacet(id)}}
		changed = true
	}
	return changed
}
