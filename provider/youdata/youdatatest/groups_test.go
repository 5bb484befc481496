package youdatatest

import (
	"reflect"
	"strconv"
	"testing"
)

func TestGroups(t *testing.T) {
	s := newServer(t, baseSeed)
	pid := projectID(t, s, "销售分析")
	roleID := s.Snapshot().Projects[pid].FindRole("", "阅览").ID
	var gid int64
	post(t, s, "group/add", map[string]any{"projectId": pid, "title": "新组", "description": "说明",
		"category": "editor", "path": []string{"文件夹"}, "roleIds": []int64{roleID}}).ok(t, &gid)
	post(t, s, "group/add", map[string]any{"projectId": pid, "title": "新组", "category": "editor", "path": []string{}}).fails(t, CodeConflict, "已存在")
	post(t, s, "group/add", map[string]any{"projectId": pid, "title": "别的", "category": "viewer", "path": []string{}}).fails(t, CodeBadRequest, "editor")

	post(t, s, "user/batchImport", map[string]any{"projectId": pid, "groupIds": []int64{gid},
		"users": []map[string]any{{"uniqueId": "bob"}, {"uniqueId": "carol"}, {"uniqueId": "dave"}}}).ok(t, nil)
	g := s.Snapshot().Projects[pid].Groups[gid]
	if g.Folder != "文件夹" || g.Description != "说明" || !reflect.DeepEqual(g.Members, []string{"bob", "carol", "dave"}) {
		t.Fatalf("group = %+v", g)
	}
	if _, ok := s.Snapshot().Projects[pid].Roles[roleID].Groups[gid]; !ok {
		t.Fatal("roleIds did not bind the group")
	}

	post(t, s, "group/ext/update", map[string]any{"projectId": pid, "path": []string{"文件夹", "新组"},
		"title": "改名组", "description": "新说明"}).ok(t, nil)
	post(t, s, "group/ext/update", map[string]any{"id": gid, "title": "华北组"}).fails(t, CodeConflict, "已存在")
	post(t, s, "group/ext/update", map[string]any{"projectId": pid, "path": []string{"新组"}, "title": "x"}).fails(t, CodeNotFound, MsgNoGroup)

	post(t, s, "group/ext/delUsers", map[string]any{"projectId": pid, "path": []string{"文件夹", "改名组"},
		"uniqueIds": []string{"carol"}}).ok(t, nil)
	g = s.Snapshot().Projects[pid].Groups[gid]
	if g.Name != "改名组" || g.Description != "新说明" || !reflect.DeepEqual(g.Members, []string{"bob", "dave"}) {
		t.Fatalf("group = %+v", g)
	}
	post(t, s, "group/ext/delUsers", map[string]any{"groupId": gid}).fails(t, CodeBadRequest, "erase")
	post(t, s, "group/ext/delUsers", map[string]any{"groupId": gid, "erase": true}).ok(t, nil)
	if n := len(s.Snapshot().Projects[pid].Groups[gid].Members); n != 0 {
		t.Fatalf("erase left %d members", n)
	}
	// Members stay in the project.
	if s.Snapshot().Projects[pid].Members["carol"] == nil {
		t.Fatal("removing from a group removed from the project")
	}

	post(t, s, "group/dels", map[string]any{"projectId": pid, "path": []string{"文件夹", "改名组"}}).ok(t, nil)
	p := s.Snapshot().Projects[pid]
	if p.Groups[gid] != nil || len(p.Roles[roleID].Groups) != 0 {
		t.Fatal("group or its role binding survived group/dels")
	}
	post(t, s, "group/dels", map[string]any{"projectId": pid, "path": []string{"文件夹", "改名组"}}).fails(t, CodeNotFound, MsgNoGroup)
}

func TestProjectsAndSystemRoles(t *testing.T) {
	s := newServer(t, baseSeed)
	post(t, s, "project/add", map[string]any{"name": "新项目", "receiverList": []any{}}).fails(t, CodeBadRequest, "成员")
	post(t, s, "project/add", map[string]any{"name": "新项目",
		"receiverList": []map[string]string{{"type": "user", "name": "ghost"}}}).fails(t, CodeNotFound, MsgNoUser)
	post(t, s, "project/add", map[string]any{"name": "新项目", "description": "d",
		"receiverList": []map[string]string{{"type": "user", "name": "carol"}}}).ok(t, nil)
	post(t, s, "project/add", map[string]any{"name": "新项目",
		"receiverList": []map[string]string{{"type": "user", "name": "carol"}}}).fails(t, CodeConflict, "已存在")
	var list struct {
		List []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"list"`
		Count int `json:"count"`
	}
	get(t, s, "project/list", nil).ok(t, &list)
	if list.Count != 3 || list.List[2].Name != "新项目" {
		t.Fatalf("project/list = %+v", list)
	}
	id := list.List[2].ID
	p := s.Snapshot().Projects[id]
	if len(p.Members) != 1 || !reflect.DeepEqual(p.Members["carol"].SystemRoles, []int64{1}) {
		t.Fatalf("receivers: %+v", p.Members)
	}
	post(t, s, "project/update", map[string]any{"id": id, "name": "改名项目"}).ok(t, nil)
	if p := s.Snapshot().Projects[id]; p.Name != "改名项目" || p.Description != "d" {
		t.Fatalf("project/update: %+v", p)
	}
	do(t, s, "DELETE", "project/del", []byte(`{"token":"tok-test","projectId":`+itoa(id)+`}`)).ok(t, nil)
	if s.Snapshot().Projects[id] != nil {
		t.Fatal("project not deleted")
	}
	do(t, s, "DELETE", "project/del?token=tok-test&projectId="+itoa(id), nil).fails(t, CodeNotFound, MsgNoProject)

	var sid int64
	post(t, s, "systemRole/add", map[string]any{"name": "分析师", "description": "看数"}).ok(t, &sid)
	post(t, s, "systemRole/update", map[string]any{"id": sid, "description": "看数据"}).ok(t, nil)
	post(t, s, "systemRole/add", map[string]any{"name": "编辑者"}).fails(t, CodeConflict, "已存在")
	pid := projectID(t, s, "销售分析")
	post(t, s, "user/batchImport", map[string]any{"projectId": pid, "systemRoleIds": []int64{sid},
		"users": []map[string]any{{"uniqueId": "alice"}}}).ok(t, nil)
	var roles []struct {
		ID          int64  `json:"id"`
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	post(t, s, "systemRole/list", nil).ok(t, &roles)
	if len(roles) != 2 || roles[1].ID != sid || roles[1].Description != "看数据" {
		t.Fatalf("systemRole/list = %+v", roles)
	}
	post(t, s, "systemRole/dels", map[string]any{"ids": []int64{1}}).fails(t, CodeBadRequest, "内置")
	post(t, s, "systemRole/dels", map[string]any{"ids": []int64{sid}}).ok(t, nil)
	if got := s.Snapshot().Projects[pid].Members["alice"].SystemRoles; !reflect.DeepEqual(got, []int64{2}) {
		t.Fatalf("alice kept a deleted system role: %v", got)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
