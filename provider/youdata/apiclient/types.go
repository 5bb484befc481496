// Package apiclient is a typed HTTP client for the Youdata (网易有数) open API,
// one method per endpoint, and the interfaces the rest of permsync uses.
//
// The shapes here follow ../shared/reference/youdata-open-api.txt; the line
// numbers in comments point at each endpoint's section.
package apiclient

import (
	"context"
	"encoding/json"
)

// Reader is every read permsync makes. plan runs on a Reader only, so a
// preview can never write.
type Reader interface {
	// GetAllUsers reads one page of domain users (GET user/getAllUsers, l.2315).
	GetAllUsers(ctx context.Context, offset, limit int) ([]User, error)
	// ListProjects lists projects (GET project/list, l.2242).
	ListProjects(ctx context.Context) ([]Project, error)
	// ListProjectUsers reads one page of a project's members (GET
	// projectUser/list, l.2368). total is the server's total count.
	ListProjectUsers(ctx context.Context, projectID int64, offset, limit int) (members []ProjectUser, total int, err error)
	// ListRoles reads a project's role tree of one type, RoleTypeRole or
	// RoleTypeRowPermission (GET role/list, l.2588).
	ListRoles(ctx context.Context, projectID int64, typ string) (*RoleTree, error)
	// UserPermissions reads one user's roles, row permissions and groups in
	// a project (GET user/permissions, l.2452).
	UserPermissions(ctx context.Context, projectID int64, uniqueID string) (*UserPermissions, error)
	// ListSystemRoles lists custom system roles (POST systemRole/list, l.3359).
	ListSystemRoles(ctx context.Context) ([]SystemRole, error)
}

// Writer is every write permsync makes.
type Writer interface {
	BatchImport(ctx context.Context, req BatchImportRequest) ([]OrgFailedUser, error) // l.2125, l.3593
	UpdateUserAttrs(ctx context.Context, req UserAttrUpdateRequest) error             // l.3100
	// ImportDataPermissions upserts a role or row permission and returns its id (l.2706).
	ImportDataPermissions(ctx context.Context, req ImportDataPermissionsRequest) (int64, error)
	DelRoles(ctx context.Context, req DelRolesRequest) error                     // l.3017
	DeleteRole(ctx context.Context, req DeleteRoleRequest) error                 // role/ext/delete, l.3063
	AddRoleFolder(ctx context.Context, req RoleFolderAddRequest) (int64, error)  // l.3381
	AddGroup(ctx context.Context, req GroupAddRequest) (int64, error)            // l.3154
	UpdateGroup(ctx context.Context, req GroupUpdateRequest) error               // group/ext/update, l.3188
	DeleteGroups(ctx context.Context, req GroupDelsRequest) error                // group/dels, l.3225
	DeleteGroupUsers(ctx context.Context, req GroupDelUsersRequest) error        // group/ext/delUsers, l.3251
	SyncOrg(ctx context.Context, req SyncOrgRequest) error                       // orgStructure/syncOrg, l.3542
	DeleteProjectUsers(ctx context.Context, req DeleteProjectUsersRequest) error // projectUser/delUsersByUniqueIds, l.2280
	DeleteDomainUsers(ctx context.Context, uniqueIDs []string) error             // domain/user/delete, l.2416
	AddSystemRole(ctx context.Context, name, description string) (int64, error)  // l.3291
	UpdateSystemRole(ctx context.Context, req SystemRoleUpdateRequest) error     // l.3320
	DeleteSystemRoles(ctx context.Context, ids []int64) error                    // l.3345
	AddProject(ctx context.Context, req ProjectAddRequest) error                 // l.3421
	UpdateProject(ctx context.Context, req ProjectUpdateRequest) error           // l.3467
	DeleteProject(ctx context.Context, projectID int64) error                    // DELETE project/del, l.3502
	SyncResourceMembers(ctx context.Context, req SyncMembersRequest) error       // directResourcePerm/syncMembers, l.2970
}

// API is a Reader and a Writer.
type API interface {
	Reader
	Writer
}

// Role list types (role/list "type" parameter).
const (
	RoleTypeRole          = "ROLE"
	RoleTypeRowPermission = "ROW_PERMISSION"
)

// Role "type" values in role/list items, user/permissions and
// importDataPermissions.
const (
	RoleKindLevel1     = 0 // 一级角色
	RoleKindSystem     = 1 // system role, as user/permissions shows it
	RoleKindRowPerm    = 2 // 行级权限
	RoleKindLevel2     = 3 // 二级角色
	SystemRoleAdmin    = 1 // 项目管理员
	SystemRoleEditor   = 2 // 编辑者
	SystemRoleViewer   = 3 // 阅览者
	FolderTypeRole     = 3 // role/folder/add managementType: roles
	FolderTypeDataPerm = 4 // role/folder/add managementType: data permissions
)

// Envelope is every answer: success is Code == 200.
type Envelope struct {
	Code    int             `json:"code"`
	Result  json.RawMessage `json:"result,omitempty"`
	Message string          `json:"message,omitempty"`
	LogPath string          `json:"logPath,omitempty"`
}

// User is a domain user as user/getAllUsers returns it. CustomInfo may be a
// string or an object.
type User struct {
	ID         int64           `json:"id"`
	Email      *string         `json:"email"`
	Nick       *string         `json:"nick"`
	Phone      *string         `json:"phone"`
	UniqueID   string          `json:"uniqueId"`
	CustomInfo json.RawMessage `json:"customInfo,omitempty"`
}

// Project is an entry of project/list.
type Project struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

// ProjectUser is a member of a project (projectUser/list).
type ProjectUser struct {
	ID       int64  `json:"id"`
	UserID   int64  `json:"userId"`
	Email    string `json:"email"`
	Nick     string `json:"nick"`
	UniqueID string `json:"uniqueId"`
	Category string `json:"category"` // admin | editor | viewer
	Active   int    `json:"active"`
}

// RoleTree is the answer of role/list: folders (one level) and root items.
type RoleTree struct {
	Folders []RoleFolder `json:"folders"`
	Items   []RoleItem   `json:"items"`
}

// RoleFolder is a folder of roles or row permissions.
type RoleFolder struct {
	ID        int64        `json:"id"`
	Type      string       `json:"type"`
	Name      string       `json:"name"`
	ProjectID int64        `json:"projectId"`
	ParentID  int64        `json:"parentId"`
	Items     []RoleItem   `json:"items"`
	Folders   []RoleFolder `json:"folders"`
}

// RoleItem is a role or row permission.
type RoleItem struct {
	ID          int64  `json:"id"`
	ProjectID   int64  `json:"projectId"`
	Type        int    `json:"type"` // 0, 2 or 3
	Name        string `json:"name"`
	Description string `json:"description"`
	FolderID    int64  `json:"folderId"`
}

// UserPermissions is the answer of user/permissions.
type UserPermissions struct {
	Roles          []UserRole     `json:"roles"`
	RowPermissions []UserRowPerm  `json:"rowPermissions"`
	Groups         []UserGroupRef `json:"groups"`
}

// UserRole is a role (or system role, type 1) bound to the user directly.
// ExpiredTime is null or an ISO time.
type UserRole struct {
	ID          int64   `json:"id"`
	Name        string  `json:"name"`
	Type        int     `json:"type"`
	ExpiredTime *string `json:"expiredTime"`
}

// UserRowPerm is a row permission bound to the user with its contents.
type UserRowPerm struct {
	ID              int64                `json:"id"`
	Name            string               `json:"name"`
	Type            int                  `json:"type"`
	ExpiredTime     *string              `json:"expiredTime"`
	DataPermissions []DataPermissionRead `json:"dataPermissions"`
}

// DataPermissionRead is one rule as user/permissions returns it.
type DataPermissionRead struct {
	Details          []json.RawMessage `json:"details"`
	Mode             string            `json:"mode"`
	Rule             string            `json:"rule"`
	Type             string            `json:"type"`
	ResourceID       int64             `json:"resourceId"` // the data connection
	ResourceCategory int               `json:"resourceCategory"`
	RoleID           int64             `json:"roleId"`
}

// UserGroupRef is a group the user belongs to.
type UserGroupRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// SystemRole is a custom system role (systemRole/list).
type SystemRole struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	DomainID    int64  `json:"domainId"`
	Description string `json:"description"`
}

// BatchImportRequest is user/batchImport. Its project, group, role and
// system-role options apply to every user in Users.
type BatchImportRequest struct {
	Users                    []ImportUser `json:"users"`
	ProjectID                int64        `json:"projectId,omitempty"`
	GroupIDs                 []int64      `json:"groupIds,omitempty"`
	RoleNames                []string     `json:"roleNames,omitempty"`
	RolePaths                [][]string   `json:"rolePaths,omitempty"`
	DelRoleNames             []string     `json:"delRoleNames,omitempty"`
	DelRolePaths             [][]string   `json:"delRolePaths,omitempty"`
	PermissionRoleNames      []string     `json:"permissionRoleNames,omitempty"`
	PermissionRolePaths      [][]string   `json:"permissionRolePaths,omitempty"`
	DelPermissionRoleNames   []string     `json:"delPermissionRoleNames,omitempty"`
	DelPermissionRolePaths   [][]string   `json:"delPermissionRolePaths,omitempty"`
	SystemRoleIDs            []int64      `json:"systemRoleIds,omitempty"`
	WholeCustomSystemRoleIDs []int64      `json:"wholeCustomSystemRoleIds,omitempty"`
	ReturnOrgFailedUsers     bool         `json:"returnOrgFailedUsers,omitempty"`
}

// ImportUser is one user of batchImport. Nil fields are not sent.
type ImportUser struct {
	UniqueID      string          `json:"uniqueId"`
	Email         *string         `json:"email,omitempty"`
	Phone         *string         `json:"phone,omitempty"`
	Nick          *string         `json:"nick,omitempty"`
	Department    *string         `json:"department,omitempty"`
	Company       *string         `json:"company,omitempty"`
	Position      *string         `json:"position,omitempty"`
	NetworkConfig *NetworkConfig  `json:"networkConfig,omitempty"`
	IfLeave       *int            `json:"ifLeave,omitempty"`
	Attrs         []AttrValue     `json:"attrs,omitempty"`
	CustomInfo    json.RawMessage `json:"customInfo,omitempty"`
	// UserOrgs, when non-nil, replaces the user's departments.
	UserOrgs []UserOrg `json:"userOrgs,omitempty"`
}

// NetworkConfig is a user's network configuration.
type NetworkConfig struct {
	AllowExternal bool `json:"allowExternal"`
}

// AttrValue sets one user attribute. AttrValue nil clears it (JSON null
// must be sent); an empty slice means "none".
type AttrValue struct {
	AttrID    int64     `json:"attrId,omitempty"`
	AttrName  string    `json:"attrName,omitempty"`
	AttrValue *[]string `json:"attrValue"`
}

// UserOrg is one department of a user in batchImport.
type UserOrg struct {
	OrgCode string `json:"orgCode"`
	OrgRole string `json:"orgRole"` // leader | normal
}

// OrgFailedUser is an entry of batchImport's answer with returnOrgFailedUsers.
type OrgFailedUser struct {
	UniqueID string `json:"uniqueId"`
	Message  string `json:"message"`
}

// UserAttrUpdateRequest is userAttr/update.
type UserAttrUpdateRequest struct {
	UniqueID string      `json:"uniqueId,omitempty"`
	UserID   int64       `json:"userId,omitempty"`
	Attrs    []AttrValue `json:"attrs"`
}

// ImportDataPermissionsRequest is role/importDataPermissions. It only adds
// users, groups and orgs. When DataPermissions or ResourcePermissions is
// non-nil, every permission of the role is deleted first and replaced.
type ImportDataPermissionsRequest struct {
	ProjectID           int64                 `json:"projectId"`
	RoleName            string                `json:"roleName"`
	Path                []string              `json:"path"` // never nil: [] is the root
	Type                int                   `json:"type"` // 0, 2 or 3
	Description         *string               `json:"description,omitempty"`
	UniqueIDs           []string              `json:"uniqueIds,omitempty"`
	UserExpireMap       map[string]string     `json:"userExpireMap,omitempty"`
	GroupNames          []string              `json:"groupNames,omitempty"`
	GroupExpireMap      map[string]string     `json:"groupExpireMap,omitempty"`
	OrgCodes            []string              `json:"orgCodes,omitempty"`
	OrgExpireMap        map[string]string     `json:"orgExpireMap,omitempty"`
	DataPermissions     []DataPermissionWrite `json:"dataPermissions,omitempty"`
	ResourcePermissions []ResourcePermission  `json:"resourcePermissions,omitempty"`
	ImportResourceTypes []string              `json:"importResourceTypes,omitempty"`
	IgnoreInvalidUser   bool                  `json:"ignoreInvalidUser,omitempty"`
}

// DataPermissionWrite is one entry of importDataPermissions' dataPermissions.
type DataPermissionWrite struct {
	DataConnectionID int64             `json:"dataConnectionId"`
	Details          []json.RawMessage `json:"details"`
	Mode             string            `json:"mode"`
	Type             string            `json:"type,omitempty"`
	Rule             string            `json:"rule,omitempty"`
}

// ResourcePermission is one entry of importDataPermissions'
// resourcePermissions.
type ResourcePermission struct {
	ResourceID        int64    `json:"resourceId,omitempty"`
	ResourceNamePaths []string `json:"resourceNamePaths,omitempty"`
	ResourceType      string   `json:"resourceType"`
	Permissions       []string `json:"permissions"`
	IsFolder          int      `json:"isFolder"`
}

// DelRolesRequest is user/delRoles: unbind users from roles of one folder.
type DelRolesRequest struct {
	UniqueIDs           []string `json:"uniqueIds"`
	ProjectID           int64    `json:"projectId"`
	RoleNames           []string `json:"roleNames,omitempty"`
	PermissionRoleNames []string `json:"permissionRoleNames,omitempty"`
	SystemRoleIDs       []int64  `json:"systemRoleIds,omitempty"`
	Path                []string `json:"path,omitempty"`
}

// DeleteRoleRequest is role/ext/delete: by RoleID, or ProjectID + Path
// (folder..., name).
type DeleteRoleRequest struct {
	RoleID    int64    `json:"roleId,omitempty"`
	ProjectID int64    `json:"projectId,omitempty"`
	Path      []string `json:"path,omitempty"`
}

// RoleFolderAddRequest is role/folder/add.
type RoleFolderAddRequest struct {
	ProjectID      int64  `json:"projectId"`
	ParentID       int64  `json:"parentId"`
	ManagementType int    `json:"managementType"` // FolderTypeRole | FolderTypeDataPerm
	Name           string `json:"name"`
}

// GroupAddRequest is group/add.
type GroupAddRequest struct {
	ProjectID   int64    `json:"projectId"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	RoleIDs     []int64  `json:"roleIds,omitempty"`
	Path        []string `json:"path"`     // folder, or [] for the root
	Category    string   `json:"category"` // always "editor"
}

// GroupUpdateRequest is group/ext/update, by ID or ProjectID + Path
// (folder..., name).
type GroupUpdateRequest struct {
	ID          int64    `json:"id,omitempty"`
	ProjectID   int64    `json:"projectId,omitempty"`
	Path        []string `json:"path,omitempty"`
	Title       *string  `json:"title,omitempty"`
	Description *string  `json:"description,omitempty"`
}

// GroupDelsRequest is group/dels: by IDs, or by Path (folder..., name);
// the document allows either.
type GroupDelsRequest struct {
	ProjectID int64    `json:"projectId"`
	Path      []string `json:"path,omitempty"`
	IDs       []int64  `json:"ids,omitempty"`
}

// GroupDelUsersRequest is group/ext/delUsers.
type GroupDelUsersRequest struct {
	GroupID   int64    `json:"groupId,omitempty"`
	ProjectID int64    `json:"projectId,omitempty"`
	Path      []string `json:"path,omitempty"`
	UniqueIDs []string `json:"uniqueIds,omitempty"`
	Erase     bool     `json:"erase,omitempty"`
}

// SyncOrgRequest is orgStructure/syncOrg. The client always sends
// forceDeleteOrg: false; there is no way to ask for the recursive delete.
type SyncOrgRequest struct {
	CompanyName     string   `json:"companyName,omitempty"`
	UpdatedOrgs     []Org    `json:"updatedOrgs"`
	DeletedOrgCodes []string `json:"deletedOrgCodes"`
}

// Org is one department in syncOrg.
type Org struct {
	OrgCode           string   `json:"orgCode"`
	Name              string   `json:"name"`
	ParentOrgCode     string   `json:"parentOrgCode,omitempty"`
	OrgAdminUniqueIDs []string `json:"orgAdminUniqueIds,omitempty"`
	Description       string   `json:"description,omitempty"`
}

// DeleteProjectUsersRequest is projectUser/delUsersByUniqueIds.
type DeleteProjectUsersRequest struct {
	ProjectID int64    `json:"projectId"`
	UniqueIDs []string `json:"uniqueIds"`
}

// SystemRoleUpdateRequest is systemRole/update.
type SystemRoleUpdateRequest struct {
	ID          int64   `json:"id"`
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
}

// ProjectAddRequest is project/add; at least one member is required.
type ProjectAddRequest struct {
	Name         string     `json:"name"`
	Description  string     `json:"description,omitempty"`
	ReceiverList []Receiver `json:"receiverList"`
}

// Receiver is a member of project/add: Type "user", Name the uniqueId.
type Receiver struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

// ProjectUpdateRequest is project/update.
type ProjectUpdateRequest struct {
	ID          int64   `json:"id"`
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
}

// SyncMembersRequest is directResourcePerm/syncMembers.
type SyncMembersRequest struct {
	ProjectID          int64        `json:"projectId"`
	ResourceName       string       `json:"resourceName"` // DATA_MODEL | DATA_CONNECTION | NEW_REPORT
	ResourceID         int64        `json:"resourceId"`
	MemberInfos        []MemberInfo `json:"memberInfos"`
	AutoAddProjectUser *bool        `json:"autoAddProjectUser,omitempty"`
	WholeCoverMembers  bool         `json:"wholeCoverMembers"`
}

// MemberInfo is a member of syncMembers: Type "uniqueId", ID the uniqueId.
type MemberInfo struct {
	Type        string   `json:"type"`
	ID          string   `json:"id"`
	Permissions []string `json:"permissions"`
}

// CodeTokenInvalid is the envelope code of an invalid or expired token.
// The document does not name it; permsync assumes 401 (and also treats an
// HTTP 401 status the same way).
const CodeTokenInvalid = 401
