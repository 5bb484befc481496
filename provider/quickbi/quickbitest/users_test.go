package quickbitest

import (
	"reflect"
	"strings"
	"testing"
)

func addUser(t *testing.T, c *tc, nick, userType, account string, more ...string) string {
	t.Helper()
	params := p(append([]string{"NickName", nick, "UserType", userType, "AccountName", account}, more...)...)
	var out struct{ UserId string }
	c.ok("AddUser", params, &out)
	return out.UserId
}

func TestAddUser(t *testing.T) {
	s, c := newServer(t, baseSeed)
	var out map[string]any
	c.ok("AddUser", p("NickName", "小明_(1)", "UserType", "3", "AccountName", "master_test@aliyun.com:xiaoming",
		"AccountId", "191476000099999", "RoleIds", "111111113,456,457", "CopilotModules", "qreport,smartQAskNum"), &out)
	id, _ := out["UserId"].(string)
	if !hex32.MatchString(id) {
		t.Fatalf("UserId %q is not 32 hex", id)
	}
	if out["AccountName"] != "master_test:xiaoming" || out["UserType"] != float64(3) || out["AdminUser"] != false {
		t.Fatalf("answer %v", out)
	}
	u := s.Snapshot().UserByID(id)
	if u.AccountName != "master_test:xiaoming" || !reflect.DeepEqual(u.Roles, []int64{456, 457, RoleOrgRegularUse}) ||
		!reflect.DeepEqual(u.CopilotModules, []string{"qreport", "smartQAskNum"}) || u.Inactive {
		t.Fatalf("member %+v", u)
	}
	// Defaults: a regular user; the deprecated AdminUser when RoleIds is absent.
	a := addUser(t, c, "甲", "1", "ops:jia")
	b := addUser(t, c, "乙", "1", "ops:yi", "AdminUser", "true", "AuthAdminUser", "true")
	if r := s.Snapshot().UserByID(a).Roles; !reflect.DeepEqual(r, []int64{RoleOrgRegularUse}) {
		t.Errorf("default roles %v", r)
	}
	if r := s.Snapshot().UserByID(b).Roles; !reflect.DeepEqual(r, []int64{RoleOrgAdmin, RoleOrgPermAdmin}) {
		t.Errorf("AdminUser roles %v", r)
	}
	// RoleIds wins over AdminUser.
	cc := addUser(t, c, "丙", "1", "ops:bing", "AdminUser", "true", "RoleIds", "111111113")
	if r := s.Snapshot().UserByID(cc).Roles; !reflect.DeepEqual(r, []int64{RoleOrgRegularUse}) {
		t.Errorf("RoleIds with AdminUser: %v", r)
	}
	// The server chooses a new id each time.
	if a == b || a == cc || len(map[string]bool{a: true, b: true, cc: true, id: true}) != 4 {
		t.Error("UserIds repeat")
	}
}

func TestAddUserTraps(t *testing.T) {
	_, c := newServer(t, baseSeed)
	// Nicknames are unique in the organization, whatever the account.
	c.bad("AddUser", p("NickName", "张三", "UserType", "1", "AccountName", "new:zhangsan"), CodeNickNameTaken)
	// Not an upsert: the same account again is refused.
	c.bad("AddUser", p("NickName", "张三二", "UserType", "1", "AccountName", "ops:zhangsan"), CodeInvalidParamError)
	c.bad("AddUser", p("NickName", "张三二", "UserType", "1", "AccountId", "191476000023001"), CodeInvalidParamError)
	c.bad("AddUser", p("NickName", "张三二", "UserType", "1", "AccountName", "ops@x.com:zhangsan"), CodeInvalidParamError)
	// An account is needed.
	c.bad("AddUser", p("NickName", "无名", "UserType", "1"), CodeParamEmpty)
	// NickName: length and characters.
	c.bad("AddUser", p("NickName", strings.Repeat("长", 51), "UserType", "1", "AccountName", "ops:a1"), CodeLengthExceed)
	c.bad("AddUser", p("NickName", "张 三", "UserType", "1", "AccountName", "ops:a1"), CodeInvalidParamError)
	c.bad("AddUser", p("NickName", "a-b", "UserType", "1", "AccountName", "ops:a1"), CodeInvalidParamError)
	c.ok("AddUser", p("NickName", strings.Repeat("长", 50), "UserType", "1", "AccountName", "ops:a1"), nil)
	// AccountId is digits.
	c.bad("AddUser", p("NickName", "某人", "UserType", "1", "AccountId", "19147xxxx"), CodeInvalidParamError)
	// Roles: ≤3, known, no repeats.
	c.bad("AddUser", p("NickName", "某人", "UserType", "1", "AccountName", "ops:a2", "RoleIds", "111111113,456,457,458"), CodeInvalidParamError)
	c.bad("AddUser", p("NickName", "某人", "UserType", "1", "AccountName", "ops:a2", "RoleIds", "999"), CodeInvalidParamError)
	c.bad("AddUser", p("NickName", "某人", "UserType", "1", "AccountName", "ops:a2", "RoleIds", "456,456"), CodeInvalidParamError)
	c.bad("AddUser", p("NickName", "某人", "UserType", "1", "AccountName", "ops:a2", "CopilotModules", "qchat"), CodeInvalidParamError)
}

func TestSeatQuotas(t *testing.T) {
	for _, tt := range []struct {
		typ, code string
		seats     Seats
	}{
		{"1", CodeDevelopersFull, Seats{Developers: 4}}, // ops, zhangsan, zhaoliu, other:zhangsan
		{"2", CodeViewersFull, Seats{Viewers: 1}},
		{"3", CodeAnalystsFull, Seats{Analysts: 1}},
	} {
		t.Run(tt.code, func(t *testing.T) {
			seats := tt.seats
			_, c := newServer(t, baseSeed, func(o *Options) { o.Seats = &seats })
			c.bad("AddUser", p("NickName", "新人", "UserType", tt.typ, "AccountName", "ops:new"), tt.code)
			// Another type still has room; changing type needs a seat too.
			other := map[string]string{"1": "3", "2": "1", "3": "1"}[tt.typ]
			id := addUser(t, c, "新人", other, "ops:new")
			c.bad("UpdateUser", p("UserId", id, "UserType", tt.typ), tt.code)
			// Deleting a member of the full type frees a seat; inactive members keep theirs.
			var victim string
			for _, u := range c.s.Snapshot().Users {
				if strings.HasPrefix(u.AccountName, "ops:") && u.AccountName != "ops:zhangsan" && itoa(u.UserType) == tt.typ {
					victim = u.UserID
				}
			}
			if victim == "" {
				victim = c.uid("other:zhangsan")
			}
			c.isTrue("UpdateUser", p("UserId", victim, "IsDeleted", "true"))
			c.bad("AddUser", p("NickName", "又一个", "UserType", tt.typ, "AccountName", "ops:again"), tt.code)
			c.isTrue("DeleteUser", p("UserId", victim))
			c.ok("AddUser", p("NickName", "又一个", "UserType", tt.typ, "AccountName", "ops:again"), nil)
		})
	}
}

func itoa(i int) string { return string(rune('0' + i)) }

func TestUpdateUser(t *testing.T) {
	s, c := newServer(t, baseSeed)
	zs, ls := c.uid("ops:zhangsan"), c.uid("ops:lisi")
	c.isTrue("UpdateUser", p("UserId", zs, "NickName", "张三三"))
	u := s.Snapshot().UserByID(zs)
	if u.NickName != "张三三" || u.UserType != UserTypeDeveloper || !reflect.DeepEqual(u.Roles, []int64{RoleOrgRegularUse}) {
		t.Fatalf("only the nickname should change: %+v", u)
	}
	c.bad("UpdateUser", p("UserId", ls, "NickName", "张三三"), CodeNickNameTaken)
	c.isTrue("UpdateUser", p("UserId", zs, "NickName", "张三三")) // its own nickname
	// RoleIds replaces the set.
	c.isTrue("UpdateUser", p("UserId", zs, "RoleIds", "456,111111112"))
	if r := s.Snapshot().UserByID(zs).Roles; !reflect.DeepEqual(r, []int64{456, RoleOrgPermAdmin}) {
		t.Fatalf("roles %v", r)
	}
	// With RoleIds, AdminUser is ignored.
	c.isTrue("UpdateUser", p("UserId", zs, "RoleIds", "457", "AdminUser", "true"))
	if r := s.Snapshot().UserByID(zs).Roles; !reflect.DeepEqual(r, []int64{457}) {
		t.Fatalf("roles %v", r)
	}
	c.bad("UpdateUser", p("UserId", zs, "RoleIds", "456,457,458,111111113"), CodeInvalidParamError)
	// Inactive, then active again.
	c.isTrue("UpdateUser", p("UserId", zs, "IsDeleted", "true"))
	if !s.Snapshot().UserByID(zs).Inactive {
		t.Fatal("IsDeleted=true did not make the member inactive")
	}
	var list pagedOut[userJSON]
	c.ok("QueryUserList", p("Keyword", "张三三"), &list)
	if len(list.Data) != 1 || !list.Data[0].IsDeleted {
		t.Fatalf("QueryUserList %+v", list.Data)
	}
	c.isTrue("UpdateUser", p("UserId", zs, "IsDeleted", "false"))
	// CopilotModules is JSON here.
	c.isTrue("UpdateUser", p("UserId", zs, "CopilotModules", `[{"moduleType":"qreport","status":1},{"moduleType":"smartQDevNum","status":1}]`))
	c.isTrue("UpdateUser", p("UserId", zs, "CopilotModules", `[{"moduleType":"smartQDevNum","status":0}]`))
	if m := s.Snapshot().UserByID(zs).CopilotModules; !reflect.DeepEqual(m, []string{"qreport"}) {
		t.Fatalf("copilot %v", m)
	}
	c.bad("UpdateUser", p("UserId", zs, "CopilotModules", `[{"moduleType":"qreport","status":1,"x":1}]`), CodeInvalidParamError)
	c.bad("UpdateUser", p("UserId", zs, "CopilotModules", `qreport`), CodeInvalidParamError)
	// Type change: a viewer cannot keep a custom workspace role; an analyst
	// cannot keep the developer role.
	c.bad("UpdateUser", p("UserId", zs, "UserType", "2"), CodeViewerCustomRole)
	c.bad("UpdateUser", p("UserId", zs, "UserType", "3"), CodeAnalystRole)
	// The admin the access key belongs to is protected.
	admin := s.AdminUserID()
	c.bad("UpdateUser", p("UserId", admin, "RoleIds", "111111113"), CodeInvalidParamError)
	c.bad("UpdateUser", p("UserId", admin, "IsDeleted", "true"), CodeInvalidParamError)
	c.bad("UpdateUser", p("UserId", admin, "UserType", "3"), CodeInvalidParamError)
	c.bad("UpdateUser", p("UserId", "ffffffffffffffffffffffffffffffff"), CodeUserNotInOrg)
}

func TestDeleteUser(t *testing.T) {
	s, c := newServer(t, baseSeed)
	zs, ls, ww, zl := c.uid("ops:zhangsan"), c.uid("ops:lisi"), c.uid("ops:wangwu"), c.uid("ops:zhaoliu")
	// zhangsan owns works in 销售分析: the heir cannot be a viewer or
	// hold less workspace permission; the admin cannot be deleted.
	c.bad("DeleteUser", p("UserId", zs, "TransferUserId", ww), CodeInvalidParamError)
	c.bad("DeleteUser", p("UserId", zs, "TransferUserId", zs), CodeInvalidParamError)
	c.bad("DeleteUser", p("UserId", zs, "TransferUserId", ls), CodeInvalidParamError) // analyst < developer
	c.bad("DeleteUser", p("UserId", s.AdminUserID()), CodeInvalidParamError)
	c.bad("DeleteUser", p("UserId", zs, "TransferUserId", "ffffffffffffffffffffffffffffffff"), CodeUserNotInOrg)
	if s.Snapshot().UserByID(zs) == nil {
		t.Fatal("a refused DeleteUser removed the user")
	}
	// zhaoliu is not in the workspace: he joins it with zhangsan's roles
	// and receives the works.
	c.isTrue("DeleteUser", p("UserId", zs, "TransferUserId", zl))
	st := s.Snapshot()
	if st.UserByID(zs) != nil {
		t.Fatal("the user is still a member")
	}
	ws := st.Workspace("销售分析")
	if m := ws.Member(zl); m == nil || !reflect.DeepEqual(m.Roles, []int64{RoleWorkspaceDeveloper, 1001}) {
		t.Fatalf("heir's membership %+v", m)
	}
	for _, k := range ws.Works {
		if k.ID == "works-board" && k.Owner != zl {
			t.Fatalf("work owner %s, want the heir", k.Owner)
		}
	}
	if ws.Member(zs) != nil || containsString(st.Group("sales").Members, zs) {
		t.Fatal("the user is still in a workspace or a group")
	}
	// Rules and whitelists keep the id (the reference does not say they are cleaned).
	if d := ws.Dataset("订单"); !containsString(d.Row.WhiteUsers, zs) {
		t.Fatal("the whitelist lost the deleted user's id")
	}
	// Without a heir the works go to the workspace's owner.
	c.isTrue("DeleteUser", p("UserId", zl))
	for _, k := range s.Snapshot().Workspace("销售分析").Works {
		if k.ID == "works-board" && k.Owner != s.AdminUserID() {
			t.Fatalf("work owner %s, want the workspace owner", k.Owner)
		}
	}
	c.bad("DeleteUser", p("UserId", zl), CodeUserNotInOrg)
}

func TestDeleteWorkspaceOwner(t *testing.T) {
	s, c := newServer(t, baseSeed+`
  - name: 张三的空间
    owner: "ops:zhangsan"
`)
	zs, zl := c.uid("ops:zhangsan"), c.uid("ops:zhaoliu")
	c.bad("DeleteUser", p("UserId", zs), CodeRemoveOwner)
	c.isTrue("DeleteUser", p("UserId", zs, "TransferUserId", zl))
	ws := s.Snapshot().Workspace("张三的空间")
	if ws.Owner != zl || !reflect.DeepEqual(ws.Member(zl).Roles, []int64{RoleWorkspaceAdmin}) {
		t.Fatalf("workspace %+v", ws)
	}
}

func TestQueryUsers(t *testing.T) {
	_, c := newServer(t, baseSeed)
	var list pagedOut[userJSON]
	c.ok("QueryUserList", p("Keyword", "zhangsan"), &list)
	if list.TotalNum != 2 {
		t.Fatalf("keyword on account: %+v", list)
	}
	c.ok("QueryUserList", p("Keyword", "张三"), &list)
	if list.TotalNum != 2 {
		t.Fatalf("keyword on nickname: %+v", list)
	}
	c.ok("QueryUserList", nil, &list)
	if list.Data[0].AccountName != "ops" || list.Data[1].AccountName != "ops:zhangsan" {
		t.Fatalf("order is not join order: %v, %v", list.Data[0].AccountName, list.Data[1].AccountName)
	}
	if !list.Data[0].AdminUser || !reflect.DeepEqual(list.Data[0].RoleIdList, []int64{RoleOrgAdmin}) {
		t.Fatalf("admin %+v", list.Data[0])
	}
	var info userInfoJSON
	for _, acct := range []string{"191476000023001", "ops:zhangsan"} {
		c.ok("QueryUserInfoByAccount", p("Account", acct), &info)
		if info.AccountName != "ops:zhangsan" || info.Email != "zs@example.com" || info.Phone != "13800000000" {
			t.Fatalf("%s: %+v", acct, info)
		}
	}
	// A RAM user's own name is ambiguous between two primary accounts.
	c.bad("QueryUserInfoByAccount", p("Account", "zhangsan"), CodeInvalidParamError)
	c.ok("QueryUserInfoByAccount", p("Account", "zhangsan", "ParentAccountName", "other"), &info)
	if info.NickName != "张三丰" {
		t.Fatalf("ParentAccountName: %+v", info)
	}
	c.ok("QueryUserInfoByAccount", p("Account", "lisi"), &info)
	if info.NickName != "李四" {
		t.Fatalf("RAM user name: %+v", info)
	}
	// The part before the @ is the name; the whole login is not.
	c.bad("QueryUserInfoByAccount", p("Account", "lisi@ops.onaliyun.com"), CodeUserNotInOrg)
	c.ok("QueryUserInfoByAccount", p("Account", "ops"), &info)
	c.bad("QueryUserInfoByAccount", p("Account", "nobody"), CodeUserNotInOrg)
	c.ok("QueryUserInfoByUserId", p("UserId", c.uid("ops:lisi")), &info)
	if info.AccountId != "191476000023002" || info.UserType != UserTypeAnalyst {
		t.Fatalf("by id %+v", info)
	}
	var member bool
	c.ok("CheckOrganizationMember", p("UserId", c.uid("ops:lisi")), &member)
	if !member {
		t.Fatal("CheckOrganizationMember false for a member")
	}
	c.ok("CheckOrganizationMember", p("UserId", "ffffffffffffffffffffffffffffffff"), &member)
	if member {
		t.Fatal("CheckOrganizationMember true for a stranger")
	}
}

func TestOrganizationRoles(t *testing.T) {
	_, c := newServer(t, baseSeed)
	var roles []roleJSON
	c.ok("ListOrganizationRoles", nil, &roles)
	if len(roles) != 6 || roles[0].RoleId != RoleOrgAdmin || !roles[0].IsSystemRole || roles[3].RoleId != 456 ||
		roles[3].IsSystemRole || len(roles[3].AuthConfigList) != 1 || roles[3].AuthConfigList[0].AuthKey != "quick_monitor" {
		t.Fatalf("roles %+v", roles)
	}
	var one roleJSON
	c.ok("QueryOrganizationRoleConfig", p("RoleId", "456"), &one)
	if one.RoleName != "数据管理员" {
		t.Fatalf("%+v", one)
	}
	c.bad("QueryOrganizationRoleConfig", p("RoleId", "999"), CodeInvalidParamError)
	var holders pagedOut[struct{ UserId, NickName string }]
	c.ok("ListOrganizationRoleUsers", p("RoleId", "456"), &holders)
	if holders.TotalNum != 1 || holders.Data[0].NickName != "赵六" {
		t.Fatalf("holders %+v", holders)
	}
	c.ok("ListOrganizationRoleUsers", p("RoleId", "111111113", "Keyword", "张"), &holders)
	if holders.TotalNum != 2 {
		t.Fatalf("regular users named 张: %+v", holders)
	}
}
