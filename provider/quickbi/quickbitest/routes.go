package quickbitest

import "net/http"

// routes is the table of served Actions: the HTTP method the SDK uses,
// the parameters with their types, where they travel and whether the SDK
// marks them required, and the handler.
func (s *Server) routes() map[string]*action {
	get, post := http.MethodGet, http.MethodPost
	a := func(method string, h func(*call) (any, error), params ...param) *action {
		return &action{method: method, params: params, h: h}
	}
	rp := func(x *action) *action { x.rowPerm = true; return x }
	paging := []param{pInt("PageNum"), pInt("PageSize")}
	withPaging := func(ps ...param) []param { return append(ps, paging...) }
	kw := pStr("Keyword", emptyOK)
	return map[string]*action{
		// Organization members and roles.
		"AddUser": a(post, s.addUser, pStr("NickName", req), pInt("UserType", req), pStr("AccountId"),
			pStr("AccountName"), pStr("RoleIds", inBody), pBool("AdminUser"), pBool("AuthAdminUser"), pStr("CopilotModules")),
		"UpdateUser": a(post, s.updateUser, pStr("UserId", req), pStr("NickName"), pInt("UserType"), pStr("RoleIds"),
			pBool("IsDeleted"), pStr("CopilotModules"), pBool("AdminUser"), pBool("AuthAdminUser")),
		"DeleteUser":                  a(post, s.deleteUser, pStr("UserId", req), pStr("TransferUserId")),
		"QueryUserList":               a(get, s.queryUserList, withPaging(kw)...),
		"QueryUserInfoByAccount":      a(post, s.queryUserInfoByAccount, pStr("Account", req), pStr("ParentAccountName")),
		"QueryUserInfoByUserId":       a(post, s.queryUserInfoByUserID, pStr("UserId", req)),
		"CheckOrganizationMember":     a(post, s.checkOrganizationMember, pStr("UserId", req)),
		"ListOrganizationRoles":       a(post, s.listOrganizationRoles),
		"QueryOrganizationRoleConfig": a(post, s.queryOrganizationRoleConfig, pLong("RoleId", req)),
		"ListOrganizationRoleUsers":   a(post, s.listOrganizationRoleUsers, withPaging(pLong("RoleId", req), kw)...),

		// User groups.
		"CreateUserGroup": a(post, s.createUserGroup, pStr("UserGroupName", req), pStr("ParentUserGroupId", req),
			pStr("UserGroupId"), pStr("UserGroupDescription", emptyOK)),
		"UpdateUserGroup": a(post, s.updateUserGroup, pStr("UserGroupId", req), pStr("UserGroupName"),
			pStr("UserGroupDescription", emptyOK)),
		"DeleteUserGroup":              a(post, s.deleteUserGroup, pStr("UserGroupId", req)),
		"QueryUserGroupListByParentId": a(post, s.queryUserGroupListByParentID, pStr("ParentUserGroupId", req)),
		"QueryUserGroupMember":         a(post, s.queryUserGroupMember, pStr("UserGroupId", req), kw),
		"AddUserGroupMember":           a(post, s.addUserGroupMember, pStr("UserGroupId", req), pStr("UserIdList", req)),
		"AddUserGroupMembers":          a(post, s.addUserGroupMembers, pStr("UserId", req), pStr("UserGroupIds", req)),
		"DeleteUserGroupMember":        a(post, s.deleteUserGroupMember, pStr("UserGroupId", req), pStr("UserId", req)),
		"DeleteUserGroupMembers":       a(post, s.deleteUserGroupMembers, pStr("UserId", req), pStr("UserGroupIds", req)),
		"ListUserGroupsByUserId":       a(post, s.listUserGroupsByUserID, pStr("UserId", req)),
		"GetUserGroupInfo":             a(post, s.getUserGroupInfo, pStr("Keyword", req)),
		"ListByUserGroupId":            a(post, s.listByUserGroupID, pStr("UserGroupIds", req)),
		"WithdrawAllUserGroups":        a(post, s.withdrawAllUserGroups, pStr("UserId", req)),

		// Workspaces.
		"QueryOrganizationWorkspaceList": a(post, s.queryOrganizationWorkspaceList, withPaging(kw, pStr("UserId"))...),
		"CreateWorkspace": a(post, s.createWorkspace, pStr("WorkspaceName", req), pStr("WorkspaceDescription", emptyOK),
			pBool("AllowPublish"), pBool("AllowShare"), pBool("AllowViewAll"), pBool("DefaultShareToAll"),
			pBool("OnlyAdminCreateDatasource"), pBool("UseComment")),
		"QueryWorkspaceUserList":         a(post, s.queryWorkspaceUserList, withPaging(pStr("WorkspaceId", req), kw)...),
		"AddUserToWorkspace":             a(post, s.addUserToWorkspace, pStr("WorkspaceId", req), pStr("UserId", req), pLong("RoleId", req)),
		"AddWorkspaceUsers":              a(post, s.addWorkspaceUsers, pStr("WorkspaceId", req), pStr("UserIds", req), pLong("RoleId", req)),
		"UpdateWorkspaceUserRole":        a(post, s.updateWorkspaceUserRole, pStr("WorkspaceId", req), pStr("UserId", req), pStr("RoleIds"), pLong("RoleId")),
		"UpdateWorkspaceUsersRole":       a(post, s.updateWorkspaceUsersRole, pStr("WorkspaceId", req), pStr("UserIds", req), pLong("RoleId", req)),
		"DeleteUserFromWorkspace":        a(post, s.deleteUserFromWorkspace, pStr("WorkspaceId", req), pStr("UserId", req)),
		"ListWorkspaceRoles":             a(post, s.listWorkspaceRoles, pStr("WorkspaceId", req)),
		"QueryWorkspaceRoleConfig":       a(post, s.queryWorkspaceRoleConfig, pLong("RoleId", req)),
		"QueryUserRoleInfoInWorkspace":   a(post, s.queryUserRoleInfoInWorkspace, pStr("WorkspaceId", req), pStr("UserId", req)),
		"ListWorkspaceUserRolesByUserId": a(post, s.listWorkspaceUserRolesByUserID, pStr("UserId", req)),
		"ListWorkspaceRoleUsers":         a(post, s.listWorkspaceRoleUsers, withPaging(pLong("RoleId", req), pStr("WorkspaceId"), kw)...),

		// User tags.
		"AddUserTagMeta":        a(post, s.addUserTagMeta, pStr("TagName", req), pStr("TagDescription", emptyOK)),
		"UpdateUserTagMeta":     a(post, s.updateUserTagMeta, pStr("TagId", req), pStr("TagName", req), pStr("TagDescription", emptyOK)),
		"DeleteUserTagMeta":     a(post, s.deleteUserTagMeta, pStr("TagId", req)),
		"QueryUserTagMetaList":  a(get, s.queryUserTagMetaList),
		"UpdateUserTagValue":    a(post, s.updateUserTagValue, pStr("UserId", req), pStr("TagId", req), pStr("TagValue", req)),
		"QueryUserTagValueList": a(get, s.queryUserTagValueList, pStr("UserId", req)),

		// Row and column permissions.
		"SetDataLevelPermissionRuleConfig":   rp(a(post, s.setDataLevelPermissionRuleConfig, pStr("RuleModel", req))),
		"DeleteDataLevelRuleConfig":          rp(a(post, s.deleteDataLevelRuleConfig, pStr("CubeId", req), pStr("RuleId", req))),
		"AddDataLevelPermissionRuleUsers":    rp(a(post, s.addDataLevelPermissionRuleUsers, pStr("AddUserModel", req))),
		"DeleteDataLevelPermissionRuleUsers": rp(a(post, s.deleteDataLevelPermissionRuleUsers, pStr("DeleteUserModel", req))),
		"ListCubeDataLevelPermissionConfig":  rp(a(post, s.listCubeDataLevelPermissionConfig, pStr("CubeId", req), pStr("RuleType", req))),
		"SetDataLevelPermissionExtraConfig": rp(a(post, s.setDataLevelPermissionExtraConfig, pStr("CubeId", req),
			pStr("RuleType", req), pStr("MissHitPolicy", req))),
		"SetDataLevelPermissionWhiteList": rp(a(post, s.setDataLevelPermissionWhiteList, pStr("WhiteListModel", req))),
		"AddDataLevelPermissionWhiteList": rp(a(post, s.addDataLevelPermissionWhiteList, pStr("CubeId", req),
			pStr("RuleType"), pStr("OperateType"), pStr("TargetType"), pStr("TargetIds"))),
		"ListDataLevelPermissionWhiteList": rp(a(post, s.listDataLevelPermissionWhiteList, pStr("CubeId", req), pStr("RuleType", req))),
		"UpdateDataLevelPermissionStatus": rp(a(post, s.updateDataLevelPermissionStatus, pStr("CubeId", req),
			pStr("RuleType", req), pInt("IsOpen", req))),
		"QueryDatasetSwitchInfo": rp(a(post, s.queryDatasetSwitchInfo, pStr("CubeId", req))),
		"QueryDatasetList": a(post, s.queryDatasetList, withPaging(pStr("WorkspaceId", req), kw, pStr("DirectoryId"),
			pBool("WithChildren"))...),

		// Works and embedding.
		"QueryWorksByWorkspace": a(post, s.queryWorksByWorkspace, withPaging(pStr("WorkspaceId", req), pStr("WorksType"),
			pInt("Status"), pInt("ThirdPartAuthFlag"))...),
		"QueryEmbeddedStatus":  a(post, s.queryEmbeddedStatus, pStr("WorksId", req)),
		"UpdateEmbeddedStatus": a(post, s.updateEmbeddedStatus, pStr("WorksId", req), pBool("ThirdPartAuthFlag", req)),
		"CreateTicket": a(post, s.createTicket, pStr("WorksId", req), pStr("CmptId"), pInt("TicketNum"), pStr("UserId"),
			pStr("AccountName"), pInt("AccountType"), pInt("ExpireTime"), pStr("WatermarkParam"), pStr("GlobalParam")),
		"DelayTicketExpireTime": a(post, s.delayTicketExpireTime, pStr("Ticket", req), pInt("ExpireTime", req)),
		"DeleteTicket":          a(post, s.deleteTicket, pStr("Ticket", req)),
		"QueryTicketInfo":       a(post, s.queryTicketInfo, pStr("Ticket", req)),
		"UpdateTicketNum":       a(post, s.updateTicketNum, pStr("Ticket", req), pInt("TicketNum", req)),
	}
}
