package apiclient

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// methodCase is one client method against a server answering result.
type methodCase struct {
	action string
	get    bool
	query  map[string]string // the business parameters expected in the query string
	form   map[string]string // the form body expected; nil: no body
	result string            // the Result the server answers (raw JSON)
	call   func(ctx context.Context, c *Client) (any, error)
	want   any
}

func methodCases() []methodCase {
	const ws = "95296e95-ca89-4c7d-8af9-dedf0ad0****"
	const cube = "7c6c1b0e-1f0c-4e1e-9c3a-2b1b0ad0****"
	const uid = "fe67f61a35a94b7da1a34ba174a7****"
	const ticket = "ccd3428c-dd2b-4a63-a608-26bae29dffee"
	return []methodCase{
		// ---- organization users ----
		{
			action: "AddUser",
			query:  map[string]string{"NickName": "张三", "UserType": "1", "AccountId": "191476000023754", "AdminUser": "false", "CopilotModules": "qreport,smartQAskNum"},
			form:   map[string]string{"RoleIds": "111111113,456"},
			result: `{"UserId":"` + uid + `","AccountName":"wangwu:zhangsan","NickName":"张三","UserType":1,"RoleIdList":[111111113,456],"AdminUser":false,"AuthAdminUser":false,"CopilotModules":["qreport"]}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.AddUser(ctx, AddUserRequest{NickName: "张三", UserType: UserTypeDeveloper, AccountID: "191476000023754", RoleIDs: []int64{OrgRoleUser, 456}, AdminUser: ptr(false), CopilotModules: []string{"qreport", "smartQAskNum"}})
			},
			want: &AddedUser{UserID: uid, AccountName: "wangwu:zhangsan", NickName: "张三", UserType: 1, RoleIDList: []int64{111111113, 456}, CopilotModules: []string{"qreport"}},
		},
		{
			action: "AddUser",
			query:  map[string]string{"NickName": "李四", "UserType": "2"},
			result: `{"UserId":"u2","NickName":"李四","UserType":2}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.AddUser(ctx, AddUserRequest{NickName: "李四", UserType: UserTypeViewer})
			},
			want: &AddedUser{UserID: "u2", NickName: "李四", UserType: 2},
		},
		{
			action: "UpdateUser",
			query:  map[string]string{"UserId": uid, "NickName": "张三丰", "UserType": "3", "RoleIds": "111111111,111111112", "IsDeleted": "true", "CopilotModules": `[{"moduleType":"qreport","status":1}]`},
			result: `true`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.UpdateUser(ctx, UpdateUserRequest{UserID: uid, NickName: "张三丰", UserType: UserTypeAnalyst, RoleIDs: []int64{OrgRoleAdmin, OrgRolePermissionAdmin}, IsDeleted: ptr(true), CopilotModules: []CopilotModuleStatus{{ModuleType: "qreport", Status: 1}}})
			},
		},
		{
			action: "UpdateUser",
			query:  map[string]string{"UserId": uid, "IsDeleted": "false"},
			result: `true`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.UpdateUser(ctx, UpdateUserRequest{UserID: uid, IsDeleted: ptr(false)})
			},
		},
		{
			action: "DeleteUser",
			query:  map[string]string{"UserId": uid, "TransferUserId": "heir"},
			result: `true`,
			call:   func(ctx context.Context, c *Client) (any, error) { return nil, c.DeleteUser(ctx, uid, "heir") },
		},
		{
			action: "QueryUserList", get: true,
			query:  map[string]string{"Keyword": "张 三*~", "PageNum": "2", "PageSize": "1000"},
			result: `{"Data":[{"UserId":"` + uid + `","AccountId":"191476000023754","AccountName":"wangwu:zhangsan","NickName":"张三","UserType":3,"RoleIdList":[111111113],"IsDeleted":false,"JoinedDate":1704110400000,"LastLoginTime":1704196800000,"CopilotModules":[],"AdminUser":false,"AuthAdminUser":false}],"PageNum":2,"PageSize":1000,"TotalNum":1001,"TotalPages":2}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.QueryUserList(ctx, QueryUserListRequest{Keyword: "张 三*~", PageNum: 2, PageSize: 1000})
			},
			want: &Page[User]{Data: []User{{UserID: uid, AccountID: "191476000023754", AccountName: "wangwu:zhangsan", NickName: "张三", UserType: 3, RoleIDList: []int64{111111113}, JoinedDate: 1704110400000, LastLoginTime: 1704196800000, CopilotModules: []string{}}}, PageNum: 2, PageSize: 1000, TotalNum: 1001, TotalPages: 2},
		},
		{
			action: "QueryUserList", get: true,
			query:  map[string]string{},
			result: `{"Data":[],"PageNum":1,"PageSize":10,"TotalNum":0,"TotalPages":0}`,
			call:   func(ctx context.Context, c *Client) (any, error) { return c.QueryUserList(ctx, QueryUserListRequest{}) },
			want:   &Page[User]{Data: []User{}, PageNum: 1, PageSize: 10},
		},
		{
			action: "QueryUserInfoByAccount",
			query:  map[string]string{"Account": "zhangsan", "ParentAccountName": "wangwu"},
			result: `{"UserId":"` + uid + `","AccountId":"191476000023754","AccountName":"wangwu:zhangsan","NickName":"张三","Email":"z@example.com","Phone":"138","UserType":1,"RoleIdList":[111111111],"AdminUser":true}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.QueryUserInfoByAccount(ctx, "zhangsan", "wangwu")
			},
			want: &UserInfo{UserID: uid, AccountID: "191476000023754", AccountName: "wangwu:zhangsan", NickName: "张三", Email: "z@example.com", Phone: "138", UserType: 1, RoleIDList: []int64{111111111}, AdminUser: true},
		},
		{
			action: "QueryUserInfoByUserId",
			query:  map[string]string{"UserId": uid},
			result: `{"UserId":"` + uid + `","NickName":"张三","UserType":2}`,
			call:   func(ctx context.Context, c *Client) (any, error) { return c.QueryUserInfoByUserID(ctx, uid) },
			want:   &UserInfo{UserID: uid, NickName: "张三", UserType: 2},
		},
		{
			action: "ListOrganizationRoles",
			query:  map[string]string{},
			result: `[{"RoleId":111111111,"RoleName":"组织管理员","IsSystemRole":true,"AuthConfigList":[{"AuthKey":"quick_monitor"}]},{"RoleId":7001,"RoleName":"审计","IsSystemRole":false,"AuthConfigList":[]}]`,
			call:   func(ctx context.Context, c *Client) (any, error) { return c.ListOrganizationRoles(ctx) },
			want: []OrganizationRole{
				{RoleID: 111111111, RoleName: "组织管理员", IsSystemRole: true, AuthConfigList: []AuthConfig{{AuthKey: "quick_monitor"}}},
				{RoleID: 7001, RoleName: "审计", AuthConfigList: []AuthConfig{}},
			},
		},
		// ---- user groups ----
		{
			action: "CreateUserGroup",
			query:  map[string]string{"UserGroupName": "销售部", "ParentUserGroupId": "-1", "UserGroupId": "sales", "UserGroupDescription": "华北与东北"},
			result: `"sales"`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateUserGroup(ctx, CreateUserGroupRequest{UserGroupName: "销售部", ParentUserGroupID: RootUserGroupID, UserGroupID: "sales", UserGroupDescription: "华北与东北"})
			},
			want: "sales",
		},
		{
			action: "UpdateUserGroup",
			query:  map[string]string{"UserGroupId": "sales", "UserGroupName": "销售", "UserGroupDescription": ""},
			result: `true`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.UpdateUserGroup(ctx, UpdateUserGroupRequest{UserGroupID: "sales", UserGroupName: "销售", UserGroupDescription: ptr("")})
			},
		},
		{
			action: "DeleteUserGroup",
			query:  map[string]string{"UserGroupId": "sales"},
			result: `true`,
			call:   func(ctx context.Context, c *Client) (any, error) { return nil, c.DeleteUserGroup(ctx, "sales") },
		},
		{
			action: "QueryUserGroupListByParentId",
			query:  map[string]string{"ParentUserGroupId": "-1"},
			result: `[{"UserGroupId":"hq","UserGroupName":"总部","UserGroupDescription":"d","ParentUserGroupId":"-1","IdentifiedPath":"hq","CreateTime":"2024-01-01 12:00:00","ModifiedTime":"2024-01-02 12:00:00","CreateUser":"u1","ModifyUser":"u2"}]`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.QueryUserGroupListByParentID(ctx, RootUserGroupID)
			},
			want: []UserGroup{{UserGroupID: "hq", UserGroupName: "总部", UserGroupDescription: "d", ParentUserGroupID: "-1", IdentifiedPath: "hq", CreateTime: "2024-01-01 12:00:00", ModifiedTime: "2024-01-02 12:00:00", CreateUser: "u1", ModifyUser: "u2"}},
		},
		{
			action: "QueryUserGroupMember",
			query:  map[string]string{"UserGroupId": "hq", "Keyword": "张"},
			result: `[{"Id":"` + uid + `","Name":"张三","IsUserGroup":false,"ParentUserGroupId":"hq","ParentUserGroupName":"总部"},{"Id":"sales","Name":"销售部","IsUserGroup":true,"ParentUserGroupId":"hq","ParentUserGroupName":"总部"}]`,
			call:   func(ctx context.Context, c *Client) (any, error) { return c.QueryUserGroupMember(ctx, "hq", "张") },
			want: []UserGroupMember{
				{ID: uid, Name: "张三", ParentUserGroupID: "hq", ParentUserGroupName: "总部"},
				{ID: "sales", Name: "销售部", IsUserGroup: true, ParentUserGroupID: "hq", ParentUserGroupName: "总部"},
			},
		},
		{
			action: "AddUserGroupMember",
			query:  map[string]string{"UserGroupId": "sales", "UserIdList": "u1,u2"},
			result: `true`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.AddUserGroupMember(ctx, "sales", []string{"u1", "u2"})
			},
		},
		{
			action: "AddUserGroupMembers",
			query:  map[string]string{"UserId": "u1", "UserGroupIds": "sales,hq"},
			result: `true`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.AddUserGroupMembers(ctx, "u1", []string{"sales", "hq"})
			},
		},
		{
			action: "DeleteUserGroupMember",
			query:  map[string]string{"UserGroupId": "sales", "UserId": "u1"},
			result: `true`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.DeleteUserGroupMember(ctx, "sales", "u1")
			},
		},
		{
			action: "DeleteUserGroupMembers",
			query:  map[string]string{"UserId": "u1", "UserGroupIds": "sales,hq"},
			result: `true`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.DeleteUserGroupMembers(ctx, "u1", []string{"sales", "hq"})
			},
		},
		{
			action: "ListUserGroupsByUserId",
			query:  map[string]string{"UserId": "u1"},
			result: `[{"UsergroupId":"sales","UsergroupName":"销售部","UsergroupDesc":"d","ParentUsergroupId":"hq","IdentifiedPath":"hq/sales","CreateTime":"2024-01-01 12:00:00","ModifiedTime":"2024-01-01 12:00:00","CreateUser":"u9","ModifyUser":"u9"}]`,
			call:   func(ctx context.Context, c *Client) (any, error) { return c.ListUserGroupsByUserID(ctx, "u1") },
			want:   []UserGroupOfUser{{UserGroupID: "sales", UserGroupName: "销售部", UserGroupDesc: "d", ParentUserGroupID: "hq", IdentifiedPath: "hq/sales", CreateTime: "2024-01-01 12:00:00", ModifiedTime: "2024-01-01 12:00:00", CreateUser: "u9", ModifyUser: "u9"}},
		},
		// ---- workspaces ----
		{
			action: "QueryOrganizationWorkspaceList",
			query:  map[string]string{"Keyword": "销售", "UserId": "u1", "PageNum": "1", "PageSize": "1000"},
			result: `{"Data":[{"WorkspaceId":"` + ws + `","WorkspaceName":"销售分析","WorkspaceDescription":"d","Owner":"u9","OwnerAccountName":"wangwu","RealOwnerAccountName":"wangwu","CreateUser":"u9","CreateUserAccountName":"wangwu","ModifyUser":"u9","ModifyUserAccountName":"wangwu","CreateTime":"2024-01-01 12:00:00","ModifiedTime":"2024-01-01 12:00:00","OrganizationId":"org1","AllowShareOperation":true,"AllowPublishOperation":false}],"PageNum":1,"PageSize":1000,"TotalNum":1,"TotalPages":1}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.QueryOrganizationWorkspaceList(ctx, QueryWorkspaceListRequest{Keyword: "销售", UserID: "u1", PageNum: 1, PageSize: 1000})
			},
			want: &Page[Workspace]{Data: []Workspace{{WorkspaceID: ws, WorkspaceName: "销售分析", WorkspaceDescription: "d", Owner: "u9", OwnerAccountName: "wangwu", RealOwnerAccountName: "wangwu", CreateUser: "u9", CreateUserAccountName: "wangwu", ModifyUser: "u9", ModifyUserAccountName: "wangwu", CreateTime: "2024-01-01 12:00:00", ModifiedTime: "2024-01-01 12:00:00", OrganizationID: "org1", AllowShareOperation: true}}, PageNum: 1, PageSize: 1000, TotalNum: 1, TotalPages: 1},
		},
		{
			action: "QueryWorkspaceUserList",
			query:  map[string]string{"WorkspaceId": ws, "PageNum": "3", "PageSize": "50"},
			result: `{"Data":[{"UserId":"u1","AccountId":"1","AccountName":"wangwu:zhangsan","NickName":"张三","Role":{"RoleId":25,"RoleName":"空间管理员","RoleCode":"role_workspace_admin"}}],"PageNum":3,"PageSize":50,"TotalNum":101,"TotalPages":3}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.QueryWorkspaceUserList(ctx, QueryWorkspaceUserListRequest{WorkspaceID: ws, PageNum: 3, PageSize: 50})
			},
			want: &Page[WorkspaceUser]{Data: []WorkspaceUser{{UserID: "u1", AccountID: "1", AccountName: "wangwu:zhangsan", NickName: "张三", Role: Role{RoleID: 25, RoleName: "空间管理员", RoleCode: "role_workspace_admin"}}}, PageNum: 3, PageSize: 50, TotalNum: 101, TotalPages: 3},
		},
		{
			action: "AddUserToWorkspace",
			query:  map[string]string{"WorkspaceId": ws, "UserId": "u1", "RoleId": "27"},
			result: `true`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.AddUserToWorkspace(ctx, ws, "u1", WorkspaceRoleAnalyst)
			},
		},
		{
			action: "AddWorkspaceUsers",
			query:  map[string]string{"WorkspaceId": ws, "UserIds": "u1,u2", "RoleId": "30"},
			result: `{"Total":2,"Success":2,"Failure":0,"FailureDetail":{}}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.AddWorkspaceUsers(ctx, ws, []string{"u1", "u2"}, WorkspaceRoleViewer)
			},
			want: &BatchResult{Total: 2, Success: 2, FailureDetail: map[string]string{}},
		},
		{
			action: "UpdateWorkspaceUserRole",
			query:  map[string]string{"WorkspaceId": ws, "UserId": "u1", "RoleIds": "26,1234"},
			result: `true`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.UpdateWorkspaceUserRole(ctx, ws, "u1", []int64{WorkspaceRoleDeveloper, 1234})
			},
		},
		{
			action: "UpdateWorkspaceUsersRole",
			query:  map[string]string{"WorkspaceId": ws, "UserIds": "u1,u2,u3", "RoleId": "25"},
			result: `{"Total":3,"Success":3,"Failure":0}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.UpdateWorkspaceUsersRole(ctx, ws, []string{"u1", "u2", "u3"}, WorkspaceRoleAdmin)
			},
			want: &BatchResult{Total: 3, Success: 3, FailureDetail: map[string]string{}},
		},
		{
			action: "DeleteUserFromWorkspace",
			query:  map[string]string{"WorkspaceId": ws, "UserId": "u1"},
			result: `true`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.DeleteUserFromWorkspace(ctx, ws, "u1")
			},
		},
		{
			action: "ListWorkspaceRoles",
			query:  map[string]string{"WorkspaceId": ws},
			result: `[{"RoleId":25,"RoleName":"空间管理员","IsSystemRole":true,"AuthConfigList":[{"AuthKey":"cube","ActionAuthKeys":["create"]}]}]`,
			call:   func(ctx context.Context, c *Client) (any, error) { return c.ListWorkspaceRoles(ctx, ws) },
			want:   []WorkspaceRole{{RoleID: 25, RoleName: "空间管理员", IsSystemRole: true, AuthConfigList: []AuthConfig{{AuthKey: "cube", ActionAuthKeys: []string{"create"}}}}},
		},
		{
			action: "ListWorkspaceUserRolesByUserId",
			query:  map[string]string{"UserId": "u1"},
			result: `[{"WorkspaceId":"` + ws + `","WorkspaceName":"销售分析","RoleModel":{"RoleId":"25","RoleName":"空间管理员","RoleCode":"role_workspace_admin"}},{"WorkspaceId":"w2","WorkspaceName":"w2","RoleModel":{"RoleId":1234,"RoleName":"自定义"}}]`,
			call:   func(ctx context.Context, c *Client) (any, error) { return c.ListWorkspaceUserRolesByUserID(ctx, "u1") },
			want: []WorkspaceRolesOfUser{
				{WorkspaceID: ws, WorkspaceName: "销售分析", RoleModel: RoleRef{RoleID: "25", RoleName: "空间管理员", RoleCode: "role_workspace_admin"}},
				{WorkspaceID: "w2", WorkspaceName: "w2", RoleModel: RoleRef{RoleID: "1234", RoleName: "自定义"}},
			},
		},
		// ---- user tags ----
		{
			action: "AddUserTagMeta",
			query:  map[string]string{"TagName": "region", "TagDescription": "区域"},
			result: `"b1d8e0c8-****"`,
			call:   func(ctx context.Context, c *Client) (any, error) { return c.AddUserTagMeta(ctx, "region", "区域") },
			want:   "b1d8e0c8-****",
		},
		{
			action: "UpdateUserTagMeta",
			query:  map[string]string{"TagId": "pop_001", "TagName": "region2"},
			result: `true`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.UpdateUserTagMeta(ctx, "pop_001", "region2", "")
			},
		},
		{
			action: "DeleteUserTagMeta",
			query:  map[string]string{"TagId": "pop_001"},
			result: `true`,
			call:   func(ctx context.Context, c *Client) (any, error) { return nil, c.DeleteUserTagMeta(ctx, "pop_001") },
		},
		{
			action: "QueryUserTagMetaList", get: true,
			query:  map[string]string{},
			result: `[{"TagId":"pop_001","TagName":"region","TagDescription":"区域"}]`,
			call:   func(ctx context.Context, c *Client) (any, error) { return c.QueryUserTagMetaList(ctx) },
			want:   []UserTagMeta{{TagID: "pop_001", TagName: "region", TagDescription: "区域"}},
		},
		{
			action: "UpdateUserTagValue",
			query:  map[string]string{"UserId": "u1", "TagId": "pop_001", "TagValue": "华北,东北"},
			result: `true`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.UpdateUserTagValue(ctx, "u1", "pop_001", "华北,东北")
			},
		},
		{
			action: "QueryUserTagValueList", get: true,
			query:  map[string]string{"UserId": "u1"},
			result: `[{"TagId":"pop_001","TagName":"region","TagValue":"华北,东北"}]`,
			call:   func(ctx context.Context, c *Client) (any, error) { return c.QueryUserTagValueList(ctx, "u1") },
			want:   []UserTagValue{{TagID: "pop_001", TagName: "region", TagValue: "华北,东北"}},
		},
		// ---- row and column permissions ----
		{
			action: "SetDataLevelPermissionRuleConfig",
			query: map[string]string{"RuleModel": `{"cubeId":"` + cube + `","ruleName":"华北数据","ruleLevelType":"ROW_LEVEL","ruleTargetScope":"OTHERS",` +
				`"ruleUsersModel":{"users":["u1"],"userGroups":[]},"ruleContentModel":{"ruleContentType":"ROW_FIELD","ruleContentJson":"{\"conditionNode\":{\"name\":\"area\",\"relationOperator\":\"in\",\"value\":{\"value\":[\"华北\"],\"valueType\":\"ENUM\"}}}"}}`},
			result: `"{\"ruleId\":\"r-1\",\"cubeId\":\"` + cube + `\",\"ruleName\":\"华北数据\",\"ruleLevelType\":\"ROW_LEVEL\",\"ruleTargetScope\":\"OTHERS\",\"ruleUsersModel\":{\"users\":[\"u1\"],\"userGroups\":[]},\"ruleContentModel\":{\"ruleContentType\":\"ROW_FIELD\",\"ruleContentJson\":\"{}\"}}"`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.SetDataLevelPermissionRuleConfig(ctx, RuleModel{
					CubeID: cube, RuleName: "华北数据", RuleLevelType: RuleTypeRow, RuleTargetScope: RuleScopeOthers,
					RuleUsersModel:   RuleUsers{Users: []string{"u1"}},
					RuleContentModel: RuleContent{RuleContentType: RuleContentRowField, RuleContentJSON: `{"conditionNode":{"name":"area","relationOperator":"in","value":{"value":["华北"],"valueType":"ENUM"}}}`},
				})
			},
			want: &RuleModel{RuleID: "r-1", CubeID: cube, RuleName: "华北数据", RuleLevelType: RuleTypeRow, RuleTargetScope: RuleScopeOthers, RuleUsersModel: RuleUsers{Users: []string{"u1"}, UserGroups: []string{}}, RuleContentModel: RuleContent{RuleContentType: RuleContentRowField, RuleContentJSON: "{}"}},
		},
		{
			action: "SetDataLevelPermissionRuleConfig",
			query: map[string]string{"RuleModel": `{"ruleId":"r-2","cubeId":"` + cube + `","ruleName":"列<敏感>","ruleLevelType":"COLUMN_LEVEL","ruleTargetScope":"ALL","hitTakeEffect":0,` +
				`"ruleUsersModel":{"users":[],"userGroups":["sales"]},"ruleContentModel":{"ruleContentType":"COLUMN_FORBID","ruleContentJson":"{\"pathId\":[\"264b7a970b\"]}"}}`},
			result: `{"ruleId":"r-2","cubeId":"` + cube + `","ruleName":"列<敏感>","ruleLevelType":"COLUMN_LEVEL","ruleTargetScope":"ALL","hitTakeEffect":0}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.SetDataLevelPermissionRuleConfig(ctx, RuleModel{
					RuleID: "r-2", CubeID: cube, RuleName: "列<敏感>", RuleLevelType: RuleTypeColumn, RuleTargetScope: RuleScopeAll, HitTakeEffect: ptr(0),
					RuleUsersModel:   RuleUsers{UserGroups: []string{"sales"}},
					RuleContentModel: RuleContent{RuleContentType: RuleContentColumnForbid, RuleContentJSON: `{"pathId":["264b7a970b"]}`},
				})
			},
			want: &RuleModel{RuleID: "r-2", CubeID: cube, RuleName: "列<敏感>", RuleLevelType: RuleTypeColumn, RuleTargetScope: RuleScopeAll, HitTakeEffect: ptr(0)},
		},
		{
			action: "DeleteDataLevelRuleConfig",
			query:  map[string]string{"CubeId": cube, "RuleId": "r-1"},
			result: `true`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.DeleteDataLevelRuleConfig(ctx, cube, "r-1")
			},
		},
		{
			action: "AddDataLevelPermissionRuleUsers",
			query:  map[string]string{"AddUserModel": `{"ruleId":"r-1","cubeId":"` + cube + `","addModel":{"userGroups":["sales"],"users":["u1","u2"]}}`},
			result: `true`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.AddDataLevelPermissionRuleUsers(ctx, RuleUsersChange{RuleID: "r-1", CubeID: cube, Users: []string{"u1", "u2"}, UserGroups: []string{"sales"}})
			},
		},
		{
			action: "DeleteDataLevelPermissionRuleUsers",
			query:  map[string]string{"DeleteUserModel": `{"ruleId":"r-1","cubeId":"` + cube + `","delModel":{"userGroups":[],"users":["u2"]}}`},
			result: `true`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.DeleteDataLevelPermissionRuleUsers(ctx, RuleUsersChange{RuleID: "r-1", CubeID: cube, Users: []string{"u2"}})
			},
		},
		{
			action: "ListCubeDataLevelPermissionConfig",
			query:  map[string]string{"CubeId": cube, "RuleType": "ROW_LEVEL"},
			// The Result is a string holding JSON, whose ruleContentJson is
			// itself JSON text.
			result: `"{\"cubeId\":\"` + cube + `\",\"ruleType\":\"ROW_LEVEL\",\"isOpen\":1,\"extraConfigModel\":{\"cubeId\":\"` + cube + `\",\"ruleType\":\"ROW_LEVEL\",\"missHitPolicy\":\"NONE\"},\"ruleModels\":[{\"ruleId\":\"r-1\",\"cubeId\":\"` + cube + `\",\"ruleName\":\"华北数据\",\"ruleLevelType\":\"ROW_LEVEL\",\"ruleTargetScope\":\"OTHERS\",\"hitTakeEffect\":1,\"isOpen\":1,\"ruleUsersModel\":{\"users\":[\"u1\"],\"userGroups\":[\"sales\"]},\"ruleContentModel\":{\"ruleContentType\":\"ROW_FIELD\",\"ruleContentJson\":\"{\\\"conditionNode\\\":{}}\"}}]}"`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListCubeDataLevelPermissionConfig(ctx, cube, RuleTypeRow)
			},
			want: &CubeDataLevelConfig{
				CubeID: cube, RuleType: RuleTypeRow, IsOpen: 1,
				ExtraConfigModel: ExtraConfig{CubeID: cube, RuleType: RuleTypeRow, MissHitPolicy: MissHitNone},
				RuleModels: []RuleModel{{RuleID: "r-1", CubeID: cube, RuleName: "华北数据", RuleLevelType: RuleTypeRow, RuleTargetScope: RuleScopeOthers, HitTakeEffect: ptr(1), IsOpen: ptr(1),
					RuleUsersModel: RuleUsers{Users: []string{"u1"}, UserGroups: []string{"sales"}}, RuleContentModel: RuleContent{RuleContentType: RuleContentRowField, RuleContentJSON: `{"conditionNode":{}}`}}},
			},
		},
		{
			action: "SetDataLevelPermissionExtraConfig",
			query:  map[string]string{"CubeId": cube, "RuleType": "COLUMN_LEVEL", "MissHitPolicy": "ALL"},
			result: `true`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.SetDataLevelPermissionExtraConfig(ctx, cube, RuleTypeColumn, MissHitAll)
			},
		},
		{
			action: "SetDataLevelPermissionWhiteList",
			query:  map[string]string{"WhiteListModel": `{"cubeId":"` + cube + `","ruleType":"ROW_LEVEL","usersModel":{"userGroups":["sales"],"users":[]}}`},
			result: `true`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.SetDataLevelPermissionWhiteList(ctx, WhiteList{CubeID: cube, RuleType: RuleTypeRow, UsersModel: UsersModel{UserGroups: []string{"sales"}}})
			},
		},
		{
			action: "ListDataLevelPermissionWhiteList",
			query:  map[string]string{"CubeId": cube, "RuleType": "ROW_LEVEL"},
			result: `{"CubeId":"` + cube + `","RuleType":"ROW_LEVEL","UsersModel":{"Users":["u1"],"UserGroups":null}}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListDataLevelPermissionWhiteList(ctx, cube, RuleTypeRow)
			},
			want: &WhiteList{CubeID: cube, RuleType: RuleTypeRow, UsersModel: UsersModel{Users: []string{"u1"}, UserGroups: []string{}}},
		},
		{
			action: "UpdateDataLevelPermissionStatus",
			query:  map[string]string{"CubeId": cube, "RuleType": "ROW_LEVEL", "IsOpen": "1"},
			result: `true`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.UpdateDataLevelPermissionStatus(ctx, cube, RuleTypeRow, true)
			},
		},
		{
			action: "UpdateDataLevelPermissionStatus",
			query:  map[string]string{"CubeId": cube, "RuleType": "COLUMN_LEVEL", "IsOpen": "0"},
			result: `true`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.UpdateDataLevelPermissionStatus(ctx, cube, RuleTypeColumn, false)
			},
		},
		{
			action: "QueryDatasetSwitchInfo",
			query:  map[string]string{"CubeId": cube},
			result: `{"CubeId":"` + cube + `","IsOpenRowLevelPermission":1,"IsOpenColumnLevelPermission":0}`,
			call:   func(ctx context.Context, c *Client) (any, error) { return c.QueryDatasetSwitchInfo(ctx, cube) },
			want:   &DatasetSwitchInfo{CubeID: cube, IsOpenRowLevelPermission: 1},
		},
		{
			action: "QueryDatasetList",
			query:  map[string]string{"WorkspaceId": ws, "Keyword": "订单", "DirectoryId": "d1", "WithChildren": "true", "PageNum": "1", "PageSize": "100"},
			result: `{"Data":[{"DatasetId":"` + cube + `","DatasetName":"订单","Description":"","WorkspaceId":"` + ws + `","WorkspaceName":"销售分析","OwnerId":"u9","OwnerName":"王五","CreateTime":"2024-01-01 12:00:00","ModifyTime":"2024-01-01 12:00:00","RowLevel":true,"OpenOfflineAcceleration":false,"DataSource":{"DsId":"ds1","DsName":"mysql","DsType":"mysql"},"Directory":{"Id":"d1","Name":"根","PathId":"d1","PathName":"根"}}],"PageNum":1,"PageSize":100,"TotalNum":1,"TotalPages":1}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.QueryDatasetList(ctx, QueryDatasetListRequest{WorkspaceID: ws, Keyword: "订单", DirectoryID: "d1", WithChildren: ptr(true), PageNum: 1, PageSize: 100})
			},
			want: &Page[Dataset]{Data: []Dataset{{DatasetID: cube, DatasetName: "订单", WorkspaceID: ws, WorkspaceName: "销售分析", OwnerID: "u9", OwnerName: "王五", CreateTime: "2024-01-01 12:00:00", ModifyTime: "2024-01-01 12:00:00", RowLevel: true, DataSource: DataSource{DsID: "ds1", DsName: "mysql", DsType: "mysql"}, Directory: Directory{ID: "d1", Name: "根", PathID: "d1", PathName: "根"}}}, PageNum: 1, PageSize: 100, TotalNum: 1, TotalPages: 1},
		},
		// ---- embedding ----
		{
			action: "CreateTicket",
			query: map[string]string{"WorksId": "a206f5f3-e9b17c835b03", "UserId": uid, "CmptId": "0fc6a275", "TicketNum": "1", "ExpireTime": "200", "WatermarkParam": "三方嵌入",
				"GlobalParam": `[{"paramKey":"price","joinType":"and","conditionList":[{"operate":">","value":"0"}]}]`},
			result: `"` + ticket + `"`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateTicket(ctx, CreateTicketRequest{WorksID: "a206f5f3-e9b17c835b03", UserID: uid, CmptID: "0fc6a275", TicketNum: 1, ExpireTime: 200, WatermarkParam: "三方嵌入",
					GlobalParam: []GlobalParam{{ParamKey: "price", JoinType: "and", ConditionList: []Condition{{Operate: ">", Value: "0"}}}}})
			},
			want: ticket,
		},
		{
			action: "CreateTicket",
			query:  map[string]string{"WorksId": "w1", "AccountName": "wangwu:zhangsan", "AccountType": "5"},
			result: `"` + ticket + `"`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateTicket(ctx, CreateTicketRequest{WorksID: "w1", AccountName: "wangwu:zhangsan", AccountType: 5})
			},
			want: ticket,
		},
		{
			action: "DelayTicketExpireTime",
			query:  map[string]string{"Ticket": ticket, "ExpireTime": "240"},
			result: `true`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.DelayTicketExpireTime(ctx, ticket, 240)
			},
		},
		{
			action: "DeleteTicket",
			query:  map[string]string{"Ticket": ticket},
			result: `true`,
			call:   func(ctx context.Context, c *Client) (any, error) { return nil, c.DeleteTicket(ctx, ticket) },
		},
		{
			action: "QueryTicketInfo",
			query:  map[string]string{"Ticket": ticket},
			result: `{"AccessTicket":"` + ticket + `","WorksId":"w1","CmptId":"","UserId":"u1","GlobalParam":"[]","WatermarkParam":"","OrganizationId":"org1","RegisterTime":"2024-01-01 12:00:00","InvalidTime":"2024-01-01 16:00:00","MaxTicketNum":10,"UsedTicketNum":3}`,
			call:   func(ctx context.Context, c *Client) (any, error) { return c.QueryTicketInfo(ctx, ticket) },
			want:   &TicketInfo{AccessTicket: ticket, WorksID: "w1", UserID: "u1", GlobalParam: "[]", OrganizationID: "org1", RegisterTime: "2024-01-01 12:00:00", InvalidTime: "2024-01-01 16:00:00", MaxTicketNum: 10, UsedTicketNum: 3},
		},
		{
			action: "UpdateTicketNum",
			query:  map[string]string{"Ticket": ticket, "TicketNum": "99998"},
			result: `true`,
			call:   func(ctx context.Context, c *Client) (any, error) { return nil, c.UpdateTicketNum(ctx, ticket, 99998) },
		},
		// ---- works ----
		{
			action: "QueryWorksByWorkspace",
			query:  map[string]string{"WorkspaceId": ws, "WorksType": "PAGE", "Status": "0", "ThirdPartAuthFlag": "1", "PageNum": "1", "PageSize": "10"},
			result: `{"Data":[{"WorksId":"w1","WorkName":"看板","WorkType":"PAGE","WorkspaceId":"` + ws + `","WorkspaceName":"销售分析","OwnerId":"u9","OwnerName":"王五","ModifyName":"王五","Description":"","SecurityLevel":"12","Status":1,"Auth3rdFlag":1,"GmtCreate":"1704110400000","GmtModify":"1704110400000","PublicFlag":false,"PublicInvalidTime":1704196800000,"Directory":{"Id":"d1","Name":"根","PathId":"d1","PathName":"根"}}],"PageNum":1,"PageSize":10,"TotalNum":1,"TotalPages":1}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.QueryWorksByWorkspace(ctx, QueryWorksRequest{WorkspaceID: ws, WorksType: "PAGE", Status: ptr(0), ThirdPartAuthFlag: ptr(1), PageNum: 1, PageSize: 10})
			},
			want: &Page[Work]{Data: []Work{{WorksID: "w1", WorkName: "看板", WorkType: "PAGE", WorkspaceID: ws, WorkspaceName: "销售分析", OwnerID: "u9", OwnerName: "王五", ModifyName: "王五", SecurityLevel: "12", Status: 1, Auth3rdFlag: 1, GmtCreate: "1704110400000", GmtModify: "1704110400000", PublicInvalidTime: 1704196800000, Directory: Directory{ID: "d1", Name: "根", PathID: "d1", PathName: "根"}}}, PageNum: 1, PageSize: 10, TotalNum: 1, TotalPages: 1},
		},
	}
}

// rpcCommon are the common parameters of the RPC signature, which travel
// in the query string beside the business parameters.
var rpcCommon = []string{"Action", "Version", "Format", "AccessKeyId", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp", "SecurityToken", "Signature"}

// TestRequestShapes: every method sends its action to "/" with the
// reference's method, its business parameters as strings in the query
// string (AddUser's RoleIds alone in a form body), a signature the
// gateway's algorithm accepts, and decodes the reference's Result shape.
// Both signature methods, with and without STS credentials.
func TestRequestShapes(t *testing.T) {
	for _, alg := range []string{SignatureV3, SignatureRPC} {
		for _, sts := range []bool{false, true} {
			for i, tc := range methodCases() {
				name := alg + "/" + tc.action
				if sts {
					name += "/sts"
				}
				t.Run(name, func(t *testing.T) {
					fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, rec recorded) {
						writeRaw(w, 200, okResult(tc.result))
					})
					cfg := testConfig(fs.URL)
					cfg.SignatureAlgorithm = alg
					if sts {
						cfg.Credentials.SecurityToken = testToken
						fs.token = testToken
					}
					c := newTestClient(t, cfg)
					got, err := tc.call(context.Background(), c)
					if err != nil {
						t.Fatalf("case %d: %v", i, err)
					}
					if tc.want != nil {
						if d := cmp.Diff(tc.want, got); d != "" {
							t.Errorf("result (-want +got):\n%s", d)
						}
					}
					reqs := fs.requests()
					if len(reqs) != 1 {
						t.Fatalf("%d requests, want 1", len(reqs))
					}
					checkShape(t, tc, alg, sts, reqs[0])
				})
			}
		}
	}
}

func checkShape(t *testing.T, tc methodCase, alg string, sts bool, r recorded) {
	t.Helper()
	if r.SigErr != nil {
		t.Errorf("signature check: %v", r.SigErr)
	}
	wantMethod := http.MethodPost
	if tc.get {
		wantMethod = http.MethodGet
	}
	if r.Method != wantMethod || r.Path != "/" || r.Action != tc.action {
		t.Errorf("request %s %s action %q, want %s / action %q", r.Method, r.Path, r.Action, wantMethod, tc.action)
	}
	if r.Header.Get("User-Agent") != "permsync/test" {
		t.Errorf("User-Agent %q", r.Header.Get("User-Agent"))
	}
	query := map[string]string{}
	for k, v := range r.Query {
		query[k] = v
	}
	switch alg {
	case SignatureV3:
		for _, k := range rpcCommon {
			if _, in := query[k]; in {
				t.Errorf("V3 request carries %s in the query", k)
			}
		}
		want := []string{"Authorization", "X-Acs-Action", "X-Acs-Version", "X-Acs-Date", "X-Acs-Signature-Nonce", "X-Acs-Content-Sha256"}
		if sts {
			want = append(want, "X-Acs-Security-Token")
		}
		for _, h := range want {
			if r.Header.Get(h) == "" {
				t.Errorf("no %s header", h)
			}
		}
		if !sts && r.Header.Get("X-Acs-Security-Token") != "" {
			t.Errorf("x-acs-security-token without STS credentials")
		}
	case SignatureRPC:
		if r.Header.Get("Authorization") != "" {
			t.Errorf("RPC request with an Authorization header")
		}
		if query["Action"] != tc.action {
			t.Errorf("Action = %q", query["Action"])
		}
		if _, in := query["SecurityToken"]; in != sts {
			t.Errorf("SecurityToken in query: %v, want %v", in, sts)
		}
		for _, k := range rpcCommon {
			delete(query, k)
		}
	}
	if d := cmp.Diff(tc.query, query); d != "" {
		t.Errorf("query parameters (-want +got):\n%s", d)
	}
	if tc.form == nil {
		if len(r.Body) != 0 {
			t.Errorf("a body: %q", r.Body)
		}
		if ct := r.Header.Get("Content-Type"); ct != "" {
			t.Errorf("Content-Type %q without a body", ct)
		}
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type %q", ct)
	}
	if d := cmp.Diff(tc.form, r.Form); d != "" {
		t.Errorf("form body (-want +got):\n%s", d)
	}
}

// TestEveryActionHasACase: each action of the client is covered by
// TestRequestShapes, and exactly the three documented ones use GET.
func TestEveryActionHasACase(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range methodCases() {
		covered[tc.action] = true
	}
	gets := map[string]bool{"QueryUserList": true, "QueryUserTagMetaList": true, "QueryUserTagValueList": true}
	seen := map[string]bool{}
	for _, a := range allActions {
		if seen[a.name] {
			t.Errorf("%s listed twice", a.name)
		}
		seen[a.name] = true
		if !covered[a.name] {
			t.Errorf("no test case for %s", a.name)
		}
		if a.get != gets[a.name] {
			t.Errorf("%s: GET %v, want %v", a.name, a.get, gets[a.name])
		}
		read := strings.HasPrefix(a.name, "Query") || strings.HasPrefix(a.name, "List")
		if a.write == read {
			t.Errorf("%s: write %v", a.name, a.write)
		}
	}
	if len(allActions) != 49 {
		t.Errorf("%d actions, want the 49 permsync needs", len(allActions))
	}
}
