package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/permsync/permsync/diff"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// Edits made in the web console to what the server cannot show are not
// seen by a plan; apply --reassert sends those facets again and the server
// ends as the files say.
func TestApplyReassert(t *testing.T) {
	sim, vars, desired := quickstartServer(t)
	stPath := filepath.Join(t.TempDir(), "state.json")
	apply := func(extra ...string) (int, string, string) {
		return runCmd(t, vars, append([]string{"apply", "-f", desired, "--server", sim.URL(), "--state", stPath, "--auto-approve"}, extra...)...)
	}
	if code, stdout, stderr := apply(); code != exitOK {
		t.Fatalf("first apply: exit %d\n%s%s", code, stdout, stderr)
	}
	sim.Edit(func(st *youdatatest.State, _ *youdatatest.IDs) {
		st.Orgs["SALES_N"].Name = "手改部门"
		pos := "手改"
		st.Users["wang.fang@example.com"].Position = &pos
	})
	if code, stdout, stderr := apply(); code != exitOK || !strings.Contains(stdout, "No changes.") {
		t.Fatalf("apply without --reassert: exit %d, want no changes\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr := apply("--reassert")
	if code != exitOK {
		t.Fatalf("apply --reassert: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"Re-asserting the ", "~ reassert department SALES_N", "~ reassert user wang.fang@example.com", "reassert: ", "No changes. The server matches the desired state."} {
		if !strings.Contains(stdout, want) {
			t.Errorf("apply --reassert output lacks %q:\n%s", want, stdout)
		}
	}
	snap := sim.Snapshot()
	if snap.Orgs["SALES_N"].Name != "华北销售" || *snap.Users["wang.fang@example.com"].Position != "区域经理" {
		t.Errorf("not restored: department %q, position %q", snap.Orgs["SALES_N"].Name, *snap.Users["wang.fang@example.com"].Position)
	}
	st, _, err := state.Load(stPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := diff.LastReassert(st, youdata.Name); !ok {
		t.Error("the state does not record the re-assertion")
	}
	for key, o := range st.Objects {
		for name, f := range o.Facets {
			if strings.HasPrefix(f.Hash, diff.ReassertPrefix) {
				t.Errorf("%s %s is still marked after the apply", key, name)
			}
		}
	}

	planFile := filepath.Join(t.TempDir(), "p.plan")
	if code, out, errOut := runCmd(t, vars, "plan", "-f", desired, "--server", sim.URL(), "--state", stPath, "--out", planFile); code != exitOK && code != 2 {
		t.Fatalf("plan --out: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, stderr := runCmd(t, vars, "apply", planFile, "--server", sim.URL(), "--reassert"); code != exitError || !strings.Contains(stderr, "--reassert plans anew") {
		t.Errorf("apply PLANFILE --reassert: exit %d, %s", code, stderr)
	}
}

// fakeProvider records the states it plans against.
type fakeProvider struct {
	provider.Provider
	planned int
}

func (f *fakeProvider) Name() string { return youdata.Name }
func (f *fakeProvider) Plan(*spec.Desired, provider.Live, *state.State, diff.Options) (*plan.Plan, error) {
	f.planned++
	return &plan.Plan{}, nil
}
func (f *fakeProvider) MarkReassert(st *state.State, at time.Time) int {
	return youdata.MarkReassert(st, at)
}
func (f *fakeProvider) Read(context.Context, provider.Scope) (provider.Live, error) { return nil, nil }

// run --reassert-every re-asserts when none is recorded or the last is
// older than the period, and records when in the state it plans against.
func TestReassertEvery(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f := &fakeProvider{}
	r := &reassertingProvider{Provider: f, every: 24 * time.Hour, now: func() time.Time { return now }}
	st := state.New()
	st.Objects["department D"] = &state.Object{Facets: map[string]state.Facet{"department": {Hash: "sha256:1"}}}
	marked := func() bool {
		return strings.HasPrefix(st.Objects["department D"].Facets["department"].Hash, diff.ReassertPrefix)
	}

	if _, err := r.Plan(&spec.Desired{}, nil, st, diff.Options{}); err != nil || !marked() {
		t.Fatalf("first run: marked %v, %v", marked(), err)
	}
	st.Objects["department D"] = &state.Object{Facets: map[string]state.Facet{"department": {Hash: "sha256:1"}}} // applied
	now = now.Add(23 * time.Hour)
	if _, err := r.Plan(&spec.Desired{}, nil, st, diff.Options{}); err != nil || marked() {
		t.Fatalf("23 hours later: marked %v, %v", marked(), err)
	}
	now = now.Add(time.Hour)
	if _, err := r.Plan(&spec.Desired{}, nil, st, diff.Options{}); err != nil || !marked() {
		t.Fatalf("24 hours later: marked %v, %v", marked(), err)
	}
	if last, _ := diff.LastReassert(st, youdata.Name); !last.Equal(now) || f.planned != 3 {
		t.Errorf("last %s, planned %d", last, f.planned)
	}
}

func TestReassertEveryFlagErrors(t *testing.T) {
	files := []string{"-f", "../../examples/quickstart/desired", "--simulator", "../../examples/quickstart/server-before.yaml", "--schedule", "@hourly"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{append([]string{"--reassert-every", "-1h"}, files...), "--reassert-every must not be negative"},
		{append([]string{"--reassert-every", "24h", "--mode", "plan"}, files...), "--reassert-every needs --mode apply"},
	} {
		if code, _, stderr := runCmd(t, nil, append([]string{"run"}, c.args...)...); code != exitError || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %q", c.args, code, stderr)
		}
	}
}

// permsync run --reassert-every against a server: the first run records
// the re-assertion in the state it saves.
func TestRunReassertEveryRecordsIt(t *testing.T) {
	seed, err := youdatatest.LoadSeed("../../examples/quickstart/server-before.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sim := youdatatest.New(youdatatest.Options{Seed: seed})
	defer sim.Close()
	statePath := filepath.Join(t.TempDir(), "state.json")
	logs, stop := startRun(t, map[string]string{"PERMSYNC_TOKEN": sim.Token(), "PERMSYNC_SERVER": sim.URL()},
		"-f", "../../examples/quickstart/desired", "--schedule", "@every 1h", "--state", statePath,
		"--log-format", "json", "--rps", "0", "--jitter", "0", "--reassert-every", "24h")
	summary := logs.next(t, "run finished")
	if summary["result"] != "success" || summary["remaining_after_verify"] != 0.0 {
		t.Errorf("summary: %v", summary)
	}
	if c := stop(); c != exitOK {
		t.Errorf("exit code = %d\n%s", c, logs)
	}
	st, _, err := state.Load(statePath)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := diff.LastReassert(st, youdata.Name); !ok {
		t.Errorf("the state does not record the re-assertion")
	}
}
