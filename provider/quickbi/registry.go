package quickbi

import (
	"github.com/permsync/permsync/plan"
)

// Name is the provider's name in the files (provider: quickbi).
const Name = "quickbi"

// Kinds, in rendering order.
const (
	// KindTag is a user tag definition, keyed by its name.
	KindTag plan.Kind = "tag"
	// KindUser is an organization member, keyed by its account
	// (AccountName) as the files write it.
	KindUser plan.Kind = "user"
	// KindGroup is a user group, keyed by the id the files give it (its
	// UserGroupId, or that id with MovedSuffix after a move).
	KindGroup plan.Kind = "group"
	// KindMember is a workspace member: "<workspace>/<account>".
	KindMember plan.Kind = "member"
	// KindDataLevel is the row or column permission setup of a dataset:
	// "<workspace>/<dataset>/rowLevel" or ".../columnLevel", the dataset
	// as the files name it (its id, or its name).
	KindDataLevel plan.Kind = "dataLevel"
	// KindRule is a row or column rule:
	// "<workspace>/<dataset>/<rowLevel|columnLevel>/<rule name>".
	KindRule plan.Kind = "rule"
)

// Phases, in apply order. Within the groups phase the executor orders
// its steps itself (creates top-down, members, the old groups of moves
// bottom-up); deletions of groups run bottom-up in theirs.
const (
	PhaseTags = iota
	PhaseUsers
	PhaseGroups
	PhaseMembers
	// A user whose type is lowered (a developer made an analyst, ...) is
	// changed once its workspace roles are ones the new type may hold:
	// Quick BI refuses the type while the member holds a role it may not.
	PhaseLoweredUsers
	PhaseDatasets
	PhaseDeleteRules
	PhaseDeleteMembers
	PhaseDeleteGroups
	// Users leave after their workspaces and groups are settled: a
	// removed member's works go to the heir (settings.transferTo) or to
	// each workspace's owner.
	PhaseDeleteUsers
	// Tags go last: deleting a definition drops every member's value.
	PhaseDeleteTags
)

// PhaseNames names the phases, indexed by phase.
var PhaseNames = []string{
	PhaseTags:          "user tags",
	PhaseUsers:         "users and their tag values",
	PhaseGroups:        "user groups and their members",
	PhaseMembers:       "workspace members",
	PhaseLoweredUsers:  "users whose type is lowered",
	PhaseDatasets:      "row and column permissions",
	PhaseDeleteRules:   "deleting rules",
	PhaseDeleteMembers: "removing workspace members",
	PhaseDeleteGroups:  "deleting user groups",
	PhaseDeleteUsers:   "deleting users",
	PhaseDeleteTags:    "deleting user tags",
}

// Level names, as the files and the keys write them, and the rule types
// of the API they stand for.
const (
	LevelRow    = "rowLevel"
	LevelColumn = "columnLevel"
)

// Registry is Quick BI's registry. Everything the files set is read back
// by the API, so every facet is Readable but a user's accountId: Quick BI
// shows the Alibaba Cloud UID of a member only once it is known to it
// (for users not added through RAM, after their first login), so it is
// compared when shown and fingerprinted otherwise.
var Registry = &plan.Registry{
	Provider: Name,
	Phases:   PhaseNames,
	// Workspaces are not planned objects, but a --target names one to
	// cover its members, data levels and rules.
	ScopeKind: "workspace",
	Kinds: []plan.KindInfo{
		{Kind: KindTag, Shape: plan.Shape{Parts: 1}, Phase: PhaseTags, DeletePhase: PhaseDeleteTags,
			Facets: facets(r("description"))},
		{Kind: KindUser, Shape: plan.Shape{Parts: 1}, Phase: PhaseUsers, DeletePhase: PhaseDeleteUsers,
			Facets: facets(plan.Facet{Name: "accountId", Access: plan.ReadableWhenShown},
				r("nick"), r("type"), r("roles"), r("inactive"), r("tags"))},
		{Kind: KindGroup, Shape: plan.Shape{Parts: 1}, Phase: PhaseGroups, DeletePhase: PhaseDeleteGroups,
			Facets: facets(r("name"), r("description"), r("parent"), r("members"))},
		{Kind: KindMember, Shape: plan.Shape{Scoped: true, Parts: 1}, Phase: PhaseMembers, DeletePhase: PhaseDeleteMembers,
			Facets: facets(r("roles"))},
		{Kind: KindDataLevel, Shape: plan.Shape{Scoped: true, Parts: 2}, Phase: PhaseDatasets, DeletePhase: PhaseDatasets,
			Facets: facets(r("enabled"), r("missHit"), r("whitelistUsers"), r("whitelistGroups"))},
		{Kind: KindRule, Shape: plan.Shape{Scoped: true, Parts: 3}, Phase: PhaseDatasets, DeletePhase: PhaseDeleteRules,
			Facets: facets(r("name"), r("all"), r("users"), r("groups"), r("content"), r(FacetRuleID))},
	},
}

// FacetRuleID is the facet under which the state keeps a rule's RuleId
// (its one item), learned from the read: a rule renamed on the server is
// found again by it.
const FacetRuleID = "ruleId"

func r(name string) plan.Facet             { return plan.Facet{Name: name, Access: plan.Readable} }
func facets(fs ...plan.Facet) []plan.Facet { return fs }

// Kinds lists every kind in rendering order.
var Kinds = Registry.KindOrder()

// scopedKinds are the kinds whose keys start with a workspace.
var scopedKinds = map[plan.Kind]bool{KindMember: true, KindDataLevel: true, KindRule: true}
