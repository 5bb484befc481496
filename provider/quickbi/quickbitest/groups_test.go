package quickbitest

import (
	"reflect"
	"strings"
	"testing"
)

type groupItem struct {
	UserGroupId, UserGroupName, UserGroupDescription, ParentUserGroupId, IdentifiedPath string
	CreateTime, ModifiedTime, CreateUser, ModifyUser                                    string
}

func childIDs(t *testing.T, c *tc, parent string) []string {
	t.Helper()
	var items []groupItem
	c.ok("QueryUserGroupListByParentId", p("ParentUserGroupId", parent), &items)
	ids := []string{}
	for _, g := range items {
		if g.ParentUserGroupId != parent {
			t.Fatalf("child %s names parent %s, want %s", g.UserGroupId, g.ParentUserGroupId, parent)
		}
		ids = append(ids, g.UserGroupId)
	}
	return ids
}

func TestGroupTreeOneLevelPerCall(t *testing.T) {
	_, c := newServer(t, baseSeed)
	if got := childIDs(t, c, RootGroupID); !reflect.DeepEqual(got, []string{"hq", "finance"}) {
		t.Fatalf("top level %v", got)
	}
	if got := childIDs(t, c, "hq"); !reflect.DeepEqual(got, []string{"sales"}) {
		t.Fatalf("under hq %v (deeper groups must not appear)", got)
	}
	var items []groupItem
	c.ok("QueryUserGroupListByParentId", p("ParentUserGroupId", "sales"), &items)
	if len(items) != 1 || items[0].IdentifiedPath != "hq/sales/sales-north" || items[0].CreateTime != "2024-01-01 08:00:00" ||
		items[0].CreateUser != c.s.AdminUserID() {
		t.Fatalf("item %+v", items)
	}
	c.bad("QueryUserGroupListByParentId", p("ParentUserGroupId", "nope"), CodeGroupNotExist)
	if got := childIDs(t, c, "sales-north"); len(got) != 0 {
		t.Fatalf("leaf has children %v", got)
	}
}

func TestCreateUserGroup(t *testing.T) {
	s, c := newServer(t, baseSeed)
	var id string
	c.ok("CreateUserGroup", p("UserGroupName", "华东销售", "ParentUserGroupId", "sales", "UserGroupId", "sales-east",
		"UserGroupDescription", "华东(上海)"), &id)
	if id != "sales-east" {
		t.Fatalf("id %q", id)
	}
	c.ok("CreateUserGroup", p("UserGroupName", "临时组", "ParentUserGroupId", "-1"), &id)
	if len(id) != 36 || s.Snapshot().Group(id) == nil {
		t.Fatalf("server-chosen id %q", id)
	}
	g := s.Snapshot().Group("sales-east")
	if g.Parent != "sales" || g.Description != "华东(上海)" || len(g.Members) != 0 {
		t.Fatalf("group %+v", g)
	}
	c.bad("CreateUserGroup", p("UserGroupName", "另一个", "ParentUserGroupId", "-1", "UserGroupId", "sales-east"), CodeDuplicateGroupID)
	c.bad("CreateUserGroup", p("UserGroupName", "另一个", "ParentUserGroupId", "-1", "UserGroupId", "-1"), CodeInvalidParamError)
	c.bad("CreateUserGroup", p("UserGroupName", "另一个", "ParentUserGroupId", "-1", "UserGroupId", strings.Repeat("a", 65)), CodeInvalidParamError)
	c.ok("CreateUserGroup", p("UserGroupName", "另一个", "ParentUserGroupId", "-1", "UserGroupId", strings.Repeat("a", 64)), nil)
	c.bad("CreateUserGroup", p("UserGroupName", "又一个", "ParentUserGroupId", "-1", "UserGroupId", "a b"), CodeInvalidParamError)
	// Names are unique in the whole organization, not only among siblings.
	c.bad("CreateUserGroup", p("UserGroupName", "华北销售", "ParentUserGroupId", "-1"), CodeDuplicateGroupName)
	c.bad("CreateUserGroup", p("UserGroupName", "新组", "ParentUserGroupId", "nope"), CodeGroupParentMissing)
	c.bad("CreateUserGroup", p("UserGroupName", "新 组", "ParentUserGroupId", "-1"), CodeInvalidParamError)
	c.bad("CreateUserGroup", p("UserGroupName", strings.Repeat("组", 256), "ParentUserGroupId", "-1"), CodeLengthExceed)
	c.bad("CreateUserGroup", p("UserGroupName", "新组", "ParentUserGroupId", "-1", "UserGroupDescription", "a,b"), CodeInvalidParamError)
	c.bad("CreateUserGroup", p("ParentUserGroupId", "-1"), "MissingUserGroupName")
	c.bad("CreateUserGroup", p("UserGroupName", "新组"), "MissingParentUserGroupId")
}

func TestUpdateAndDeleteUserGroup(t *testing.T) {
	s, c := newServer(t, baseSeed)
	c.isTrue("UpdateUserGroup", p("UserGroupId", "sales", "UserGroupName", "销售中心"))
	if g := s.Snapshot().Group("sales"); g.Name != "销售中心" || g.Description != "销售" || g.Parent != "hq" {
		t.Fatalf("group %+v", g)
	}
	c.isTrue("UpdateUserGroup", p("UserGroupId", "sales", "UserGroupDescription", ""))
	if g := s.Snapshot().Group("sales"); g.Description != "" {
		t.Fatalf("description not cleared: %+v", g)
	}
	c.bad("UpdateUserGroup", p("UserGroupId", "sales", "UserGroupName", "财务部"), CodeDuplicateGroupName)
	c.bad("UpdateUserGroup", p("UserGroupId", "nope", "UserGroupName", "x"), CodeGroupNotExist)
	// Bottom-up only.
	c.bad("DeleteUserGroup", p("UserGroupId", "-1"), CodeGroupRemoveRoot)
	c.bad("DeleteUserGroup", p("UserGroupId", "hq"), CodeGroupHasChildren)
	c.bad("DeleteUserGroup", p("UserGroupId", "sales"), CodeGroupHasChildren)
	c.isTrue("DeleteUserGroup", p("UserGroupId", "sales-north"))
	c.isTrue("DeleteUserGroup", p("UserGroupId", "sales")) // has users, no child groups
	c.isTrue("DeleteUserGroup", p("UserGroupId", "hq"))
	c.bad("DeleteUserGroup", p("UserGroupId", "hq"), CodeGroupNotExist)
	if got := childIDs(t, c, RootGroupID); !reflect.DeepEqual(got, []string{"finance"}) {
		t.Fatalf("left %v", got)
	}
	// A deleted id may be chosen again.
	c.ok("CreateUserGroup", p("UserGroupName", "总部", "ParentUserGroupId", "-1", "UserGroupId", "hq"), nil)
}

type memberItem struct {
	Id, Name                               string
	IsUserGroup                            bool
	ParentUserGroupId, ParentUserGroupName string
}

func TestGroupMembership(t *testing.T) {
	s, c := newServer(t, baseSeed)
	zs, ls, ww, zl := c.uid("ops:zhangsan"), c.uid("ops:lisi"), c.uid("ops:wangwu"), c.uid("ops:zhaoliu")
	var items []memberItem
	c.ok("QueryUserGroupMember", p("UserGroupId", "sales"), &items)
	want := []memberItem{
		{Id: "sales-north", Name: "华北销售", IsUserGroup: true, ParentUserGroupId: "sales", ParentUserGroupName: "销售部"},
		{Id: zs, Name: "张三", ParentUserGroupId: "sales", ParentUserGroupName: "销售部"},
		{Id: ls, Name: "李四", ParentUserGroupId: "sales", ParentUserGroupName: "销售部"},
	}
	if !reflect.DeepEqual(items, want) {
		t.Fatalf("members %+v", items)
	}
	c.ok("QueryUserGroupMember", p("UserGroupId", "hq"), &items)
	if len(items) != 1 || !items[0].IsUserGroup {
		t.Fatalf("members of deeper groups listed: %+v", items)
	}
	c.ok("QueryUserGroupMember", p("UserGroupId", "sales", "Keyword", "李"), &items)
	if len(items) != 1 || items[0].Id != ls {
		t.Fatalf("keyword %+v", items)
	}
	// Additive per call.
	c.isTrue("AddUserGroupMember", p("UserGroupId", "sales", "UserIdList", ww+","+zs))
	if m := s.Snapshot().Group("sales").Members; !reflect.DeepEqual(m, sortedUnique([]string{zs, ls, ww})) {
		t.Fatalf("members %v", m)
	}
	// All or nothing.
	c.bad("AddUserGroupMember", p("UserGroupId", "sales", "UserIdList", zl+",ffffffffffffffffffffffffffffffff"), CodeInvalidUser)
	if containsString(s.Snapshot().Group("sales").Members, zl) {
		t.Fatal("a refused AddUserGroupMember added a user")
	}
	c.bad("AddUserGroupMember", p("UserGroupId", "nope", "UserIdList", zl), CodeGroupNotExist)
	c.bad("AddUserGroupMember", p("UserGroupId", "-1", "UserIdList", zl), CodeGroupNotExist)
	// At most 1000 users a call.
	c.bad("AddUserGroupMember", p("UserGroupId", "sales", "UserIdList", strings.Join(uniqueFake(1001), ",")), CodeInvalidParamError)
	// One user into several groups.
	c.isTrue("AddUserGroupMembers", p("UserId", zl, "UserGroupIds", "hq,finance"))
	c.bad("AddUserGroupMembers", p("UserId", ww, "UserGroupIds", "hq,nope"), CodeGroupNotExist)
	c.bad("AddUserGroupMembers", p("UserId", "ffffffffffffffffffffffffffffffff", "UserGroupIds", "hq"), CodeUserNotInOrg)
	var mine []usergroupJSON
	c.ok("ListUserGroupsByUserId", p("UserId", zl), &mine)
	if len(mine) != 2 || mine[0].UsergroupId != "hq" || mine[1].UsergroupId != "finance" || mine[0].ParentUsergroupId != "-1" {
		t.Fatalf("groups of zhaoliu %+v", mine)
	}
	if strings.Contains(c.call("ListUserGroupsByUserId", p("UserId", zl)).Raw, "UserGroupId") {
		t.Fatal("ListUserGroupsByUserId spells UserGroupId, want UsergroupId")
	}
	// Removal per user; Result false when nothing changed.
	c.isTrue("DeleteUserGroupMember", p("UserGroupId", "hq", "UserId", zl))
	var changed bool
	c.ok("DeleteUserGroupMember", p("UserGroupId", "hq", "UserId", zl), &changed)
	if changed {
		t.Fatal("removing a non-member answered true")
	}
	c.isTrue("DeleteUserGroupMembers", p("UserId", zs, "UserGroupIds", "sales,sales-north,finance"))
	c.ok("DeleteUserGroupMembers", p("UserId", zs, "UserGroupIds", "sales"), &changed)
	if changed {
		t.Fatal("removing a non-member answered true")
	}
	c.isTrue("WithdrawAllUserGroups", p("UserId", zl))
	c.ok("ListUserGroupsByUserId", p("UserId", zl), &mine)
	if len(mine) != 0 {
		t.Fatalf("after WithdrawAllUserGroups: %+v", mine)
	}
}

func uniqueFake(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strings.Repeat("0", 28) + sprintf("%04d", i)
	}
	return out
}

func TestGroupSearches(t *testing.T) {
	_, c := newServer(t, baseSeed)
	var found []usergroupJSON
	c.ok("GetUserGroupInfo", p("Keyword", "销售"), &found)
	if len(found) != 2 || found[0].UsergroupId != "sales" || found[1].IdentifiedPath != "hq/sales/sales-north" {
		t.Fatalf("GetUserGroupInfo %+v", found)
	}
	var byID struct {
		UserGroupModels    []usergroupJSON
		FailedUserGroupIds []string
	}
	c.ok("ListByUserGroupId", p("UserGroupIds", "finance,nope,hq"), &byID)
	if len(byID.UserGroupModels) != 2 || byID.UserGroupModels[0].UsergroupId != "finance" ||
		!reflect.DeepEqual(byID.FailedUserGroupIds, []string{"nope"}) {
		t.Fatalf("ListByUserGroupId %+v", byID)
	}
}
