package youdata_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/plan/render"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/spec"
)

// TestApplyKeepsValuesThatTheNextPlanShows: an apply records the values of
// the write-only facets it sets (a data permission's rules no member
// shows), and the next plan shows what a change replaces in them, element
// by element, rather than a "before" it cannot know.
func TestApplyKeepsValuesThatTheNextPlanShows(t *testing.T) {
	dir := filepath.Join("testdata", "plan", "values-rules")
	e := newEnv(t, []string{filepath.Join(dir, "applied")}, filepath.Join(dir, "live.yaml"))
	first, _ := e.plan(context.Background())
	applied := findChange(t, first, youdata.KindDataPermission, "销售分析/区域/华东数据")
	res, err := e.apply(context.Background())
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	reportFailures(t, res)
	b, err := os.ReadFile(e.statePath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"value":{"rules":[`)) {
		t.Errorf("the state does not keep the rules applied:\n%s", b)
	}

	d, err := spec.Load([]string{filepath.Join(dir, "desired")})
	if err != nil {
		t.Fatal(err)
	}
	e.desired = d
	p, _ := e.plan(context.Background())
	c := findChange(t, p, youdata.KindDataPermission, "销售分析/区域/华东数据")
	if c.Before.Has("rules") || c.BeforeUnknown != nil {
		t.Errorf("before %v, before unknown %v: want the rules only as last applied", c.Before, c.BeforeUnknown)
	}
	if got, want := string(c.LastApplied["rules"]), string(applied.After["rules"]); got != want {
		t.Errorf("last applied rules\n%s\nwant what was applied\n%s", got, want)
	}
	var txt bytes.Buffer
	if err := render.Text(&txt, p, render.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"~ inlist:\n", `- ["华东","浙江"]`, `+ ["华南","广东"]`, "(1 unchanged item hidden)"} {
		if !strings.Contains(txt.String(), want) {
			t.Errorf("the plan lacks %q:\n%s", want, txt.String())
		}
	}
}

func findChange(t *testing.T, p *plan.Plan, k plan.Kind, key string) plan.Change {
	t.Helper()
	for _, c := range p.Changes {
		if c.Kind == k && c.Key == key {
			return c
		}
	}
	t.Fatalf("no change of %s %s in the plan", k, key)
	return plan.Change{}
}
