package export_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/permsync/permsync/diff"
	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/provider/quickbi"
	"github.com/permsync/permsync/provider/quickbi/apiclient"
	"github.com/permsync/permsync/provider/quickbi/export"
	"github.com/permsync/permsync/provider/quickbi/quickbitest"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

var seeds = []string{
	filepath.Join("..", "..", "..", "examples", "quickbi", "server-before.yaml"),
	filepath.Join("..", "quickbitest", "testdata", "example.yaml"),
	filepath.Join("..", "testdata", "plan", "group-move-subtree", "live.yaml"),
	filepath.Join("..", "testdata", "plan", "levels", "live.yaml"),
	filepath.Join("..", "testdata", "plan", "rules", "live.yaml"),
}

func newSim(t *testing.T, seedPath string) (*quickbitest.Server, *apiclient.Client) {
	t.Helper()
	seed, err := quickbitest.LoadSeed(seedPath)
	if err != nil {
		t.Fatal(err)
	}
	s := quickbitest.New(quickbitest.Options{Seed: seed})
	t.Cleanup(s.Close)
	c, err := apiclient.New(apiclient.Config{Server: s.URL(),
		Credentials: apiclient.Credentials{AccessKeyID: s.AccessKeyID(), AccessKeySecret: s.AccessKeySecret()},
		WriteRPS:    -1, ReadRPS: -1,
		Retry: apiclient.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func admin(s *quickbitest.Server) string { return s.Snapshot().UserByID(s.AdminUserID()).AccountName }

// exportTo exports the organization into a new folder and returns it and
// the state that goes with the export.
func exportTo(t *testing.T, s *quickbitest.Server, c *apiclient.Client, split export.Split) (string, *state.State, *export.Result) {
	t.Helper()
	live, err := export.Read(context.Background(), c, nil, admin(s), quickbi.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	res, err := export.Write(live, dir, export.Options{Split: split, Header: "exported from the simulator"})
	if err != nil {
		t.Fatal(err)
	}
	return dir, export.State(live, nil, s.URL()), res
}

// TestRoundTrip exports organizations and plans the export against them:
// the plan is empty, for both layouts.
func TestRoundTrip(t *testing.T) {
	for _, seedPath := range seeds {
		for _, split := range export.Splits {
			t.Run(filepath.Base(filepath.Dir(seedPath))+"/"+string(split), func(t *testing.T) {
				s, c := newSim(t, seedPath)
				dir, st, res := exportTo(t, s, c, split)
				if res.Counts.Users == 0 {
					t.Fatalf("nothing exported: %+v", res.Counts)
				}
				d, err := spec.Load([]string{dir})
				if err != nil {
					t.Fatalf("the export does not load: %v", err)
				}
				p := &engine.Pipeline{Provider: quickbi.New(quickbi.Config{API: c}), Desired: d, State: st, TokenUser: admin(s)}
				pl, err := p.Plan(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				for _, ch := range pl.Changes {
					t.Errorf("the first plan of the export has %s %s %s (%s)", ch.Action, ch.Kind, ch.Key, ch.Reason)
				}
				if len(pl.Refusals) > 0 {
					t.Errorf("refused: %v", pl.RefusalMessages())
				}
			})
		}
	}
}

// TestExportAfterApply exports what the example's apply leaves (a group
// moved, so its copy's id ends in --moved): the export names it by the
// files' id, and its plan is empty.
func TestExportAfterApply(t *testing.T) {
	s, c := newSim(t, seeds[0])
	d, err := spec.Load([]string{filepath.Join("..", "..", "..", "examples", "quickbi", "desired")})
	if err != nil {
		t.Fatal(err)
	}
	p := &engine.Pipeline{Provider: quickbi.New(quickbi.Config{API: c}), Desired: d, State: state.New(), TokenUser: admin(s)}
	pl, err := p.Plan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Apply(context.Background(), pl, engine.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if s.Snapshot().Group("bi--moved") == nil {
		t.Fatal("the example did not move group bi")
	}
	dir, st, _ := exportTo(t, s, c, export.SplitByKind)
	b, err := os.ReadFile(filepath.Join(dir, "groups.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "--moved") || !strings.Contains(string(b), "id: bi") {
		t.Errorf("groups.yaml:\n%s", b)
	}
	d, err = spec.Load([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	live, err := quickbi.ReadLive(context.Background(), c, quickbi.ScopeOf(d.QuickBI), admin(s), quickbi.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := quickbi.Compute(d, live, st, diff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range again.Changes {
		t.Errorf("%s %s %s (%s)", ch.Action, ch.Kind, ch.Key, ch.Reason)
	}
}

// TestLayout: by-kind writes users, groups and one file per workspace;
// a folder holding YAML is refused without Force.
func TestLayout(t *testing.T) {
	s, c := newSim(t, seeds[0])
	dir, _, res := exportTo(t, s, c, export.SplitByKind)
	want := []string{"users.yaml", "groups.yaml", "workspaces/财务分析.yaml", "workspaces/销售分析.yaml"}
	got := append([]string(nil), res.Files...)
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("files %v, want %v", got, want)
	}
	if err := export.CheckDir(dir); err == nil || !strings.Contains(err.Error(), "already holds YAML files") {
		t.Errorf("CheckDir of a folder with the export: %v", err)
	}
	live, err := export.Read(context.Background(), c, nil, "", quickbi.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := export.Write(live, dir, export.Options{}); err == nil {
		t.Error("Write into a folder with YAML files succeeded without Force")
	}
	if _, err := export.Write(live, dir, export.Options{Force: true}); err != nil {
		t.Errorf("Write with Force: %v", err)
	}
	if _, err := export.Read(context.Background(), c, []string{"没有的空间"}, "", quickbi.ReadOptions{}); err == nil {
		t.Error("Read of a workspace that does not exist succeeded")
	}
}

// TestNotExported: a member without an account name cannot be written;
// the file says so, and the rest still plans empty.
func TestNotExported(t *testing.T) {
	s, c := newSim(t, seeds[0])
	if _, err := c.AddUser(context.Background(), apiclient.AddUserRequest{NickName: "无名", UserType: apiclient.UserTypeViewer, AccountID: "1914769999999999"}); err != nil {
		t.Fatal(err)
	}
	dir, st, res := exportTo(t, s, c, export.SplitByKind)
	if res.Counts.Skipped != 1 {
		t.Errorf("%d skipped, want 1", res.Counts.Skipped)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "users.yaml"))
	if !strings.Contains(string(b), "is not exported: it has no account name") {
		t.Errorf("users.yaml does not say what it left out:\n%s", b)
	}
	d, err := spec.Load([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	p := &engine.Pipeline{Provider: quickbi.New(quickbi.Config{API: c}), Desired: d, State: st, TokenUser: admin(s)}
	pl, err := p.Plan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.Changes) != 0 {
		t.Errorf("%d changes", len(pl.Changes))
	}
}
