package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/permsync/permsync/internal/textsafe"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
)

// Server text meant to rewrite a terminal or a CI log: a screen clear, a
// forged report line, GitHub and Azure workflow commands, a bidirectional
// override.
const (
	hostileMessage = "\x1b[2J\x1b[H\rApply complete: 0 failed\r\n::error::forged by the server\n##vso[task.setvariable variable=PERMSYNC_OK]true\n##[error]x \u202eevil"
	hostileLogPath = "http://x/log\n::add-mask::y\x1b]0;title\x07"
)

// hostileServer is the quickstart simulator, but endpoint answers with an
// error whose message and logPath are hostileMessage and hostileLogPath.
func hostileServer(t *testing.T, endpoint string) (url string, vars map[string]string) {
	t.Helper()
	seed, err := youdatatest.LoadSeed(quickstartBefore)
	if err != nil {
		t.Fatal(err)
	}
	sim := youdatatest.NewUnstarted(youdatatest.Options{Seed: seed})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.TrimPrefix(r.URL.Path, youdatatest.PathPrefix) == endpoint {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"code": 500, "message": hostileMessage, "logPath": hostileLogPath})
			return
		}
		sim.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts.URL, map[string]string{apiclient.EnvToken: sim.Token()}
}

// checkSafe fails the test for output holding a raw control character, a
// line that starts with a workflow command, or an Azure command, and
// checks that the server's message is still there to read, escaped.
func checkSafe(t *testing.T, name, out string) {
	t.Helper()
	for _, bad := range textsafe.Unsafe(out) {
		t.Errorf("%s: %s", name, bad)
	}
	if !strings.Contains(out, `\u001b[2J`) || !strings.Contains(out, "forged by the server") {
		t.Errorf("%s: the server's message is not shown (escaped):\n%s", name, out)
	}
}

// TestHostileServerMessagesAreEscaped: plan and apply against a server
// whose error message and log link hold escape sequences, line breaks and
// CI workflow commands print them escaped, on one line.
func TestHostileServerMessagesAreEscaped(t *testing.T) {
	t.Run("plan, a read fails", func(t *testing.T) {
		url, vars := hostileServer(t, "projectUser/list")
		desired := filepath.Join(t.TempDir(), "desired")
		copyDir(t, "../../examples/quickstart/desired", desired)
		code, stdout, stderr := runCmd(t, vars, "plan", "-f", desired, "--server", url, "--rps", "0")
		if code != exitError {
			t.Fatalf("plan: exit %d\n%s%s", code, stdout, stderr)
		}
		checkSafe(t, "plan", stdout+stderr)
	})
	t.Run("apply, a write fails", func(t *testing.T) {
		url, vars := hostileServer(t, "user/batchImport")
		desired := filepath.Join(t.TempDir(), "desired")
		copyDir(t, "../../examples/quickstart/desired", desired)
		code, stdout, stderr := runCmd(t, vars, "apply", "-f", desired, "--server", url, "--auto-approve", "--rps", "0")
		if code != exitError || !strings.Contains(stdout, "  failed   ") {
			t.Fatalf("apply: exit %d, want 1 with failed changes\n%s%s", code, stdout, stderr)
		}
		checkSafe(t, "apply", stdout+stderr)
		n := 0
		for _, l := range strings.Split(stdout+stderr, "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), "Apply complete:") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d lines begin with 'Apply complete:', want 1 (permsync's own)", n)
		}
	})
}

// TestHostileServerMessagesInRunLogs: the same through 'permsync run', in
// both log formats, and in /readyz.
func TestHostileServerMessagesInRunLogs(t *testing.T) {
	for _, format := range []string{"json", "text"} {
		t.Run(format, func(t *testing.T) {
			url, vars := hostileServer(t, "user/batchImport")
			desired := filepath.Join(t.TempDir(), "desired")
			copyDir(t, "../../examples/quickstart/desired", desired)
			logs, stop := startRun(t, vars, "-f", desired, "--server", url, "--schedule", "@every 1h", "--jitter", "0",
				"--listen", "127.0.0.1:0", "--log-format", format, "--rps", "0")
			waitLog(t, logs, "run finished")
			addr := listenAddr(t, logs, format)
			code, body := httpGet(t, "http://"+addr+"/readyz")
			if code != http.StatusServiceUnavailable {
				t.Errorf("/readyz after a failed run: %d %s", code, body)
			}
			if c := stop(); c != exitOK {
				t.Errorf("exit %d", c)
			}
			out := logs.String()
			checkSafe(t, format+" logs", out)
			for _, bad := range textsafe.Unsafe(body) {
				t.Errorf("/readyz: %s", bad)
			}
			if format == "json" {
				// What a reader of the JSON prints (jq -r) is safe too.
				for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
					var rec map[string]any
					if err := json.Unmarshal([]byte(l), &rec); err != nil {
						t.Fatalf("log line is not JSON: %q", l)
					}
					for k, v := range rec {
						if s, ok := v.(string); ok {
							for _, bad := range textsafe.Unsafe(s) {
								t.Errorf("decoded %s: %s", k, bad)
							}
						}
					}
				}
			}
		})
	}
}

// waitLog waits until the logs hold msg, in either format.
func waitLog(t *testing.T, logs *logLines, msg string) {
	t.Helper()
	for end := time.Now().Add(60 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		out := logs.String()
		if strings.Contains(out, `"msg":"`+msg+`"`) || strings.Contains(out, `msg="`+msg+`"`) {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("no %q in the logs:\n%s", msg, out)
		}
	}
}

// listenAddr is the address 'permsync run' logged it listens on.
func listenAddr(t *testing.T, logs *logLines, format string) string {
	t.Helper()
	for _, l := range strings.Split(logs.String(), "\n") {
		if !strings.Contains(l, "serving /healthz") {
			continue
		}
		if format == "json" {
			var rec map[string]any
			if json.Unmarshal([]byte(l), &rec) == nil {
				if a, ok := rec["addr"].(string); ok {
					return a
				}
			}
			continue
		}
		if _, rest, ok := strings.Cut(l, "addr="); ok {
			return strings.Fields(rest)[0]
		}
	}
	t.Fatalf("no listen address in the logs:\n%s", logs)
	return ""
}
