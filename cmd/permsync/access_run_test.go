package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// permsync run --access-report makes the report after each run, writes it
// to --access-report-dir and serves it at /report behind the secret.
func TestRunAccessReport(t *testing.T) {
	const secret = "report-secret-0123456789"
	dir := t.TempDir()
	logs, stop := startRun(t, map[string]string{"PERMSYNC_EMBED_SECRET": secret},
		"--simulator", "../../examples/quickstart/server-before.yaml", "-f", "../../examples/quickstart/desired",
		"--schedule", "@every 1h", "--log-format", "json", "--rps", "0", "--jitter", "0", "--listen", "127.0.0.1:0",
		"--access-report", "--access-report-dir", dir, "--audit-log", "none")
	addr, _ := logs.next(t, "serving /healthz, /readyz and /metrics")["addr"].(string)
	made := logs.next(t, "access report made")
	if g, _ := made["grants"].(float64); g == 0 {
		t.Fatalf("report made with no grants: %v", made)
	}
	base := "http://" + addr + "/report"
	get := func(url, auth string) (int, string, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	if code, _, _ := get(base, ""); code != http.StatusUnauthorized {
		t.Errorf("no secret: %d, want 401", code)
	}
	if code, _, _ := get(base, "wrong-secret-0123456789"); code != http.StatusUnauthorized {
		t.Errorf("wrong secret: %d, want 401", code)
	}
	code, ctype, body := get(base, secret)
	if code != http.StatusOK || !strings.HasPrefix(ctype, "text/html") || !strings.Contains(body, "<html") {
		t.Errorf("/report: %d %s", code, ctype)
	}
	code, _, body = get(base+"?format=json", secret)
	var served struct {
		Grants []json.RawMessage `json:"grants"`
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &served) != nil || float64(len(served.Grants)) != made["grants"] {
		t.Errorf("/report?format=json: %d, %d grants, log says %v", code, len(served.Grants), made["grants"])
	}
	// The probes are still served beside it.
	if code, _ := httpGet(t, "http://"+addr+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d", code)
	}
	if c := stop(); c != exitOK {
		t.Errorf("exit %d\n%s", c, logs)
	}
	for _, f := range []string{"access.csv", "access.html", "access.json"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	if strings.Contains(logs.String(), secret) {
		t.Error("the secret is in the logs")
	}
}

func TestRunAccessReportFlagErrors(t *testing.T) {
	files := []string{"-f", "../../examples/quickstart/desired", "--simulator", "../../examples/quickstart/server-before.yaml", "--schedule", "@hourly"}
	for _, c := range []struct {
		name string
		vars map[string]string
		args []string
		want string
	}{
		{"nowhere to put it", nil, []string{"--access-report"}, "needs --listen"},
		{"served without a secret", nil, []string{"--access-report", "--listen", "127.0.0.1:0"}, "PERMSYNC_EMBED_SECRET"},
		{"a short secret", map[string]string{"PERMSYNC_EMBED_SECRET": "short"}, []string{"--access-report", "--listen", "127.0.0.1:0"}, "at least 16"},
		{"dir alone", nil, []string{"--access-report-dir", t.TempDir()}, "needs --access-report"},
		{"bad format", nil, []string{"--access-report", "--access-report-dir", t.TempDir(), "--access-report-formats", "pdf"}, "--access-report-formats"},
	} {
		code, _, stderr := runCmd(t, c.vars, append(append([]string{"run"}, files...), c.args...)...)
		if code != exitError || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 1 naming %q", c.name, code, stderr, c.want)
		}
	}
}

// TestRunAccessReportAfterANarrowedRead: a run that reads only what
// changed (run's default) makes the same access report as the first run,
// which read everything: what it did not read is as last read, not
// missing from the server.
func TestRunAccessReportAfterANarrowedRead(t *testing.T) {
	dir := t.TempDir()
	logs, stop := startRun(t, map[string]string{"PERMSYNC_EMBED_SECRET": "report-secret-0123456789"},
		"--simulator", "../../examples/quickstart/server-before.yaml", "-f", "../../examples/quickstart/desired",
		"--schedule", "@every 1s", "--log-format", "json", "--rps", "0", "--jitter", "0",
		"--access-report", "--access-report-dir", dir, "--audit-log", "none")
	grants := func() string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, "access.json"))
		if err != nil {
			t.Fatal(err)
		}
		var r struct {
			Grants json.RawMessage `json:"grants"`
		}
		if err := json.Unmarshal(b, &r); err != nil || len(r.Grants) < 10 {
			t.Fatalf("access.json: %v\n%s", err, b)
		}
		return string(r.Grants)
	}
	logs.next(t, "access report made")
	first := grants()
	logs.next(t, "run finished")
	logs.next(t, "access report made")
	second := grants()
	if summary := logs.next(t, "run finished"); summary["result"] != "success" {
		t.Fatalf("second run: %v", summary)
	}
	if c := stop(); c != exitOK {
		t.Errorf("exit %d\n%s", c, logs)
	}
	if first != second {
		t.Errorf("the report after a run that read only what changed differs from the first:\n%s\nfirst:\n%s", second, first)
	}
}
