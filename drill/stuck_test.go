package drill

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/state"
)

// namedPipe makes a FIFO at path. At the end of the test it is given a
// writer, which ends an open blocked on it, and removed.
func namedPipe(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	t.Cleanup(func() {
		w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		os.Remove(path)
		if err == nil {
			w.Close()
		}
	})
}

// pipeDesired is a copy of the quickstart's files plus a .yaml that is a
// symbolic link to a FIFO.
func pipeDesired(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "desired")
	copyDir(t, quickDesired, dir)
	pipe := filepath.Join(t.TempDir(), "pipe")
	namedPipe(t, pipe)
	if err := os.Symlink(pipe, filepath.Join(dir, "extra.yaml")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestDrill9RunStaysResponsive: 'permsync run' whose run blocks (a server
// that never answers within its own timeouts, a .yaml that is a FIFO, a
// lock file that is a FIFO) reports the run timed_out at its deadline,
// fails /readyz, fails /healthz only when the run ignores its
// cancellation (a restart is then the only way out), and ends on one
// SIGTERM: exit 0 when the run returned, 1 naming what was abandoned when
// it did not.
func TestDrill9RunStaysResponsive(t *testing.T) {
	needBinary(t)
	env := []string{"PERMSYNC_TOKEN=drill-token"}
	limits := []string{"--run-timeout", "1s", "--shutdown-grace", "2s"}

	t.Run("a server that never answers", func(t *testing.T) {
		release := make(chan struct{})
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		defer func() {
			close(release)
			ts.Close()
		}()
		stPath := filepath.Join(t.TempDir(), "state.json")
		c := startChild(t, env, runArgs(quickDesired, ts.URL, stPath, append(limits, "--timeout", "1h")...)...)
		addr, _ := c.waitRecord(t, "serving /healthz, /readyz and /metrics", 1)["addr"].(string)
		rec := c.waitRecord(t, "run finished", 1)
		if rec["result"] != "timed_out" || !strings.Contains(rec["error"].(string), "reading the server") {
			t.Errorf("run: want timed_out while reading the server, got %v", rec)
		}
		if code, body := httpGet(t, addr, "/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "deadline") {
			t.Errorf("/readyz after the timed-out run: %d %q", code, body)
		}
		if code, body := httpGet(t, addr, "/healthz"); code != http.StatusOK {
			t.Errorf("/healthz after a run that returned: %d %q", code, body)
		}
		_, metrics := httpGet(t, addr, "/metrics")
		wantMetric(t, metrics, `permsync_runs_total{result="timed_out"}`, 1)
		wantMetric(t, metrics, "permsync_run_stuck", 0)
		if code := c.terminate(t); code != 0 {
			t.Errorf("SIGTERM: exit %d, want 0\n%s", code, c)
		}
		t.Logf("run, server that never answers: result %v, /readyz 503, /healthz 200, SIGTERM exit 0", rec["result"])
	})

	t.Run("a .yaml that is a FIFO", func(t *testing.T) {
		sim := newSim(t, quickSeed, youdatatest.Options{Token: "drill-token"})
		stPath := filepath.Join(t.TempDir(), "state.json")
		c := startChild(t, env, runArgs(pipeDesired(t), sim.URL(), stPath, limits...)...)
		addr, _ := c.waitRecord(t, "serving /healthz, /readyz and /metrics", 1)["addr"].(string)
		rec := c.waitRecord(t, "run finished", 1)
		errText, _ := rec["error"].(string)
		switch rec["result"] {
		case "timed_out": // the read blocked, the run went on without it
			if !strings.Contains(errText, "loading the files") {
				t.Errorf("the timed-out run does not say it was loading the files: %v", rec)
			}
		case "failed": // the loader refused the FIFO
			if !strings.Contains(errText, "extra.yaml") {
				t.Errorf("the refusal does not name the file: %v", rec)
			}
		default:
			t.Errorf("run: want timed_out or failed, got %v", rec)
		}
		if code, _ := httpGet(t, addr, "/readyz"); code != http.StatusServiceUnavailable {
			t.Errorf("/readyz: %d, want 503", code)
		}
		if code := c.terminate(t); code != 0 {
			t.Errorf("SIGTERM: exit %d, want 0\n%s", code, c)
		}
		if n := len(writeCalls(sim)); n > 0 {
			t.Errorf("%d write endpoints called by a run that could not read its files", n)
		}
		t.Logf("run, .yaml that is a FIFO: result %v, /readyz 503, SIGTERM exit 0, no write", rec["result"])
	})

	t.Run("a lock file that is a FIFO", func(t *testing.T) {
		sim := newSim(t, quickSeed, youdatatest.Options{Token: "drill-token"})
		stPath := filepath.Join(t.TempDir(), "state.json")
		namedPipe(t, state.LockPath(stPath))
		c := startChild(t, env, runArgs(quickDesired, sim.URL(), stPath, limits...)...)
		addr, _ := c.waitRecord(t, "serving /healthz, /readyz and /metrics", 1)["addr"].(string)
		rec := c.waitRecord(t, "run finished", 1)
		if rec["result"] == "failed" && strings.Contains(rec["error"].(string), "lock") {
			// A lock that is no regular file refused at once: nothing
			// blocks any more.
			if code := c.terminate(t); code != 0 {
				t.Errorf("SIGTERM: exit %d, want 0\n%s", code, c)
			}
			return
		}
		if rec["result"] != "timed_out" || rec["abandoned"] != true || !strings.Contains(rec["error"].(string), "taking the state's lock") {
			t.Fatalf("run: want timed_out, abandoned while taking the lock, got %v\n%s", rec, c)
		}
		code, body := httpGet(t, addr, "/healthz")
		if code != http.StatusServiceUnavailable || !strings.Contains(body, "wedged") {
			t.Errorf("/healthz of a wedged run: %d %q", code, body)
		}
		if code, _ := httpGet(t, addr, "/readyz"); code != http.StatusServiceUnavailable {
			t.Errorf("/readyz of a wedged run: %d", code)
		}
		_, metrics := httpGet(t, addr, "/metrics")
		wantMetric(t, metrics, `permsync_runs_total{result="timed_out"}`, 1)
		wantMetric(t, metrics, "permsync_run_stuck", 1)
		exit := c.terminate(t)
		if exit != 1 || !strings.Contains(c.stderr.String(), "abandoned while taking the state's lock") {
			t.Errorf("SIGTERM: exit %d, want 1 naming what was abandoned\n%s", exit, c)
		}
		t.Logf("run, lock file that is a FIFO: result timed_out (abandoned), /healthz 503 %q, SIGTERM exit %d", strings.TrimSpace(body), exit)
	})
}

// TestDrill9OneShotCommandsEndOnSIGTERM: validate, plan and apply blocked
// on a FIFO (a .yaml, a lock file) end on one SIGTERM, exit 1, and say
// what they were doing; or refuse the FIFO at once.
func TestDrill9OneShotCommandsEndOnSIGTERM(t *testing.T) {
	needBinary(t)
	sim := newSim(t, quickSeed, youdatatest.Options{Token: "drill-token"})
	env := []string{"PERMSYNC_TOKEN=drill-token"}
	lockState := filepath.Join(t.TempDir(), "state.json")
	namedPipe(t, state.LockPath(lockState))
	for _, tc := range []struct {
		name  string
		args  []string
		phase string
		// refusal is what an error names when the FIFO is refused at once.
		refusal string
	}{
		{"validate, .yaml FIFO", []string{"validate", "-f", pipeDesired(t)}, "reading the files", "extra.yaml"},
		{"plan, .yaml FIFO", []string{"plan", "-f", pipeDesired(t), "--server", sim.URL(), "--state", filepath.Join(t.TempDir(), "s.json")}, "loading the files", "extra.yaml"},
		{"apply, lock FIFO", []string{"apply", "-f", quickDesired, "--auto-approve", "--server", sim.URL(), "--state", lockState, "--rps", "0"}, "taking the state's lock", "lock"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := startChild(t, env, tc.args...)
			// Signal once it is blocked on the FIFO; a command that has
			// refused the FIFO has ended by then.
			c.waitFor(t, "the command blocked on the FIFO, or its end", func() bool { return c.exited() || blockedOnFIFO(c.cmd.Process.Pid) })
			if !c.exited() {
				_ = c.cmd.Process.Signal(syscall.SIGTERM)
			}
			code := c.wait(t)
			out := c.stderr.String()
			if code != 1 {
				t.Errorf("exit %d, want 1\n%s", code, c)
			}
			if !strings.Contains(out, "interrupted") && !strings.Contains(out, tc.refusal) {
				t.Errorf("stderr says neither that it was interrupted nor what it refused:\n%s", c)
			}
			if strings.Contains(out, "did not stop within") && !strings.Contains(out, tc.phase) {
				t.Errorf("stderr does not say it was %s:\n%s", tc.phase, c)
			}
			t.Logf("%s: exit %d: %s", tc.name, code, strings.TrimSpace(lastLine(out)))
		})
	}
	if n := len(writeCalls(sim)); n > 0 {
		t.Errorf("%d write endpoints called", n)
	}
}

// blockedOnFIFO reports whether a thread of process pid waits in the
// open of a FIFO for the other end (Linux: its wait channel, else an
// openat it sleeps in).
func blockedOnFIFO(pid int) bool {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*", pid))
	for _, task := range tasks {
		if w, err := os.ReadFile(filepath.Join(task, "wchan")); err == nil && (strings.Contains(string(w), "wait_for_partner") || strings.Contains(string(w), "fifo_open")) {
			return true
		}
		sc, _ := os.ReadFile(filepath.Join(task, "syscall"))
		st, _ := os.ReadFile(filepath.Join(task, "stat"))
		if runtime.GOARCH == "amd64" && strings.HasPrefix(string(sc), "257 ") && strings.Contains(string(st), ") S ") {
			return true
		}
	}
	return false
}

func lastLine(s string) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	return ls[len(ls)-1]
}
