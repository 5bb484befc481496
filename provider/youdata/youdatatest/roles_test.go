package youdatatest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/permsync/permsync/internal/sets"
)

func TestImportDataPermissions(t *testing.T) {
	s := newServer(t, baseSeed)
	pid := projectID(t, s, "销售分析")
	imp := func(body map[string]any) env {
		b := map[string]any{"projectId": pid, "roleName": "报告角色", "type": 0, "path": []string{"新文件夹"}}
		for k, v := range body {
			b[k] = v
		}
		return post(t, s, "role/importDataPermissions", b)
	}
	role := func() *Role { return s.Snapshot().Projects[pid].FindRole("新文件夹", "报告角色", 0) }

	var id int64
	imp(map[string]any{"description": "第一版", "uniqueIds": []string{"carol"},
		"userExpireMap":       map[string]string{"carol": "2027-10-10 10:00:00"},
		"groupNames":          []string{"华北组"},
		"orgCodes":            []string{"SALES"},
		"resourcePermissions": []map[string]any{{"resourceId": 1, "resourceType": "NEW_REPORT", "permissions": []string{"view"}}, {"resourceId": 2, "resourceType": "DATA_MODEL", "permissions": []string{"view"}}},
	}).ok(t, &id)
	r := role()
	if r == nil || r.ID != id || r.Description != "第一版" || len(r.Resources) != 2 {
		t.Fatalf("created role = %+v (id %d)", r, id)
	}
	if s.Snapshot().Projects[pid].FolderName(r.FolderID) != "新文件夹" {
		t.Fatal("folder not created")
	}
	want := time.Date(2027, 10, 10, 2, 0, 0, 0, time.UTC)
	if e := r.Users["carol"].Expires; e == nil || !e.Equal(want) {
		t.Fatalf("carol expires %v, want %v", e, want)
	}
	if m := s.Snapshot().Projects[pid].Members["carol"]; m == nil || !reflect.DeepEqual(m.SystemRoles, []int64{3}) {
		t.Fatalf("carol did not join as viewer: %+v", m)
	}

	// Same name + type + path: the same role. No permissions given: kept.
	// Holders are only added; re-binding carol without expiry clears it.
	var id2 int64
	imp(map[string]any{"uniqueIds": []string{"carol", "dave"}}).ok(t, &id2)
	r = role()
	if id2 != id || r.Description != "第一版" || len(r.Resources) != 2 {
		t.Fatalf("second import: id %d, role %+v", id2, r)
	}
	if len(r.Users) != 2 || r.Users["carol"].Expires != nil || len(r.Groups) != 1 || len(r.Orgs) != 1 {
		t.Fatalf("bindings after add: %+v", r)
	}

	// importResourceTypes narrows the wipe; outside types are refused.
	imp(map[string]any{"importResourceTypes": []string{"NEW_REPORT"},
		"resourcePermissions": []map[string]any{{"resourceId": 3, "resourceType": "NEW_REPORT", "permissions": []string{"view", "export"}}}}).ok(t, nil)
	got := map[int64]string{}
	for _, rp := range role().Resources {
		got[rp.ID] = rp.Type
	}
	if !reflect.DeepEqual(got, map[int64]string{2: "DATA_MODEL", 3: "NEW_REPORT"}) {
		t.Fatalf("after narrowed import: %v", got)
	}
	imp(map[string]any{"importResourceTypes": []string{"NEW_REPORT"},
		"resourcePermissions": []map[string]any{{"resourceId": 4, "resourceType": "DATA_MODEL", "permissions": []string{"view"}}}}).fails(t, CodeBadRequest, MsgOutsideTypes)

	// Without importResourceTypes everything is wiped and replaced.
	imp(map[string]any{"resourcePermissions": []map[string]any{{"resourceNamePaths": []string{"销售", "月报"}, "resourceType": "NEW_REPORT", "permissions": []string{"view"}}}}).ok(t, nil)
	if rs := role().Resources; len(rs) != 1 || !reflect.DeepEqual(rs[0].Path, []string{"销售", "月报"}) {
		t.Fatalf("after full replace: %+v", rs)
	}

	// A different type with the same name is another role.
	var rowID int64
	imp(map[string]any{"type": 2, "dataPermissions": []map[string]any{}}).ok(t, &rowID)
	if rowID == id {
		t.Fatal("type 2 found the type 0 role")
	}

	// Errors.
	imp(map[string]any{"uniqueIds": []string{"ghost"}}).fails(t, CodeNotFound, MsgNoUser)
	imp(map[string]any{"uniqueIds": []string{"ghost", "bob"}, "ignoreInvalidUser": true}).ok(t, nil)
	if _, ok := role().Users["bob"]; !ok {
		t.Fatal("ignoreInvalidUser dropped the valid user")
	}
	imp(map[string]any{"groupNames": []string{"no such"}}).fails(t, CodeNotFound, MsgNoGroup)
	imp(map[string]any{"orgCodes": []string{"NOPE"}}).fails(t, CodeNotFound, MsgNoOrg)
	imp(map[string]any{"projectId": 999}).fails(t, CodeNotFound, MsgNoProject)
	imp(map[string]any{"path": []string{"a", "b"}}).fails(t, CodeBadRequest, "一层")
	imp(map[string]any{"path": nil}).fails(t, CodeBadRequest, "path")
	imp(map[string]any{"uniqueIds": []string{"bob"}, "userExpireMap": map[string]string{"bob": "2027/10/10"}}).fails(t, CodeBadRequest, "过期时间")
}

func TestImportDataPermissionsWipesRules(t *testing.T) {
	s := newServer(t, baseSeed)
	pid := projectID(t, s, "销售分析")
	rule := func(v string) map[string]any {
		return map[string]any{"dataConnectionId": 2010, "mode": "fixed", "details": []map[string]any{{"tableName": "订单",
			"filterType": "listFilter", "selectType": "select",
			"filter": map[string]any{"dim": map[string]any{"field": "地区", "dataType": "String"}, "select": []string{v}}}}}
	}
	imp := func(extra map[string]any) {
		b := map[string]any{"projectId": pid, "roleName": "华北数据", "type": 2, "path": []string{"区域"}}
		for k, v := range extra {
			b[k] = v
		}
		post(t, s, "role/importDataPermissions", b).ok(t, nil)
	}
	r := func() *Role { return s.Snapshot().Projects[pid].FindRole("区域", "华北数据", 2) }
	before := r().ID
	imp(map[string]any{"dataPermissions": []map[string]any{rule("华东"), rule("华南")}})
	if r().ID != before || len(r().DataPermissions) != 2 {
		t.Fatalf("replace: %+v", r())
	}
	imp(map[string]any{"description": "只改描述"})
	if len(r().DataPermissions) != 2 || r().Description != "只改描述" {
		t.Fatalf("import without rules changed them: %+v", r())
	}
	imp(map[string]any{"dataPermissions": []map[string]any{}})
	if len(r().DataPermissions) != 0 {
		t.Fatalf("dataPermissions [] kept rules: %+v", r().DataPermissions)
	}
	post(t, s, "role/importDataPermissions", map[string]any{"projectId": pid, "roleName": "x", "type": 2, "path": []string{},
		"dataPermissions": []map[string]any{{"dataConnectionId": 1, "type": "cell", "details": []any{}}}}).fails(t, CodeBadRequest, "type")
	post(t, s, "role/importDataPermissions", map[string]any{"projectId": pid, "roleName": "x", "type": 0, "path": []string{},
		"dataPermissions": []map[string]any{rule("a")}}).fails(t, CodeBadRequest, "数据权限")
}

func TestDelRoles(t *testing.T) {
	s := newServer(t, baseSeed)
	p := s.Snapshot().ProjectByName("销售分析")
	for _, c := range []struct {
		name string
		typ  int
		path []string
	}{{"阅览", 0, []string{}}, {"编辑", 3, []string{"通用"}}, {"华北数据", 2, []string{"区域"}}} {
		post(t, s, "role/importDataPermissions", map[string]any{"projectId": p.ID, "roleName": c.name, "type": c.typ,
			"path": c.path, "uniqueIds": []string{"alice", "bob"}, "groupNames": []string{"华北组"}}).ok(t, nil)
	}
	post(t, s, "user/delRoles", map[string]any{"projectId": p.ID, "uniqueIds": []string{"alice"},
		"roleNames": []string{"编辑"}, "path": []string{"通用"}}).ok(t, nil)
	q := s.Snapshot().Projects[p.ID]
	if _, ok := q.FindRole("通用", "编辑").Users["alice"]; ok {
		t.Fatal("alice still bound to 通用/编辑")
	}
	if _, ok := q.FindRole("", "阅览").Users["alice"]; !ok {
		t.Fatal("delRoles with path unbound a root role")
	}
	// A root name that does not exist at the root is an error.
	post(t, s, "user/delRoles", map[string]any{"projectId": p.ID, "uniqueIds": []string{"alice"},
		"roleNames": []string{"编辑"}}).fails(t, CodeNotFound, MsgNoRole)
	post(t, s, "user/delRoles", map[string]any{"projectId": p.ID, "uniqueIds": []string{"alice"},
		"permissionRoleNames": []string{"华北数据"}, "path": []string{"区域"}, "systemRoleIds": []int64{2}}).ok(t, nil)
	q = s.Snapshot().Projects[p.ID]
	if _, ok := q.FindRole("区域", "华北数据").Users["alice"]; ok || len(q.Members["alice"].SystemRoles) != 0 {
		t.Fatalf("alice: %+v", q.Members["alice"])
	}
	// None of the three: every direct role, system roles and groups stay.
	post(t, s, "user/delRoles", map[string]any{"projectId": p.ID, "uniqueIds": []string{"bob"}}).ok(t, nil)
	q = s.Snapshot().Projects[p.ID]
	for _, r := range q.Roles {
		if _, ok := r.Users["bob"]; ok {
			t.Errorf("bob still bound to %s", r.Name)
		}
		if len(r.Groups) != 1 && (r.Name == "阅览" || r.Name == "编辑" || r.Name == "华北数据") {
			t.Errorf("%s lost its group", r.Name)
		}
	}
	if !reflect.DeepEqual(q.Members["bob"].SystemRoles, []int64{3}) {
		t.Errorf("bob's system roles = %v", q.Members["bob"].SystemRoles)
	}
	post(t, s, "user/delRoles", map[string]any{"projectId": p.ID, "uniqueIds": []string{"ghost"}}).fails(t, CodeNotFound, MsgNoUser)
}

func TestRoleListAndDelete(t *testing.T) {
	s := newServer(t, baseSeed)
	pid := projectID(t, s, "销售分析")
	type item struct {
		ID       int64  `json:"id"`
		Type     int    `json:"type"`
		Name     string `json:"name"`
		FolderID int64  `json:"folderId"`
	}
	var tree struct {
		Folders []struct {
			ID    int64  `json:"id"`
			Name  string `json:"name"`
			Type  string `json:"type"`
			Items []item `json:"items"`
		} `json:"folders"`
		Items []item `json:"items"`
	}
	q := map[string]string{"projectId": fmt.Sprint(pid), "type": "ROLE"}
	get(t, s, "role/list", q).ok(t, &tree)
	if len(tree.Items) != 1 || tree.Items[0].Name != "阅览" || tree.Items[0].Type != 0 ||
		len(tree.Folders) != 1 || tree.Folders[0].Name != "通用" || tree.Folders[0].Items[0].Type != 3 {
		t.Fatalf("ROLE tree = %+v", tree)
	}
	q["type"] = "ROW_PERMISSION"
	get(t, s, "role/list", q).ok(t, &tree)
	if len(tree.Items) != 0 || len(tree.Folders) != 1 || tree.Folders[0].Items[0].Name != "华北数据" || tree.Folders[0].Items[0].Type != 2 {
		t.Fatalf("ROW_PERMISSION tree = %+v", tree)
	}
	q["type"] = "GROUP"
	get(t, s, "role/list", q).fails(t, CodeBadRequest, "type")

	// Folder add: a taken name answers titleRepeat and creates nothing.
	var f map[string]any
	post(t, s, "role/folder/add", map[string]any{"projectId": pid, "parentId": 0, "managementType": 3, "name": "通用"}).ok(t, &f)
	if f["titleRepeat"] != true || f["newTitle"] != "通用(1)" {
		t.Fatalf("duplicate folder answer = %v", f)
	}
	post(t, s, "role/folder/add", map[string]any{"projectId": pid, "parentId": 0, "managementType": 4, "name": "通用"}).ok(t, &f)
	if f["id"] == nil {
		t.Fatalf("folder answer = %v", f)
	}

	post(t, s, "role/ext/delete", map[string]any{"projectId": pid, "path": []string{"通用", "编辑"}}).ok(t, nil)
	post(t, s, "role/ext/delete", map[string]any{"roleId": tree.Folders[0].Items[0].ID}).ok(t, nil)
	post(t, s, "role/ext/delete", map[string]any{"roleId": tree.Folders[0].Items[0].ID}).fails(t, CodeNotFound, MsgNoRole)
	post(t, s, "role/ext/delete", map[string]any{"projectId": pid, "path": []string{"阅览"}}).ok(t, nil)
	if n := len(s.Snapshot().Projects[pid].Roles); n != 0 {
		t.Fatalf("%d roles left", n)
	}
}

func TestSyncResourceMembers(t *testing.T) {
	s := newServer(t, baseSeed)
	pid := projectID(t, s, "销售分析")
	key := ResourceKey{Type: "DATA_MODEL", ID: 700288358}
	sync := func(whole bool, auto *bool, members ...string) {
		var infos []map[string]any
		for _, m := range members {
			infos = append(infos, map[string]any{"type": "uniqueId", "id": m, "permissions": []string{"view", "export"}})
		}
		if infos == nil {
			infos = []map[string]any{}
		}
		body := map[string]any{"projectId": pid, "resourceName": "DATA_MODEL", "resourceId": key.ID,
			"memberInfos": infos, "wholeCoverMembers": whole}
		if auto != nil {
			body["autoAddProjectUser"] = *auto
		}
		post(t, s, "directResourcePerm/syncMembers", body).ok(t, nil)
	}
	names := func() []string { return sets.SortedKeys(s.Snapshot().Projects[pid].ResourceMembers[key]) }
	sync(false, nil, "alice", "ghost")
	sync(false, nil, "bob")
	if got := names(); !reflect.DeepEqual(got, []string{"alice", "bob"}) {
		t.Fatalf("merge: %v", got)
	}
	if m := s.Snapshot().Projects[pid].Members["bob"]; m == nil {
		t.Fatal("autoAddProjectUser default did not add bob")
	}
	sync(true, nil, "alice")
	if got := names(); !reflect.DeepEqual(got, []string{"alice"}) {
		t.Fatalf("whole cover: %v", got)
	}
	no := false
	sync(false, &no, "carol")
	if got := names(); !reflect.DeepEqual(got, []string{"alice"}) || s.Snapshot().Projects[pid].Members["carol"] != nil {
		t.Fatalf("autoAddProjectUser false: %v", got)
	}
}
