package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// The audit log of an apply lists every change the apply made, once, and
// nothing else: the same (action, address) pairs as the plan it applied.
func TestApplyAuditLog(t *testing.T) {
	sim, vars, desired := quickstartServer(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	auditPath := filepath.Join(dir, "audit.jsonl")
	args := []string{"-f", desired, "--server", sim.URL(), "--state", state}
	planned := planJSON(t, vars, args...)
	var want []string
	for _, c := range planned.Changes {
		want = append(want, c.Action+" "+c.Kind+" "+c.Key)
	}
	code, stdout, stderr := runCmd(t, vars, append([]string{"apply", "--auto-approve", "--audit-log", auditPath}, args...)...)
	if code != exitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	f, err := os.Open(auditPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []string
	runIDs := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r struct {
			RunID   string `json:"run_id"`
			Command string `json:"command"`
			Address string `json:"address"`
			Action  string `json:"action"`
			Result  string `json:"result"`
			Time    string `json:"time"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if r.Result != "applied" || r.Command != "apply" || r.Time == "" {
			t.Errorf("record %+v", r)
		}
		runIDs[r.RunID] = true
		got = append(got, r.Action+" "+r.Address)
	}
	sort.Strings(want)
	sort.Strings(got)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit log:\n%s\nwant the plan's changes:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(runIDs) != 1 {
		t.Errorf("run ids %v, want one", runIDs)
	}
	b, _ := os.ReadFile(auditPath)
	if strings.Contains(string(b), sim.Token()) {
		t.Error("the token is in the audit log")
	}

	// Nothing to do: nothing is added.
	before := len(b)
	if code, _, stderr := runCmd(t, vars, append([]string{"apply", "--auto-approve", "--audit-log", auditPath}, args...)...); code != exitOK {
		t.Fatalf("second apply: exit %d\n%s", code, stderr)
	}
	if b, _ := os.ReadFile(auditPath); len(b) != before {
		t.Errorf("a converged apply wrote %d bytes to the audit log", len(b)-before)
	}
}

func TestApplyAuditLogUnwritable(t *testing.T) {
	sim, vars, desired := quickstartServer(t)
	code, _, stderr := runCmd(t, vars, "apply", "--auto-approve", "--audit-log", filepath.Join(t.TempDir(), "no", "such", "dir", "a.jsonl"), "-f", desired, "--server", sim.URL())
	if code != exitError || !strings.Contains(stderr, "audit log: open") {
		t.Errorf("exit %d, %s", code, stderr)
	}
	if n := writes(sim); n != 0 {
		t.Errorf("%d writes with an audit log that cannot be opened", n)
	}
}

// permsync run writes the audit log, keeps the run's plan and result, and
// tells the webhook of the drift it repaired: all under one run id.
func TestRunAuditTrail(t *testing.T) {
	events := make(chan map[string]any, 8)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e map[string]any
		if err := json.NewDecoder(r.Body).Decode(&e); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		events <- e
	}))
	defer hook.Close()
	dir := t.TempDir()
	auditPath := filepath.Join(dir, "audit.jsonl")
	runsDir := filepath.Join(dir, "runs")
	logs, stop := startRun(t, map[string]string{envWebhookURL: hook.URL + "/hook?token=t0ken"},
		"--simulator", "../../examples/quickstart/server-before.yaml", "-f", "../../examples/quickstart/desired",
		"--schedule", "@every 1h", "--log-format", "json", "--rps", "0", "--jitter", "0",
		"--audit-log", auditPath, "--runs-dir", runsDir, "--notify", "generic")
	summary := logs.next(t, "run finished")
	runID, _ := summary["run_id"].(string)
	if summary["result"] != "success" || runID == "" {
		t.Fatalf("summary %v", summary)
	}
	var e map[string]any
	select {
	case e = <-events:
	case <-time.After(30 * time.Second):
		t.Fatal("no notification")
	}
	if c := stop(); c != exitOK {
		t.Errorf("exit %d\n%s", c, logs)
	}
	if e["kind"] != "drift" || e["run_id"] != runID || e["changes_applied"] != summary["changes_applied"] {
		t.Errorf("notification %v, summary %v", e, summary)
	}
	b, err := os.ReadFile(auditPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if float64(len(lines)) != summary["changes_applied"] || !strings.Contains(lines[0], `"run_id":"`+runID+`"`) || !strings.Contains(lines[0], `"command":"run"`) {
		t.Errorf("%d audit lines for %v changes applied; first %s", len(lines), summary["changes_applied"], lines[0])
	}
	res, err := os.ReadFile(filepath.Join(runsDir, runID, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(res), `"result": "success"`) {
		t.Errorf("result.json:\n%s", res)
	}
	if _, err := os.Stat(filepath.Join(runsDir, runID, "plan.json")); err != nil {
		t.Error(err)
	}
	if strings.Contains(logs.String(), "t0ken") {
		t.Error("the webhook's token is in the logs")
	}
}
