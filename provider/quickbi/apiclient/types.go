// Package apiclient is a typed client for the Alibaba Cloud Quick BI
// OpenAPI (product quickbi-public, version 2022-01-01): one method per
// action, and the interfaces the rest of permsync uses.
//
// The shapes follow ../shared/reference/quickbi-openapi.md (the SDK's
// models): ids are strings, role ids int64 ("long"), user types and
// switches int, times either "yyyy-MM-dd HH:mm:ss" strings or millisecond
// timestamps (int64) as each action gives them.
//
// Requests are RPC style: path "/", every business parameter in the query
// string as a string (booleans true/false, lists comma-separated, some
// parameters JSON text), except AddUser's RoleIds, which goes in an
// application/x-www-form-urlencoded body. QueryUserList,
// QueryUserTagMetaList and QueryUserTagValueList are GET; every other
// action is POST.
package apiclient

import (
	"context"
	"encoding/json"
)

// Reader is every read permsync makes. plan runs on a Reader only, so a
// preview can never write.
type Reader interface {
	QueryUserList(ctx context.Context, req QueryUserListRequest) (*Page[User], error)
	QueryUserInfoByAccount(ctx context.Context, account, parentAccountName string) (*UserInfo, error)
	QueryUserInfoByUserID(ctx context.Context, userID string) (*UserInfo, error)
	ListOrganizationRoles(ctx context.Context) ([]OrganizationRole, error)

	QueryUserGroupListByParentID(ctx context.Context, parentUserGroupID string) ([]UserGroup, error)
	QueryUserGroupMember(ctx context.Context, userGroupID, keyword string) ([]UserGroupMember, error)
	ListUserGroupsByUserID(ctx context.Context, userID string) ([]UserGroupOfUser, error)

	QueryOrganizationWorkspaceList(ctx context.Context, req QueryWorkspaceListRequest) (*Page[Workspace], error)
	QueryWorkspaceUserList(ctx context.Context, req QueryWorkspaceUserListRequest) (*Page[WorkspaceUser], error)
	ListWorkspaceRoles(ctx context.Context, workspaceID string) ([]WorkspaceRole, error)
	ListWorkspaceUserRolesByUserID(ctx context.Context, userID string) ([]WorkspaceRolesOfUser, error)

	QueryUserTagMetaList(ctx context.Context) ([]UserTagMeta, error)
	QueryUserTagValueList(ctx context.Context, userID string) ([]UserTagValue, error)

	ListCubeDataLevelPermissionConfig(ctx context.Context, cubeID, ruleType string) (*CubeDataLevelConfig, error)
	ListDataLevelPermissionWhiteList(ctx context.Context, cubeID, ruleType string) (*WhiteList, error)
	QueryDatasetSwitchInfo(ctx context.Context, cubeID string) (*DatasetSwitchInfo, error)
	QueryDatasetList(ctx context.Context, req QueryDatasetListRequest) (*Page[Dataset], error)

	QueryTicketInfo(ctx context.Context, ticket string) (*TicketInfo, error)
	QueryWorksByWorkspace(ctx context.Context, req QueryWorksRequest) (*Page[Work], error)
}

// Writer is every write permsync makes.
type Writer interface {
	AddUser(ctx context.Context, req AddUserRequest) (*AddedUser, error)
	UpdateUser(ctx context.Context, req UpdateUserRequest) error
	DeleteUser(ctx context.Context, userID, transferUserID string) error

	CreateUserGroup(ctx context.Context, req CreateUserGroupRequest) (string, error)
	UpdateUserGroup(ctx context.Context, req UpdateUserGroupRequest) error
	DeleteUserGroup(ctx context.Context, userGroupID string) error
	AddUserGroupMember(ctx context.Context, userGroupID string, userIDs []string) error
	AddUserGroupMembers(ctx context.Context, userID string, userGroupIDs []string) error
	DeleteUserGroupMember(ctx context.Context, userGroupID, userID string) error
	DeleteUserGroupMembers(ctx context.Context, userID string, userGroupIDs []string) error

	AddUserToWorkspace(ctx context.Context, workspaceID, userID string, roleID int64) error
	AddWorkspaceUsers(ctx context.Context, workspaceID string, userIDs []string, roleID int64) (*BatchResult, error)
	UpdateWorkspaceUserRole(ctx context.Context, workspaceID, userID string, roleIDs []int64) error
	UpdateWorkspaceUsersRole(ctx context.Context, workspaceID string, userIDs []string, roleID int64) (*BatchResult, error)
	DeleteUserFromWorkspace(ctx context.Context, workspaceID, userID string) error

	AddUserTagMeta(ctx context.Context, tagName, tagDescription string) (string, error)
	UpdateUserTagMeta(ctx context.Context, tagID, tagName, tagDescription string) error
	DeleteUserTagMeta(ctx context.Context, tagID string) error
	UpdateUserTagValue(ctx context.Context, userID, tagID, tagValue string) error

	SetDataLevelPermissionRuleConfig(ctx context.Context, rule RuleModel) (*RuleModel, error)
	DeleteDataLevelRuleConfig(ctx context.Context, cubeID, ruleID string) error
	AddDataLevelPermissionRuleUsers(ctx context.Context, change RuleUsersChange) error
	DeleteDataLevelPermissionRuleUsers(ctx context.Context, change RuleUsersChange) error
	SetDataLevelPermissionExtraConfig(ctx context.Context, cubeID, ruleType, missHitPolicy string) error
	SetDataLevelPermissionWhiteList(ctx context.Context, wl WhiteList) error
	UpdateDataLevelPermissionStatus(ctx context.Context, cubeID, ruleType string, open bool) error

	CreateTicket(ctx context.Context, req CreateTicketRequest) (string, error)
	DelayTicketExpireTime(ctx context.Context, ticket string, expireMinutes int) error
	DeleteTicket(ctx context.Context, ticket string) error
	UpdateTicketNum(ctx context.Context, ticket string, ticketNum int) error
}

// API is a Reader and a Writer.
type API interface {
	Reader
	Writer
}

// User types (UserType).
const (
	UserTypeDeveloper = 1
	UserTypeViewer    = 2 // "visitor"
	UserTypeAnalyst   = 3
)

// Predefined organization role ids (RoleIds, RoleIdList); other ids are
// custom roles.
const (
	OrgRoleAdmin           int64 = 111111111
	OrgRolePermissionAdmin int64 = 111111112
	OrgRoleUser            int64 = 111111113
)

// Predefined workspace role ids; other ids are custom roles.
const (
	WorkspaceRoleAdmin     int64 = 25
	WorkspaceRoleDeveloper int64 = 26
	WorkspaceRoleAnalyst   int64 = 27
	WorkspaceRoleViewer    int64 = 30
)

// RootUserGroupID is the parent of the top-level user groups.
const RootUserGroupID = "-1"

// TagValueClear is the value UpdateUserTagValue takes to clear a tag, as
// the documentation writes it.
const TagValueClear = "($NULL$)"

// Row/column permission enumerations.
const (
	RuleTypeRow    = "ROW_LEVEL"
	RuleTypeColumn = "COLUMN_LEVEL"

	MissHitNone = "NONE" // no data when no rule matches
	MissHitAll  = "ALL"  // all data when no rule matches

	RuleScopeAll    = "ALL"    // the rule applies to everyone
	RuleScopeOthers = "OTHERS" // the rule applies to the people in RuleUsersModel

	RuleContentRowField     = "ROW_FIELD"
	RuleContentColumnForbid = "COLUMN_FORBID"
)

// Page is one page of a paged read. PageNum starts at 1.
type Page[T any] struct {
	Data       []T `json:"Data"`
	PageNum    int `json:"PageNum"`
	PageSize   int `json:"PageSize"`
	TotalNum   int `json:"TotalNum"`
	TotalPages int `json:"TotalPages"`
}

// ---- users ----

// AddUserRequest is AddUser's parameters.
type AddUserRequest struct {
	NickName string // required; unique in the organization
	UserType int    // required: UserTypeDeveloper, UserTypeViewer or UserTypeAnalyst
	// AccountID is the Alibaba Cloud UID (to become required).
	AccountID string
	// AccountName is deprecated by Quick BI.
	AccountName string
	// RoleIDs are the organization roles (at most 3); sent in the form body.
	RoleIDs []int64
	// AdminUser and AuthAdminUser are deprecated (ignored with RoleIDs).
	AdminUser     *bool
	AuthAdminUser *bool
	// CopilotModules: qreport, qExploreNum, smartQAskNum, smartQDevNum.
	CopilotModules []string
}

// AddedUser is AddUser's Result.
type AddedUser struct {
	UserID         string   `json:"UserId"`
	AccountName    string   `json:"AccountName"`
	NickName       string   `json:"NickName"`
	UserType       int      `json:"UserType"`
	RoleIDList     []int64  `json:"RoleIdList"`
	AdminUser      bool     `json:"AdminUser"`
	AuthAdminUser  bool     `json:"AuthAdminUser"`
	CopilotModules []string `json:"CopilotModules"`
}

// UpdateUserRequest is UpdateUser's parameters: only the fields set are
// sent, and changed.
type UpdateUserRequest struct {
	UserID   string // required
	NickName string
	UserType int // 0: unchanged
	// RoleIDs assigns the organization roles (at most 3); nil: unchanged.
	RoleIDs []int64
	// IsDeleted true makes the member inactive, false active; nil: unchanged.
	IsDeleted *bool
	// CopilotModules, nil: unchanged; sent as a JSON array.
	CopilotModules []CopilotModuleStatus
	// AdminUser and AuthAdminUser are deprecated (ignored with RoleIDs).
	AdminUser     *bool
	AuthAdminUser *bool
}

// CopilotModuleStatus is one item of UpdateUser's CopilotModules.
type CopilotModuleStatus struct {
	ModuleType string `json:"moduleType"`
	Status     int    `json:"status"` // 0 off, 1 on
}

// QueryUserListRequest is QueryUserList's parameters.
type QueryUserListRequest struct {
	Keyword  string // account name or nickname
	PageNum  int    // from 1; 0: the server's default (1)
	PageSize int    // at most MaxPageSize; 0: the server's default (10)
}

// User is an organization member as QueryUserList gives it.
type User struct {
	UserID         string   `json:"UserId"`
	AccountID      string   `json:"AccountId"`
	AccountName    string   `json:"AccountName"`
	NickName       string   `json:"NickName"`
	UserType       int      `json:"UserType"`
	RoleIDList     []int64  `json:"RoleIdList"`
	IsDeleted      bool     `json:"IsDeleted"`
	JoinedDate     int64    `json:"JoinedDate"`    // ms timestamp
	LastLoginTime  int64    `json:"LastLoginTime"` // ms timestamp
	CopilotModules []string `json:"CopilotModules"`
	AdminUser      bool     `json:"AdminUser"`     // deprecated: use RoleIDList
	AuthAdminUser  bool     `json:"AuthAdminUser"` // deprecated: use RoleIDList
}

// UserInfo is one member as QueryUserInfoByAccount and
// QueryUserInfoByUserId give it.
type UserInfo struct {
	UserID         string   `json:"UserId"`
	AccountID      string   `json:"AccountId"`
	AccountName    string   `json:"AccountName"`
	NickName       string   `json:"NickName"`
	Email          string   `json:"Email"`
	Phone          string   `json:"Phone"`
	UserType       int      `json:"UserType"`
	RoleIDList     []int64  `json:"RoleIdList"`
	CopilotModules []string `json:"CopilotModules"`
	AdminUser      bool     `json:"AdminUser"`
	AuthAdminUser  bool     `json:"AuthAdminUser"`
}

// OrganizationRole is an item of ListOrganizationRoles.
type OrganizationRole struct {
	RoleID         int64        `json:"RoleId"`
	RoleName       string       `json:"RoleName"`
	IsSystemRole   bool         `json:"IsSystemRole"`
	AuthConfigList []AuthConfig `json:"AuthConfigList"`
}

// AuthConfig is a permission key of a role.
type AuthConfig struct {
	AuthKey        string   `json:"AuthKey"`
	ActionAuthKeys []string `json:"ActionAuthKeys,omitempty"` // workspace roles only
}

// ---- user groups ----

// CreateUserGroupRequest is CreateUserGroup's parameters.
type CreateUserGroupRequest struct {
	UserGroupName     string // required
	ParentUserGroupID string // required; RootUserGroupID for a top-level group
	// UserGroupID is the caller's id for the group (at most 64
	// characters, not "-1"); empty: the server chooses one. With an id the
	// call is retried after a failure that may have been applied (a
	// repeat answers Duplicate.UserGroup.Id); without, it is not.
	UserGroupID          string
	UserGroupDescription string
}

// UpdateUserGroupRequest is UpdateUserGroup's parameters.
type UpdateUserGroupRequest struct {
	UserGroupID   string // required
	UserGroupName string // "": unchanged
	// UserGroupDescription, nil: unchanged; a pointer so that "" can be set.
	UserGroupDescription *string
}

// UserGroup is an item of QueryUserGroupListByParentId.
type UserGroup struct {
	UserGroupID          string `json:"UserGroupId"`
	UserGroupName        string `json:"UserGroupName"`
	UserGroupDescription string `json:"UserGroupDescription"`
	ParentUserGroupID    string `json:"ParentUserGroupId"`
	IdentifiedPath       string `json:"IdentifiedPath"` // ids from the top joined by "/"
	CreateTime           string `json:"CreateTime"`
	ModifiedTime         string `json:"ModifiedTime"`
	CreateUser           string `json:"CreateUser"` // UserId
	ModifyUser           string `json:"ModifyUser"` // UserId
}

// UserGroupMember is an item of QueryUserGroupMember: a user, or a child
// group when IsUserGroup.
type UserGroupMember struct {
	ID                  string `json:"Id"`
	Name                string `json:"Name"`
	IsUserGroup         bool   `json:"IsUserGroup"`
	ParentUserGroupID   string `json:"ParentUserGroupId"`
	ParentUserGroupName string `json:"ParentUserGroupName"`
}

// UserGroupOfUser is an item of ListUserGroupsByUserId (whose keys are
// spelt "Usergroup...").
type UserGroupOfUser struct {
	UserGroupID       string `json:"UsergroupId"`
	UserGroupName     string `json:"UsergroupName"`
	UserGroupDesc     string `json:"UsergroupDesc"`
	ParentUserGroupID string `json:"ParentUsergroupId"`
	IdentifiedPath    string `json:"IdentifiedPath"`
	CreateTime        string `json:"CreateTime"`
	ModifiedTime      string `json:"ModifiedTime"`
	CreateUser        string `json:"CreateUser"`
	ModifyUser        string `json:"ModifyUser"`
}

// ---- workspaces ----

// QueryWorkspaceListRequest is QueryOrganizationWorkspaceList's parameters.
type QueryWorkspaceListRequest struct {
	Keyword  string
	UserID   string // only the workspaces this user belongs to
	PageNum  int
	PageSize int // at most MaxPageSize
}

// Workspace is an item of QueryOrganizationWorkspaceList.
type Workspace struct {
	WorkspaceID           string `json:"WorkspaceId"`
	WorkspaceName         string `json:"WorkspaceName"`
	WorkspaceDescription  string `json:"WorkspaceDescription"`
	Owner                 string `json:"Owner"` // UserId
	OwnerAccountName      string `json:"OwnerAccountName"`
	RealOwnerAccountName  string `json:"RealOwnerAccountName"`
	CreateUser            string `json:"CreateUser"`
	CreateUserAccountName string `json:"CreateUserAccountName"`
	ModifyUser            string `json:"ModifyUser"`
	ModifyUserAccountName string `json:"ModifyUserAccountName"`
	CreateTime            string `json:"CreateTime"`
	ModifiedTime          string `json:"ModifiedTime"`
	OrganizationID        string `json:"OrganizationId"`
	AllowShareOperation   bool   `json:"AllowShareOperation"`
	AllowPublishOperation bool   `json:"AllowPublishOperation"`
}

// QueryWorkspaceUserListRequest is QueryWorkspaceUserList's parameters.
type QueryWorkspaceUserListRequest struct {
	WorkspaceID string // required
	Keyword     string
	PageNum     int
	PageSize    int // at most MaxPageSize
}

// WorkspaceUser is an item of QueryWorkspaceUserList: one role per member
// (read every role with ListWorkspaceUserRolesByUserId).
type WorkspaceUser struct {
	UserID      string `json:"UserId"`
	AccountID   string `json:"AccountId"`
	AccountName string `json:"AccountName"`
	NickName    string `json:"NickName"`
	Role        Role   `json:"Role"`
}

// Role is a workspace role as QueryWorkspaceUserList gives it.
type Role struct {
	RoleID   int64  `json:"RoleId"`
	RoleName string `json:"RoleName"`
	RoleCode string `json:"RoleCode"`
}

// WorkspaceRole is an item of ListWorkspaceRoles.
type WorkspaceRole struct {
	RoleID         int64        `json:"RoleId"`
	RoleName       string       `json:"RoleName"`
	IsSystemRole   bool         `json:"IsSystemRole"`
	AuthConfigList []AuthConfig `json:"AuthConfigList"`
}

// WorkspaceRolesOfUser is an item of ListWorkspaceUserRolesByUserId.
type WorkspaceRolesOfUser struct {
	WorkspaceID   string  `json:"WorkspaceId"`
	WorkspaceName string  `json:"WorkspaceName"`
	RoleModel     RoleRef `json:"RoleModel"`
}

// RoleRef is a role as ListWorkspaceUserRolesByUserId gives it: its
// RoleId is a string there (a number is accepted too); RoleCode is empty
// for custom roles.
type RoleRef struct {
	RoleID   string `json:"RoleId"`
	RoleName string `json:"RoleName"`
	RoleCode string `json:"RoleCode"`
}

// UnmarshalJSON accepts RoleId as a string or a number.
func (r *RoleRef) UnmarshalJSON(b []byte) error {
	var raw struct {
		RoleID   flexString `json:"RoleId"`
		RoleName string     `json:"RoleName"`
		RoleCode string     `json:"RoleCode"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*r = RoleRef{RoleID: string(raw.RoleID), RoleName: raw.RoleName, RoleCode: raw.RoleCode}
	return nil
}

// BatchResult is the Result of AddWorkspaceUsers and
// UpdateWorkspaceUsersRole. FailureDetail maps a UserId to the reason.
type BatchResult struct {
	Total         int               `json:"Total"`
	Success       int               `json:"Success"`
	Failure       int               `json:"Failure"`
	FailureDetail map[string]string `json:"FailureDetail"`
}

// ---- user tags ----

// UserTagMeta is a tag definition.
type UserTagMeta struct {
	TagID          string `json:"TagId"`
	TagName        string `json:"TagName"`
	TagDescription string `json:"TagDescription"`
}

// UserTagValue is one tag value of a member (several values
// comma-separated).
type UserTagValue struct {
	TagID    string `json:"TagId"`
	TagName  string `json:"TagName"`
	TagValue string `json:"TagValue"`
}

// ---- row and column permissions ----

// RuleModel is a row or column rule: SetDataLevelPermissionRuleConfig's
// RuleModel (sent as JSON text; no RuleID creates a rule, a RuleID
// updates that rule) and an item of ListCubeDataLevelPermissionConfig.
type RuleModel struct {
	RuleID          string `json:"ruleId,omitempty"`
	CubeID          string `json:"cubeId"`
	RuleName        string `json:"ruleName"`
	RuleLevelType   string `json:"ruleLevelType"`   // RuleTypeRow or RuleTypeColumn
	RuleTargetScope string `json:"ruleTargetScope"` // RuleScopeAll or RuleScopeOthers
	// HitTakeEffect (column rules): 1 the rule applies when hit (the
	// server's default), 0 it does not.
	HitTakeEffect    *int        `json:"hitTakeEffect,omitempty"`
	IsOpen           *int        `json:"isOpen,omitempty"`
	PermissionMode   string      `json:"permissionMode,omitempty"`
	RuleUsersModel   RuleUsers   `json:"ruleUsersModel"`
	RuleContentModel RuleContent `json:"ruleContentModel"`
}

// RuleUsers is the people of a rule, by id.
type RuleUsers struct {
	Users      []string `json:"users"`
	UserGroups []string `json:"userGroups"`
}

// RuleContent is a rule's content. RuleContentJSON and
// RuleOriginConfigJSON are JSON text, kept as the server gives them.
type RuleContent struct {
	RuleContentType      string `json:"ruleContentType"` // RuleContentRowField, RuleContentColumnForbid
	RuleContentJSON      string `json:"ruleContentJson"`
	RuleOriginConfigJSON string `json:"ruleOriginConfigJson,omitempty"`
}

// RuleUsersChange is the AddUserModel of AddDataLevelPermissionRuleUsers
// and the DeleteUserModel of DeleteDataLevelPermissionRuleUsers.
type RuleUsersChange struct {
	RuleID     string
	CubeID     string
	Users      []string
	UserGroups []string
}

// CubeDataLevelConfig is the Result of ListCubeDataLevelPermissionConfig
// (decoded from the JSON text the Result holds).
type CubeDataLevelConfig struct {
	CubeID           string      `json:"cubeId"`
	RuleType         string      `json:"ruleType"`
	IsOpen           int         `json:"isOpen"` // 1 on, 0 off
	ExtraConfigModel ExtraConfig `json:"extraConfigModel"`
	RuleModels       []RuleModel `json:"ruleModels"`
}

// ExtraConfig is a dataset's miss-hit policy for one rule type.
type ExtraConfig struct {
	CubeID        string `json:"cubeId"`
	RuleType      string `json:"ruleType"`
	MissHitPolicy string `json:"missHitPolicy"` // MissHitNone or MissHitAll
}

// WhiteList is a dataset's whitelist for one rule type: the Result of
// ListDataLevelPermissionWhiteList, and what SetDataLevelPermissionWhiteList
// replaces it with.
type WhiteList struct {
	CubeID     string     `json:"CubeId"`
	RuleType   string     `json:"RuleType"`
	UsersModel UsersModel `json:"UsersModel"`
}

// UsersModel is the people of a whitelist, by id.
type UsersModel struct {
	Users      []string `json:"Users"`
	UserGroups []string `json:"UserGroups"`
}

// DatasetSwitchInfo is the Result of QueryDatasetSwitchInfo.
type DatasetSwitchInfo struct {
	CubeID                      string `json:"CubeId"`
	IsOpenRowLevelPermission    int    `json:"IsOpenRowLevelPermission"`
	IsOpenColumnLevelPermission int    `json:"IsOpenColumnLevelPermission"`
}

// QueryDatasetListRequest is QueryDatasetList's parameters.
type QueryDatasetListRequest struct {
	WorkspaceID  string // required
	Keyword      string
	DirectoryID  string
	WithChildren *bool // include sub-folders; nil: not sent
	PageNum      int
	PageSize     int // at most MaxPageSize
}

// Dataset is an item of QueryDatasetList.
type Dataset struct {
	DatasetID               string     `json:"DatasetId"`
	DatasetName             string     `json:"DatasetName"`
	Description             string     `json:"Description"`
	WorkspaceID             string     `json:"WorkspaceId"`
	WorkspaceName           string     `json:"WorkspaceName"`
	OwnerID                 string     `json:"OwnerId"`
	OwnerName               string     `json:"OwnerName"`
	CreateTime              string     `json:"CreateTime"`
	ModifyTime              string     `json:"ModifyTime"`
	RowLevel                bool       `json:"RowLevel"`
	OpenOfflineAcceleration bool       `json:"OpenOfflineAcceleration"`
	DataSource              DataSource `json:"DataSource"`
	Directory               Directory  `json:"Directory"`
}

// DataSource is a dataset's data source.
type DataSource struct {
	DsID   string `json:"DsId"`
	DsName string `json:"DsName"`
	DsType string `json:"DsType"`
}

// Directory is the folder of a dataset or work.
type Directory struct {
	ID       string `json:"Id"`
	Name     string `json:"Name"`
	PathID   string `json:"PathId"`
	PathName string `json:"PathName"`
}

// ---- embedding ----

// CreateTicketRequest is CreateTicket's parameters. Give UserID, or
// AccountName with AccountType, or neither (the ticket is then bound to
// the work's owner, and row-level rules apply to the owner).
type CreateTicketRequest struct {
	WorksID     string // required
	UserID      string
	AccountName string
	AccountType int // 1 Alibaba Cloud, 3 Quick BI, 4 DingTalk, 5 RAM, 9 WeCom, 10 Feishu
	CmptID      string
	TicketNum   int // uses; 0: the server's default (1); at most 99999
	ExpireTime  int // minutes; 0: the server's default (240)
	// WatermarkParam, at most 50 characters; not for data screens.
	WatermarkParam string
	// GlobalParam, sent as a JSON array; needs the feature enabled for the
	// organization.
	GlobalParam []GlobalParam
}

// GlobalParam is a row filter carried by a ticket.
type GlobalParam struct {
	ParamKey      string      `json:"paramKey"`
	JoinType      string      `json:"joinType"` // "and"
	ConditionList []Condition `json:"conditionList"`
}

// Condition is one condition of a GlobalParam.
type Condition struct {
	Operate string `json:"operate"`
	Value   string `json:"value"`
}

// TicketInfo is the Result of QueryTicketInfo.
type TicketInfo struct {
	AccessTicket   string `json:"AccessTicket"`
	WorksID        string `json:"WorksId"`
	CmptID         string `json:"CmptId"`
	UserID         string `json:"UserId"`
	GlobalParam    string `json:"GlobalParam"`
	WatermarkParam string `json:"WatermarkParam"`
	OrganizationID string `json:"OrganizationId"`
	RegisterTime   string `json:"RegisterTime"`
	InvalidTime    string `json:"InvalidTime"`
	MaxTicketNum   int    `json:"MaxTicketNum"`
	UsedTicketNum  int    `json:"UsedTicketNum"`
}

// ---- works ----

// QueryWorksRequest is QueryWorksByWorkspace's parameters.
type QueryWorksRequest struct {
	WorkspaceID string // required
	WorksType   string // DATAPRODUCT, PAGE, FULLPAGE, REPORT
	// Status: 0 unpublished, 1 published, 2 modified not published, 3
	// unpublished; nil: not sent.
	Status *int
	// ThirdPartAuthFlag: 1 embedding on; nil: not sent.
	ThirdPartAuthFlag *int
	PageNum           int
	PageSize          int
}

// Work is an item of QueryWorksByWorkspace.
type Work struct {
	WorksID           string    `json:"WorksId"`
	WorkName          string    `json:"WorkName"`
	WorkType          string    `json:"WorkType"`
	WorkspaceID       string    `json:"WorkspaceId"`
	WorkspaceName     string    `json:"WorkspaceName"`
	OwnerID           string    `json:"OwnerId"`
	OwnerName         string    `json:"OwnerName"`
	ModifyName        string    `json:"ModifyName"`
	Description       string    `json:"Description"`
	SecurityLevel     string    `json:"SecurityLevel"` // "0" private, "12" named members, "1"/"11" all workspace members
	Status            int       `json:"Status"`
	Auth3rdFlag       int       `json:"Auth3rdFlag"`
	GmtCreate         string    `json:"GmtCreate"` // ms, as a string
	GmtModify         string    `json:"GmtModify"` // ms, as a string
	PublicFlag        bool      `json:"PublicFlag"`
	PublicInvalidTime int64     `json:"PublicInvalidTime"`
	Directory         Directory `json:"Directory"`
}
