package youdata_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

var update = flag.Bool("update", false, "rewrite the write-call counts of testdata/apply/*/want.yaml")

// caseWant is a case's want.yaml.
type caseWant struct {
	// Desired and Seed, relative to the case directory; default desired/
	// and seed.yaml.
	Desired string `json:"desired,omitempty"`
	Seed    string `json:"seed,omitempty"`
	// Calls are the write calls of the first apply, per endpoint.
	Calls map[string]int `json:"calls"`
}

// env is a simulator, a client on it, the desired state and a state file.
type env struct {
	t         *testing.T
	sim       *youdatatest.Server
	api       apiclient.API
	desired   *spec.Desired
	statePath string
	// writes counts the HTTP requests to write endpoints.
	writes *writeCounter
	// known reads with what the state knows (ReadKnownLive), as
	// permsync does.
	known bool
	// reassert marks the state for re-assertion before planning, as
	// apply --reassert does.
	reassert bool
}

// writeCounter counts write requests and may cancel a context after n.
type writeCounter struct {
	mu     sync.Mutex
	n      int
	after  int
	cancel context.CancelFunc
	next   http.RoundTripper
}

var readEndpoints = map[string]bool{"user/getAllUsers": true, "project/list": true, "projectUser/list": true,
	"role/list": true, "user/permissions": true, "systemRole/list": true, "util/genToken": true}

func (w *writeCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	probe := isProbe(r)
	resp, err := w.next.RoundTrip(r)
	if !readEndpoints[strings.TrimPrefix(r.URL.Path, youdatatest.PathPrefix)] && !probe {
		w.mu.Lock()
		w.n++
		if w.cancel != nil && w.n == w.after {
			w.cancel()
		}
		w.mu.Unlock()
	}
	return resp, err
}

// isProbe reports whether r is the probe of ReadKnownLive: a
// group/ext/update that names a group and sets nothing, which changes
// nothing.
func isProbe(r *http.Request) bool {
	if strings.TrimPrefix(r.URL.Path, youdatatest.PathPrefix) != "group/ext/update" || r.GetBody == nil {
		return false
	}
	body, err := r.GetBody()
	if err != nil {
		return false
	}
	defer body.Close()
	var req map[string]json.RawMessage
	if json.NewDecoder(body).Decode(&req) != nil {
		return false
	}
	_, title := req["title"]
	_, desc := req["description"]
	return !title && !desc
}

// reset counts from zero again.
func (w *writeCounter) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.n = 0
}

func (w *writeCounter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

func (w *writeCounter) cancelAfter(n int, cancel context.CancelFunc) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.n, w.after, w.cancel = 0, n, cancel
}

func newEnv(t *testing.T, desiredPaths []string, seedPath string) *env {
	t.Helper()
	d, err := spec.Load(desiredPaths)
	if err != nil {
		t.Fatalf("load desired: %v", err)
	}
	seed, err := youdatatest.LoadSeed(seedPath)
	if err != nil {
		t.Fatalf("load seed: %v", err)
	}
	sim := youdatatest.New(youdatatest.Options{Seed: seed, Rand: 1})
	t.Cleanup(sim.Close)
	wc := &writeCounter{next: http.DefaultTransport}
	c, err := apiclient.New(apiclient.Config{
		Server:      sim.URL(),
		Credentials: apiclient.Credentials{Token: sim.Token()},
		HTTPClient:  &http.Client{Transport: wc},
		RPS:         -1,
		Concurrency: 8,
		Retry:       apiclient.RetryPolicy{MaxAttempts: 12, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond, MaxElapsed: 10 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, sim: sim, api: c, desired: d, statePath: filepath.Join(t.TempDir(), "state.json"), writes: wc}
}

func projectRefs(d *spec.Desired) []youdata.ProjectRef {
	var refs []youdata.ProjectRef
	for _, p := range d.Projects {
		refs = append(refs, youdata.ProjectRef{Name: p.Name, ID: p.ID})
	}
	return refs
}

// plan reads the server and plans against the state file.
func (e *env) plan(ctx context.Context) (*plan.Plan, *state.State) {
	e.t.Helper()
	st, _, err := state.Load(e.statePath)
	if err != nil {
		e.t.Fatal(err)
	}
	if e.reassert {
		youdata.MarkReassert(st, time.Now())
	}
	ro := youdata.ReadOptions{TokenUser: e.sim.TokenUser()}
	var live *youdata.Live
	if e.known {
		live, err = youdata.ReadKnownLive(ctx, e.api, projectRefs(e.desired), st, ro)
	} else {
		live, err = youdata.ReadLive(ctx, e.api, projectRefs(e.desired), ro)
	}
	if err != nil {
		e.t.Fatalf("read live: %v", err)
	}
	p, err := youdata.Compute(e.desired, live, st, youdata.Options{})
	if err != nil {
		e.t.Fatalf("plan: %v", err)
	}
	return p, st
}

// apply plans and applies once.
func (e *env) apply(ctx context.Context) (*engine.Result, error) {
	e.t.Helper()
	p, st := e.plan(context.Background())
	if len(p.Refusals) > 0 {
		e.t.Fatalf("plan refused: %v", p.Refusals)
	}
	return youdata.Apply(ctx, e.api, p, st, youdata.ApplyOptions{
		BatchSize:      500,
		ProtectedUsers: e.desired.Settings.ProtectedUsers,
		TokenUser:      e.sim.TokenUser(),
		SaveState:      func(st *state.State) error { return state.Save(e.statePath, st) },
	})
}

// converged asserts that the next plan is empty, that applying again makes
// no write call, and that the server holds what the files say.
func (e *env) converged() {
	e.t.Helper()
	p, _ := e.plan(context.Background())
	for _, c := range p.Changes {
		e.t.Errorf("not converged: %s %s %s (%s)\n  before %s\n  after  %s", c.Action, c.Kind, c.Key, c.Reason, mustJSON(c.Before), mustJSON(c.After))
	}
	before := e.writes.count()
	res, err := e.apply(context.Background())
	if err != nil {
		e.t.Fatalf("second apply: %v", err)
	}
	if n := e.writes.count() - before; n != 0 || len(res.Calls) != 0 {
		e.t.Errorf("second apply made %d write requests (%v), want none", n, res.Calls)
	}
	checkServer(e.t, e.desired, e.sim.Snapshot(), e.protected())
}

func (e *env) protected() map[string]bool {
	m := map[string]bool{e.sim.TokenUser(): true}
	for _, u := range e.desired.Settings.ProtectedUsers {
		m[u] = true
	}
	return m
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func reportFailures(t *testing.T, res *engine.Result) {
	t.Helper()
	for _, c := range res.Changes {
		if c.Status != engine.StatusApplied {
			t.Errorf("%s %s %s: %s %v %s", c.Status, c.Change.Kind, c.Change.Key, c.Change.Action, c.Err, c.Reason)
		}
	}
}

func TestApplyEndToEnd(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "apply", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			wantPath := filepath.Join(dir, "want.yaml")
			var want caseWant
			b, err := os.ReadFile(wantPath)
			if err != nil {
				t.Fatal(err)
			}
			if err := yaml.UnmarshalStrict(b, &want); err != nil {
				t.Fatalf("%s: %v", wantPath, err)
			}
			desired, seed := "desired", "seed.yaml"
			if want.Desired != "" {
				desired = want.Desired
			}
			if want.Seed != "" {
				seed = want.Seed
			}
			e := newEnv(t, []string{filepath.Join(dir, desired)}, filepath.Join(dir, seed))
			res, err := e.apply(context.Background())
			if err != nil {
				t.Fatalf("apply: %v", err)
			}
			reportFailures(t, res)
			if res.Applied() == 0 {
				t.Error("the first apply applied nothing: the case tests nothing")
			}
			if *update {
				want.Calls = res.Calls
				out, err := yaml.Marshal(want)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(wantPath, out, 0o644); err != nil {
					t.Fatal(err)
				}
			} else if d := cmp.Diff(want.Calls, res.Calls); d != "" {
				t.Errorf("write calls (-want +got):\n%s", d)
			}
			total := 0
			for _, n := range res.Calls {
				total += n
			}
			if got := e.writes.count(); got != total {
				t.Errorf("the server saw %d write requests, the result counts %d", got, total)
			}
			e.converged()
		})
	}
}

func quickstart(t *testing.T) *env {
	return newEnv(t, []string{filepath.Join("..", "..", "examples", "quickstart", "desired")},
		filepath.Join("..", "..", "examples", "quickstart", "server-before.yaml"))
}

// TestApplyBulkOnboarding: 2,000 new users with the same system role and
// role in one project take at most 4 batchImport calls.
func TestApplyBulkOnboarding(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("version: 1\nusers:\n")
	var uids []string
	for i := 0; i < 2000; i++ {
		uid := fmt.Sprintf("user%04d@example.com", i)
		uids = append(uids, uid)
		fmt.Fprintf(&b, "  - {uniqueId: %s, nick: U%04d}\n", uid, i)
	}
	b.WriteString("projects:\n  - name: 运营\n    members:\n      - {user: admin, systemRoles: [admin]}\n")
	for _, u := range uids {
		fmt.Fprintf(&b, "      - {user: %s, systemRoles: [viewer]}\n", u)
	}
	b.WriteString("    roles:\n      - name: 报表阅览\n        users:\n")
	for _, u := range uids {
		fmt.Fprintf(&b, "          - %s\n", u)
	}
	if err := os.WriteFile(filepath.Join(dir, "bulk.yaml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	seed := "version: 1\nadmin: {uniqueId: admin}\nprojects:\n  - name: 运营\n    members: [{user: admin, systemRoles: [admin]}]\n"
	if err := os.WriteFile(filepath.Join(dir, "seed.yaml"), []byte(seed), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, []string{filepath.Join(dir, "bulk.yaml")}, filepath.Join(dir, "seed.yaml"))
	res, err := e.apply(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	reportFailures(t, res)
	if n := res.Calls["user/batchImport"]; n > 4 {
		t.Errorf("%d batchImport calls, want at most 4", n)
	}
	if n := res.Calls["role/importDataPermissions"]; n != 1 {
		t.Errorf("%d importDataPermissions calls, want 1", n)
	}
	if res.Applied() != 4001 {
		t.Errorf("applied %d changes, want 4001", res.Applied())
	}
	e.converged()
}

// TestApplyServerErrorStorm: 5xx answers on several endpoints are retried
// by the client and the apply converges.
func TestApplyServerErrorStorm(t *testing.T) {
	e := quickstart(t)
	for _, ep := range []string{"user/batchImport", "role/importDataPermissions", "orgStructure/syncOrg", "user/delRoles", "group/ext/delUsers", "directResourcePerm/syncMembers"} {
		e.sim.SetFaults(ep, youdatatest.Fault{Share5xx: 0.4, Share429: 0.1})
	}
	res, err := e.apply(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	reportFailures(t, res)
	if e.sim.Calls()["user/batchImport"] <= res.Calls["user/batchImport"] {
		t.Errorf("the storm made no retry: server saw %d batchImport requests for %d calls", e.sim.Calls()["user/batchImport"], res.Calls["user/batchImport"])
	}
	e.sim.ClearFaults()
	e.converged()
}

// TestApplyPermanentFailureOnOneRole: one role keeps failing; it is
// reported with the server's answer and the rest is applied.
func TestApplyPermanentFailureOnOneRole(t *testing.T) {
	e := quickstart(t)
	e.sim.FailObject("role/importDataPermissions", "区域经理")
	res, err := e.apply(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, c := range res.Changes {
		switch c.Status {
		case engine.StatusFailed:
			failed = append(failed, string(c.Change.Kind)+" "+c.Change.Key)
			var ae *apiclient.APIError
			if !asAPIError(c.Err, &ae) || ae.Code != 500 || ae.Message != youdatatest.MsgInternal {
				t.Errorf("%s failed with %v, want the server's code 500", c.Change.Key, c.Err)
			}
		case engine.StatusSkipped:
			t.Errorf("%s skipped: %s", c.Change.Key, c.Reason)
		}
	}
	if d := cmp.Diff([]string{"role 销售分析//区域经理"}, failed); d != "" {
		t.Errorf("failed (-want +got):\n%s", d)
	}
	p, _ := e.plan(context.Background())
	var left []string
	for _, c := range p.Changes {
		left = append(left, string(c.Kind)+" "+c.Key)
	}
	if d := cmp.Diff([]string{"role 销售分析//区域经理"}, left); d != "" {
		t.Errorf("what is left to do (-want +got):\n%s", d)
	}
	e.sim.ClearFaults()
	if res, err = e.apply(context.Background()); err != nil || res.Failed() != 0 {
		t.Fatalf("apply after the fault: %v", err)
	}
	e.converged()
}

// TestApplyInterruptedThenConverges: an apply cancelled after a few write
// calls records what it applied; a second apply converges.
func TestApplyInterruptedThenConverges(t *testing.T) {
	for _, after := range []int{1, 3, 8} {
		t.Run(fmt.Sprint(after), func(t *testing.T) {
			e := quickstart(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			e.writes.cancelAfter(after, cancel)
			res, err := e.apply(ctx)
			if err == nil || ctx.Err() == nil {
				t.Fatalf("err = %v, want an interruption", err)
			}
			if !res.Interrupted || res.Skipped() == 0 || res.Failed() != 0 {
				t.Errorf("interrupted %v, applied %d, skipped %d, failed %d", res.Interrupted, res.Applied(), res.Skipped(), res.Failed())
			}
			// The calls in flight finished: no more than a phase's
			// concurrency beyond the cancel.
			if n := e.writes.count(); n < after || n > after+4 {
				t.Errorf("%d write requests, want %d plus at most the calls in flight", n, after)
			}
			st, ok, err := state.Load(e.statePath)
			if err != nil || !ok {
				t.Fatalf("state not saved: %v", err)
			}
			for _, c := range res.Changes {
				_, in := st.Objects[plan.StateKey(c.Change.Kind, c.Change.Key)]
				if c.Status == engine.StatusApplied && c.Change.NewState != nil && !in {
					t.Errorf("%s %s applied but not in the state", c.Change.Kind, c.Change.Key)
				}
			}
			e.writes.cancelAfter(0, nil)
			res, err = e.apply(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			reportFailures(t, res)
			e.converged()
		})
	}
}

type recorder struct{ errs []string }

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestCheckServerSeesDifferences: the end-to-end check finds what the
// quickstart's server lacks before an apply.
func TestCheckServerSeesDifferences(t *testing.T) {
	e := quickstart(t)
	var r recorder
	checkServer(&r, e.desired, e.sim.Snapshot(), e.protected())
	all := strings.Join(r.errs, "\n")
	for _, want := range []string{"company", "department SALES_E", "user chen.jing@example.com missing",
		"attribute region", "group 华东销售组 missing", "resources", "rules", "members of DATA_MODEL"} {
		if !strings.Contains(all, want) {
			t.Errorf("the check did not report %q; it reported:\n%s", want, all)
		}
	}
}

// TestApplyDepartmentLeavesWithItsUsers removes a department together with
// the users permsync created in it. syncOrg, never forced, refuses a
// department that still has members, so the users must go first; one
// apply converges.
func TestApplyDepartmentLeavesWithItsUsers(t *testing.T) {
	dir := "testdata/apply-steps/department-leaves-with-its-users"
	e := newEnv(t, []string{dir + "/1"}, dir+"/seed.yaml")
	ctx := context.Background()
	res, err := e.apply(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reportFailures(t, res)
	e.converged()

	d, err := spec.Load([]string{dir + "/2"})
	if err != nil {
		t.Fatal(err)
	}
	e.desired = d
	res, err = e.apply(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reportFailures(t, res)
	snap := e.sim.Snapshot()
	if _, ok := snap.Orgs["PILOT"]; ok {
		t.Error("department PILOT is still on the server")
	}
	for _, u := range snap.Users {
		if u.UniqueID == "a@corp.com" || u.UniqueID == "b@corp.com" {
			t.Errorf("user %s is still on the server", u.UniqueID)
		}
	}
	e.converged()
}
