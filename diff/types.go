// Package diff computes a plan from the desired state, the live state read
// from the server and the state of what permsync last applied. It is pure:
// no I/O, no logging, no clock. The same inputs give byte-identical plans.
package diff

import (
	"encoding/json"

	"github.com/permsync/permsync/apiclient"
)

// Action is what a change does to an object.
type Action string

// Actions, as Terraform's plans name them.
const (
	NoOp    Action = "no-op" // kept only for counting; never rendered or applied
	Create  Action = "create"
	Update  Action = "update"
	Delete  Action = "delete"
	Replace Action = "replace" // delete and re-create: the API cannot undo a binding
)

// Kind is the kind of object a change is about. The order of the constants
// is the order in which kinds are rendered.
type Kind string

// Kinds and the form of their keys.
const (
	KindSystemRole      Kind = "systemRole"      // name
	KindCompany         Kind = "company"         // "company"
	KindDepartment      Kind = "department"      // code
	KindUser            Kind = "user"            // uniqueId
	KindProject         Kind = "project"         // project name
	KindMember          Kind = "member"          // project/uniqueId
	KindGroup           Kind = "group"           // project/group name
	KindRole            Kind = "role"            // project/folder/name (project//name at the root)
	KindDataPermission  Kind = "dataPermission"  // project/folder/name
	KindResourceMembers Kind = "resourceMembers" // project/TYPE/id
)

// Kinds lists every kind in rendering order.
var Kinds = []Kind{KindSystemRole, KindCompany, KindDepartment, KindUser, KindProject,
	KindMember, KindGroup, KindRole, KindDataPermission, KindResourceMembers}

// Attrs are an object's attributes, each a canonical JSON value (sorted
// lists where order does not matter, no insignificant whitespace). Attrs
// marshal with sorted keys, so plans are deterministic.
type Attrs map[string]json.RawMessage

// Change is one planned change of one object.
type Change struct {
	Action Action `json:"action"`
	Kind   Kind   `json:"kind"`
	Key    string `json:"key"`
	// Before is what the server has (readable facets) or what was last
	// applied (write-only facets, from the state); nil for a create.
	Before Attrs `json:"before,omitempty"`
	// After is what the change leaves; nil for a delete.
	After Attrs `json:"after,omitempty"`
	// Reason is display-only: why this change is in the plan.
	Reason string `json:"reason,omitempty"`
	// Source is where the desired object is written ("file:line").
	Source string `json:"source,omitempty"`
	// NewState is what the state records for this object once the change
	// is applied (nil: the object leaves the state). The executor stores
	// it as is; it never computes fingerprints itself.
	NewState *ObjectState `json:"new_state,omitempty"`
}

// Plan is the value produced by Compute and executed by reconcile. Changes
// are in apply order (see Order) and never contain NoOp.
type Plan struct {
	Changes []Change `json:"changes"`
	// NoOps counts unchanged objects per kind.
	NoOps map[Kind]int `json:"no_ops,omitempty"`
	// Warnings are shown with the plan (dropped changes to protected users,
	// ...). Sorted.
	Warnings []string `json:"warnings,omitempty"`
	// Refusals, when not empty, make the plan not applicable (maxDeletes
	// exceeded, ...). --allow-mass-delete clears the maxDeletes ones.
	Refusals []string `json:"refusals,omitempty"`
}

// Live is what was read from the server. Maps are keyed as noted; the diff
// never iterates them without sorting.
type Live struct {
	// TokenUser is the uniqueId of the user behind the token, if known.
	TokenUser string
	// Users by uniqueId.
	Users map[string]LiveUser
	// SystemRoles (custom ones) by name.
	SystemRoles map[string]LiveSystemRole
	// Projects by name. Only projects named in the files are read in full;
	// others carry only ID, Name and Description.
	Projects map[string]*LiveProject
}

// LiveUser is a domain user as user/getAllUsers shows it.
type LiveUser struct {
	ID         int64
	UniqueID   string
	Email      *string
	Nick       *string
	Phone      *string
	CustomInfo json.RawMessage
}

// LiveSystemRole is a custom system role.
type LiveSystemRole struct {
	ID          int64
	Name        string
	Description string
}

// LiveProject is a project and what could be read inside it.
type LiveProject struct {
	ID          int64
	Name        string
	Description string
	// Read is true when members, roles and permissions were read.
	Read bool
	// Members by uniqueId.
	Members map[string]LiveMember
	// Roles (type 0 and 3) and DataPermissions (type 2) by "folder/name"
	// ("/name" at the root).
	Roles           map[string]*LiveRole
	DataPermissions map[string]*LiveRole
	// RoleFolders and DataPermissionFolders map folder names to ids.
	RoleFolders           map[string]int64
	DataPermissionFolders map[string]int64
	// Groups seen through user/permissions, by name, with their members.
	Groups map[string]*LiveGroup
}

// LiveMember is a project member.
type LiveMember struct {
	UserID   int64
	Category string
	// SystemRoleIDs are the system roles bound to the member (1, 2, 3 and
	// custom ids), from user/permissions roles of type 1. Sorted.
	SystemRoleIDs []int64
}

// LiveRole is a role or a row permission.
type LiveRole struct {
	ID          int64
	Name        string
	Folder      string
	Type        int // 0, 2 or 3
	Description string
	// Users bound directly, by uniqueId, with their expiry as the server
	// returned it (nil: none).
	Users map[string]*string
	// Rules of a row permission as user/permissions returned them (the
	// entries of rowPermissions[].dataPermissions, details untouched);
	// known only when at least one member holds the permission
	// (RulesKnown).
	Rules      []apiclient.DataPermissionRead
	RulesKnown bool
}

// LiveGroup is a group seen through its members' user/permissions.
type LiveGroup struct {
	ID      int64
	Name    string
	Members []string // sorted uniqueIds
}

// StateVersion is the version of the state format.
const StateVersion = 1

// State is the record of what permsync created and last applied, for the
// facets the API cannot read back. It is JSON with sorted keys.
type State struct {
	Version int `json:"version"`
	// Serial increases with every write.
	Serial int64 `json:"serial"`
	// Server is the server the state belongs to (URL, no credentials).
	Server string `json:"server,omitempty"`
	// Objects by "kind key", e.g. "role 销售分析/通用/报告阅览".
	Objects map[string]*ObjectState `json:"objects"`
}

// ObjectState is what is known of one object.
type ObjectState struct {
	// Created is true when permsync created the object; such objects are
	// deleted when they leave the files, without prune. A group group/add
	// found existing (the name taken) is recorded with Created false: it
	// is known, so no plan creates it again, but not permsync's own.
	Created bool `json:"created,omitempty"`
	// ID is the server id learned for it (group, role, system role).
	ID int64 `json:"id,omitempty"`
	// Pending is true while a group/add permsync sent for the object has
	// no recorded answer (a timeout, a killed process): a group it made
	// has no members, which no read shows, and its id is not known. The
	// next plan replaces such a group, saying so: group/add is sent
	// again, and only if the name is taken is the group deleted by the
	// path that create named (the folder facet) and created again. A
	// definite answer that the name is taken is never left pending: the
	// group is recorded as existing, not Created, and never deleted for it.
	Pending bool `json:"pending,omitempty"`
	// Facets maps a facet name to what was last applied.
	Facets map[string]Facet `json:"facets,omitempty"`
}

// Facet is what was last applied of one write-only facet: a fingerprint,
// and for sets whose removals need a replace (a role's groups and orgs)
// the items themselves.
type Facet struct {
	Hash  string   `json:"hash"`
	Items []string `json:"items,omitempty"`
}

// StateKey is the key of an object in State.Objects.
func StateKey(k Kind, key string) string { return string(k) + " " + key }
