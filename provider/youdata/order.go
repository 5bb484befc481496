package youdata

import (
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
func Phase(c plan.Change) int { return Registry.Phase(c) }

// Registry is Youdata's facet registry: its kinds in rendering order, the
// phase of each, and for each facet whether the API reads it back or the
// state keeps its fingerprint (see the change model in attrs.go).
var Registry = &plan.Registry{
	Provider:  "youdata",
	Phases:    PhaseNames,
	ScopeKind: KindProject,
	Kinds: []plan.KindInfo{
		{Kind: KindSystemRole, Shape: plan.Shape{Parts: 1}, Phase: PhaseSystemRoles, DeletePhase: PhaseDeleteSystemRoles,
			Facets: facets(r("description"))},
		{Kind: KindCompany, Shape: plan.Shape{Parts: 1}, Phase: PhaseDepartments, DeletePhase: PhaseDeleteDepartments,
			Facets: facets(w("name"))},
		{Kind: KindDepartment, Shape: plan.Shape{Parts: 1}, Phase: PhaseDepartments, DeletePhase: PhaseDeleteDepartments,
			Facets: facets(w("department"), w("parent"))},
		{Kind: KindUser, Shape: plan.Shape{Parts: 1}, Phase: PhaseUsers, DeletePhase: PhaseDeleteUsers,
			Facets: facets(r("email"), r("phone"), r("nick"), r("customInfo"), w("department"), w("company"),
				w("position"), w("left"), w("allowExternal"), w("orgs"), w("attrs"))},
		{Kind: KindProject, Shape: plan.Shape{Parts: 1}, Phase: PhaseProjects, DeletePhase: PhaseDeleteProjects,
			Facets: facets(r("description"))},
		{Kind: KindMember, Shape: plan.Shape{Scoped: true, Parts: 1}, Phase: PhaseProjects, DeletePhase: PhaseDeleteMembers,
			Facets: facets(r("systemRoles"))},
		{Kind: KindGroup, Shape: plan.Shape{Scoped: true, Parts: 1}, Phase: PhaseGroups, DeletePhase: PhaseDeleteGroups,
			Facets: facets(r("members"), w("folder"), w("description"))},
		{Kind: KindRole, Shape: plan.Shape{Scoped: true, Parts: 2}, Phase: PhaseRoles, DeletePhase: PhaseDeleteRoles,
			Facets: facets(r("description"), r("users"), r("user_expires"), w("groups"), w("orgs"), w("resources"))},
		{Kind: KindDataPermission, Shape: plan.Shape{Scoped: true, Parts: 2}, Phase: PhaseRoles, DeletePhase: PhaseDeleteRoles,
			Facets: facets(r("description"), r("users"), r("user_expires"), w("groups"), w("orgs"),
				plan.Facet{Name: "rules", Access: plan.ReadableWhenShown})},
		{Kind: KindResourceMembers, Shape: plan.Shape{Scoped: true, Parts: 2}, Phase: PhaseResourceMembers, DeletePhase: PhaseResourceMembers,
			Facets: facets(w("members"))},
	},
}

func r(name string) plan.Facet             { return plan.Facet{Name: name, Access: plan.Readable} }
func w(name string) plan.Facet             { return plan.Facet{Name: name, Access: plan.WriteOnly} }
func facets(fs ...plan.Facet) []plan.Facet { return fs }

// Kinds lists every kind in rendering order.
var Kinds = Registry.KindOrder()
