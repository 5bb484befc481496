package drill

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/state"
)

var (
	quickDesired = filepath.Join("..", "examples", "quickstart", "desired")
	quickSeed    = filepath.Join("..", "examples", "quickstart", "server-before.yaml")
)

// killer serves a simulator and SIGKILLs the apply child right after the
// k-th write call was handled: the server made the write, the answer is
// never read.
type killer struct {
	next http.Handler
	mu   sync.Mutex
	n, k int
	cmd  *exec.Cmd
}

func (h *killer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.next.ServeHTTP(w, r)
	if !isWrite(r) {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n++
	if h.k > 0 && h.n == h.k && h.cmd != nil && h.cmd.Process != nil {
		_ = h.cmd.Process.Kill()
	}
}

func (h *killer) writes() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// TestDrill2CrashAtEveryPoint: the apply process is killed (SIGKILL) after
// the k-th write call, for every k of the quickstart's change. The state
// file always parses; the next apply (after --force-unlock of the dead
// process's lock) converges.
func TestDrill2CrashAtEveryPoint(t *testing.T) {
	needBinary(t)
	// A clean run counts the write calls of the change.
	sim := youdatatest.NewUnstarted(youdatatest.Options{Seed: mustSeed(t, quickSeed), Token: "drill-token"})
	h := &killer{next: sim.Handler()}
	ts := httptest.NewServer(h)
	defer ts.Close()
	stPath := filepath.Join(t.TempDir(), "state.json")
	env := []string{"PERMSYNC_TOKEN=drill-token"}
	args := []string{"apply", "-f", quickDesired, "--auto-approve", "--server", ts.URL, "--state", stPath, "--rps", "0"}
	if r := runBin(t, env, args...); r.code != 0 {
		t.Fatalf("clean apply: %s", r)
	}
	total := h.writes()
	if total < 3 {
		t.Fatalf("the change makes %d write calls: too small to drill", total)
	}

	ks := make([]int, 0, total)
	for k := 1; k <= total; k++ {
		ks = append(ks, k)
	}
	killedTotal, resumed := 0, 0
	for _, k := range ks {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			sim := youdatatest.NewUnstarted(youdatatest.Options{Seed: mustSeed(t, quickSeed), Token: "drill-token"})
			h := &killer{next: sim.Handler(), k: k}
			ts := httptest.NewServer(h)
			defer ts.Close()
			stPath := filepath.Join(t.TempDir(), "state.json")
			args := []string{"apply", "-f", quickDesired, "--auto-approve", "--server", ts.URL, "--state", stPath, "--rps", "0"}
			cmd := binCmd([]string{"PERMSYNC_TOKEN=drill-token"}, args...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			h.mu.Lock()
			h.cmd = cmd
			err := cmd.Start()
			h.mu.Unlock()
			if err != nil {
				t.Fatal(err)
			}
			werr := cmd.Wait()
			if werr == nil || !strings.Contains(werr.Error(), "killed") {
				t.Fatalf("the apply was not killed after write %d: %v\n%s", k, werr, out.String())
			}
			killedTotal++
			if _, _, err := state.Load(stPath); err != nil {
				t.Fatalf("after a kill at write %d the state does not parse: %v", k, err)
			}
			// The lock of the dead process is reported stale.
			h.mu.Lock()
			h.k = 0
			h.mu.Unlock()
			r := runBin(t, []string{"PERMSYNC_TOKEN=drill-token"}, args...)
			if r.code == 0 || !strings.Contains(r.stderr, "no longer running") {
				t.Fatalf("apply over the dead lock: want a refusal naming the stale lock, got %s", r)
			}
			r = runBin(t, []string{"PERMSYNC_TOKEN=drill-token"}, append(args, "--force-unlock")...)
			if r.code != 0 {
				t.Fatalf("apply after the kill at write %d: %s", k, r)
			}
			resumed++
			r = runBin(t, []string{"PERMSYNC_TOKEN=drill-token"}, "plan", "-f", quickDesired, "--server", ts.URL, "--state", stPath, "--detailed-exitcode", "--rps", "0")
			if r.code != 0 {
				t.Fatalf("plan after the resumed apply: want no changes, got %s", r)
			}
		})
	}
	t.Logf("crash drill: %d write calls in the change; killed after each (%d kills), %d resumed applies converged with nothing done by hand, state always parsed", total, killedTotal, resumed)
}

func mustSeed(t *testing.T, path string) *youdatatest.Seed {
	t.Helper()
	s, err := youdatatest.LoadSeed(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// gate serves a simulator and holds the first write call until released:
// the apply that makes it is then surely mid-apply, holding the lock.
type gate struct {
	next     http.Handler
	once     sync.Once
	arrived  chan struct{}
	released chan struct{}
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isWrite(r) {
		first := false
		g.once.Do(func() { first = true })
		if first {
			close(g.arrived)
			<-g.released
		}
	}
	g.next.ServeHTTP(w, r)
}

// TestDrill3ConcurrentApplies: a second apply on the same state starts
// while the first is held in its first write call. It refuses with the
// lock error (or waits for the lock and then finds nothing to do); the
// state stays valid; re-running it ends with no changes.
func TestDrill3ConcurrentApplies(t *testing.T) {
	needBinary(t)
	sim := youdatatest.NewUnstarted(youdatatest.Options{Seed: mustSeed(t, quickSeed), Token: "drill-token"})
	g := &gate{next: sim.Handler(), arrived: make(chan struct{}), released: make(chan struct{})}
	ts := httptest.NewServer(g)
	defer ts.Close()
	var releaseOnce sync.Once
	release := func() { releaseOnce.Do(func() { close(g.released) }) }
	defer release()
	stPath := filepath.Join(t.TempDir(), "state.json")
	args := []string{"apply", "-f", quickDesired, "--auto-approve", "--server", ts.URL, "--state", stPath, "--rps", "0"}
	env := []string{"PERMSYNC_TOKEN=drill-token"}

	first := startChild(t, env, args...)
	select {
	case <-g.arrived:
	case <-first.done:
		t.Fatalf("the first apply ended before any write call: %v\n%s", first.werr, first)
	case <-time.After(waitLimit):
		t.Fatalf("the first apply made no write call within %s\n%s", waitLimit, first)
	}
	second := startChild(t, env, args...)
	// The second apply must refuse while the first holds the lock. One
	// that waits for the lock instead is let go after a while: it must
	// then wait for the first to end, and find nothing left to do.
	waited := false
	select {
	case <-second.done:
	case <-time.After(10 * time.Second):
		waited = true
	}
	release()
	if code := first.wait(t); code != 0 {
		t.Errorf("the first apply: exit %d\n%s", code, first)
	}
	code := second.wait(t)
	switch {
	case !waited && code != 0 && strings.Contains(second.stderr.String(), "state is locked"):
	case waited && code == 0:
	default:
		t.Errorf("the second apply, started while the first held its lock, neither refused with the lock error nor waited for it (exit %d)\n%s", code, second)
	}
	if _, _, err := state.Load(stPath); err != nil {
		t.Fatalf("state after two concurrent applies: %v", err)
	}
	if r := runBin(t, env, args...); r.code != 0 {
		t.Fatalf("re-running the second apply: %s", r)
	}
	if r := runBin(t, env, "plan", "-f", quickDesired, "--server", ts.URL, "--state", stPath, "--detailed-exitcode", "--rps", "0"); r.code != 0 {
		t.Fatalf("plan after both: want no changes, got %s", r)
	}
	outcome := "refused with the lock error"
	if waited {
		outcome = "waited for the lock"
	}
	t.Logf("concurrent applies: the second, started while the first held the lock in its first write call, %s; state valid, final plan empty", outcome)
}

// TestDrill4ExpiredTokenMidRun: the token expires in the middle of an
// apply; the client renews it once (token key) and the run completes.
func TestDrill4ExpiredTokenMidRun(t *testing.T) {
	needBinary(t)
	sim := youdatatest.New(youdatatest.Options{Seed: mustSeed(t, quickSeed), TokenKey: "drill-key"})
	defer sim.Close()
	stPath := filepath.Join(t.TempDir(), "state.json")
	env := []string{"PERMSYNC_TOKEN_KEY=drill-key"}
	// The first genToken issues a token; it expires 30 calls later, in
	// the middle of the read or the apply.
	sim.ExpireTokenAfter(30)
	r := runBin(t, env, "apply", "-f", quickDesired, "--auto-approve", "--server", sim.URL(), "--state", stPath, "--rps", "0")
	if r.code != 0 {
		t.Fatalf("apply with a token expiring mid-run: %s", r)
	}
	gen := sim.Calls()["util/genToken"]
	if gen < 2 {
		t.Errorf("util/genToken called %d times: the token was never renewed", gen)
	}
	if r := runBin(t, env, "plan", "-f", quickDesired, "--server", sim.URL(), "--state", stPath, "--detailed-exitcode", "--rps", "0"); r.code != 0 {
		t.Fatalf("plan after: %s", r)
	}
	t.Logf("expired token: %d calls, %d genToken (1 login, %d renewal), apply exit 0, next plan empty", sim.TotalCalls(), gen, gen-1)
}
