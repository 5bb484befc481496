package youdata_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// editedQuickstart copies the quickstart's desired files to a temporary
// directory, applying old → new replacements to sales.yaml, and returns
// the directory. Every replacement must match.
func editedQuickstart(t *testing.T, replace ...string) string {
	t.Helper()
	src := filepath.Join("..", "..", "examples", "quickstart", "desired")
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		s := string(b)
		if rel == filepath.Join("projects", "sales.yaml") {
			for i := 0; i+1 < len(replace); i += 2 {
				if !strings.Contains(s, replace[i]) {
					t.Fatalf("%s does not contain %q", rel, replace[i])
				}
				s = strings.ReplaceAll(s, replace[i], replace[i+1])
			}
		}
		if err := os.MkdirAll(filepath.Join(dst, filepath.Dir(rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), []byte(s), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// A group permsync created is deleted over the real client when it leaves
// the files, and a group moved to another folder is re-created there; both
// converge.
func TestApplyDeletesAndReplacesGroups(t *testing.T) {
	e := quickstart(t)
	res, err := e.apply(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	reportFailures(t, res)
	if g := e.sim.Snapshot().ProjectByName("销售分析").GroupByName("华东销售组"); g == nil {
		t.Fatal("the first apply did not create 华东销售组")
	}

	dir := editedQuickstart(t,
		// 华东销售组 leaves the files, with every reference to it.
		"      - name: 华东销售组\n        folder: 区域组\n        members: [chen.jing@example.com, zhao.lei@example.com]\n", "",
		"groups: [华北销售组, 华东销售组]", "groups: [华北销售组]",
		"        groups: [华东销售组]\n", "",
		// 华北销售组 moves to another folder.
		"      - name: 华北销售组\n        folder: 区域组\n", "      - name: 华北销售组\n        folder: 北方\n",
	)
	d, err := spec.Load([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	e.desired = d
	before := e.writes.count()
	res, err = e.apply(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	reportFailures(t, res)
	total := 0
	for _, n := range res.Calls {
		total += n
	}
	if got := e.writes.count() - before; got != total {
		t.Errorf("the server saw %d write requests, the result counts %d (%v)", got, total, res.Calls)
	}
	p := e.sim.Snapshot().ProjectByName("销售分析")
	if g := p.GroupByName("华东销售组"); g != nil {
		t.Errorf("华东销售组 is still on the server: %+v", g)
	}
	if g := p.GroupByName("华北销售组"); g == nil || g.Folder != "北方" {
		t.Errorf("华北销售组 = %+v, want it in folder 北方", g)
	}
	e.converged()
}

// A group/add whose answer is lost (the server made the group, then the
// connection dropped) leaves a group with no members, which no read shows
// and whose name refuses another create. The state records the create as
// pending before it is sent, so the next apply deletes that group by path,
// creates it again, and converges with nothing done by hand.
func TestApplyGroupCreateAnswerLost(t *testing.T) {
	e := quickstart(t)
	const key = "group 销售分析/华东销售组"
	e.sim.SetFaults("group/add", youdatatest.Fault{Share5xx: 1, AfterApply: true})
	res, err := e.apply(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var status engine.Status
	for _, cr := range res.Changes {
		if plan.StateKey(cr.Change.Kind, cr.Change.Key) == key {
			status = cr.Status
		}
	}
	if status != engine.StatusFailed {
		t.Fatalf("%s: %s, want failed (its answer was lost)", key, status)
	}
	found := false
	for _, p := range e.sim.Snapshot().Projects {
		for _, g := range p.Groups {
			found = found || g.Name == "华东销售组"
		}
	}
	if !found {
		t.Fatal("the simulator did not make the group whose answer it dropped")
	}
	st, _, err := state.Load(e.statePath)
	if err != nil {
		t.Fatal(err)
	}
	if o := st.Objects[key]; o == nil || !o.Pending || o.ID != 0 {
		t.Fatalf("state of %s after the lost answer = %+v, want a pending create", key, o)
	}

	e.sim.ClearFaults()
	e.sim.ResetCalls()
	res, err = e.apply(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	reportFailures(t, res)
	if n := e.sim.Calls()["group/dels"]; n == 0 {
		t.Error("the group left by the lost create was not deleted before the create")
	}
	st, _, err = state.Load(e.statePath)
	if err != nil {
		t.Fatal(err)
	}
	if o := st.Objects[key]; o == nil || o.Pending || o.ID == 0 || !o.Created {
		t.Errorf("state of %s after the second apply = %+v, want created with its id", key, o)
	}
	e.converged()
}

// A replace (a group moved to another folder) deletes the group, then
// creates it anew; when that create's answer is lost, the state must
// still say a create is pending, or the next apply meets a taken name.
func TestApplyGroupReplaceAnswerLost(t *testing.T) {
	e := quickstart(t)
	res, err := e.apply(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	reportFailures(t, res)
	dir := editedQuickstart(t, "      - name: 华北销售组\n        folder: 区域组\n", "      - name: 华北销售组\n        folder: 北方\n")
	if e.desired, err = spec.Load([]string{dir}); err != nil {
		t.Fatal(err)
	}
	const key = "group 销售分析/华北销售组"
	e.sim.SetFaults("group/add", youdatatest.Fault{Share5xx: 1, AfterApply: true})
	if _, err := e.apply(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, _, err := state.Load(e.statePath)
	if err != nil {
		t.Fatal(err)
	}
	if o := st.Objects[key]; o == nil || !o.Pending {
		t.Fatalf("state of %s after the replace's create lost its answer = %+v, want a pending create", key, o)
	}
	e.sim.ClearFaults()
	res, err = e.apply(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	reportFailures(t, res)
	if g := e.sim.Snapshot().ProjectByName("销售分析").GroupByName("华北销售组"); g == nil || g.Folder != "北方" {
		t.Errorf("华北销售组 = %+v, want it in folder 北方", g)
	}
	e.converged()
}

// A group whose create lost its answer, then left the files: the next
// apply deletes what that create left, by the folder the create named.
func TestApplyGroupCreateAnswerLostThenRemoved(t *testing.T) {
	e := quickstart(t)
	e.sim.SetFaults("group/add", youdatatest.Fault{Share5xx: 1, AfterApply: true})
	if _, err := e.apply(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.sim.ClearFaults()
	if g := e.sim.Snapshot().ProjectByName("销售分析").GroupByName("华东销售组"); g == nil {
		t.Fatal("the simulator did not make the group whose answer it dropped")
	}
	dir := editedQuickstart(t,
		"      - name: 华东销售组\n        folder: 区域组\n        members: [chen.jing@example.com, zhao.lei@example.com]\n", "",
		"groups: [华北销售组, 华东销售组]", "groups: [华北销售组]",
		"        groups: [华东销售组]\n", "",
	)
	var err error
	if e.desired, err = spec.Load([]string{dir}); err != nil {
		t.Fatal(err)
	}
	res, err := e.apply(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	reportFailures(t, res)
	if g := e.sim.Snapshot().ProjectByName("销售分析").GroupByName("华东销售组"); g != nil {
		t.Errorf("the group left by the lost create is still on the server: %+v", g)
	}
	st, _, err := state.Load(e.statePath)
	if err != nil {
		t.Fatal(err)
	}
	if o := st.Objects["group 销售分析/华东销售组"]; o != nil {
		t.Errorf("state still holds the removed group: %+v", o)
	}
	e.converged()
}
