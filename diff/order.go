package diff

import (
	"sort"

	"github.com/permsync/permsync/plan"
)

// Phases, in apply order. Within a phase, changes are independent of each
// other except departments (parents first on create, leaves first on
// delete), which Compute orders.
const (
	PhaseSystemRoles = iota
	PhaseDepartments
	PhaseUsers
	PhaseProjects
	PhaseGroups
	PhaseRoles
	PhaseResourceMembers
	PhaseDeleteRoles
	PhaseDeleteGroups
	PhaseDeleteMembers
	PhaseDeleteProjects
	// Users leave before departments: syncOrg, never forced, refuses to
	// delete a department that still has members.
	PhaseDeleteUsers
	PhaseDeleteDepartments
	PhaseDeleteSystemRoles
)

// PhaseNames names the phases, indexed by Phase.
var PhaseNames = []string{
	PhaseSystemRoles:       "system roles",
	PhaseDepartments:       "company and departments",
	PhaseUsers:             "users",
	PhaseProjects:          "projects and members",
	PhaseGroups:            "groups",
	PhaseRoles:             "roles and data permissions",
	PhaseResourceMembers:   "resource members",
	PhaseDeleteRoles:       "deleting roles and data permissions",
	PhaseDeleteGroups:      "deleting groups",
	PhaseDeleteMembers:     "removing members",
	PhaseDeleteProjects:    "deleting projects",
	PhaseDeleteUsers:       "deleting users",
	PhaseDeleteDepartments: "deleting departments",
	PhaseDeleteSystemRoles: "deleting system roles",
}

// Phase is the phase a change is applied in. Unbinding users from roles and
// removing group members are part of the role and group updates.
func Phase(c plan.Change) int {
	if c.Action == plan.Delete {
		switch c.Kind {
		case KindRole, KindDataPermission:
			return PhaseDeleteRoles
		case KindGroup:
			return PhaseDeleteGroups
		case KindMember:
			return PhaseDeleteMembers
		case KindProject:
			return PhaseDeleteProjects
		case KindDepartment, KindCompany:
			return PhaseDeleteDepartments
		case KindSystemRole:
			return PhaseDeleteSystemRoles
		case KindUser:
			return PhaseDeleteUsers
		case KindResourceMembers:
			return PhaseResourceMembers
		}
	}
	switch c.Kind {
	case KindSystemRole:
		return PhaseSystemRoles
	case KindCompany, KindDepartment:
		return PhaseDepartments
	case KindUser:
		return PhaseUsers
	case KindProject, KindMember:
		return PhaseProjects
	case KindGroup:
		return PhaseGroups
	case KindRole, KindDataPermission:
		return PhaseRoles
	default:
		return PhaseResourceMembers
	}
}

// KindIndex is the position of a kind in Kinds (len(Kinds) if unknown).
func KindIndex(k plan.Kind) int {
	for i, x := range Kinds {
		if x == k {
			return i
		}
	}
	return len(Kinds)
}

// planned is a change with what orders it within its phase.
type planned struct {
	c     plan.Change
	depth int // departments: depth in the tree
}

// sortPlanned orders changes by phase, then kind, then (departments) depth
// (parents first, leaves first on delete), then key.
func sortPlanned(ps []planned) []plan.Change {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if pa, pb := Phase(a.c), Phase(b.c); pa != pb {
			return pa < pb
		}
		if ka, kb := KindIndex(a.c.Kind), KindIndex(b.c.Kind); ka != kb {
			return ka < kb
		}
		if a.depth != b.depth {
			if a.c.Action == plan.Delete {
				return a.depth > b.depth
			}
			return a.depth < b.depth
		}
		return a.c.Key < b.c.Key
	})
	out := make([]plan.Change, len(ps))
	for i, p := range ps {
		out[i] = p.c
	}
	return out
}
