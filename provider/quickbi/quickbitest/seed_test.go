package quickbitest

import (
	"github.com/google/go-cmp/cmp"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestExampleSeed(t *testing.T) {
	seed, err := LoadSeed(filepath.Join("testdata", "example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{Seed: seed})
	defer s.Close()
	st := s.Snapshot()
	if st.Organization.Seats != (Seats{Developers: 10, Analysts: 20, Viewers: 100}) || st.Organization.MaxTags != 30 {
		t.Fatalf("organization %+v", st.Organization)
	}
	admin := st.UserByID(st.Organization.AdminUserID)
	if admin.AccountName != "shiyan" || !reflect.DeepEqual(admin.Roles, []int64{RoleOrgAdmin}) {
		t.Fatalf("admin %+v", admin)
	}
	zs := st.User("shiyan:zhangsan")
	if zs.Tags["region"] != "华北,东北" || zs.Tags["level"] != "P7" || zs.AccountType != 5 || !reflect.DeepEqual(zs.Roles, []int64{RoleOrgPermAdmin}) {
		t.Fatalf("zhangsan %+v", zs)
	}
	if g := st.Group("sales-north"); g.Parent != "sales" || !reflect.DeepEqual(st.Accounts(g.Members), []string{"shiyan:zhangsan"}) {
		t.Fatalf("group %+v", g)
	}
	ws := st.Workspace("销售分析")
	if len(ws.Members) != 4 || ws.Member(zs.UserID).Roles[1] != 910001 {
		t.Fatalf("workspace %+v", ws)
	}
	d := ws.Dataset("订单")
	if !d.Row.Open || d.Row.Rule("华北数据") == nil || d.Column.Rule("隐藏成本").ContentType != "COLUMN_FORBID" {
		t.Fatalf("dataset %+v", d)
	}
	if !strings.Contains(d.Row.Rule("华北数据").ContentJSON, `"relationOperator":"in"`) {
		t.Fatalf("content %s", d.Row.Rule("华北数据").ContentJSON)
	}
	if len(ws.Works) != 2 || st.Workspace("财务分析") == nil {
		t.Fatalf("works %+v", ws.Works)
	}
}

// TestSeedStrict: unknown keys, wrong types and inconsistent content are
// errors naming the line and the field.
func TestSeedStrict(t *testing.T) {
	for _, tt := range []struct{ seed, want string }{
		{"users:\n  - {account: a, nick: 甲, type: developer, nik: x}\n", "line 2: field nik not found"},
		{"organization:\n  seats: {developers: many}\n", "line 2"},
		{"users:\n  - {account: a, nick: 甲, type: developer}\n  - {account: b, nick: 甲, type: analyst}\n",
			"line 3: users[1].nick: \"甲\" is used by another member"},
		{"users:\n  - {account: a, nick: 甲, type: boss}\n", "line 2: users[0].type"},
		{"users:\n  - {account: a, nick: 甲 乙, type: viewer}\n", "users[0].nick"},
		{"organization:\n  seats: {viewers: 1}\nusers:\n  - {account: a, nick: 甲, type: viewer}\n  - {account: b, nick: 乙, type: viewer}\n",
			"line 5: users[1].type: Organization.Viewers.ReachedTheUpperLimit"},
		{"groups:\n  - {id: a, name: 甲, parent: b}\n", "line 2: groups[0].parent: unknown group \"b\""},
		{"groups:\n  - {id: a, name: 甲, parent: b}\n  - {id: b, name: 乙, parent: a}\n", "cycle"},
		{"groups:\n  - {id: a, name: 甲}\n  - {id: b, name: 甲, parent: a}\n", "groups[1].name"},
		{"groups:\n  - {id: \"-1\", name: 甲}\n", "groups[0].id"},
		{"groups:\n  - {id: a, name: 甲, members: [nobody]}\n", "line 2: groups[0].members[0]: unknown user"},
		{"users:\n  - {account: v, nick: 访客, type: viewer}\nworkspaceRoles: [{id: 7, name: 自定义}]\nworkspaces:\n  - name: 空间\n    members:\n      - {user: v, roles: [自定义]}\n",
			"line 7: workspaces[0].members[0].roles[0]: Viewer.CannotHave.CustomRole"},
		{"users:\n  - {account: u, nick: 用户, type: developer}\nworkspaces:\n  - name: 空间\n    owner: u\n    members:\n      - {user: u, roles: [viewer]}\n",
			"the owner holds the admin role"},
		{"tags: [{name: a_b}]\n", "tags[0].name"},
		{"users:\n  - {account: a, nick: 甲, type: developer, tags: {nope: x}}\n", "tag \"nope\" is not defined"},
		{"workspaces:\n  - name: 空间\n    datasets:\n      - name: 集\n        rowLevel:\n          rules:\n            - {name: r}\n", "rules[0].content: required"},
		{"workspaces:\n  - name: 空间\n    datasets:\n      - name: 集\n        rowLevel:\n          rules:\n            - {name: r, scope: all, users: [qbadmin], content: {}}\n", "a rule for everyone"},
		{"workspaces:\n  - name: 空间\n    works:\n      - {name: w, type: CHART}\n", "works[0].type"},
		{"users:\n  - {account: a, nick: 甲, type: developer, roles: [user, admin, permissionAdmin, 审计]}\n", "at most 3"},
		{"version: 1\n---\nversion: 1\n", "one YAML document"},
	} {
		_, err := ParseSeed([]byte(tt.seed))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("seed:\n%s\nerr = %v, want it to contain %q", tt.seed, err, tt.want)
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(path, []byte("users: [{account: a}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSeed(path); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("LoadSeed error %v does not name the file and line", err)
	}
	if _, err := ParseSeed(nil); err != nil {
		t.Errorf("an empty seed: %v", err)
	}
}

// TestSnapshotDeterministic: the same seed and calls give equal states,
// UserIds included; a Snapshot is a copy.
func TestSnapshotDeterministic(t *testing.T) {
	run := func() *State {
		clk := &clock{t: checkTime}
		s, c := newServer(t, baseSeed, withClock(clk))
		addUser(t, c, "新人", "3", "ops:new")
		c.ok("CreateUserGroup", p("UserGroupName", "新组", "ParentUserGroupId", "-1"), nil)
		c.ok("AddUserTagMeta", p("TagName", "新标签"), nil)
		c.ok("CreateTicket", p("WorksId", "works-board"), nil)
		return s.Snapshot()
	}
	a, b := run(), run()
	if d := cmp.Diff(a, b); d != "" {
		t.Fatalf("two runs of the same calls differ:\n%s", d)
	}
	s, _ := newServer(t, baseSeed)
	st := s.Snapshot()
	st.Users[0].NickName = "改了"
	st.Groups[0].Members = append(st.Groups[0].Members, "x")
	st.Workspace("销售分析").Dataset("订单").Row.Rules[0].Users[0] = "x"
	again := s.Snapshot()
	if again.Users[0].NickName == "改了" || len(again.Groups[0].Members) == len(st.Groups[0].Members) ||
		again.Workspace("销售分析").Dataset("订单").Row.Rules[0].Users[0] == "x" {
		t.Fatal("a Snapshot shares memory with the server")
	}
	for i := 1; i < len(st.Users); i++ {
		if st.Users[i-1].AccountName > st.Users[i].AccountName {
			t.Fatal("users are not sorted by account")
		}
	}
}

func TestDefaults(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	if s.AccessKeyID() != DefaultAccessKeyID || len(s.AccessKeySecret()) < 20 {
		t.Fatalf("credentials %q", s.AccessKeyID())
	}
	if s2 := New(Options{}); s2.AccessKeySecret() == s.AccessKeySecret() {
		t.Fatal("two servers share a random secret")
	} else {
		s2.Close()
	}
	st := s.Snapshot()
	if len(st.Users) != 1 || st.Users[0].AccountName != "qbadmin" || !st.Organization.NewRowPermissionModel || st.Organization.MaxTags != 50 {
		t.Fatalf("default state %+v", st)
	}
	u := NewUnstarted(Options{})
	if u.URL() != "" || u.Handler() == nil {
		t.Fatal("NewUnstarted")
	}
	if _, err := NewFromOptions(Options{Seed: &Seed{Users: []SeedUser{{Account: "a"}}}}); err == nil {
		t.Fatal("an invalid seed was accepted")
	}
}

// TestHandlerWraps: Handler serves the same API behind a wrapper.
func TestHandlerWraps(t *testing.T) {
	s := NewUnstarted(Options{AccessKeySecret: "wrapped"})
	seen := 0
	s.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen++
		s.Handler().ServeHTTP(w, r)
	}))
	defer s.Close()
	c := &tc{t: t, s: s}
	c.call("QueryUserList", nil).ok(t, nil)
	if seen != 1 || s.Calls()["QueryUserList"] != 1 {
		t.Fatalf("wrapper saw %d, server %v", seen, s.Calls())
	}
}
