package quickbitest

import (
	"reflect"
	"strings"
	"testing"
)

type wsUserItem struct {
	UserId, AccountId, AccountName, NickName string
	Role                                     wsRoleJSON
}

func TestWorkspaces(t *testing.T) {
	s, c := newServer(t, baseSeed)
	var list pagedOut[map[string]any]
	c.ok("QueryOrganizationWorkspaceList", nil, &list)
	if list.TotalNum != 2 || list.Data[0]["WorkspaceId"] != "ws-sales" || list.Data[0]["Owner"] != s.AdminUserID() ||
		list.Data[0]["OwnerAccountName"] != "ops" || list.Data[0]["OrganizationId"] != s.Snapshot().Organization.ID {
		t.Fatalf("workspaces %+v", list)
	}
	c.ok("QueryOrganizationWorkspaceList", p("UserId", c.uid("ops:lisi")), &list)
	if list.TotalNum != 1 {
		t.Fatalf("workspaces of lisi %+v", list)
	}
	c.ok("QueryOrganizationWorkspaceList", p("Keyword", "财"), &list)
	if list.TotalNum != 1 || list.Data[0]["WorkspaceName"] != "财务" {
		t.Fatalf("keyword %+v", list)
	}
	var id string
	c.ok("CreateWorkspace", p("WorkspaceName", "市场", "WorkspaceDescription", "市场部", "AllowShare", "false"), &id)
	ws := s.Snapshot().Workspace("市场")
	if ws == nil || ws.ID != id || ws.Owner != s.AdminUserID() || len(ws.Members) != 1 {
		t.Fatalf("created %+v", ws)
	}
	c.bad("CreateWorkspace", p("WorkspaceName", "市场"), CodeInvalidParamError)
	c.bad("CreateWorkspace", p("WorkspaceName", "市场2", "AllowShare", "no"), "InvalidAllowShare")
}

func TestWorkspaceMembers(t *testing.T) {
	s, c := newServer(t, baseSeed)
	zs, ls, ww, zl := c.uid("ops:zhangsan"), c.uid("ops:lisi"), c.uid("ops:wangwu"), c.uid("ops:zhaoliu")
	var users pagedOut[wsUserItem]
	c.ok("QueryWorkspaceUserList", p("WorkspaceId", "ws-sales"), &users)
	if users.TotalNum != 4 || users.Data[0].UserId != zs || users.Data[3].UserId != s.AdminUserID() {
		t.Fatalf("members %+v", users)
	}
	// One role per member: the most privileged predefined one.
	if r := users.Data[0].Role; r.RoleId != RoleWorkspaceDeveloper || r.RoleName != "开发者" {
		t.Fatalf("zhangsan shows %+v", r)
	}
	if r := users.Data[3].Role; r.RoleId != RoleWorkspaceAdmin || r.RoleCode != "role_workspace_admin" {
		t.Fatalf("owner shows %+v", r)
	}
	// ...every role from ListWorkspaceUserRolesByUserId, RoleId as a string.
	raw := c.call("ListWorkspaceUserRolesByUserId", p("UserId", zs)).ok(t, nil).Result
	if !strings.Contains(string(raw), `"RoleId":"26"`) || !strings.Contains(string(raw), `"RoleId":"1001"`) {
		t.Fatalf("roles of zhangsan %s", raw)
	}
	var roles []struct {
		WorkspaceId string
		RoleModel   struct{ RoleId, RoleName, RoleCode string }
	}
	c.ok("ListWorkspaceUserRolesByUserId", p("UserId", zs), &roles)
	if len(roles) != 2 || roles[1].RoleModel.RoleCode != "" || roles[1].RoleModel.RoleName != "报表审核员" {
		t.Fatalf("custom role %+v", roles)
	}

	// Add one: an existing member is a failure.
	c.isTrue("AddUserToWorkspace", p("WorkspaceId", "ws-sales", "UserId", zl, "RoleId", "1001"))
	c.bad("AddUserToWorkspace", p("WorkspaceId", "ws-sales", "UserId", zl, "RoleId", "27"), CodeWorkspaceUserExists)
	c.bad("AddUserToWorkspace", p("WorkspaceId", "ws-finance", "UserId", ww, "RoleId", "1001"), CodeViewerCustomRole)
	c.bad("AddUserToWorkspace", p("WorkspaceId", "ws-finance", "UserId", ls, "RoleId", "26"), CodeAnalystRole)
	c.bad("AddUserToWorkspace", p("WorkspaceId", "ws-finance", "UserId", ls, "RoleId", "1002"), CodeAnalystRole)
	c.bad("AddUserToWorkspace", p("WorkspaceId", "ws-finance", "UserId", zl, "RoleId", "99"), CodeRoleTypeValid)
	c.bad("AddUserToWorkspace", p("WorkspaceId", "nope", "UserId", zl, "RoleId", "27"), CodeWorkspaceNotExist)
	c.bad("AddUserToWorkspace", p("WorkspaceId", "ws-finance", "UserId", "ffffffffffffffffffffffffffffffff", "RoleId", "27"), CodeUserNotInOrg)

	// Batch: partial success with FailureDetail.
	var b batchJSON
	e := c.call("AddWorkspaceUsers", p("WorkspaceId", "ws-sales", "UserIds", zs+","+c.uid("other:zhangsan")+",ffffffffffffffffffffffffffffffff", "RoleId", "27"))
	e.ok(t, &b)
	if b.Total != 3 || b.Success != 1 || b.Failure != 2 || b.FailureDetail[zs] != AlreadyExistsReason ||
		!strings.HasPrefix(b.FailureDetail["ffffffffffffffffffffffffffffffff"], CodeUserNotInOrg) {
		t.Fatalf("batch %+v", b)
	}
	// Nothing saved: Success false.
	c.call("AddWorkspaceUsers", p("WorkspaceId", "ws-sales", "UserIds", zs+","+ls, "RoleId", "30")).unsaved(t, &b)
	if b.Success != 0 || b.Failure != 2 || b.Total != 2 {
		t.Fatalf("result %+v", b)
	}
	// Batch calls take predefined roles only.
	c.bad("AddWorkspaceUsers", p("WorkspaceId", "ws-finance", "UserIds", zs, "RoleId", "1001"), CodeRoleTypeValid)
	c.bad("AddWorkspaceUsers", p("WorkspaceId", "ws-finance", "UserIds", strings.Join(uniqueFake(1001), ","), "RoleId", "27"), CodeInvalidParamError)
	c.call("AddWorkspaceUsers", p("WorkspaceId", "ws-finance", "UserIds", ls, "RoleId", "25")).unsaved(t, &b)
	if b.Success != 0 || !strings.HasPrefix(b.FailureDetail[ls], CodeAnalystRole) {
		t.Fatalf("analyst as admin: %+v", b)
	}

	// UpdateWorkspaceUserRole replaces, several roles allowed; RoleIds wins.
	c.isTrue("UpdateWorkspaceUserRole", p("WorkspaceId", "ws-sales", "UserId", zs, "RoleIds", "1001,27", "RoleId", "25"))
	if r := s.Snapshot().Workspace("销售分析").Member(zs).Roles; !reflect.DeepEqual(r, []int64{RoleWorkspaceAnalyst, 1001}) {
		t.Fatalf("roles %v", r)
	}
	c.isTrue("UpdateWorkspaceUserRole", p("WorkspaceId", "ws-sales", "UserId", zs, "RoleId", "25"))
	if r := s.Snapshot().Workspace("销售分析").Member(zs).Roles; !reflect.DeepEqual(r, []int64{RoleWorkspaceAdmin}) {
		t.Fatalf("roles %v", r)
	}
	c.bad("UpdateWorkspaceUserRole", p("WorkspaceId", "ws-sales", "UserId", zs), CodeParamEmpty)
	c.bad("UpdateWorkspaceUserRole", p("WorkspaceId", "ws-sales", "UserId", ww, "RoleIds", "30,1001"), CodeViewerCustomRole)
	c.bad("UpdateWorkspaceUserRole", p("WorkspaceId", "ws-finance", "UserId", ww, "RoleIds", "30"), CodeInvalidParamError)
	c.bad("UpdateWorkspaceUserRole", p("WorkspaceId", "ws-sales", "UserId", s.AdminUserID(), "RoleIds", "26"), CodeInvalidParamError)
	if r := s.Snapshot().Workspace("销售分析").Member(ww).Roles; !reflect.DeepEqual(r, []int64{RoleWorkspaceViewer}) {
		t.Fatalf("a refused update changed roles: %v", r)
	}
	c.call("UpdateWorkspaceUsersRole", p("WorkspaceId", "ws-sales", "UserIds", ww+","+zl+","+s.AdminUserID(), "RoleId", "27")).ok(t, &b)
	if b.Success != 2 || b.Failure != 1 || b.FailureDetail[s.AdminUserID()] == "" {
		t.Fatalf("UpdateWorkspaceUsersRole %+v", b)
	}
	if r := s.Snapshot().Workspace("销售分析").Member(zl).Roles; !reflect.DeepEqual(r, []int64{RoleWorkspaceAnalyst}) {
		t.Fatalf("roles %v", r)
	}

	// Removal: never the owner; false for a non-member.
	c.bad("DeleteUserFromWorkspace", p("WorkspaceId", "ws-sales", "UserId", s.AdminUserID()), CodeRemoveOwner)
	c.isTrue("DeleteUserFromWorkspace", p("WorkspaceId", "ws-sales", "UserId", ww))
	var removed bool
	c.ok("DeleteUserFromWorkspace", p("WorkspaceId", "ws-sales", "UserId", ww), &removed)
	if removed {
		t.Fatal("removing a non-member answered true")
	}
}

func TestWorkspaceRoles(t *testing.T) {
	_, c := newServer(t, baseSeed)
	zs := c.uid("ops:zhangsan")
	var roles []wsRoleConfigJSON
	c.ok("ListWorkspaceRoles", p("WorkspaceId", "ws-sales"), &roles)
	if len(roles) != 6 || roles[0].RoleId != 25 || roles[3].RoleId != 30 || roles[4].RoleId != 1001 || roles[4].IsSystemRole {
		t.Fatalf("roles %+v", roles)
	}
	var one wsRoleConfigJSON
	c.ok("QueryWorkspaceRoleConfig", p("RoleId", "1002"), &one)
	if one.RoleName != "数据工程师" || len(one.AuthConfigList) != 2 {
		t.Fatalf("%+v", one)
	}
	c.bad("QueryWorkspaceRoleConfig", p("RoleId", "31"), CodeRoleTypeValid)
	var info wsRoleJSON
	c.ok("QueryUserRoleInfoInWorkspace", p("WorkspaceId", "ws-sales", "UserId", zs), &info)
	if info.RoleId != 26 {
		t.Fatalf("%+v", info)
	}
	c.bad("QueryUserRoleInfoInWorkspace", p("WorkspaceId", "ws-finance", "UserId", zs), CodeInvalidParamError)
	var holders pagedOut[struct{ UserId, NickName, WorkspaceId, WorkspaceName string }]
	c.ok("ListWorkspaceRoleUsers", p("RoleId", "25"), &holders)
	if holders.TotalNum != 2 { // the admin owns both workspaces
		t.Fatalf("admins %+v", holders)
	}
	c.ok("ListWorkspaceRoleUsers", p("RoleId", "1001", "WorkspaceId", "ws-sales"), &holders)
	if holders.TotalNum != 1 || holders.Data[0].UserId != zs {
		t.Fatalf("custom holders %+v", holders)
	}
}
