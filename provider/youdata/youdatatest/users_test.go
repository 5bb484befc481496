package youdatatest

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
)

func TestBatchImportAppliesToEveryUser(t *testing.T) {
	s := newServer(t, baseSeed)
	st := s.Snapshot()
	p := st.ProjectByName("销售分析")
	g := p.GroupByName("华北组")
	post(t, s, "user/batchImport", map[string]any{
		"projectId":           p.ID,
		"groupIds":            []int64{g.ID},
		"roleNames":           []string{"阅览"},
		"rolePaths":           [][]string{{"通用", "编辑"}},
		"permissionRolePaths": [][]string{{"区域", "华北数据"}},
		"systemRoleIds":       []int64{2},
		"users": []map[string]any{
			{"uniqueId": "bob", "nick": "Bobby"},
			{"uniqueId": "carol"},
			{"uniqueId": "erin", "email": "erin@example.com", "phone": 13800000000},
		},
	}).ok(t, nil)

	st = s.Snapshot()
	p = st.Projects[p.ID]
	for _, uid := range []string{"bob", "carol", "erin"} {
		m := p.Members[uid]
		if m == nil || !reflect.DeepEqual(m.SystemRoles, []int64{2}) {
			t.Errorf("%s: member %+v, want editor only", uid, m)
		}
		if got := p.Groups[g.ID].Members; !slices.Contains(got, uid) {
			t.Errorf("%s not in group: %v", uid, got)
		}
		for _, r := range []*Role{p.FindRole("", "阅览"), p.FindRole("通用", "编辑"), p.FindRole("区域", "华北数据")} {
			if _, ok := r.Users[uid]; !ok {
				t.Errorf("%s not bound to %s", uid, r.Name)
			}
		}
	}
	if u := st.Users["bob"]; *u.Nick != "Bobby" || *u.Email != "bob@example.com" {
		t.Errorf("bob: nick %q email %q: upsert must change given fields only", *u.Nick, *u.Email)
	}
	if u := st.Users["erin"]; u == nil || *u.Phone != "13800000000" {
		t.Errorf("erin not created with her phone: %+v", u)
	}

	// A user joining without systemRoleIds is a viewer; a later call adds.
	post(t, s, "user/batchImport", map[string]any{"projectId": p.ID,
		"users": []map[string]any{{"uniqueId": "dave"}}}).ok(t, nil)
	post(t, s, "user/batchImport", map[string]any{"projectId": p.ID, "systemRoleIds": []int64{1},
		"users": []map[string]any{{"uniqueId": "dave"}}}).ok(t, nil)
	if got := s.Snapshot().Projects[p.ID].Members["dave"].SystemRoles; !reflect.DeepEqual(got, []int64{1, 3}) {
		t.Errorf("dave: system roles %v, want [1 3]", got)
	}

	// del* unbind, wholeCustomSystemRoleIds replaces custom roles only.
	custom := st.SystemRoleByName("审计员").ID
	post(t, s, "user/batchImport", map[string]any{"projectId": p.ID,
		"delRoleNames": []string{"阅览"}, "wholeCustomSystemRoleIds": []int64{custom},
		"users": []map[string]any{{"uniqueId": "bob"}}}).ok(t, nil)
	p = s.Snapshot().Projects[p.ID]
	if _, ok := p.FindRole("", "阅览").Users["bob"]; ok {
		t.Error("delRoleNames kept bob")
	}
	if _, ok := p.FindRole("", "阅览").Users["carol"]; !ok {
		t.Error("delRoleNames for bob unbound carol")
	}
	if got := p.Members["bob"].SystemRoles; !reflect.DeepEqual(got, []int64{2, custom}) {
		t.Errorf("bob: system roles %v", got)
	}
	post(t, s, "user/batchImport", map[string]any{"projectId": p.ID, "wholeCustomSystemRoleIds": []int64{},
		"users": []map[string]any{{"uniqueId": "bob"}}}).ok(t, nil)
	if got := s.Snapshot().Projects[p.ID].Members["bob"].SystemRoles; !reflect.DeepEqual(got, []int64{2}) {
		t.Errorf("bob after wholeCustomSystemRoleIds []: %v", got)
	}
}

func TestBatchImportErrors(t *testing.T) {
	s := newServer(t, baseSeed)
	pid := projectID(t, s, "销售分析")
	users := []map[string]any{{"uniqueId": "zed"}}
	cases := []struct {
		body map[string]any
		code int
		msg  string
	}{
		{map[string]any{"groupIds": []int64{1}, "users": users}, CodeBadRequest, "projectId"},
		{map[string]any{"projectId": 999, "users": users}, CodeNotFound, MsgNoProject},
		{map[string]any{"projectId": pid, "groupIds": []int64{42}, "users": users}, CodeNotFound, MsgNoGroup},
		{map[string]any{"projectId": pid, "roleNames": []string{"编辑"}, "users": users}, CodeNotFound, MsgNoRole}, // not at the root
		{map[string]any{"projectId": pid, "systemRoleIds": []int64{77}, "users": users}, CodeNotFound, MsgNoSystemRole},
		{map[string]any{"users": []map[string]any{{"uniqueId": "zed", "attrs": []map[string]any{{"attrName": "nope", "attrValue": []string{}}}}}}, CodeNotFound, "属性"},
		{map[string]any{"users": []map[string]any{{"uniqueId": "zed", "nickname": "typo"}}}, CodeBadRequest, "nickname"},
		{map[string]any{"users": []map[string]any{}}, CodeBadRequest, "users"},
	}
	for i, c := range cases {
		post(t, s, "user/batchImport", c.body).fails(t, c.code, c.msg)
		if s.Snapshot().Users["zed"] != nil {
			t.Fatalf("case %d: a failed call created the user", i)
		}
	}
}

func TestBatchImportUserOrgsReplace(t *testing.T) {
	s := newServer(t, baseSeed)
	imp := func(orgs ...string) env {
		var uo []map[string]any
		for _, o := range orgs {
			uo = append(uo, map[string]any{"orgCode": o, "orgRole": "normal"})
		}
		if uo == nil {
			uo = []map[string]any{}
		}
		return post(t, s, "user/batchImport", map[string]any{"returnOrgFailedUsers": true,
			"users": []map[string]any{{"uniqueId": "alice", "userOrgs": uo}}})
	}
	orgs := func() []UserOrg { return s.Snapshot().Users["alice"].Orgs }
	var failed []map[string]string
	imp("HQ").ok(t, &failed)
	imp("SALES", "FIN").ok(t, &failed)
	if len(failed) != 0 || !reflect.DeepEqual(orgs(), []UserOrg{{"FIN", "normal"}, {"SALES", "normal"}}) {
		t.Fatalf("after replace: %v (failed %v)", orgs(), failed)
	}
	post(t, s, "user/batchImport", map[string]any{"users": []map[string]any{{"uniqueId": "alice",
		"userOrgs": []map[string]any{{"orgCode": "HQ", "orgRole": "leader"}}}}}).ok(t, nil)
	if !reflect.DeepEqual(orgs(), []UserOrg{{"HQ", "leader"}}) {
		t.Fatalf("after leader: %v", orgs())
	}
	// Without userOrgs the departments stay.
	post(t, s, "user/batchImport", map[string]any{"users": []map[string]any{{"uniqueId": "alice", "nick": "A"}}}).ok(t, nil)
	if len(orgs()) != 1 {
		t.Fatalf("batchImport without userOrgs changed departments: %v", orgs())
	}
	// An unknown code: reported with returnOrgFailedUsers, departments kept.
	imp("FIN", "GONE").ok(t, &failed)
	if len(failed) != 1 || failed[0]["uniqueId"] != "alice" || failed[0]["message"] != "GONE dosen't exist!" {
		t.Fatalf("failed users = %v", failed)
	}
	if !reflect.DeepEqual(orgs(), []UserOrg{{"HQ", "leader"}}) {
		t.Fatalf("failed userOrgs changed departments: %v", orgs())
	}
	// Without returnOrgFailedUsers the failure is silent.
	var result string
	post(t, s, "user/batchImport", map[string]any{"users": []map[string]any{{"uniqueId": "alice",
		"userOrgs": []map[string]any{{"orgCode": "GONE"}}}}}).ok(t, &result)
	if result != "ok" {
		t.Fatalf("result %q", result)
	}
	imp().ok(t, &failed)
	if o := orgs(); o == nil || len(o) != 0 {
		t.Fatalf("userOrgs [] left %v", o)
	}
}

func TestUserAttrs(t *testing.T) {
	s := newServer(t, baseSeed)
	post(t, s, "userAttr/update", map[string]any{"uniqueId": "alice",
		"attrs": []map[string]any{{"attrId": 1, "attrValue": []string{"华北", "东北"}}}}).ok(t, nil)
	if got := s.Snapshot().Users["alice"].Attrs["region"]; !reflect.DeepEqual(got, []string{"华北", "东北"}) {
		t.Fatalf("attrs = %v", got)
	}
	post(t, s, "user/batchImport", map[string]any{"users": []map[string]any{{"uniqueId": "alice",
		"attrs": []map[string]any{{"attrName": "region", "attrValue": []string{}}}}}}).ok(t, nil)
	if got, ok := s.Snapshot().Users["alice"].Attrs["region"]; !ok || len(got) != 0 {
		t.Fatalf("[] must be kept as no values: %v %v", got, ok)
	}
	post(t, s, "userAttr/update", map[string]any{"uniqueId": "alice",
		"attrs": []map[string]any{{"attrId": 1, "attrValue": nil}}}).ok(t, nil)
	if _, ok := s.Snapshot().Users["alice"].Attrs["region"]; ok {
		t.Fatal("null did not clear the attribute")
	}
	post(t, s, "userAttr/update", map[string]any{"uniqueId": "ghost", "attrs": []map[string]any{}}).fails(t, CodeNotFound, MsgNoUser)
	post(t, s, "userAttr/update", map[string]any{"attrs": []map[string]any{}}).fails(t, CodeBadRequest, "uniqueId")
}

func TestDeleteUsers(t *testing.T) {
	s := newServer(t, baseSeed)
	pid := projectID(t, s, "销售分析")
	post(t, s, "projectUser/delUsersByUniqueIds", map[string]any{"projectId": pid,
		"uniqueIds": []string{"admin"}}).fails(t, CodeForbidden, MsgDeleteSelf)
	post(t, s, "projectUser/delUsersByUniqueIds", map[string]any{"projectId": pid,
		"uniqueIds": []string{"alice", "carol"}}).ok(t, nil)
	p := s.Snapshot().Projects[pid]
	if p.Members["alice"] != nil || slices.Contains(p.GroupByName("华北组").Members, "alice") {
		t.Fatalf("alice still in the project: %+v", p.Members["alice"])
	}
	if s.Snapshot().Users["alice"] == nil {
		t.Fatal("projectUser delete removed the domain user")
	}

	post(t, s, "domain/user/delete", map[string]any{"uniqueIds": []string{"bob", "admin"}}).fails(t, CodeForbidden, MsgDeleteSelf)
	post(t, s, "domain/user/delete", map[string]any{"uniqueIds": []string{"bob", "nobody"}}).ok(t, nil)
	if s.Snapshot().Users["bob"] != nil {
		t.Fatal("bob not deleted")
	}
}

func TestUserPermissionsRead(t *testing.T) {
	s := newServer(t, baseSeed)
	st := s.Snapshot()
	p := st.ProjectByName("销售分析")
	pid := fmt.Sprint(p.ID)
	// A role held through a group must not show up.
	var rid int64
	post(t, s, "role/importDataPermissions", map[string]any{"projectId": p.ID, "roleName": "组角色", "type": 0,
		"path": []string{}, "groupNames": []string{"华北组"}}).ok(t, &rid)
	post(t, s, "role/importDataPermissions", map[string]any{"projectId": p.ID, "roleName": "华北数据", "type": 2,
		"path": []string{"区域"}, "uniqueIds": []string{"alice"},
		"userExpireMap": map[string]string{"alice": "2025-07-25 00:00:00"},
		"dataPermissions": []map[string]any{
			{"dataConnectionId": 2010, "mode": "fixed", "details": []map[string]any{{"type": "row", "tableName": "订单",
				"filterType": "listFilter", "selectType": "select",
				"filter": map[string]any{"dim": map[string]any{"field": "地区", "dataType": "String"}, "select": []string{"华北", "东北"}}}}},
			{"dataConnectionId": 2010, "type": "column", "details": []map[string]any{{"type": "dataLevel", "tableName": "订单",
				"dataMasks": []map[string]any{{"field": "电话", "dataType": "String", "applyRange": []string{"view"}}}}}},
			{"dataConnectionId": 2010, "type": "table", "details": []map[string]any{{"produced": "Original",
				"selectType": "select", "select": []string{"b", "a"}, "mode": "manual"}}},
		}}).ok(t, nil)

	var perms struct {
		Roles []struct {
			ID          int64   `json:"id"`
			Name        string  `json:"name"`
			Type        int     `json:"type"`
			ExpiredTime *string `json:"expiredTime"`
		} `json:"roles"`
		RowPermissions []struct {
			ID              int64            `json:"id"`
			Type            int              `json:"type"`
			ExpiredTime     *string          `json:"expiredTime"`
			DataPermissions []map[string]any `json:"dataPermissions"`
		} `json:"rowPermissions"`
		Groups []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"groups"`
	}
	get(t, s, "user/permissions", map[string]string{"projectId": pid, "uniqueId": "alice"}).ok(t, &perms)
	if len(perms.Roles) != 1 || perms.Roles[0].ID != 2 || perms.Roles[0].Type != 1 || perms.Roles[0].Name != "编辑者" || perms.Roles[0].ExpiredTime != nil {
		t.Fatalf("roles = %+v, want only the editor system role", perms.Roles)
	}
	if len(perms.Groups) != 1 || perms.Groups[0].Name != "华北组" {
		t.Fatalf("groups = %+v", perms.Groups)
	}
	if len(perms.RowPermissions) != 1 {
		t.Fatalf("rowPermissions = %+v", perms.RowPermissions)
	}
	rp := perms.RowPermissions[0]
	if rp.ExpiredTime == nil || *rp.ExpiredTime != "2025-07-24T16:00:00.000Z" {
		t.Fatalf("expiredTime = %v, want 2025-07-24T16:00:00.000Z", rp.ExpiredTime)
	}
	if len(rp.DataPermissions) != 3 {
		t.Fatalf("dataPermissions = %v", rp.DataPermissions)
	}
	row, col, tab := rp.DataPermissions[0], rp.DataPermissions[1], rp.DataPermissions[2]
	if row["rule"] != "or" || col["rule"] != "and" || tab["rule"] != "and" || row["mode"] != "fixed" ||
		row["resourceId"] != float64(2010) || row["resourceCategory"] != float64(3) || row["roleId"] != float64(rp.ID) {
		t.Fatalf("server fields: %v", rp.DataPermissions)
	}
	d := row["details"].([]any)[0].(map[string]any)
	if d["model"] != "manual" || d["tableAlias"] != "订单" || d["type"] != "row" {
		t.Fatalf("row detail = %v", d)
	}
	if sel := d["filter"].(map[string]any)["select"]; !reflect.DeepEqual(sel, []any{"东北", "华北"}) {
		t.Fatalf("row select = %v, want sorted", sel)
	}
	if cd := col["details"].([]any)[0].(map[string]any); cd["tableAlias"] != "订单" || cd["model"] != nil {
		t.Fatalf("column detail = %v", cd)
	}
	if sel := tab["details"].([]any)[0].(map[string]any)["select"]; !reflect.DeepEqual(sel, []any{"a", "b"}) {
		t.Fatalf("table select = %v", sel)
	}
	// The state keeps what was written.
	stored := s.Snapshot().Projects[p.ID].FindRole("区域", "华北数据", 2).DataPermissions[2].Details[0]
	if string(stored) != `{"mode":"manual","produced":"Original","select":["b","a"],"selectType":"select"}` {
		t.Fatalf("stored detail = %s", stored)
	}

	get(t, s, "user/permissions", map[string]string{"projectId": pid, "uniqueId": "ghost"}).fails(t, CodeNotFound, MsgNoUser)
	get(t, s, "user/permissions", map[string]string{"projectId": "999", "uniqueId": "alice"}).fails(t, CodeNotFound, MsgNoProject)
}

// domain/user/delete removes every user it names from every project: the
// membership, role bindings and groups; the others stay.
func TestDeleteDomainUsersEverywhere(t *testing.T) {
	s := newServer(t, `
admin: {uniqueId: admin}
users:
  - {uniqueId: u1}
  - {uniqueId: u2}
  - {uniqueId: u3}
projects:
  - name: A
    members: [{user: u1}, {user: u2}, {user: u3}]
    groups: [{name: G, members: [u1, u2, u3]}]
    roles: [{name: R, users: [u1, u2, u3]}]
  - name: B
    members: [{user: u2}, {user: u3}]
    groups: [{name: H, members: [u2]}]
    roles: [{name: S, users: [u2, u3]}]
`)
	post(t, s, "domain/user/delete", map[string]any{"uniqueIds": []string{"u1", "u2", "nobody"}}).ok(t, nil)
	snap := s.Snapshot()
	for _, uid := range []string{"u1", "u2"} {
		if snap.Users[uid] != nil {
			t.Errorf("%s still in the domain", uid)
		}
	}
	for _, p := range snap.Projects {
		for uid := range p.Members {
			if uid != "u3" && uid != "admin" {
				t.Errorf("project %s: %s still a member", p.Name, uid)
			}
		}
		for _, g := range p.Groups {
			for _, m := range g.Members {
				if m != "u3" {
					t.Errorf("project %s group %s: %s still a member", p.Name, g.Name, m)
				}
			}
		}
		for _, r := range p.Roles {
			if _, ok := r.Users["u3"]; !ok || len(r.Users) != 1 {
				t.Errorf("project %s role %s users = %v, want only u3", p.Name, r.Name, r.Users)
			}
		}
	}
}
