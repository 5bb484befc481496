package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAccessReportWritesEveryFormat(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, stdout, stderr := runCmd(t, nil, "access-report", "-f", planQuickstartDesired, "--out", dir)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if stdout != "" {
		t.Errorf("stdout %q", stdout)
	}
	if !strings.Contains(stderr, "Wrote "+filepath.Join(dir, "access.csv")) || !strings.Contains(stderr, "keep it where only reviewers can read it") {
		t.Errorf("stderr %q", stderr)
	}
	var rep struct {
		Format string `json:"format"`
		Users  []struct {
			ID string `json:"id"`
		} `json:"users"`
		Grants []json.RawMessage `json:"grants"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "access.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil || rep.Format != "permsync-access/1" || len(rep.Users) < 10 || len(rep.Grants) == 0 {
		t.Fatalf("access.json: %v %+v", err, rep.Format)
	}
	f, err := os.Open(filepath.Join(dir, "access.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) != len(rep.Grants)+1 {
		t.Errorf("access.csv: %v, %d rows for %d grants", err, len(rows), len(rep.Grants))
	}
	page, err := os.ReadFile(filepath.Join(dir, "access.html"))
	if err != nil || !strings.Contains(string(page), `id="access-data"`) {
		t.Errorf("access.html: %v", err)
	}
}

// TestAccessReportDiff: who gained and who lost what between a saved
// report and the files, and between two saved reports.
func TestAccessReportDiff(t *testing.T) {
	t.Parallel()
	old := t.TempDir()
	if code, _, stderr := runCmd(t, nil, "access-report", "-f", explainCases+"/desired", "--out", old, "-o", "json"); code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(old, "access.html")); err == nil {
		t.Errorf("-o json wrote the HTML too")
	}
	// The same files: no change, exit 0 with --detailed-exitcode.
	code, stdout, stderr := runCmd(t, nil, "access-report", "-f", explainCases+"/desired", "--diff", filepath.Join(old, "access.json"), "--detailed-exitcode")
	if code != exitOK || !strings.Contains(stdout, "No changes.") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	// The server's view: what the files grant that the server does not
	// show, and what it shows that the files do not grant.
	cur := t.TempDir()
	if code, _, stderr := runCmd(t, nil, "access-report", "-f", explainCases+"/desired", "--simulator", explainCases+"/live.yaml", "--out", cur, "-o", "json"); code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	code, stdout, stderr = runCmd(t, nil, "access-report", "--report", filepath.Join(cur, "access.json"), "--diff", filepath.Join(old, "access.json"), "--detailed-exitcode")
	if code != exitChanges {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitChanges, stdout, stderr)
	}
	for _, want := range []string{
		"dave@corp.com (Dave)\n  + 销售分析  role 数据编辑 — direct\n",
		"gained",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the diff lacks %q:\n%s", want, stdout)
		}
	}
	code, stdout, _ = runCmd(t, nil, "access-report", "--report", filepath.Join(cur, "access.json"), "--diff", filepath.Join(old, "access.json"), "--diff-format", "json")
	var d struct {
		Format string            `json:"format"`
		Gained []json.RawMessage `json:"gained"`
	}
	if code != exitOK || json.Unmarshal([]byte(stdout), &d) != nil || d.Format != "permsync-access-diff/1" || len(d.Gained) == 0 {
		t.Errorf("--diff-format json: exit %d, %+v", code, d)
	}
}

func TestAccessReportRefusals(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte("{\"format\": \"permsync-access/1\",\n\"grants\": 3}"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-f", planQuickstartDesired}, "nothing to do"},
		{[]string{"-f", planQuickstartDesired, "--out", t.TempDir(), "-o", "pdf"}, `-o "pdf"`},
		{[]string{"-f", planQuickstartDesired, "--diff", bad}, bad + ":2: grants: want []access.Grant, got number"},
		{[]string{"-f", planQuickstartDesired, "--diff", filepath.Join(t.TempDir(), "missing.json")}, "missing.json: no such file"},
		{[]string{"--report", bad, "-f", planQuickstartDesired, "--diff", bad}, "without -f"},
		{[]string{"-f", planQuickstartDesired, "--diff", bad, "--diff-format", "yaml"}, `--diff-format "yaml"`},
	} {
		code, stdout, stderr := runCmd(t, nil, append([]string{"access-report"}, tc.args...)...)
		if code != exitError || !strings.Contains(stderr, tc.want) {
			t.Errorf("access-report %q: exit %d, stderr %q, want 1 and %q", tc.args, code, stderr, tc.want)
		}
		if stdout != "" {
			t.Errorf("access-report %q wrote to stdout: %q", tc.args, stdout)
		}
		noCrash(t, stderr)
	}
}

// TestAccessReportQuickBI: the report of Quick BI's example files, from
// the files and against the Quick BI simulator, then the diff of the two.
func TestAccessReportQuickBI(t *testing.T) {
	t.Parallel()
	const desired, seed = "../../examples/quickbi/desired", "../../examples/quickbi/server-before.yaml"
	files, live := t.TempDir(), t.TempDir()
	if code, _, stderr := runCmd(t, nil, "access-report", "-f", desired, "--out", files, "-o", "json"); code != exitOK {
		t.Fatalf("files: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := runCmd(t, nil, "access-report", "-f", desired, "--simulator", seed, "--token-user", "shiyan", "--out", live, "-o", "json,html"); code != exitOK {
		t.Fatalf("live: exit %d\n%s", code, stderr)
	}
	var rep struct {
		Provider, Source string
		SpaceLabel       string `json:"spaceLabel"`
		Grants           []struct {
			Kind   string `json:"kind"`
			Status string `json:"status"`
		} `json:"grants"`
	}
	b, err := os.ReadFile(filepath.Join(live, "access.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil || rep.Provider != "quickbi" || rep.Source != "files+server" || rep.SpaceLabel != "workspace" {
		t.Fatalf("access.json: %v %s %s %s", err, rep.Provider, rep.Source, rep.SpaceLabel)
	}
	kinds, statuses := map[string]bool{}, map[string]bool{}
	for _, g := range rep.Grants {
		kinds[g.Kind], statuses[g.Status] = true, true
	}
	for _, k := range []string{"member", "group", "workspaceRole", "rule"} {
		if !kinds[k] {
			t.Errorf("no %s grant in the Quick BI report", k)
		}
	}
	// The example's server has drifted: some grants differ.
	if !statuses["filesOnly"] || !statuses["serverOnly"] {
		t.Errorf("statuses %v: the drifted example shows no files-only and server-only grants", statuses)
	}
	code, stdout, stderr := runCmd(t, nil, "access-report", "--report", filepath.Join(live, "access.json"), "--diff", filepath.Join(files, "access.json"))
	if code != exitOK || !strings.Contains(stdout, "Access changes from") {
		t.Errorf("diff: exit %d\n%s\n%s", code, stdout, stderr)
	}
}
