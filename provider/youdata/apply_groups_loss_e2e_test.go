package youdata_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// handMadeSeed is a server where a group was made by hand, with no
// members (so no read shows it), a description, and a role bound to it
// by hand that the files do not manage.
const handMadeSeed = `version: 1
admin: {uniqueId: admin@corp.example, email: admin@corp.example, nick: 管理员}
users:
  - {uniqueId: a@corp.example, email: a@corp.example, nick: A}
  - {uniqueId: b@corp.example, email: b@corp.example, nick: B}
projects:
  - id: 301
    name: P
    members:
      - {user: admin@corp.example, systemRoles: [admin]}
      - {user: a@corp.example, systemRoles: [viewer]}
      - {user: b@corp.example, systemRoles: [viewer]}
    groups:
      - {name: 手工组, folder: 组, description: 手工建立}
    roles:
      - name: 手工角色
        groups: [手工组]
        resources:
          - {type: NEW_REPORT, id: 9, permissions: [view]}
`

// handMadeEnv is an env on handMadeSeed whose files declare the group
// with the given YAML fields (after name and folder).
func handMadeEnv(t *testing.T, groupFields string) *env {
	t.Helper()
	dir := t.TempDir()
	seed := filepath.Join(dir, "seed.yaml")
	desired := filepath.Join(dir, "desired", "p.yaml")
	if err := os.MkdirAll(filepath.Dir(desired), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(seed, []byte(handMadeSeed), 0o644); err != nil {
		t.Fatal(err)
	}
	doc := "version: 1\nusers:\n  - {uniqueId: a@corp.example, email: a@corp.example, nick: A}\n  - {uniqueId: b@corp.example, email: b@corp.example, nick: B}\n" +
		"projects:\n  - name: P\n    groups:\n      - name: 手工组\n        folder: 组\n" + groupFields
	if err := os.WriteFile(desired, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return newEnv(t, []string{filepath.Dir(desired)}, seed)
}

// handMadeGroup is the hand-made group and whether 手工角色 is still bound
// to it.
func handMadeGroup(t *testing.T, e *env) (*youdatatest.Group, bool) {
	t.Helper()
	p := e.sim.Snapshot().ProjectByName("P")
	g := p.GroupByName("手工组")
	if g == nil {
		return nil, false
	}
	r := p.FindRole("", "手工角色")
	_, bound := r.Groups[g.ID]
	return g, bound
}

func groupChange(p *plan.Plan, key string) *plan.Change {
	for i := range p.Changes {
		if p.Changes[i].Kind == youdata.KindGroup && p.Changes[i].Key == key {
			return &p.Changes[i]
		}
	}
	return nil
}

func resultOf(res *engine.Result, key string) *engine.ChangeResult {
	for i := range res.Changes {
		if res.Changes[i].Change.Kind == youdata.KindGroup && res.Changes[i].Change.Key == key {
			return &res.Changes[i]
		}
	}
	return nil
}

// D1: the files declare a group that exists on the server with no
// members. group/add answers that the name is taken: the group is adopted
// (known in the state as existing, not created by permsync), its
// description set by its path, and never deleted: the role bound to it by
// hand keeps the binding, the group its id. Its members cannot join while
// its id cannot be read; the error says what to do, and once someone gave
// it a member in the web console, the next apply converges.
func TestApplyAdoptsGroupThatExistsWithoutMembers(t *testing.T) {
	ctx := context.Background()
	const key = "P/手工组"
	e := handMadeEnv(t, "        description: 新说明\n        members: [a@corp.example]\n")
	g0, bound := handMadeGroup(t, e)
	if g0 == nil || !bound {
		t.Fatal("the seed lacks the hand-made group or its binding")
	}

	res, err := e.apply(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cr := resultOf(res, key)
	if cr == nil || cr.Status != engine.StatusFailed || !strings.Contains(cr.Err.Error(), "web console") {
		t.Fatalf("first apply, group %s: %+v, want failed with what to do", key, cr)
	}
	st, _, err := state.Load(e.statePath)
	if err != nil {
		t.Fatal(err)
	}
	if o := st.Objects["group "+key]; o == nil || o.Pending || o.Created {
		t.Fatalf("state of group %s after group/add found it = %+v, want it known, not pending, not created", key, o)
	}
	if g, _ := handMadeGroup(t, e); g == nil || g.Description != "新说明" {
		t.Errorf("group after the first apply = %+v, want its description set by its path", g)
	}

	// The next plan knows the group exists: no create, no replace, no
	// deletion; its apply fails the same way, and deletes nothing.
	p, _ := e.plan(ctx)
	for _, c := range p.Changes {
		if c.Kind == youdata.KindGroup && c.Action != plan.Update {
			t.Errorf("second plan: %s group %s (%s), want only an update", c.Action, c.Key, c.Reason)
		}
	}
	if c := groupChange(p, key); c == nil {
		t.Fatal("second plan: no change of the group's members")
	}
	res, err = e.apply(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cr := resultOf(res, key); cr == nil || cr.Status != engine.StatusFailed || !strings.Contains(cr.Err.Error(), "web console") {
		t.Errorf("second apply, group %s: %+v, want failed with what to do", key, cr)
	}

	// Someone gives the group a member in the web console: it shows in
	// the next read, with its id, and the files' members replace it.
	if _, err := e.api.BatchImport(ctx, apiclient.BatchImportRequest{ProjectID: 301, GroupIDs: []int64{g0.ID},
		Users: []apiclient.ImportUser{{UniqueID: "b@corp.example"}}}); err != nil {
		t.Fatal(err)
	}
	res, err = e.apply(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reportFailures(t, res)
	g, bound := handMadeGroup(t, e)
	if g == nil || g.ID != g0.ID || !bound {
		t.Fatalf("group at the end = %+v (bound to 手工角色: %v), want the hand-made group %d, still bound", g, bound, g0.ID)
	}
	if !reflect.DeepEqual(g.Members, []string{"a@corp.example"}) || g.Description != "新说明" {
		t.Errorf("group at the end = %+v", g)
	}
	if n := e.sim.Calls()["group/dels"]; n != 0 {
		t.Errorf("%d group/dels calls: a group no plan showed deleted was deleted", n)
	}
	if n := e.sim.Calls()["group/add"]; n != 1 {
		t.Errorf("%d group/add calls, want 1", n)
	}
	st, _, err = state.Load(e.statePath)
	if err != nil {
		t.Fatal(err)
	}
	if o := st.Objects["group "+key]; o == nil || o.Pending || o.Created || o.ID != g0.ID {
		t.Errorf("final state of group %s = %+v, want id %d, not created", key, o, g0.ID)
	}
	e.converged()
}

// D1 without members to join: the group found existing is adopted and
// the change applied; the next plan is empty, and a group permsync did not
// create is not deleted when it leaves the files.
func TestApplyAdoptsMemberlessGroupWithoutMembersToJoin(t *testing.T) {
	ctx := context.Background()
	e := handMadeEnv(t, "        description: 新说明\n")
	g0, _ := handMadeGroup(t, e)
	res, err := e.apply(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reportFailures(t, res)
	e.converged()

	// The group leaves the files: permsync did not create it, prune is
	// off, so it stays, bound.
	d, err := spec.Load([]string{writeDesired(t, "version: 1\nprojects:\n  - name: P\n")})
	if err != nil {
		t.Fatal(err)
	}
	e.desired = d
	p, _ := e.plan(ctx)
	if c := groupChange(p, "P/手工组"); c != nil {
		t.Errorf("plan once the group left the files: %s group (%s), want nothing", c.Action, c.Reason)
	}
	if g, bound := handMadeGroup(t, e); g == nil || g.ID != g0.ID || !bound || g.Description != "新说明" {
		t.Errorf("group = %+v (bound %v), want the hand-made one, bound, described", g, bound)
	}
	if n := e.sim.Calls()["group/dels"]; n != 0 {
		t.Errorf("%d group/dels calls", n)
	}
}

func writeDesired(t *testing.T, doc string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "p.yaml"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// refuser answers, in place of the server, every user/batchImport that
// names groups (groupIds) with a definite refusal while on is set.
type refuser struct {
	next http.RoundTripper
	mu   sync.Mutex
	on   bool
	n    int
}

func (r *refuser) set(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on = on
}

func (r *refuser) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.URL.Path, "/user/batchImport") && req.Body != nil {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		r.mu.Lock()
		refuse := r.on && bytes.Contains(body, []byte(`"groupIds"`))
		if refuse {
			r.n++
		}
		r.mu.Unlock()
		if refuse {
			return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Header: http.Header{"Content-Type": {"application/json"}},
				Body: io.NopCloser(strings.NewReader(`{"code":400,"message":"导入失败: 用户组成员已满"}`)), Request: req}, nil
		}
	}
	return r.next.RoundTrip(req)
}

// D2: a group's members are replaced ([wang.fang, liu.yang, wu.hao] →
// [zhang.wei]) and the batchImport that adds zhang.wei is refused. The
// members who were to leave stay: the leave runs only after the join
// succeeded, so the group is never emptier than both before and after.
// The next apply replaces them; the group keeps its id and its role
// bindings throughout, and is never deleted nor created.
func TestApplyGroupReplacementAddsBeforeRemoving(t *testing.T) {
	ctx := context.Background()
	e := quickstart(t)
	ref := &refuser{next: e.writes.next, on: true}
	e.writes.next = ref
	dir := editedQuickstart(t, "        members: [wang.fang@example.com, liu.yang@example.com]\n", "        members: [zhang.wei@example.com]\n")
	var err error
	if e.desired, err = spec.Load([]string{dir}); err != nil {
		t.Fatal(err)
	}
	const key = "销售分析/华北销售组"
	before := e.sim.Snapshot().ProjectByName("销售分析")
	g0 := before.GroupByName("华北销售组")
	want := map[string]bool{}
	for name := range before.GroupBindings(before.FindRole("通用", "销售报告阅览")) {
		want["销售报告阅览 "+name] = true
	}
	for name := range before.GroupBindings(before.FindRole("区域", "华北数据")) {
		want["华北数据 "+name] = true
	}
	if !want["销售报告阅览 华北销售组"] || !want["华北数据 华北销售组"] {
		t.Fatalf("the seed does not bind 华北销售组: %v", want)
	}

	res, err := e.apply(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ref.n == 0 {
		t.Fatal("no batchImport naming groups was refused: the test tests nothing")
	}
	if cr := resultOf(res, key); cr == nil || cr.Status != engine.StatusFailed {
		t.Fatalf("group %s: %+v, want failed (its join was refused)", key, cr)
	}
	g := e.sim.Snapshot().ProjectByName("销售分析").GroupByName("华北销售组")
	if g == nil || !reflect.DeepEqual(g.Members, g0.Members) {
		t.Fatalf("after the refused join the group is %+v, want its members %v untouched", g, g0.Members)
	}

	ref.set(false)
	res, err = e.apply(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reportFailures(t, res)
	p := e.sim.Snapshot().ProjectByName("销售分析")
	g = p.GroupByName("华北销售组")
	if g == nil || g.ID != g0.ID || !reflect.DeepEqual(g.Members, []string{"zhang.wei@example.com"}) {
		t.Fatalf("group at the end = %+v, want group %d with zhang.wei only", g, g0.ID)
	}
	if _, ok := p.GroupBindings(p.FindRole("通用", "销售报告阅览"))["华北销售组"]; !ok {
		t.Error("销售报告阅览 lost its binding to 华北销售组")
	}
	if _, ok := p.GroupBindings(p.FindRole("区域", "华北数据"))["华北销售组"]; !ok {
		t.Error("华北数据 lost its binding to 华北销售组")
	}
	if n := e.sim.Calls()["group/dels"]; n != 0 {
		t.Errorf("%d group/dels calls", n)
	}
	e.converged()
}

// A group emptied by the files, whose group/ext/delUsers answer is lost:
// before the call the state records the group with its id, so the next
// plan knows the group (which no read shows now) and neither creates it
// again nor meets a taken name.
func TestApplyEmptiedGroupStaysKnown(t *testing.T) {
	ctx := context.Background()
	e := quickstart(t)
	dir := editedQuickstart(t, "        members: [wang.fang@example.com, liu.yang@example.com]\n", "        members: []\n")
	var err error
	if e.desired, err = spec.Load([]string{dir}); err != nil {
		t.Fatal(err)
	}
	// Emptying a group of 3 is more than settings.maxDeletes allows in
	// the project; the limit is not what this test is about.
	e.desired.Settings.MaxDeletes = &spec.MaxDeletes{Percent: true, Share: 100}
	const key = "销售分析/华北销售组"
	g0 := e.sim.Snapshot().ProjectByName("销售分析").GroupByName("华北销售组")
	e.sim.SetFaults("group/ext/delUsers", youdatatest.Fault{Share5xx: 1, AfterApply: true})
	if _, err := e.apply(ctx); err != nil {
		t.Fatal(err)
	}
	e.sim.ClearFaults()
	if g := e.sim.Snapshot().ProjectByName("销售分析").GroupByName("华北销售组"); g == nil || len(g.Members) != 0 {
		t.Fatalf("group after the lost delUsers answer = %+v, want it emptied", g)
	}
	st, _, err := state.Load(e.statePath)
	if err != nil {
		t.Fatal(err)
	}
	if o := st.Objects["group "+key]; o == nil || o.Pending || o.ID != g0.ID {
		t.Fatalf("state of the emptied group = %+v, want it known with id %d", o, g0.ID)
	}
	p, _ := e.plan(ctx)
	if c := groupChange(p, key); c != nil {
		t.Errorf("plan after: %s group %s (%s), want nothing", c.Action, key, c.Reason)
	}
	res, err := e.apply(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reportFailures(t, res)
	if g := e.sim.Snapshot().ProjectByName("销售分析").GroupByName("华北销售组"); g == nil || g.ID != g0.ID {
		t.Errorf("group at the end = %+v, want group %d", g, g0.ID)
	}
	if n := e.sim.Calls()["group/add"] + e.sim.Calls()["group/dels"]; n != 1 {
		t.Errorf("%d group/add and group/dels calls, want 1 (the create of 华东销售组)", n)
	}
	e.converged()
}

// A group/add whose answer was lost, then, in the next apply, the name is
// taken and the group/dels that clears what the lost create left loses
// its answer too: the client's retry answers that the group is gone. The
// group/add that follows finds the name free and makes the group; it is
// not taken for another group's.
func TestApplyLostGroupCreateRecoveredWhenDeleteRetried(t *testing.T) {
	ctx := context.Background()
	e := quickstart(t)
	const key = "销售分析/华东销售组"
	e.sim.SetFaults("group/add", youdatatest.Fault{Share5xx: 1, AfterApply: true})
	if _, err := e.apply(ctx); err != nil {
		t.Fatal(err)
	}
	e.sim.ClearFaults()
	e.sim.SetFaults("group/dels", youdatatest.Fault{FailNext: 1, AfterApply: true})
	e.sim.ResetCalls()
	res, err := e.apply(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reportFailures(t, res)
	if n := e.sim.Calls()["group/dels"]; n != 2 {
		t.Fatalf("%d group/dels calls, want 2 (one retried): the test tests nothing", n)
	}
	if g := e.sim.Snapshot().ProjectByName("销售分析").GroupByName("华东销售组"); g == nil || len(g.Members) != 2 {
		t.Errorf("group = %+v, want it made again with its members", g)
	}
	st, _, err := state.Load(e.statePath)
	if err != nil {
		t.Fatal(err)
	}
	if o := st.Objects["group "+key]; o == nil || o.Pending || !o.Created || o.ID == 0 {
		t.Errorf("state of %s = %+v, want created with its id", key, o)
	}
	e.converged()
}
