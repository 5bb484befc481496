// Package diff computes a plan from the desired state, the live state read
// from the server and the state of what permsync last applied. It is pure:
// no I/O, no logging, no clock. The same inputs give byte-identical plans.
package youdata

import (
	"encoding/json"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata/apiclient"
)

// Kinds and the form of their keys.
const (
	KindSystemRole      plan.Kind = "systemRole"      // name
	KindCompany         plan.Kind = "company"         // "company"
	KindDepartment      plan.Kind = "department"      // code
	KindUser            plan.Kind = "user"            // uniqueId
	KindProject         plan.Kind = "project"         // project name
	KindMember          plan.Kind = "member"          // project/uniqueId
	KindGroup           plan.Kind = "group"           // project/group name
	KindRole            plan.Kind = "role"            // project/folder/name (project//name at the root)
	KindDataPermission  plan.Kind = "dataPermission"  // project/folder/name
	KindResourceMembers plan.Kind = "resourceMembers" // project/TYPE/id
)

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
	// Reads says what the read read, by unit (refresh.go).
	Reads *LiveReads
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
	// FilesName is the name the files give the project (it differs from
	// Name for a project pinned by id and renamed on the server).
	FilesName string
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
	// GoneGroups are groups the state knows, by the name the state keys
	// them with, that no read shows and that the server answered it does
	// not hold (ReadKnown's probe): deleted on the server.
	GoneGroups map[string]bool
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
