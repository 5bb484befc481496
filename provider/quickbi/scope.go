package quickbi

import (
	"sort"

	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/spec"
)

// ReadScope is what of an organization the files cover beyond what every
// read reads (members, custom organization roles, tag definitions and the
// workspace list): it is the provider's part of provider.Scope.
type ReadScope struct {
	// TagUsers are the accounts whose tag values the files manage: their
	// values are read, one member per call.
	TagUsers []string
	// Groups reads the user-group tree (the files have groups:, prune of
	// groups is on, or a rule or whitelist names a group); MemberGroups
	// are the group ids whose members are read.
	Groups       bool
	MemberGroups []string
	// MemberGroupNames are the files' group names: the members of a
	// group holding one are read too, whatever its id (a group made
	// again by hand in the console under the name of one of the files',
	// which the plan takes for it).
	MemberGroupNames []string
	// Workspaces are the workspaces the files name.
	Workspaces []WorkspaceScope
	// All reads everything (export): every member's tag values, the
	// group tree with every group's members, every workspace with its
	// members and every dataset's both levels and whitelists.
	All bool
	// Refresh, when set, narrows the read of tag values, the one read of
	// a call per member (see refresh.go); everything else is read as
	// always.
	Refresh *provider.Refresh
}

// WorkspaceScope is what of one workspace the files cover.
type WorkspaceScope struct {
	Name string
	ID   string
	// KnownID is the id the state learned for a workspace the files do
	// not pin (ID ""): it is found by that id while the server has it,
	// renamed in the console or not, else by its name.
	KnownID string
	// Members reads the members (the files list them).
	Members bool
	// AllRolesOf are the accounts the files give several roles: every
	// role of theirs is read.
	AllRolesOf []string
	// Datasets are the datasets the files name.
	Datasets []DatasetScope
}

// DatasetScope is one dataset the files name: by id, or by name.
type DatasetScope struct {
	ID, Name string
	// Levels are the levels the files set (LevelRow, LevelColumn), with
	// whether they set the whitelist.
	Levels map[string]bool
}

// ScopeOf is what the Quick BI part of the files covers.
func ScopeOf(q *spec.QuickBI) ReadScope {
	var s ReadScope
	if q == nil {
		return s
	}
	for _, u := range q.Users {
		if u.Tags != nil {
			s.TagUsers = append(s.TagUsers, u.Account)
		}
	}
	sort.Strings(s.TagUsers)
	s.Groups = q.Groups != nil || q.Settings.Prune.Groups
	for _, g := range q.Groups {
		s.MemberGroups = append(s.MemberGroups, g.ID)
		s.MemberGroupNames = append(s.MemberGroupNames, g.Name)
	}
	sort.Strings(s.MemberGroups)
	sort.Strings(s.MemberGroupNames)
	for _, w := range q.Workspaces {
		ws := WorkspaceScope{Name: w.Name, ID: w.ID, Members: w.Members != nil}
		for _, m := range w.Members {
			if len(m.Roles) > 1 {
				ws.AllRolesOf = append(ws.AllRolesOf, m.User)
			}
		}
		sort.Strings(ws.AllRolesOf)
		for _, d := range w.Datasets {
			ds := DatasetScope{ID: d.ID, Name: d.Name, Levels: map[string]bool{}}
			for level, l := range map[string]*spec.QuickBIDataLevel{LevelRow: d.RowLevel, LevelColumn: d.ColumnLevel} {
				if l == nil {
					continue
				}
				ds.Levels[level] = l.Whitelist != nil
				if l.Whitelist != nil && len(l.Whitelist.Groups) > 0 {
					s.Groups = true
				}
				for _, r := range l.Rules {
					if len(r.Groups) > 0 {
						s.Groups = true
					}
				}
			}
			ws.Datasets = append(ws.Datasets, ds)
		}
		s.Workspaces = append(s.Workspaces, ws)
	}
	return s
}

// resolve is the workspace of the organization sc names: by its pinned
// id; else by the id the state knows, while the server has it; else by
// its name (nil when no workspace, or several, have it).
func (sc WorkspaceScope) resolve(live *Live) *LiveWorkspace {
	if sc.ID != "" {
		return live.Workspaces[sc.ID]
	}
	if ws := live.Workspaces[sc.KnownID]; sc.KnownID != "" && ws != nil {
		return ws
	}
	if ws, n := live.WorkspaceByName(sc.Name); n == 1 {
		return ws
	}
	return nil
}
