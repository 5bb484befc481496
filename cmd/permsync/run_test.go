package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/state"
)

// logLines is a writer that keeps what is written and sends every JSON log
// record (slog writes one per Write) on lines.
type logLines struct {
	mu    sync.Mutex
	all   strings.Builder
	lines chan map[string]any
}

func newLogLines() *logLines { return &logLines{lines: make(chan map[string]any, 256)} }

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.all.Write(p)
	l.mu.Unlock()
	var rec map[string]any
	if json.Unmarshal(p, &rec) == nil {
		select {
		case l.lines <- rec:
		default: // nobody reads any more
		}
	}
	return len(p), nil
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.all.String()
}

// next waits for the next log record with this message.
func (l *logLines) next(t *testing.T, msg string) map[string]any {
	t.Helper()
	for rec := range l.lines {
		if rec["msg"] == msg {
			return rec
		}
	}
	t.Fatalf("log ended before %q", msg)
	return nil
}

// startRun runs 'permsync run args...' in-process until the returned stop
// is called, which gives its exit code.
func startRun(t *testing.T, vars map[string]string, args ...string) (logs *logLines, stop func() int) {
	t.Helper()
	logs = newLogLines()
	ctx, cancel := context.WithCancel(context.Background())
	env := &cmdEnv{
		stdin:  strings.NewReader(""),
		stdout: io.Discard,
		stderr: logs,
		getenv: func(k string) string { return vars[k] },
	}
	code := make(chan int, 1)
	go func() { code <- runMain(ctx, env, append([]string{"run"}, args...)) }()
	var once sync.Once
	var c int
	stop = func() int {
		once.Do(func() {
			cancel() // SIGTERM
			c = <-code
		})
		return c
	}
	t.Cleanup(func() { stop() })
	return logs, stop
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestRunAgainstServer runs the service against a simulated server, as a
// Deployment would against the real one: the token comes from the
// environment, the state from --state, probes and metrics from --listen.
func TestRunAgainstServer(t *testing.T) {
	seed, err := youdatatest.LoadSeed("../../examples/quickstart/server-before.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sim := youdatatest.New(youdatatest.Options{Seed: seed})
	defer sim.Close()
	statePath := filepath.Join(t.TempDir(), "state.json")
	logs, stop := startRun(t, map[string]string{"PERMSYNC_TOKEN": sim.Token(), "PERMSYNC_SERVER": sim.URL()},
		"-f", "../../examples/quickstart/desired", "--schedule", "@every 1h", "--listen", "127.0.0.1:0",
		"--state", statePath, "--log-format", "json", "--rps", "0", "--jitter", "0")

	addr, _ := logs.next(t, "serving /healthz, /readyz and /metrics")["addr"].(string)
	summary := logs.next(t, "run finished")
	for k, want := range map[string]any{"result": "success", "mode": "apply", "changes_failed": 0.0, "remaining_after_verify": 0.0} {
		if summary[k] != want {
			t.Errorf("summary %s = %v, want %v", k, summary[k], want)
		}
	}
	if summary["changes_applied"] != summary["changes_planned"] || summary["changes_planned"] == 0.0 {
		t.Errorf("summary: applied %v of %v planned changes", summary["changes_applied"], summary["changes_planned"])
	}

	base := "http://" + addr
	if code, body := httpGet(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d %s", code, body)
	}
	if code, body := httpGet(t, base+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz: %d %s", code, body)
	}
	code, metrics := httpGet(t, base+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`permsync_runs_total{result="success"} 1`,
		`permsync_api_calls_total{endpoint="user/batchImport",result="ok"}`,
		"permsync_last_success_timestamp_seconds ",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	if c := stop(); c != exitOK {
		t.Errorf("exit code after the stop = %d, want 0\n%s", c, logs)
	}
	st, exists, err := state.Load(statePath)
	if err != nil || !exists || st.Server != sim.URL() {
		t.Errorf("state: exists %v, server %q, %v", exists, st.Server, err)
	}
	if out := logs.String(); strings.Contains(out, sim.Token()) {
		t.Errorf("the token is in the logs:\n%s", out)
	}
}

// TestRunSimulator is the quickstart as a service: permsync run
// --simulator converges the embedded server at its first run.
func TestRunSimulator(t *testing.T) {
	logs, stop := startRun(t, nil, "--simulator", "../../examples/quickstart/server-before.yaml",
		"-f", "../../examples/quickstart/desired", "--schedule", "*/15 * * * *", "--timezone", "UTC",
		"--log-format", "json", "--rps", "0", "--mode", "apply")
	summary := logs.next(t, "run finished")
	if summary["result"] != "success" || summary["remaining_after_verify"] != 0.0 {
		t.Errorf("summary: %v", summary)
	}
	if c := stop(); c != exitOK {
		t.Errorf("exit code = %d\n%s", c, logs)
	}
}

func TestRunFlagErrors(t *testing.T) {
	files := []string{"-f", "../../examples/quickstart/desired", "--simulator", "../../examples/quickstart/server-before.yaml"}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no schedule", files, "no schedule"},
		{"bad schedule", append([]string{"--schedule", "*/15 * * *"}, files...), "--schedule"},
		{"bad mode", append([]string{"--schedule", "@hourly", "--mode", "yolo"}, files...), "--mode"},
		{"bad zone", append([]string{"--schedule", "@hourly", "--timezone", "Mars/Olympus"}, files...), "--timezone"},
		{"bad log format", append([]string{"--schedule", "@hourly", "--log-format", "xml"}, files...), "--log-format"},
		{"no files", []string{"--schedule", "@hourly", "--simulator", "../../examples/quickstart/server-before.yaml"}, "no files"},
		{"mass delete", append([]string{"--schedule", "@hourly", "--allow-mass-delete"}, files...), "allow-mass-delete"},
		{"arguments", append([]string{"--schedule", "@hourly", "extra"}, files...), "unexpected arguments"},
		{"negative run timeout", append([]string{"--schedule", "@hourly", "--run-timeout", "-1m"}, files...), "--run-timeout"},
		{"no shutdown grace", append([]string{"--schedule", "@hourly", "--shutdown-grace", "0s"}, files...), "--shutdown-grace"},
		{"notify without a URL", append([]string{"--schedule", "@hourly", "--notify", "dingtalk"}, files...), "set PERMSYNC_WEBHOOK_URL"},
		{"bad notify format", append([]string{"--schedule", "@hourly", "--notify", "teams"}, files...), "--notify"},
		{"bad notify-on", append([]string{"--schedule", "@hourly", "--notify", "slack", "--notify-on", "drift,sunshine"}, files...), "--notify-on"},
		{"no keep-runs", append([]string{"--schedule", "@hourly", "--keep-runs", "0"}, files...), "--keep-runs"},
	} {
		code, _, stderr := runCmd(t, nil, append([]string{"run"}, c.args...)...)
		if code != exitError || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 1 naming %q", c.name, code, stderr, c.want)
		}
	}
}

// TestRunRefusedLoginFailsTheRunNotTheService: a wrong password fails the
// run (readiness 503), the service stays up, and the password is nowhere
// in the logs or the probe's answer.
func TestRunRefusedLoginFailsTheRunNotTheService(t *testing.T) {
	seed, err := youdatatest.LoadSeed("../../examples/quickstart/server-before.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sim := youdatatest.New(youdatatest.Options{Seed: seed, Password: "the-right-one-4c1d"})
	defer sim.Close()
	const wrong = "wrong-pass-7e2b9f"
	logs, stop := startRun(t, map[string]string{"PERMSYNC_EMAIL": "bi.admin@example.com", "PERMSYNC_PASSWORD": wrong},
		"--server", sim.URL(), "-f", "../../examples/quickstart/desired", "--schedule", "@every 1h",
		"--listen", "127.0.0.1:0", "--state", filepath.Join(t.TempDir(), "state.json"), "--log-format", "json", "--rps", "0")
	addr, _ := logs.next(t, "serving /healthz, /readyz and /metrics")["addr"].(string)
	summary := logs.next(t, "run finished")
	if e, _ := summary["error"].(string); summary["result"] != "failed" || !strings.Contains(e, "genToken") {
		t.Errorf("summary: %v", summary)
	}
	code, body := httpGet(t, "http://"+addr+"/readyz")
	if code != http.StatusServiceUnavailable {
		t.Errorf("/readyz after a refused login: %d %s", code, body)
	}
	if code, _ := httpGet(t, "http://"+addr+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d", code)
	}
	if c := stop(); c != exitOK {
		t.Errorf("exit code = %d", c)
	}
	if out := logs.String() + body; strings.Contains(out, wrong) {
		t.Errorf("the password shows:\n%s", out)
	}
}
