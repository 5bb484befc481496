package drill

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/state"
)

// waitLimit bounds every wait on a child process, so that a drill that
// goes wrong fails instead of hanging. It is no assertion on timing.
const waitLimit = 90 * time.Second

// syncBuffer is a bytes.Buffer safe for a child's writes and the test's
// reads at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// child is a long-running permsync process ('permsync run', 'permsync
// sim').
type child struct {
	name           string
	cmd            *exec.Cmd
	stdout, stderr syncBuffer
	done           chan struct{}
	werr           error
}

// startChild starts the permsync binary with args; it is killed at the
// end of the test if it still runs.
func startChild(t *testing.T, env []string, args ...string) *child {
	t.Helper()
	c := &child{name: "permsync " + args[0], cmd: binCmd(env, args...), done: make(chan struct{})}
	c.cmd.Stdout, c.cmd.Stderr = &c.stdout, &c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", c.name, err)
	}
	go func() {
		c.werr = c.cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		select {
		case <-c.done:
		default:
			_ = c.cmd.Process.Kill()
			<-c.done
		}
	})
	return c
}

func (c *child) String() string {
	return fmt.Sprintf("%s\n--- stdout\n%s--- stderr\n%s", c.name, c.stdout.String(), c.stderr.String())
}

// exited reports whether the process has ended.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// jsonLines are the lines of standard error that are JSON log records.
func (c *child) jsonLines() []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(c.stderr.String()))
	sc.Buffer(make([]byte, 0, 64*1024), 4<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] != nil {
			out = append(out, m)
		}
	}
	return out
}

// waitFor waits until cond holds, failing the test if the process ends
// first or waitLimit passes.
func (c *child) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if c.exited() {
			if cond() {
				return
			}
			t.Fatalf("%s ended before %s: %v\n%s", c.name, what, c.werr, c)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %s after %s\n%s", c.name, what, waitLimit, c)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitRecord waits for the n-th JSON record whose msg is msg, and returns
// it.
func (c *child) waitRecord(t *testing.T, msg string, n int) map[string]any {
	t.Helper()
	var rec map[string]any
	c.waitFor(t, fmt.Sprintf("log record %q #%d", msg, n), func() bool {
		k := 0
		for _, m := range c.jsonLines() {
			if m["msg"] == msg {
				k++
				if k == n {
					rec = m
					return true
				}
			}
		}
		return false
	})
	return rec
}

// records lists the JSON records whose msg is msg.
func (c *child) records(msg string) []map[string]any {
	var out []map[string]any
	for _, m := range c.jsonLines() {
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// wait waits for the process to end and returns its exit code (-1: ended
// by a signal).
func (c *child) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(waitLimit):
		t.Fatalf("%s did not end within %s\n%s", c.name, waitLimit, c)
	}
	var ee *exec.ExitError
	switch {
	case c.werr == nil:
		return 0
	case errors.As(c.werr, &ee):
		return ee.ExitCode()
	}
	t.Fatalf("%s: %v", c.name, c.werr)
	return -1
}

// terminate sends SIGTERM once and waits for the exit code.
func (c *child) terminate(t *testing.T) int {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM %s: %v", c.name, err)
	}
	return c.wait(t)
}

// runArgs are the arguments of a 'permsync run' of the drills: one run at
// start-up (the next is an hour away), metrics on a free port, JSON logs.
func runArgs(desired, server, stPath string, extra ...string) []string {
	args := []string{"run", "-f", desired, "--schedule", "@every 1h", "--jitter", "0", "--listen", "127.0.0.1:0",
		"--log-format", "json", "--rps", "0", "--state", stPath}
	if server != "" {
		args = append(args, "--server", server)
	}
	return append(args, extra...)
}

// httpGet fetches path from a 'permsync run' listening on addr.
func httpGet(t *testing.T, addr, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, string(b)
}

// metricValue finds the sample "series value" in a Prometheus text body;
// series is the name with its labels, e.g. `permsync_runs_total{result="refused"}`.
func metricValue(body, series string) (float64, bool) {
	for _, line := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v, err == nil
		}
	}
	return 0, false
}

func wantMetric(t *testing.T, body, series string, want float64) {
	t.Helper()
	got, ok := metricValue(body, series)
	if !ok {
		got = 0 // a counter vector shows no series before its first increment
	}
	if got != want {
		t.Errorf("/metrics: %s = %v, want %v", series, got, want)
	}
}

// num reads a number of a JSON record.
func num(rec map[string]any, key string) int {
	f, _ := rec[key].(float64)
	return int(f)
}

func writeCalls(sim *youdatatest.Server) map[string]int {
	out := map[string]int{}
	for ep, n := range sim.Calls() {
		if !readEndpoints[ep] {
			out[ep] = n
		}
	}
	return out
}

// TestDrill8RunGuardRails: 'permsync run' keeps the guard rails of plan
// and apply. An edit removing 30% of the users makes the run end
// "refused" with no write call; edits unbinding the token's own admin
// role or a protected user are dropped with a warning and the user keeps
// every grant. The log line, /metrics and /readyz say so; SIGTERM ends the
// service with exit 0.
func TestDrill8RunGuardRails(t *testing.T) {
	needBinary(t)
	t.Run("30% of users removed", func(t *testing.T) {
		full := genCompany(t, 60)
		smaller := genCompany(t, 42)
		sim := newSim(t, full.seed, youdatatest.Options{Token: "drill-token"})
		stPath := filepath.Join(t.TempDir(), "state.json")
		env := []string{"PERMSYNC_TOKEN=drill-token"}
		if r := runBin(t, env, "apply", "-f", full.desired, "--auto-approve", "--server", sim.URL(), "--state", stPath, "--rps", "0"); r.code != 0 {
			t.Fatalf("first apply: %s", r)
		}
		editFile(t, filepath.Join(smaller.desired, "company.yaml"), "maxDeletes: 50%", "maxDeletes: 10%")
		before := sim.Snapshot()
		sim.ResetCalls()

		c := startChild(t, env, runArgs(smaller.desired, sim.URL(), stPath)...)
		addr, _ := c.waitRecord(t, "serving /healthz, /readyz and /metrics", 1)["addr"].(string)
		rec := c.waitRecord(t, "run finished", 1)
		if rec["result"] != "refused" || num(rec, "refusals") == 0 || num(rec, "changes_applied") != 0 {
			t.Errorf("run: want result refused with refusals and nothing applied, got %v", rec)
		}
		if !strings.Contains(fmt.Sprint(rec["refusal_reasons"]), "maxDeletes") {
			t.Errorf("the refusal does not name settings.maxDeletes: %v", rec["refusal_reasons"])
		}
		_, metrics := httpGet(t, addr, "/metrics")
		wantMetric(t, metrics, `permsync_runs_total{result="refused"}`, 1)
		wantMetric(t, metrics, `permsync_runs_total{result="success"}`, 0)
		if v, _ := metricValue(metrics, "permsync_refusals"); v < 1 {
			t.Errorf("/metrics: permsync_refusals = %v, want at least 1", v)
		}
		if code, body := httpGet(t, addr, "/readyz"); code != http.StatusOK {
			t.Errorf("/readyz after a refused run: %d %s (a refused plan waits for a person; the service is fine)", code, body)
		}
		if code := c.terminate(t); code != 0 {
			t.Errorf("SIGTERM: exit %d, want 0\n%s", code, c)
		}
		writes := writeCalls(sim)
		for ep, n := range writes {
			t.Errorf("%d %s call(s) after the refusal", n, ep)
		}
		if len(sim.Snapshot().Users) != len(before.Users) {
			t.Error("users were deleted despite the refusal")
		}
		if lost := unaskedGrants(grants(before), nil, grants(sim.Snapshot())); len(lost) > 0 {
			t.Errorf("grants lost despite the refusal: %v", lost)
		}
		t.Logf("run, 30%% of users removed: result %v, %d refusal(s), permsync_runs_total{result=\"refused\"} 1, %d write calls, SIGTERM exit 0", rec["result"], num(rec, "refusals"), len(writes))
	})

	for _, tc := range []struct {
		name, file, old, new, user string
	}{
		{"the token's own admin role", "projects/sales.yaml", "{user: bi.admin@example.com, systemRoles: [admin]}", "{user: bi.admin@example.com, systemRoles: [viewer]}", "bi.admin@example.com"},
		{"a protected user unbound from a role", "projects/sales.yaml", "users: [li.na@example.com, wu.hao@example.com]", "users: [wu.hao@example.com]", "li.na@example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "desired")
			copyDir(t, quickDesired, dir)
			editFile(t, filepath.Join(dir, "settings.yaml"), "protectedUsers: [bi.admin@example.com]", "protectedUsers: [bi.admin@example.com, li.na@example.com]")
			sim := newSim(t, quickSeed, youdatatest.Options{Token: "drill-token"})
			stPath := filepath.Join(t.TempDir(), "state.json")
			env := []string{"PERMSYNC_TOKEN=drill-token", "PERMSYNC_TOKEN_USER=bi.admin@example.com"}
			if r := runBin(t, env, "apply", "-f", dir, "--auto-approve", "--server", sim.URL(), "--state", stPath, "--rps", "0"); r.code != 0 {
				t.Fatalf("first apply: %s", r)
			}
			want := grants(sim.Snapshot())
			editFile(t, filepath.Join(dir, tc.file), tc.old, tc.new)

			c := startChild(t, env, runArgs(dir, sim.URL(), stPath)...)
			addr, _ := c.waitRecord(t, "serving /healthz, /readyz and /metrics", 1)["addr"].(string)
			rec := c.waitRecord(t, "run finished", 1)
			if rec["result"] != "success" && rec["result"] != "refused" {
				t.Errorf("run: want success (the edit dropped) or refused, got %v", rec)
			}
			warned := false
			for _, w := range c.records("plan warning") {
				s := fmt.Sprint(w["warning"])
				if strings.Contains(s, "protected") && strings.Contains(s, tc.user) {
					warned = true
				}
			}
			if !warned {
				t.Errorf("no plan warning says %s is protected\n%s", tc.user, c)
			}
			_, metrics := httpGet(t, addr, "/metrics")
			wantMetric(t, metrics, `permsync_runs_total{result="failed"}`, 0)
			if v, _ := metricValue(metrics, `permsync_runs_total{result="success"}`); v+metricOrZero(metrics, `permsync_runs_total{result="refused"}`) != 1 {
				t.Errorf("/metrics: want one run, success or refused:\n%s", grepLines(metrics, "permsync_runs_total"))
			}
			if code := c.terminate(t); code != 0 {
				t.Errorf("SIGTERM: exit %d, want 0\n%s", code, c)
			}
			got := grants(sim.Snapshot())
			var lost []string
			for g := range want {
				if strings.Contains(g, tc.user) && !got[g] {
					lost = append(lost, g)
				}
			}
			if len(lost) > 0 {
				t.Errorf("run removed grants of %s: %v", tc.user, lost)
			}
			t.Logf("run, %s: result %v, warned, %d grant(s) of %s lost, SIGTERM exit 0", tc.name, rec["result"], len(lost), tc.user)
		})
	}
}

func metricOrZero(body, series string) float64 {
	v, _ := metricValue(body, series)
	return v
}

func grepLines(body, prefix string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestDrill1RunFlakyServer: one 'permsync run' against a server whose
// write endpoints fail 20% of the calls, in the five ways of drill 1:
// the run converges (its verify plan and a later plan are empty) and
// grants nothing outside the server's before and the desired state.
func TestDrill1RunFlakyServer(t *testing.T) {
	needBinary(t)
	n := 60
	c := genCompany(t, n)
	sim := newSim(t, c.seed, youdatatest.Options{Token: "drill-token", Rand: 200})
	before := grants(sim.Snapshot())
	const share = 0.20
	for i, ep := range youdatatest.Endpoints() {
		if readEndpoints[ep] {
			continue
		}
		q := share / 5
		sim.SetFaults(ep, youdatatest.Fault{Share5xx: q, Share429: q, ShareAPIError: q, ShareTimeout: q, ShareReset: q, AfterApply: i%2 == 0})
	}
	stPath := filepath.Join(t.TempDir(), "state.json")
	env := []string{"PERMSYNC_TOKEN=drill-token"}
	ch := startChild(t, env, runArgs(c.desired, sim.URL(), stPath, "--timeout", "300ms", "--batch-size", "10")...)
	rec := ch.waitRecord(t, "run finished", 1)
	rounds := 1 + len(ch.records("some changes failed; read the server again"))
	if code := ch.terminate(t); code != 0 {
		t.Errorf("SIGTERM: exit %d, want 0", code)
	}
	faults := sim.FaultCounts()
	total := 0
	for _, k := range faults {
		total += k
	}
	writes := 0
	for _, k := range writeCalls(sim) {
		writes += k
	}
	calls := sim.TotalCalls()
	sim.ClearFaults()
	if rec["result"] != "success" || num(rec, "remaining_after_verify") != 0 {
		t.Errorf("run under 20%% write faults: want success with nothing left after verify, got %v\n%s", rec, ch)
	}
	if total == 0 {
		t.Error("no fault was injected: the drill tested nothing")
	}
	r := runBin(t, env, "plan", "-f", c.desired, "--server", sim.URL(), "--state", stPath, "--detailed-exitcode", "--rps", "0")
	if r.code != 0 {
		t.Errorf("plan after the run on the healthy server: want no changes, got %s", r)
	}
	// The desired end state's grants, from the same change on a healthy
	// server.
	ref := newSim(t, c.seed, youdatatest.Options{Token: "drill-token"})
	if r := runBin(t, env, "apply", "-f", c.desired, "--auto-approve", "--server", ref.URL(), "--state", filepath.Join(t.TempDir(), "ref.json"), "--rps", "0"); r.code != 0 {
		t.Fatalf("reference apply: %s", r)
	}
	want := grants(ref.Snapshot())
	if unasked := unaskedGrants(grants(sim.Snapshot()), before, want); len(unasked) > 0 {
		t.Errorf("granted outside the desired state under faults:\n  %s", strings.Join(unasked, "\n  "))
	}
	if missing := unaskedGrants(want, nil, grants(sim.Snapshot())); len(missing) > 0 {
		t.Errorf("desired grants missing after the run:\n  %s", strings.Join(missing, "\n  "))
	}
	t.Logf("run, write faults 20%%: %d users, %d calls (%d writes), %d failed by the server (%s), %d round(s), %d changes planned, %d applied, %d failed; result %v, next plan empty",
		n, calls, writes, total, fmtCounts(faults), rounds, num(rec, "changes_planned"), num(rec, "changes_applied"), num(rec, "changes_failed"), rec["result"])
}

// TestDrill7RunSecrets: 'permsync run' with --debug-http under a token, a
// password and a token key (the last against a 'permsync sim' child), and
// failing against a 502 page echoing the URL: no secret in stdout, stderr,
// /metrics, /readyz, /healthz, the state or the lock. 'permsync sim' -v
// logs every request without a secret; its stdout prints the token it
// accepts on its export line, by design, and nothing else of it.
func TestDrill7RunSecrets(t *testing.T) {
	needBinary(t)
	dir := t.TempDir()
	sim := youdatatest.New(youdatatest.Options{Seed: mustSeed(t, quickSeed), Token: secretToken, TokenKey: secretKey,
		Email: "bi.admin@example.com", Password: secretPassword})
	defer sim.Close()
	var found []string
	children := 0
	// check searches a child's output and its HTTP bodies.
	check := func(name string, c *child, bodies map[string]string) {
		children++
		found = append(found, leaks(name+" stdout", c.stdout.String())...)
		found = append(found, leaks(name+" stderr", c.stderr.String())...)
		for path, b := range bodies {
			found = append(found, leaks(name+" "+path, b)...)
		}
	}
	serve := func(c *child) (string, map[string]string) {
		addr, _ := c.waitRecord(t, "serving /healthz, /readyz and /metrics", 1)["addr"].(string)
		rec := c.waitRecord(t, "run finished", 1)
		bodies := map[string]string{}
		for _, p := range []string{"/metrics", "/readyz", "/healthz"} {
			_, bodies[p] = httpGet(t, addr, p)
		}
		if !strings.Contains(c.stderr.String(), "/api/dash/") {
			t.Errorf("%s: --debug-http traced nothing\n%s", c.name, c)
		}
		return fmt.Sprint(rec["result"]), bodies
	}

	stPath := filepath.Join(dir, "state", "state.json")
	for _, tc := range []struct {
		name string
		env  []string
	}{
		{"token", []string{"PERMSYNC_TOKEN=" + secretToken}},
		{"password", []string{"PERMSYNC_EMAIL=bi.admin@example.com", "PERMSYNC_PASSWORD=" + secretPassword}},
	} {
		c := startChild(t, tc.env, runArgs(quickDesired, sim.URL(), stPath, "--debug-http")...)
		result, bodies := serve(c)
		if result != "success" {
			t.Errorf("%s run: result %s\n%s", tc.name, result, c)
		}
		if code := c.terminate(t); code != 0 {
			t.Errorf("%s run: SIGTERM exit %d", tc.name, code)
		}
		check(tc.name+" run", c, bodies)
	}

	// A token key, against 'permsync sim' serving a fresh server.
	simc := startChild(t, nil, "sim", "--addr", "127.0.0.1:0", "--seed", quickSeed, "--token", secretToken, "--token-key", secretKey, "-v")
	var url string
	simc.waitFor(t, "the simulator's URL", func() bool {
		for _, l := range strings.Split(simc.stdout.String(), "\n") {
			if u, ok := strings.CutPrefix(l, "export PERMSYNC_SERVER="); ok {
				url = strings.TrimSpace(u)
				return true
			}
		}
		return false
	})
	c := startChild(t, []string{"PERMSYNC_TOKEN_KEY=" + secretKey}, runArgs(quickDesired, url, filepath.Join(dir, "sim-state", "state.json"), "--debug-http")...)
	result, bodies := serve(c)
	if result != "success" {
		t.Errorf("token key run against permsync sim: result %s\n%s", result, c)
	}
	if code := c.terminate(t); code != 0 {
		t.Errorf("token key run: SIGTERM exit %d", code)
	}
	check("tokenKey run", c, bodies)
	if code := simc.terminate(t); code != 0 {
		t.Errorf("permsync sim: SIGTERM exit %d\n%s", code, simc)
	}
	if !strings.Contains(simc.stderr.String(), "util/genToken") {
		t.Errorf("permsync sim -v logged no genToken call:\n%s", simc)
	}
	children++
	found = append(found, leaks("permsync sim stderr", simc.stderr.String())...)
	var simOut []string
	for _, l := range strings.Split(simc.stdout.String(), "\n") {
		if l != "export PERMSYNC_TOKEN="+secretToken {
			simOut = append(simOut, l)
		}
	}
	found = append(found, leaks("permsync sim stdout (beyond its export line)", strings.Join(simOut, "\n"))...)

	// A run that fails against a proxy's 502 page echoing the URL: the
	// error is in the log line and in /readyz.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<html>bad gateway for " + r.URL.String() + "</html>"))
	}))
	defer echo.Close()
	c = startChild(t, []string{"PERMSYNC_TOKEN=" + secretToken}, runArgs(quickDesired, echo.URL, filepath.Join(dir, "echo", "state.json"), "--debug-http")...)
	result, bodies = serve(c)
	if result != "failed" || !strings.Contains(bodies["/readyz"], "502") {
		t.Errorf("run against a 502 page: result %s, /readyz %q", result, bodies["/readyz"])
	}
	if code := c.terminate(t); code != 0 {
		t.Errorf("echo run: SIGTERM exit %d", code)
	}
	check("echoing 502 run", c, bodies)

	files := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files++
		found = append(found, leaks(p, string(b))...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Error("the runs wrote no state file")
	}
	for _, f := range found {
		t.Errorf("secret leaked: %s", f)
	}
	t.Logf("run secrets: %d processes (run under a token, a password, a token key against permsync sim -v, and against a 502 page), /metrics, /readyz and /healthz of 4 runs, %d files written: %d leaks", children, files, len(found))
}

// onWrite serves a simulator and calls fn (once) when the k-th write call
// arrives, before the server handles it.
type onWrite struct {
	next http.Handler
	mu   sync.Mutex
	n, k int
	fn   func()
}

func (h *onWrite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isWrite(r) {
		h.mu.Lock()
		h.n++
		if h.n == h.k && h.fn != nil {
			h.fn()
		}
		h.mu.Unlock()
	}
	h.next.ServeHTTP(w, r)
}

func (h *onWrite) writes() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// TestDrill2RunSIGTERMDuringApply: SIGTERM reaches 'permsync run' while a
// write of its apply is in flight. The service finishes the calls in
// flight, records them, exits 0 with the run "interrupted"; the state
// parses, the lock is gone, and a later 'permsync apply' converges.
func TestDrill2RunSIGTERMDuringApply(t *testing.T) {
	needBinary(t)
	sim := youdatatest.NewUnstarted(youdatatest.Options{Seed: mustSeed(t, quickSeed), Token: "drill-token"})
	for _, ep := range youdatatest.Endpoints() {
		if !readEndpoints[ep] {
			sim.SetFaults(ep, youdatatest.Fault{Latency: 30 * time.Millisecond})
		}
	}
	const k = 5
	h := &onWrite{next: sim.Handler(), k: k}
	ts := httptest.NewServer(h)
	defer ts.Close()
	stPath := filepath.Join(t.TempDir(), "state.json")
	env := []string{"PERMSYNC_TOKEN=drill-token"}
	var c *child
	h.mu.Lock()
	c = startChild(t, env, runArgs(quickDesired, ts.URL, stPath)...)
	h.fn = func() { _ = c.cmd.Process.Signal(syscall.SIGTERM) }
	h.mu.Unlock()

	code := c.wait(t)
	if code != 0 {
		t.Errorf("SIGTERM during the apply: exit %d, want 0\n%s", code, c)
	}
	recs := c.records("run finished")
	if len(recs) != 1 || recs[0]["result"] != "interrupted" || num(recs[0], "changes_skipped") == 0 {
		t.Errorf("want one run, interrupted with changes skipped, got %v\n%s", recs, c)
	}
	interruptedWrites := h.writes()
	if _, _, err := state.Load(stPath); err != nil {
		t.Errorf("the state does not parse after SIGTERM: %v", err)
	}
	if _, err := os.Stat(state.LockPath(stPath)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the lock is left after SIGTERM: %v", err)
	}
	r := runBin(t, env, "apply", "-f", quickDesired, "--auto-approve", "--server", ts.URL, "--state", stPath, "--rps", "0")
	if r.code != 0 {
		t.Fatalf("apply after the interrupted run: %s", r)
	}
	r = runBin(t, env, "plan", "-f", quickDesired, "--server", ts.URL, "--state", stPath, "--detailed-exitcode", "--rps", "0")
	if r.code != 0 {
		t.Fatalf("plan after: want no changes, got %s", r)
	}
	applied, skipped := 0, 0
	if len(recs) == 1 {
		applied, skipped = num(recs[0], "changes_applied"), num(recs[0], "changes_skipped")
	}
	t.Logf("run, SIGTERM at write %d: exit 0, result interrupted, %d write calls made (%d applied, %d skipped), state parsed, lock gone; the later apply made %d write calls, next plan empty",
		k, interruptedWrites, applied, skipped, h.writes()-interruptedWrites)
}
