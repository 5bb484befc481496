package youdatatest

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func TestTokenChecks(t *testing.T) {
	s := newServer(t, baseSeed)
	get(t, s, "user/getAllUsers", map[string]string{"token": ""}).fails(t, CodeTokenInvalid, MsgTokenInvalid)
	get(t, s, "user/getAllUsers", map[string]string{"token": "nope"}).fails(t, CodeTokenInvalid, MsgTokenInvalid)
	post(t, s, "systemRole/list", map[string]any{"token": nil}).fails(t, CodeTokenInvalid, MsgTokenInvalid)
	post(t, s, "systemRole/list", map[string]any{"token": "nope"}).fails(t, CodeTokenInvalid, MsgTokenInvalid)

	// A POST carries its token in the body, not in the query string.
	e := do(t, s, http.MethodPost, "systemRole/list?token="+s.Token(), []byte(`{}`))
	e.fails(t, CodeTokenInvalid, MsgTokenInvalid)

	var users []map[string]any
	get(t, s, "user/getAllUsers", nil).ok(t, &users)
	if len(users) != 5 {
		t.Fatalf("getAllUsers: %d users, want 5 (admin and 4)", len(users))
	}
}

func TestMethodsAndUnknownEndpoints(t *testing.T) {
	s := newServer(t, baseSeed)
	e := do(t, s, http.MethodPost, "user/getAllUsers", []byte(`{"token":"tok-test"}`))
	e.fails(t, 405, "GET")
	e = do(t, s, http.MethodGet, "user/batchImport?token=tok-test", nil)
	e.fails(t, 405, "POST")
	e = do(t, s, http.MethodPost, "project/del", []byte(`{"token":"tok-test","projectId":101}`))
	e.fails(t, 405, "DELETE")
	for _, ep := range []string{"group/list", "orgStructure/list", "userAttr/list", "role/get"} {
		e = do(t, s, http.MethodGet, ep+"?token=tok-test", nil)
		if e.HTTP != http.StatusNotFound || e.Code != CodeNotFound {
			t.Errorf("%s: HTTP %d code %d, want 404: the real API has no such endpoint", ep, e.HTTP, e.Code)
		}
	}
}

func TestGenTokenAndExpiry(t *testing.T) {
	s := newServer(t, baseSeed)
	var tok string
	post(t, s, "util/genToken", map[string]any{"token": nil, "tokenType": "tokenKey", "key": "key-1"}).ok(t, &tok)
	if tok == "" || tok == s.Token() {
		t.Fatalf("genToken gave %q", tok)
	}
	post(t, s, "util/genToken", map[string]any{"token": nil, "tokenType": "tokenKey", "key": "wrong"}).fails(t, CodeTokenInvalid, "tokenKey")
	var tok2 string
	post(t, s, "util/genToken", map[string]any{"token": nil, "tokenType": "userPassword",
		"email": "admin@example.com", "password": "pw-1"}).ok(t, &tok2)
	post(t, s, "util/genToken", map[string]any{"token": nil, "tokenType": "userPassword",
		"email": "admin@example.com", "password": "bad"}).fails(t, CodeTokenInvalid, "密码")

	s.ExpireTokenAfter(2)
	get(t, s, "project/list", nil).ok(t, nil)
	get(t, s, "project/list", map[string]string{"token": tok}).ok(t, nil)
	get(t, s, "project/list", nil).fails(t, CodeTokenInvalid, MsgTokenInvalid)
	get(t, s, "project/list", map[string]string{"token": tok2}).fails(t, CodeTokenInvalid, MsgTokenInvalid)

	var fresh string
	post(t, s, "util/genToken", map[string]any{"token": nil, "tokenType": "tokenKey", "key": "key-1"}).ok(t, &fresh)
	get(t, s, "project/list", map[string]string{"token": fresh}).ok(t, nil)

	// renewToken brings an expired token back.
	get(t, s, "util/renewToken", map[string]string{"token": fresh, "t": s.Token()}).ok(t, nil)
	get(t, s, "project/list", nil).ok(t, nil)
}

func TestPaging(t *testing.T) {
	var b strings.Builder
	b.WriteString("users:\n")
	for i := 0; i < 2100; i++ {
		fmt.Fprintf(&b, "  - {uniqueId: u%04d}\n", i)
	}
	b.WriteString("projects:\n  - name: big\n    members:\n")
	for i := 0; i < 1500; i++ {
		fmt.Fprintf(&b, "      - {user: u%04d}\n", i)
	}
	s := newServer(t, b.String())

	var users []struct {
		ID       int64  `json:"id"`
		UniqueID string `json:"uniqueId"`
	}
	get(t, s, "user/getAllUsers", nil).ok(t, &users)
	if len(users) != 1000 {
		t.Fatalf("no limit: %d users, want the cap of 1000", len(users))
	}
	get(t, s, "user/getAllUsers", map[string]string{"offset": "0", "limit": "5000"}).ok(t, &users)
	if len(users) != 1000 {
		t.Fatalf("limit 5000: %d users, want the cap of 1000", len(users))
	}
	seen := map[string]bool{}
	for off := 0; ; off += 700 {
		get(t, s, "user/getAllUsers", map[string]string{"offset": fmt.Sprint(off), "limit": "700"}).ok(t, &users)
		for _, u := range users {
			if seen[u.UniqueID] {
				t.Fatalf("user %s on two pages", u.UniqueID)
			}
			seen[u.UniqueID] = true
		}
		if len(users) < 700 {
			break
		}
	}
	if len(seen) != 2101 {
		t.Fatalf("paged through %d users, want 2101", len(seen))
	}
	get(t, s, "user/getAllUsers", map[string]string{"offset": "-1"}).fails(t, CodeBadRequest, "offset")

	var page struct {
		List []struct {
			UniqueID string `json:"uniqueId"`
			Category string `json:"category"`
		} `json:"list"`
		Total int `json:"total"`
	}
	id := projectID(t, s, "big")
	get(t, s, "projectUser/list", map[string]string{"projectId": fmt.Sprint(id), "offset": "1400", "limit": "20"}).ok(t, &page)
	if page.Total != 1500 || len(page.List) != 20 || page.List[0].UniqueID != "u1400" || page.List[0].Category != "viewer" {
		t.Fatalf("projectUser/list page: total %d, %d items, first %+v", page.Total, len(page.List), page.List)
	}
	get(t, s, "projectUser/list", map[string]string{"projectId": "999"}).fails(t, CodeNotFound, MsgNoProject)
}

// TestReadLimits puts markers in every facet the real API cannot read and
// checks that no read endpoint reveals them.
func TestReadLimits(t *testing.T) {
	s := newServer(t, `
orgs:
  company: SECRET-COMPANY
  departments:
    - {code: SECRET-ORG, name: SECRET-ORGNAME, description: SECRET-ORGDESC, admins: [alice]}
attributes: [{name: SECRET-ATTRNAME}]
users:
  - uniqueId: alice
    department: SECRET-DEPT
    company: SECRET-UCOMPANY
    position: SECRET-POSITION
    allowExternal: true
    left: true
    attrs: {SECRET-ATTRNAME: [SECRET-ATTRVALUE]}
    orgs: [{code: SECRET-ORG, role: leader}]
projects:
  - name: p
    members: [{user: alice}]
    groups:
      - {name: g, folder: SECRET-GFOLDER, description: SECRET-GDESC, members: [alice]}
    roles:
      - name: r
        groups: [g]
        orgs: [SECRET-ORG]
        resources: [{type: NEW_REPORT, path: [SECRET-RESPATH], permissions: [view]}]
    resourceMembers:
      - {type: DATA_MODEL, id: 987654321, members: [{user: alice, permissions: [showSummaryWithoutPerm]}]}
`)
	id := fmt.Sprint(projectID(t, s, "p"))
	answers := []env{
		get(t, s, "user/getAllUsers", nil),
		get(t, s, "project/list", nil),
		get(t, s, "projectUser/list", map[string]string{"projectId": id}),
		get(t, s, "role/list", map[string]string{"projectId": id, "type": "ROLE"}),
		get(t, s, "role/list", map[string]string{"projectId": id, "type": "ROW_PERMISSION"}),
		get(t, s, "user/permissions", map[string]string{"projectId": id, "uniqueId": "alice"}),
		post(t, s, "systemRole/list", nil),
	}
	for i, a := range answers {
		a.ok(t, nil)
		for _, secret := range []string{"SECRET", "987654321", "showSummaryWithoutPerm", "allowExternal", "ifLeave", "region"} {
			if strings.Contains(a.Raw, secret) {
				t.Errorf("answer %d reveals %q: %s", i, secret, a.Raw)
			}
		}
	}
	// The group itself is visible only as the user's group (id and name).
	if !strings.Contains(answers[5].Raw, `"name":"g"`) {
		t.Errorf("user/permissions does not list the user's group: %s", answers[5].Raw)
	}
	// The state does hold them.
	st := s.Snapshot()
	if st.Users["alice"].Attrs["SECRET-ATTRNAME"][0] != "SECRET-ATTRVALUE" || st.Company != "SECRET-COMPANY" {
		t.Fatalf("snapshot lost the hidden facets: %+v", st.Users["alice"])
	}
}

func TestFaultsAreDeterministic(t *testing.T) {
	run := func(seed int64) []string {
		s := New(Options{Seed: mustSeed(t, baseSeed), Token: "tok", Rand: seed})
		defer s.Close()
		s.SetFaults("project/list", Fault{Share5xx: 0.3, Share429: 0.2, ShareAPIError: 0.2})
		var out []string
		for i := 0; i < 60; i++ {
			e := get(t, s, "project/list", nil)
			out = append(out, fmt.Sprintf("%d/%d", e.HTTP, e.Code))
		}
		return out
	}
	a, b, c := run(7), run(7), run(8)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("same seed, different faults:\n%v\n%v", a, b)
	}
	if reflect.DeepEqual(a, c) {
		t.Fatalf("different seeds gave the same 60 outcomes")
	}
	kinds := map[string]int{}
	for _, o := range a {
		kinds[o]++
	}
	for _, k := range []string{"503/0", "429/0", "200/500", "200/200"} {
		if kinds[k] == 0 {
			t.Errorf("no %s among 60 calls: %v", k, kinds)
		}
	}
}

func TestFaultKinds(t *testing.T) {
	s := newServer(t, baseSeed)
	s.SetFaults("project/list", Fault{FailNext: 2})
	for i := 0; i < 2; i++ {
		if e := get(t, s, "project/list", nil); e.HTTP != http.StatusServiceUnavailable {
			t.Fatalf("call %d: HTTP %d, want 503", i, e.HTTP)
		}
	}
	get(t, s, "project/list", nil).ok(t, nil)
	get(t, s, "user/getAllUsers", nil).ok(t, nil) // other endpoints unaffected

	s.SetFaults("*", Fault{Permanent: true})
	get(t, s, "user/getAllUsers", nil).fails(t, CodeInternal, MsgInternal)
	s.ClearFaults()
	get(t, s, "user/getAllUsers", nil).ok(t, nil)

	// AfterApply: the write happens, the answer is lost.
	s.SetFaults("systemRole/add", Fault{FailNext: 1, AfterApply: true})
	if e := post(t, s, "systemRole/add", map[string]any{"name": "新角色"}); e.HTTP != http.StatusServiceUnavailable {
		t.Fatalf("HTTP %d, want 503", e.HTTP)
	}
	if s.Snapshot().SystemRoleByName("新角色") == nil {
		t.Fatal("AfterApply: the write was not applied")
	}
	post(t, s, "systemRole/add", map[string]any{"name": "新角色"}).fails(t, CodeConflict, "已存在")
}

func TestFailObject(t *testing.T) {
	s := newServer(t, baseSeed)
	pid := projectID(t, s, "销售分析")
	s.FailObject("role/importDataPermissions", "坏角色")
	for i := 0; i < 3; i++ {
		post(t, s, "role/importDataPermissions", map[string]any{"projectId": pid, "roleName": "坏角色",
			"type": 0, "path": []string{}}).fails(t, CodeInternal, MsgInternal)
	}
	var id int64
	post(t, s, "role/importDataPermissions", map[string]any{"projectId": pid, "roleName": "好角色",
		"type": 0, "path": []string{}}).ok(t, &id)
	if p := s.Snapshot().Projects[pid]; p.FindRole("", "坏角色") != nil || p.FindRole("", "好角色") == nil {
		t.Fatal("FailObject: wrong roles created")
	}
}

func TestCallLog(t *testing.T) {
	s := newServer(t, baseSeed)
	get(t, s, "project/list", nil)
	get(t, s, "project/list", nil)
	post(t, s, "util/genToken", map[string]any{"token": nil, "tokenType": "userPassword",
		"email": "admin@example.com", "password": "pw-1"})
	post(t, s, "systemRole/list", nil)
	want := map[string]int{"project/list": 2, "util/genToken": 1, "systemRole/list": 1}
	if got := s.Calls(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Calls() = %v, want %v", got, want)
	}
	log := s.CallLog()
	if len(log) != 4 || log[2].Method != http.MethodPost || log[2].Endpoint != "util/genToken" {
		t.Fatalf("CallLog() = %+v", log)
	}
	for _, c := range log {
		all := c.Query + string(c.Body)
		if strings.Contains(all, "tok-test") || strings.Contains(all, "pw-1") {
			t.Errorf("call log holds a secret: %+v", c)
		}
	}
	if !strings.Contains(string(log[2].Body), `"tokenType":"userPassword"`) {
		t.Errorf("call log lost the body: %s", log[2].Body)
	}
	s.ResetCalls()
	if len(s.Calls()) != 0 || len(s.CallLog()) != 0 {
		t.Fatal("ResetCalls left calls")
	}
}

func TestConcurrentCalls(t *testing.T) {
	s := newServer(t, baseSeed)
	pid := projectID(t, s, "销售分析")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 10; j++ {
				post(t, s, "user/batchImport", map[string]any{"projectId": pid,
					"users": []map[string]any{{"uniqueId": fmt.Sprintf("c%d-%d", i, j)}}}).ok(t, nil)
				get(t, s, "projectUser/list", map[string]string{"projectId": fmt.Sprint(pid)}).ok(t, nil)
				_ = s.Snapshot()
			}
		}(i)
	}
	wg.Wait()
	if n := len(s.Snapshot().Projects[pid].Members); n != 2+80 {
		t.Fatalf("%d members, want 82", n)
	}
	if s.Calls()["user/batchImport"] != 80 {
		t.Fatalf("Calls = %v", s.Calls())
	}
}

func TestLoadSeedStrict(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "seed.yaml")
	if err := os.WriteFile(path, []byte("users:\n  - uniqueId: a\n    nik: typo\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadSeed(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "nik") {
		t.Fatalf("LoadSeed: %v, want an error naming the file and the key", err)
	}
	bad := map[string]string{
		"unknown member":     "projects:\n  - name: p\n    members: [{user: ghost}]\n",
		"unknown group":      "users: [{uniqueId: a}]\nprojects:\n  - name: p\n    roles: [{name: r, groups: [g]}]\n",
		"unknown department": "users: [{uniqueId: a, orgs: [{code: X}]}]\n",
		"unknown parent":     "orgs: {departments: [{code: A, name: A, parent: B}]}\n",
		"bad expiry":         "users: [{uniqueId: a}]\nprojects:\n  - name: p\n    roles: [{name: r, users: [a], expires: {a: tomorrow}}]\n",
		"bad resource":       "projects:\n  - name: p\n    roles: [{name: r, resources: [{type: REPORT, id: 1, permissions: [view]}]}]\n",
		"unknown systemRole": "users: [{uniqueId: a}]\nprojects:\n  - name: p\n    members: [{user: a, systemRoles: [boss]}]\n",
	}
	for name, yml := range bad {
		if _, err := ParseSeed([]byte(yml)); err == nil {
			t.Errorf("%s: ParseSeed accepted %q", name, yml)
		}
	}
}
