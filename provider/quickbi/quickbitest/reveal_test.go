package quickbitest

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
)

// documentedActions are the 2022-01-01 actions the reference names.
var documentedActions = strings.Fields(`AddUser UpdateUser DeleteUser QueryUserList QueryUserInfoByAccount
QueryUserInfoByUserId CheckOrganizationMember BatchAddFeishuUsers ListOrganizationRoles QueryOrganizationRoleConfig
ListOrganizationRoleUsers ChangeVisibilityModel CreateUserGroup UpdateUserGroup DeleteUserGroup
QueryUserGroupListByParentId QueryUserGroupMember AddUserGroupMember AddUserGroupMembers DeleteUserGroupMember
DeleteUserGroupMembers ListUserGroupsByUserId GetUserGroupInfo ListByUserGroupId WithdrawAllUserGroups
QueryOrganizationWorkspaceList CreateWorkspace QueryWorkspaceUserList AddUserToWorkspace AddWorkspaceUsers
UpdateWorkspaceUserRole UpdateWorkspaceUsersRole DeleteUserFromWorkspace ListWorkspaceRoles QueryWorkspaceRoleConfig
QueryUserRoleInfoInWorkspace ListWorkspaceUserRolesByUserId ListWorkspaceRoleUsers AddUserTagMeta UpdateUserTagMeta
DeleteUserTagMeta QueryUserTagMetaList UpdateUserTagValue QueryUserTagValueList SetDataLevelPermissionRuleConfig
DeleteDataLevelRuleConfig AddDataLevelPermissionRuleUsers DeleteDataLevelPermissionRuleUsers
ListCubeDataLevelPermissionConfig SetDataLevelPermissionExtraConfig SetDataLevelPermissionWhiteList
AddDataLevelPermissionWhiteList ListDataLevelPermissionWhiteList UpdateDataLevelPermissionStatus
QueryDatasetSwitchInfo QueryDatasetList AuthorizeMenu CancelAuthorizationMenu ListPortalMenuAuthorization
AddShareReport CancelReportShare QueryShareList QueryWorksByWorkspace AddWorksAuthorization QuerySharesToUserList
ListSharedReports CreateTicket CreateTicket4Copilot DelayTicketExpireTime DeleteTicket QueryTicketInfo
UpdateTicketNum QueryEmbeddedInfo QueryEmbeddedStatus UpdateEmbeddedStatus`)

// notActions are names the reference says do not exist.
var notActions = strings.Fields(`QueryWorkspaceList QueryOrganizationRoleList QueryWorkspaceRoleList
DeleteWorkspaceUsers QueryDataLevelPermissionConfig DelayShareReport ListTickets QueryTicketList
QueryUserTagValues ListUserGroups DeleteWorkspace`)

var pagedKeys = "Data PageNum PageSize TotalNum TotalPages "

const (
	userKeys      = "UserId AccountId AccountName NickName UserType RoleIdList CopilotModules AdminUser AuthAdminUser "
	groupKeys     = "UserGroupId UserGroupName UserGroupDescription ParentUserGroupId IdentifiedPath CreateTime ModifiedTime CreateUser ModifyUser"
	usergroupKeys = "UsergroupId UsergroupName UsergroupDesc ParentUsergroupId IdentifiedPath CreateTime ModifiedTime CreateUser ModifyUser "
	roleKeys      = "RoleId RoleName IsSystemRole AuthConfigList AuthKey "
	ruleKeys      = "ruleId cubeId ruleName ruleLevelType ruleTargetScope hitTakeEffect isOpen ruleUsersModel users userGroups ruleContentModel ruleContentType ruleContentJson ruleOriginConfigJson "
	batchKeys     = "Total Success Failure FailureDetail"
	dirKeys       = "Directory Id Name PathId PathName "
)

// documentedKeys are the keys each action's Result may hold, from the
// reference's Result descriptions.
var documentedKeys = map[string]string{
	"AddUser":                           userKeys,
	"QueryUserList":                     pagedKeys + userKeys + "IsDeleted JoinedDate LastLoginTime",
	"QueryUserInfoByAccount":            userKeys + "Email Phone",
	"QueryUserInfoByUserId":             userKeys + "Email Phone",
	"ListOrganizationRoles":             roleKeys,
	"QueryOrganizationRoleConfig":       roleKeys,
	"ListOrganizationRoleUsers":         pagedKeys + "UserId NickName",
	"QueryUserGroupListByParentId":      groupKeys,
	"QueryUserGroupMember":              "Id Name IsUserGroup ParentUserGroupId ParentUserGroupName",
	"ListUserGroupsByUserId":            usergroupKeys,
	"GetUserGroupInfo":                  usergroupKeys,
	"ListByUserGroupId":                 usergroupKeys + "UserGroupModels FailedUserGroupIds",
	"QueryOrganizationWorkspaceList":    pagedKeys + "WorkspaceId WorkspaceName WorkspaceDescription Owner OwnerAccountName RealOwnerAccountName CreateUser CreateUserAccountName ModifyUser ModifyUserAccountName CreateTime ModifiedTime OrganizationId AllowShareOperation AllowPublishOperation",
	"QueryWorkspaceUserList":            pagedKeys + "UserId AccountId AccountName NickName Role RoleId RoleName RoleCode",
	"AddWorkspaceUsers":                 batchKeys,
	"UpdateWorkspaceUsersRole":          batchKeys,
	"ListWorkspaceRoles":                roleKeys + "ActionAuthKeys",
	"QueryWorkspaceRoleConfig":          roleKeys + "ActionAuthKeys",
	"QueryUserRoleInfoInWorkspace":      "RoleId RoleName RoleCode",
	"ListWorkspaceUserRolesByUserId":    "WorkspaceId WorkspaceName RoleModel RoleId RoleName RoleCode",
	"ListWorkspaceRoleUsers":            pagedKeys + "UserId NickName WorkspaceId WorkspaceName",
	"QueryUserTagMetaList":              "TagId TagName TagDescription",
	"QueryUserTagValueList":             "TagId TagName TagValue",
	"SetDataLevelPermissionRuleConfig":  ruleKeys,
	"ListCubeDataLevelPermissionConfig": ruleKeys + "ruleType extraConfigModel missHitPolicy ruleModels",
	"ListDataLevelPermissionWhiteList":  "CubeId RuleType UsersModel Users UserGroups",
	"QueryDatasetSwitchInfo":            "CubeId IsOpenRowLevelPermission IsOpenColumnLevelPermission",
	"QueryDatasetList":                  pagedKeys + dirKeys + "DatasetId DatasetName Description WorkspaceId WorkspaceName OwnerId OwnerName CreateTime ModifyTime RowLevel OpenOfflineAcceleration DataSource DsId DsName DsType",
	"QueryWorksByWorkspace":             pagedKeys + dirKeys + "WorksId WorkName WorkType WorkspaceId WorkspaceName OwnerId OwnerName ModifyName Description SecurityLevel Status Auth3rdFlag GmtCreate GmtModify PublicFlag PublicInvalidTime",
	"QueryTicketInfo":                   "AccessTicket WorksId CmptId UserId GlobalParam WatermarkParam OrganizationId RegisterTime InvalidTime MaxTicketNum UsedTicketNum",
}

// keysOf collects the object keys of a JSON value; FailureDetail's keys
// are UserIds, not field names.
func keysOf(v any, into map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			into[k] = true
			if k != "FailureDetail" {
				keysOf(e, into)
			}
		}
	case []any:
		for _, e := range x {
			keysOf(e, into)
		}
	}
}

func TestOnlyDocumentedActions(t *testing.T) {
	doc := map[string]bool{}
	for _, a := range documentedActions {
		doc[a] = true
	}
	for _, a := range Actions() {
		if !doc[a] {
			t.Errorf("the simulator serves %s, which the reference does not name", a)
		}
	}
	_, c := newServer(t, baseSeed)
	for _, a := range notActions {
		c.call(a, nil).fails(t, 404, CodeInvalidAPI)
	}
}

// TestRevealsNothingMore runs every served action and checks that answers
// hold only documented fields, never a secret, Email and Phone only from
// the one-user reads, tag values only for the user asked about, and a
// ticket only where the caller already holds it.
func TestRevealsNothingMore(t *testing.T) {
	s, c := newServer(t, strings.Replace(baseSeed, "  name: 测试组织\n", "  name: 测试组织\n  globalParam: true\n", 1),
		func(o *Options) { o.SecurityToken = "sts-secret-token" })
	zs, ls, ww, zl := c.uid("ops:zhangsan"), c.uid("ops:lisi"), c.uid("ops:wangwu"), c.uid("ops:zhaoliu")
	type step struct {
		action string
		params map[string]string
	}
	steps := []step{
		{"QueryUserList", p("PageSize", "1000")},
		{"QueryUserInfoByAccount", p("Account", "ops:zhangsan")},
		{"QueryUserInfoByUserId", p("UserId", zs)},
		{"CheckOrganizationMember", p("UserId", zs)},
		{"ListOrganizationRoles", nil},
		{"QueryOrganizationRoleConfig", p("RoleId", "456")},
		{"ListOrganizationRoleUsers", p("RoleId", "111111113")},
		{"AddUser", p("NickName", "新人", "UserType", "1", "AccountName", "ops:new", "RoleIds", "111111113")},
		{"UpdateUser", p("UserId", zl, "NickName", "赵六六")},
		{"QueryUserGroupListByParentId", p("ParentUserGroupId", "-1")},
		{"QueryUserGroupMember", p("UserGroupId", "sales")},
		{"CreateUserGroup", p("UserGroupName", "新组", "ParentUserGroupId", "hq", "UserGroupId", "new-group")},
		{"UpdateUserGroup", p("UserGroupId", "new-group", "UserGroupDescription", "描述")},
		{"AddUserGroupMember", p("UserGroupId", "new-group", "UserIdList", zs)},
		{"AddUserGroupMembers", p("UserId", ls, "UserGroupIds", "new-group,finance")},
		{"DeleteUserGroupMember", p("UserGroupId", "new-group", "UserId", zs)},
		{"DeleteUserGroupMembers", p("UserId", ls, "UserGroupIds", "finance")},
		{"ListUserGroupsByUserId", p("UserId", ls)},
		{"GetUserGroupInfo", p("Keyword", "销售")},
		{"ListByUserGroupId", p("UserGroupIds", "hq,nope")},
		{"WithdrawAllUserGroups", p("UserId", ls)},
		{"DeleteUserGroup", p("UserGroupId", "new-group")},
		{"QueryOrganizationWorkspaceList", nil},
		{"CreateWorkspace", p("WorkspaceName", "新空间")},
		{"QueryWorkspaceUserList", p("WorkspaceId", "ws-sales")},
		{"AddUserToWorkspace", p("WorkspaceId", "ws-finance", "UserId", zs, "RoleId", "26")},
		{"AddWorkspaceUsers", p("WorkspaceId", "ws-finance", "UserIds", zs+","+ls, "RoleId", "27")},
		{"UpdateWorkspaceUserRole", p("WorkspaceId", "ws-finance", "UserId", zs, "RoleIds", "26,1001")},
		{"UpdateWorkspaceUsersRole", p("WorkspaceId", "ws-finance", "UserIds", ls, "RoleId", "30")},
		{"DeleteUserFromWorkspace", p("WorkspaceId", "ws-finance", "UserId", ls)},
		{"ListWorkspaceRoles", p("WorkspaceId", "ws-sales")},
		{"QueryWorkspaceRoleConfig", p("RoleId", "25")},
		{"QueryUserRoleInfoInWorkspace", p("WorkspaceId", "ws-sales", "UserId", zs)},
		{"ListWorkspaceUserRolesByUserId", p("UserId", zs)},
		{"ListWorkspaceRoleUsers", p("RoleId", "26")},
		{"AddUserTagMeta", p("TagName", "新标签")},
		{"UpdateUserTagMeta", p("TagId", "tag-level", "TagName", "级别")},
		{"QueryUserTagMetaList", nil},
		{"UpdateUserTagValue", p("UserId", ls, "TagId", "tag-level", "TagValue", "秘密值")},
		{"QueryUserTagValueList", p("UserId", ls)},
		{"QueryUserTagValueList", p("UserId", zs)},
		{"SetDataLevelPermissionRuleConfig", p("RuleModel", ruleModel(map[string]any{"cubeId": "cube-orders", "ruleName": "新规则",
			"ruleLevelType": RowLevel, "ruleTargetScope": "OTHERS", "ruleUsersModel": map[string]any{"users": []string{ww}},
			"ruleContentModel": map[string]any{"ruleContentType": "ROW_FIELD", "ruleContentJson": `{"x":1}`, "ruleOriginConfigJson": `{}`}}))},
		{"AddDataLevelPermissionRuleUsers", p("AddUserModel", ruleModel(map[string]any{"ruleId": "rule-north", "cubeId": "cube-orders",
			"addModel": map[string]any{"users": []string{zs}}}))},
		{"DeleteDataLevelPermissionRuleUsers", p("DeleteUserModel", ruleModel(map[string]any{"ruleId": "rule-north", "cubeId": "cube-orders",
			"delModel": map[string]any{"users": []string{zs}}}))},
		{"ListCubeDataLevelPermissionConfig", p("CubeId", "cube-orders", "RuleType", RowLevel)},
		{"SetDataLevelPermissionExtraConfig", p("CubeId", "cube-orders", "RuleType", RowLevel, "MissHitPolicy", "ALL")},
		{"SetDataLevelPermissionWhiteList", p("WhiteListModel", ruleModel(map[string]any{"cubeId": "cube-orders", "ruleType": ColumnLevel,
			"usersModel": map[string]any{"users": []string{zs}, "userGroups": []string{"hq"}}}))},
		{"AddDataLevelPermissionWhiteList", p("CubeId", "cube-orders", "RuleType", ColumnLevel, "OperateType", "ADD", "TargetType", "1", "TargetIds", ls)},
		{"ListDataLevelPermissionWhiteList", p("CubeId", "cube-orders", "RuleType", ColumnLevel)},
		{"UpdateDataLevelPermissionStatus", p("CubeId", "cube-orders", "RuleType", ColumnLevel, "IsOpen", "1")},
		{"QueryDatasetSwitchInfo", p("CubeId", "cube-orders")},
		{"DeleteDataLevelRuleConfig", p("CubeId", "cube-orders", "RuleId", "rule-cost")},
		{"QueryDatasetList", p("WorkspaceId", "ws-sales")},
		{"QueryWorksByWorkspace", p("WorkspaceId", "ws-sales")},
		{"QueryEmbeddedStatus", p("WorksId", "works-board")},
		{"UpdateEmbeddedStatus", p("WorksId", "works-report", "ThirdPartAuthFlag", "true")},
		{"CreateTicket", p("WorksId", "works-board", "UserId", ls, "GlobalParam", `[{"paramKey":"k","conditionList":[{"operate":"=","value":"v"}]}]`)},
		{"DeleteUserTagMeta", p("TagId", "tag-region")},
		{"DeleteUser", p("UserId", zl)},
	}
	answers := map[string][]string{}
	var ticket string
	run := func(st step) {
		t.Helper()
		e := c.call(st.action, st.params)
		e.ok(t, nil)
		answers[st.action] = append(answers[st.action], e.Raw)
		if st.action == "CreateTicket" {
			_ = json.Unmarshal(e.Result, &ticket)
		}
		for name, vs := range e.Header {
			for _, v := range vs {
				if strings.Contains(v, s.AccessKeySecret()) || strings.Contains(v, "sts-secret-token") {
					t.Errorf("%s: header %s shows a secret", st.action, name)
				}
			}
		}
	}
	for _, st := range steps {
		run(st)
	}
	for _, st := range []step{
		{"QueryTicketInfo", p("Ticket", ticket)},
		{"DelayTicketExpireTime", p("Ticket", ticket, "ExpireTime", "10")},
		{"UpdateTicketNum", p("Ticket", ticket, "TicketNum", "5")},
		{"DeleteTicket", p("Ticket", ticket)},
	} {
		run(st)
	}
	for _, a := range Actions() {
		if len(answers[a]) == 0 {
			t.Errorf("%s is not exercised: add it to the walk", a)
		}
	}
	for action, raws := range answers {
		allowed := map[string]bool{}
		for _, k := range strings.Fields(documentedKeys[action]) {
			allowed[k] = true
		}
		for _, raw := range raws {
			var env map[string]any
			if err := json.Unmarshal([]byte(raw), &env); err != nil {
				t.Fatal(err)
			}
			if len(env) != 3 {
				t.Errorf("%s: envelope %s", action, raw)
			}
			result := env["Result"]
			if text, ok := result.(string); ok && strings.HasPrefix(text, "{") {
				_ = json.Unmarshal([]byte(text), &result)
			}
			keys := map[string]bool{}
			keysOf(result, keys)
			var extra []string
			for k := range keys {
				if !allowed[k] {
					extra = append(extra, k)
				}
			}
			sort.Strings(extra)
			if len(extra) > 0 {
				t.Errorf("%s answers undocumented fields %v", action, extra)
			}
			if strings.Contains(raw, s.AccessKeySecret()) || strings.Contains(raw, "sts-secret-token") {
				t.Errorf("%s shows a secret", action)
			}
			if action != "QueryUserInfoByAccount" && action != "QueryUserInfoByUserId" &&
				(strings.Contains(raw, "zs@example.com") || strings.Contains(raw, "13800000000")) {
				t.Errorf("%s shows Email or Phone", action)
			}
			if strings.Contains(raw, "秘密值") && action != "QueryUserTagValueList" {
				t.Errorf("%s shows a tag value", action)
			}
			if ticket != "" && strings.Contains(raw, ticket) && action != "CreateTicket" && action != "QueryTicketInfo" {
				t.Errorf("%s shows a ticket", action)
			}
		}
	}
	// Tag values: only for the user asked about.
	if v := answers["QueryUserTagValueList"]; len(v) != 2 || !strings.Contains(v[0], "秘密值") || strings.Contains(v[1], "秘密值") {
		t.Errorf("tag values %v", v)
	}
}
