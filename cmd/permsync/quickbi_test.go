package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

const (
	quickbiDesired = "../../examples/quickbi/desired"
	quickbiBefore  = "../../examples/quickbi/server-before.yaml"
)

// TestQuickBIApplyConverges is the Quick BI main job: the example's files
// applied to its "before" server converge, and the verify plan is empty.
// --provider agrees with the files' provider: key.
func TestQuickBIApplyConverges(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	code, stdout, stderr := runCmd(t, nil, "apply", "--provider", "quickbi", "--simulator", quickbiBefore, "-f", quickbiDesired, "--state", state, "--auto-approve")
	if code != exitOK {
		t.Fatalf("apply exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "0 failed, 0 skipped") || !strings.Contains(stdout, "No changes. The server matches the desired state.") {
		t.Errorf("apply did not converge:\n%s", stdout)
	}
	// --provider that contradicts the files is refused before any read.
	code, _, stderr = runCmd(t, nil, "plan", "--provider", "youdata", "--simulator", quickbiBefore, "-f", quickbiDesired)
	if code != exitError || !strings.Contains(stderr, "--provider youdata, but the files target quickbi") {
		t.Errorf("a --provider against the files: exit %d\n%s", code, stderr)
	}
}

// TestQuickBIPlanOutputs: plan's text, JSON and Markdown of the Quick BI
// example, with --detailed-exitcode 2 for changes.
func TestQuickBIPlanOutputs(t *testing.T) {
	args := []string{"plan", "--simulator", quickbiBefore, "-f", quickbiDesired, "--detailed-exitcode"}
	code, stdout, stderr := runCmd(t, nil, args...)
	if code != exitChanges || !summaryLine.MatchString(stdout) {
		t.Fatalf("plan exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, _ = runCmd(t, nil, append(args, "-o", "json")...)
	var doc struct {
		Changes []struct {
			Kind string `json:"kind"`
		} `json:"changes"`
		CountsByKind map[string]any `json:"counts_by_kind"`
	}
	if code != exitChanges || json.Unmarshal([]byte(stdout), &doc) != nil || len(doc.Changes) == 0 {
		t.Fatalf("JSON plan exit %d:\n%s", code, stdout)
	}
	for _, k := range []string{"tag", "user", "group", "member", "dataLevel", "rule"} {
		if _, ok := doc.CountsByKind[k]; !ok {
			t.Errorf("counts_by_kind lacks Quick BI's kind %s: %v", k, doc.CountsByKind)
		}
	}
	code, stdout, _ = runCmd(t, nil, append(args, "-o", "markdown")...)
	if code != exitChanges || !strings.Contains(stdout, "Plan:") {
		t.Errorf("Markdown plan exit %d:\n%s", code, stdout)
	}
}

// TestQuickBIExportRoundTrip: an export of the Quick BI example server,
// planned against the same server with the state the export wrote, shows
// no changes.
func TestQuickBIExportRoundTrip(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "export")
	state := filepath.Join(dir, "state.json")
	code, stdout, stderr := runCmd(t, nil, "export", "--provider", "quickbi", "--simulator", quickbiBefore, "--out", out, "--state", state)
	if code != exitOK {
		t.Fatalf("export exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = runCmd(t, nil, "plan", "--simulator", quickbiBefore, "-f", out, "--state", state, "--detailed-exitcode")
	if code != exitOK || !strings.Contains(stdout, "No changes.") {
		t.Errorf("plan of the export: exit %d\n%s%s", code, stdout, stderr)
	}
}
