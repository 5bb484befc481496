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

	"github.com/permsync/permsync/apiclient/youdatatest"
	"github.com/permsync/permsync/reconcile"
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
	state := filepath.Join(t.TempDir(), "state.json")
	env := []string{"PERMSYNC_TOKEN=drill-token"}
	args := []string{"apply", "-f", quickDesired, "--auto-approve", "--server", ts.URL, "--state", state, "--rps", "0"}
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
			state := filepath.Join(t.TempDir(), "state.json")
			args := []string{"apply", "-f", quickDesired, "--auto-approve", "--server", ts.URL, "--state", state, "--rps", "0"}
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
			if _, _, err := reconcile.LoadState(state); err != nil {
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
			r = runBin(t, []string{"PERMSYNC_TOKEN=drill-token"}, "plan", "-f", quickDesired, "--server", ts.URL, "--state", state, "--detailed-exitcode", "--rps", "0")
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

// TestDrill3ConcurrentApplies: two applies on the same state at once: one
// refuses with the lock error (or, if it came second, finds nothing to
// do); the state stays valid; re-running the loser ends with no changes.
func TestDrill3ConcurrentApplies(t *testing.T) {
	needBinary(t)
	sim := youdatatest.New(youdatatest.Options{Seed: mustSeed(t, quickSeed), Token: "drill-token"})
	defer sim.Close()
	// Slow writes widen the window in which both run.
	for _, ep := range youdatatest.Endpoints() {
		if !readEndpoints[ep] {
			sim.SetFaults(ep, youdatatest.Fault{Latency: 20 * time.Millisecond})
		}
	}
	state := filepath.Join(t.TempDir(), "state.json")
	args := []string{"apply", "-f", quickDesired, "--auto-approve", "--server", sim.URL(), "--state", state, "--rps", "0"}
	env := []string{"PERMSYNC_TOKEN=drill-token"}
	var wg sync.WaitGroup
	runs := make([]run, 2)
	for i := range runs {
		i := i
		wg.Add(1)
		go func() {
			defer wg.Done()
			runs[i] = runBin(t, env, args...)
		}()
	}
	wg.Wait()
	locked := 0
	for i, r := range runs {
		switch {
		case r.code == 0:
		case strings.Contains(r.stderr, "state is locked"):
			locked++
		default:
			t.Errorf("apply %d failed otherwise: %s", i, r)
		}
	}
	if locked == 2 {
		t.Fatal("both applies refused")
	}
	if _, _, err := reconcile.LoadState(state); err != nil {
		t.Fatalf("state after two concurrent applies: %v", err)
	}
	if r := runBin(t, env, args...); r.code != 0 {
		t.Fatalf("re-running the loser: %s", r)
	}
	if r := runBin(t, env, "plan", "-f", quickDesired, "--server", sim.URL(), "--state", state, "--detailed-exitcode", "--rps", "0"); r.code != 0 {
		t.Fatalf("plan after both: want no changes, got %s", r)
	}
	t.Logf("concurrent applies: %d of 2 refused with the lock error, state valid, final plan empty", locked)
}

// TestDrill4ExpiredTokenMidRun: the token expires in the middle of an
// apply; the client renews it once (token key) and the run completes.
func TestDrill4ExpiredTokenMidRun(t *testing.T) {
	needBinary(t)
	sim := youdatatest.New(youdatatest.Options{Seed: mustSeed(t, quickSeed), TokenKey: "drill-key"})
	defer sim.Close()
	state := filepath.Join(t.TempDir(), "state.json")
	env := []string{"PERMSYNC_TOKEN_KEY=drill-key"}
	// The first genToken issues a token; it expires 30 calls later, in
	// the middle of the read or the apply.
	sim.ExpireTokenAfter(30)
	r := runBin(t, env, "apply", "-f", quickDesired, "--auto-approve", "--server", sim.URL(), "--state", state, "--rps", "0")
	if r.code != 0 {
		t.Fatalf("apply with a token expiring mid-run: %s", r)
	}
	gen := sim.Calls()["util/genToken"]
	if gen < 2 {
		t.Errorf("util/genToken called %d times: the token was never renewed", gen)
	}
	if r := runBin(t, env, "plan", "-f", quickDesired, "--server", sim.URL(), "--state", state, "--detailed-exitcode", "--rps", "0"); r.code != 0 {
		t.Fatalf("plan after: %s", r)
	}
	t.Logf("expired token: %d calls, %d genToken (1 login, %d renewal), apply exit 0, next plan empty", sim.TotalCalls(), gen, gen-1)
}
