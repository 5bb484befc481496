// Package diff computes a plan from the desired state, the live state read
// from the server and the state of what permsync last applied. It is pure:
// no I/O, no logging, no clock. The same inputs give byte-identical plans.
package diff

import (
	"encoding/json"

	"github.com/permsync/permsync/apiclient"
	"github.com/permsync/permsync/state"
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
	NewState *state.Object `json:"new_state,omitempty"`
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

// StateKey is the key of an object in the state's Objects.
func StateKey(k Kind, key string) string { return string(k) + " " + key }
