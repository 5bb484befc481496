package service

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/state"
)

const (
	quickstartSeed    = "../examples/quickstart/server-before.yaml"
	quickstartDesired = "../examples/quickstart/desired"
	simServerURL      = "simulator://embedded/quickstart"
)

// simEnv is the quickstart simulator, a client of it whose calls feed the
// metrics, and a Reconciler whose reports are also sent on reports.
type simEnv struct {
	sim       *youdatatest.Server
	metrics   *Metrics
	api       *apiclient.Client
	statePath string
	rec       *Reconciler
	reports   chan *Report
	// onCall, when set, is told of every call after the metrics.
	mu     sync.Mutex
	onCall func(apiclient.CallInfo)
}

func newSimEnv(t *testing.T, paths []string, edit func(*ReconcilerOptions)) *simEnv {
	t.Helper()
	seed, err := youdatatest.LoadSeed(quickstartSeed)
	if err != nil {
		t.Fatal(err)
	}
	e := &simEnv{
		sim:       youdatatest.New(youdatatest.Options{Seed: seed}),
		metrics:   NewMetrics(),
		statePath: filepath.Join(t.TempDir(), "state", "state.json"),
		reports:   make(chan *Report, 8),
	}
	t.Cleanup(e.sim.Close)
	e.api, err = apiclient.New(apiclient.Config{
		Server:      e.sim.URL(),
		Credentials: apiclient.Credentials{Token: e.sim.Token()},
		RPS:         -1,
		Observe: func(ci apiclient.CallInfo) {
			e.metrics.ObserveCall(ci)
			e.mu.Lock()
			f := e.onCall
			e.mu.Unlock()
			if f != nil {
				f(ci)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	o := ReconcilerOptions{
		Paths:       paths,
		StatePath:   e.statePath,
		Provider:    youdata.New(youdata.Config{API: e.api}),
		ServerURL:   simServerURL,
		CheckServer: true,
		TokenUser:   e.sim.TokenUser(),
		Mode:        ModeApply,
		Verify:      true,
	}
	if edit != nil {
		edit(&o)
	}
	e.rec, err = NewReconciler(o)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// job runs the Reconciler and reports each run on e.reports.
func (e *simEnv) job() Job {
	return JobFunc(func(ctx context.Context) *Report {
		rep := e.rec.Run(ctx)
		e.reports <- rep
		return rep
	})
}

func (e *simEnv) harness(t *testing.T) *harness {
	return newHarness(t, e.job(), func(o *Options) { o.Metrics = e.metrics })
}

// writes counts the requests to endpoints that change the server.
func writes(sim *youdatatest.Server) int {
	n := 0
	for ep, c := range sim.Calls() {
		switch ep {
		case "user/getAllUsers", "project/list", "projectUser/list", "role/list", "user/permissions", "systemRole/list", "util/genToken":
		default:
			n += c
		}
	}
	return n
}

// holdsRole reports whether the simulator binds user to the role at the
// root of project.
func holdsRole(t *testing.T, sim *youdatatest.Server, project, role, user string) bool {
	t.Helper()
	p := sim.Snapshot().ProjectByName(project)
	if p == nil {
		t.Fatalf("no project %s on the simulator", project)
	}
	r := p.FindRole("", role, 0, 3)
	if r == nil {
		t.Fatalf("no role %s in %s", role, project)
	}
	_, ok := r.Users[user]
	return ok
}

// TestServiceRepairsDriftInjectedBetweenRuns is the service against the
// quickstart: the first run converges; a person then unbinds a user from
// a role in the console; the next run finds exactly that drift and
// repairs it, and /metrics shows both.
func TestServiceRepairsDriftInjectedBetweenRuns(t *testing.T) {
	e := newSimEnv(t, []string{quickstartDesired}, nil)
	h := e.harness(t)
	handler := h.s.Handler()
	h.start()

	first := <-e.reports
	h.waitIdle()
	if first.Result != ResultSuccess || first.Err != nil {
		t.Fatalf("first run: %s: %v", first.Result, first.Err)
	}
	if first.Apply == nil || first.Apply.Applied() != len(first.Plan.Changes) || len(first.Plan.Changes) == 0 {
		t.Fatalf("first run applied %v of %d changes", first.Apply, len(first.Plan.Changes))
	}
	if first.Remaining != 0 {
		t.Fatalf("first run: verify found %d changes left", first.Remaining)
	}
	before := scrape(t, handler)
	if got := mustValue(t, before, MetricDrift); got != float64(len(first.Plan.Changes)) {
		t.Errorf("drift after the first run = %v, want %d", got, len(first.Plan.Changes))
	}
	appliedBefore, _ := value(before, MetricApplied, "kind", "role", "action", "update")
	if !holdsRole(t, e.sim, "销售分析", "销售数据编辑", "li.na@example.com") {
		t.Fatal("li.na is not bound to 销售数据编辑 after the first run")
	}

	// A person unbinds li.na in the console, between two runs.
	console, err := apiclient.New(apiclient.Config{Server: e.sim.URL(), Credentials: apiclient.Credentials{Token: e.sim.Token()}, RPS: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	projects, err := console.ListProjects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var projectID int64
	for _, p := range projects {
		if p.Name == "销售分析" {
			projectID = p.ID
		}
	}
	if err := console.DelRoles(ctx, apiclient.DelRolesRequest{UniqueIDs: []string{"li.na@example.com"}, ProjectID: projectID, RoleNames: []string{"销售数据编辑"}}); err != nil {
		t.Fatalf("user/delRoles: %v", err)
	}
	if holdsRole(t, e.sim, "销售分析", "销售数据编辑", "li.na@example.com") {
		t.Fatal("the drift was not injected")
	}

	h.tick()
	second := <-e.reports
	h.waitIdle()
	if second.Result != ResultSuccess || second.Err != nil {
		t.Fatalf("second run: %s: %v", second.Result, second.Err)
	}
	if len(second.Plan.Changes) != 1 {
		t.Fatalf("second run planned %d changes, want the 1 drifted binding: %+v", len(second.Plan.Changes), second.Plan.Changes)
	}
	c := second.Plan.Changes[0]
	if c.Kind != youdata.KindRole || c.Action != plan.Update || !strings.Contains(c.Key, "销售数据编辑") {
		t.Errorf("second run's change is %s %s %s, want an update of role 销售数据编辑", c.Action, c.Kind, c.Key)
	}
	if second.Apply.Applied() != 1 || second.Remaining != 0 {
		t.Errorf("second run applied %d, %d left after it", second.Apply.Applied(), second.Remaining)
	}
	if !holdsRole(t, e.sim, "销售分析", "销售数据编辑", "li.na@example.com") {
		t.Error("li.na is not bound to 销售数据编辑 again after the repair")
	}

	after := scrape(t, handler)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{MetricDrift, nil, 1},
		{MetricApplied, []string{"kind", "role", "action", "update"}, appliedBefore + 1},
		{MetricRuns, []string{"result", "success"}, 2},
		{MetricRuns, []string{"result", "failed"}, 0},
		{MetricRefusals, nil, 0},
	} {
		if got := mustValue(t, after, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if got := mustValue(t, after, MetricAPICalls, "endpoint", "role/importDataPermissions", "result", "ok"); got < 1 {
		t.Errorf("no successful role/importDataPermissions call counted")
	}
	if got := mustValue(t, after, MetricLastSuccess); got <= 0 {
		t.Errorf("last success = %v", got)
	}
	if code, _ := get(t, handler, "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz = %d after good runs", code)
	}

	// A third run finds nothing to do.
	h.tick()
	third := <-e.reports
	h.waitIdle()
	if third.Result != ResultSuccess || len(third.Plan.Changes) != 0 || third.Apply != nil {
		t.Errorf("third run: %s, %d changes, apply %v", third.Result, len(third.Plan.Changes), third.Apply)
	}
	if got := mustValue(t, scrape(t, handler), MetricDrift); got != 0 {
		t.Errorf("drift after the third run = %v, want 0", got)
	}
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}

	st, exists, err := state.Load(e.statePath)
	if err != nil || !exists {
		t.Fatalf("state: exists %v, %v", exists, err)
	}
	if st.Server != simServerURL || st.Serial < 2 || len(st.Objects) == 0 {
		t.Errorf("state: server %q, serial %d, %d objects", st.Server, st.Serial, len(st.Objects))
	}
	if _, err := os.Stat(state.LockPath(e.statePath)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the lock is left behind: %v", err)
	}
}

// copyDir copies the files under src to a new temporary directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestInvalidFilesFailTheRunAndTheServiceGoesOn(t *testing.T) {
	dir := copyDir(t, quickstartDesired)
	people := filepath.Join(dir, "people.yaml")
	good, err := os.ReadFile(people)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(good), "  - uniqueId: zhang.wei@example.com\n", "  - uniqueId: zhang.wei@example.com\n    favouriteColour: blue\n", 1)
	if bad == string(good) {
		t.Fatal("people.yaml changed shape: cannot break it")
	}
	if err := os.WriteFile(people, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}

	e := newSimEnv(t, []string{dir}, nil)
	h := e.harness(t)
	h.start()
	rep := <-e.reports
	h.waitIdle()
	if rep.Result != ResultFailed || rep.Err == nil || !strings.Contains(rep.Err.Error(), "favouriteColour") {
		t.Fatalf("run with invalid files: %s: %v", rep.Result, rep.Err)
	}
	if e.sim.TotalCalls() != 0 {
		t.Errorf("a run with invalid files made %d calls", e.sim.TotalCalls())
	}
	if _, err := os.Stat(e.statePath); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a run with invalid files wrote the state: %v", err)
	}
	if ready, _ := h.s.Ready(); ready {
		t.Error("ready after a failed run")
	}

	// The files are fixed (a new commit, a new ConfigMap): the next run
	// reads them again.
	if err := os.WriteFile(people, good, 0o644); err != nil {
		t.Fatal(err)
	}
	h.tick()
	rep = <-e.reports
	h.waitIdle()
	if rep.Result != ResultSuccess {
		t.Fatalf("run after the fix: %s: %v", rep.Result, rep.Err)
	}
	if ready, err := h.s.Ready(); !ready {
		t.Errorf("not ready after a good run: %v", err)
	}
	if !strings.Contains(h.logs.String(), "favouriteColour") {
		t.Errorf("the validation error is not logged:\n%s", h.logs)
	}
}

func TestPlanModeOnlyReportsDrift(t *testing.T) {
	e := newSimEnv(t, []string{quickstartDesired}, func(o *ReconcilerOptions) { o.Mode = ModePlan })
	h := e.harness(t)
	h.start()
	rep := <-e.reports
	h.waitIdle()
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if rep.Result != ResultSuccess || rep.Plan == nil || len(rep.Plan.Changes) == 0 || rep.Apply != nil {
		t.Fatalf("plan-mode run: %s, apply %v, err %v", rep.Result, rep.Apply, rep.Err)
	}
	if n := writes(e.sim); n != 0 {
		t.Errorf("plan mode made %d write calls", n)
	}
	if _, err := os.Stat(e.statePath); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("plan mode wrote the state: %v", err)
	}
	if got := mustValue(t, scrape(t, h.s.Handler()), MetricDrift); got != float64(len(rep.Plan.Changes)) {
		t.Errorf("drift = %v, want %d", got, len(rep.Plan.Changes))
	}
}

func TestMassDeleteIsRefusedNotApplied(t *testing.T) {
	dir := copyDir(t, quickstartDesired)
	settings := filepath.Join(dir, "settings.yaml")
	b, err := os.ReadFile(settings)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "maxDeletes: 10%", "maxDeletes: 0", 1)
	if s == string(b) {
		t.Fatal("settings.yaml changed shape")
	}
	if err := os.WriteFile(settings, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newSimEnv(t, []string{dir}, nil)
	h := e.harness(t)
	h.start()
	rep := <-e.reports
	h.waitIdle()
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if rep.Result != ResultRefused || len(rep.Plan.Refusals) == 0 || rep.Apply != nil {
		t.Fatalf("run: %s, refusals %v, apply %v, err %v", rep.Result, rep.Plan.Refusals, rep.Apply, rep.Err)
	}
	if n := writes(e.sim); n != 0 {
		t.Errorf("a refused plan made %d write calls", n)
	}
	mfs := scrape(t, h.s.Handler())
	if got := mustValue(t, mfs, MetricRefusals); got != float64(len(rep.Plan.Refusals)) {
		t.Errorf("refusals = %v, want %d", got, len(rep.Plan.Refusals))
	}
	if got := mustValue(t, mfs, MetricRuns, "result", "refused"); got != 1 {
		t.Errorf("runs{refused} = %v", got)
	}
	if logs := h.logs.String(); !strings.Contains(logs, `"refusal_reasons":["`) || !strings.Contains(logs, "never applied unattended") {
		t.Errorf("the refusal is not logged:\n%s", h.logs)
	}
}

func TestHeldLockSkipsTheRun(t *testing.T) {
	e := newSimEnv(t, []string{quickstartDesired}, nil)
	lock, err := state.AcquireLock(e.statePath)
	if err != nil {
		t.Fatal(err)
	}
	h := e.harness(t)
	h.start()
	rep := <-e.reports
	h.waitIdle()
	if rep.Result != ResultLocked || !errors.Is(rep.Err, state.ErrLocked) {
		t.Fatalf("run under a held lock: %s: %v", rep.Result, rep.Err)
	}
	if e.sim.TotalCalls() != 0 {
		t.Errorf("a locked run made %d calls", e.sim.TotalCalls())
	}
	if err := lock.Release(); err != nil {
		t.Fatal(err)
	}
	h.tick()
	rep = <-e.reports
	h.waitIdle()
	if rep.Result != ResultSuccess {
		t.Fatalf("run after the lock was released: %s: %v", rep.Result, rep.Err)
	}
}

// TestStopDuringApplyRecordsTheState: the service is stopped while the
// apply writes; the calls in flight finish, the state records them, and
// the run ends as interrupted.
func TestStopDuringApplyRecordsTheState(t *testing.T) {
	e := newSimEnv(t, []string{quickstartDesired}, nil)
	h := e.harness(t)
	var once sync.Once
	e.mu.Lock()
	e.onCall = func(ci apiclient.CallInfo) {
		if ci.Method == http.MethodPost && ci.Endpoint != "systemRole/list" && ci.Result == apiclient.ResultOK {
			once.Do(h.cancel) // SIGTERM, right after the first write
		}
	}
	e.mu.Unlock()
	h.start()
	rep := <-e.reports
	if err := h.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep.Result != ResultInterrupted || rep.Apply == nil || !rep.Apply.Interrupted {
		t.Fatalf("run: %s (apply %+v): %v", rep.Result, rep.Apply, rep.Err)
	}
	if rep.Apply.Applied() == 0 || rep.Apply.Applied() == len(rep.Plan.Changes) {
		t.Errorf("applied %d of %d changes: the stop did not land during the apply", rep.Apply.Applied(), len(rep.Plan.Changes))
	}
	st, exists, err := state.Load(e.statePath)
	if err != nil || !exists || st.Serial == 0 {
		t.Fatalf("state after the stop: exists %v, %v", exists, err)
	}
	if _, err := os.Stat(state.LockPath(e.statePath)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the lock is left behind: %v", err)
	}
}

// TestStaleLockIsRemoved: a lock left by a process of this host that no
// longer runs (the service killed mid-apply and restarted) does not stop
// every later run: it is removed with a warning and the run goes on. A
// lock of another host is left alone.
func TestStaleLockIsRemoved(t *testing.T) {
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skipf("no process to take a dead pid from: %v", err)
	}
	host, _ := os.Hostname()
	writeLock := func(t *testing.T, path string, holder state.LockInfo) {
		t.Helper()
		b, err := json.Marshal(holder)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(state.LockPath(path), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("this host", func(t *testing.T) {
		e := newSimEnv(t, []string{quickstartDesired}, nil)
		writeLock(t, e.statePath, state.LockInfo{PID: dead.Process.Pid, Host: host, Created: time.Now().Add(-time.Hour)})
		h := e.harness(t)
		h.start()
		rep := <-e.reports
		h.waitIdle()
		if rep.Result != ResultSuccess {
			t.Fatalf("run after a stale lock: %s: %v", rep.Result, rep.Err)
		}
		if _, err := os.Stat(state.LockPath(e.statePath)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("lock after the run: %v", err)
		}
	})
	t.Run("another host", func(t *testing.T) {
		e := newSimEnv(t, []string{quickstartDesired}, nil)
		writeLock(t, e.statePath, state.LockInfo{PID: dead.Process.Pid, Host: host + "-elsewhere", Created: time.Now()})
		h := e.harness(t)
		h.start()
		rep := <-e.reports
		h.waitIdle()
		if rep.Result != ResultLocked || e.sim.TotalCalls() != 0 {
			t.Fatalf("run under another host's lock: %s, %d calls: %v", rep.Result, e.sim.TotalCalls(), rep.Err)
		}
	})
}

// TestFailedReadAfterApplyDoesNotSayNothingChanged: a run applies most of
// its plan, one change fails for a reason that may pass, and the read of
// the next round fails. The run's error must not claim that nothing was
// changed: the first round changed the server.
func TestFailedReadAfterApplyDoesNotSayNothingChanged(t *testing.T) {
	e := newSimEnv(t, []string{quickstartDesired}, nil)
	e.sim.FailObject("role/importDataPermissions", "财务报表阅览")
	var once sync.Once
	e.mu.Lock()
	e.onCall = func(ci apiclient.CallInfo) {
		if ci.Endpoint == "role/importDataPermissions" && ci.Result != apiclient.ResultOK {
			// The server then fails every read: the next round cannot plan.
			once.Do(func() { e.sim.SetFaults("user/getAllUsers", youdatatest.Fault{Permanent: true}) })
		}
	}
	e.mu.Unlock()
	rep := e.rec.Run(context.Background())
	if rep.Result != ResultFailed || rep.Apply == nil || rep.Apply.Applied() == 0 {
		t.Fatalf("run: %s, apply %+v: %v", rep.Result, rep.Apply, rep.Err)
	}
	if rep.Err == nil || !strings.Contains(rep.Err.Error(), "user/getAllUsers") {
		t.Fatalf("the error does not name the failed read: %v", rep.Err)
	}
	if strings.Contains(rep.Err.Error(), "nothing was changed") {
		t.Errorf("%d changes were applied, but the error says: %v", rep.Apply.Applied(), rep.Err)
	}
}
