package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/plan/planfile"
	"github.com/permsync/permsync/plan/render"
)

const (
	planQuickstartDesired = "../../examples/quickstart/desired"
	planQuickstartServer  = "../../examples/quickstart/server-before.yaml"
	planCases             = "../../provider/youdata/testdata/plan"
)

// quickstartArgs plans the quickstart against its "before" server.
func quickstartArgs(t *testing.T, more ...string) []string {
	return append([]string{"-f", planQuickstartDesired, "--simulator", planQuickstartServer,
		"--state", filepath.Join(t.TempDir(), "state.json")}, more...)
}

// noCrash fails when the output looks like a panic or a stack trace.
func noCrash(t *testing.T, outputs ...string) {
	t.Helper()
	for _, s := range outputs {
		if strings.Contains(s, "panic") || strings.Contains(s, "goroutine ") || strings.Contains(s, ".go:") {
			t.Errorf("output looks like a crash:\n%s", s)
		}
	}
}

var summaryLine = regexp.MustCompile(`(?m)^Plan: (\d+) to add, (\d+) to change, (\d+) to destroy\.$`)

func TestPlanQuickstartShowsChanges(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCmd(t, nil, append([]string{"plan"}, quickstartArgs(t, "--detailed-exitcode")...)...)
	if code != exitChanges {
		t.Fatalf("exit %d, want %d (changes)\nstdout:\n%s\nstderr:\n%s", code, exitChanges, stdout, stderr)
	}
	m := summaryLine.FindStringSubmatch(stdout)
	if m == nil || m[1] == "0" || m[2] == "0" || m[3] == "0" {
		t.Fatalf("no summary line with additions, changes and deletions:\n%s", stdout)
	}
	// What docs and the seed's comments promise the first plan shows.
	for _, want := range []string{
		"+ user chen.jing@example.com",
		"+ user zhao.lei@example.com",
		`~ nick: "Li Na" → "李娜"`,
		"- member 销售分析/old.staff@example.com",
		"+ group 销售分析/华东销售组",
		"+ role 销售分析//区域经理",
		"+ dataPermission 销售分析/区域/华东数据",
		"+ department SALES_E",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the plan does not show %q", want)
		}
	}
	if strings.Contains(stdout, "\x1b[") {
		t.Error("colours in a plan that is not written to a terminal")
	}
	if stderr != "" {
		t.Errorf("stderr: %s", stderr)
	}
	// Without --detailed-exitcode a successful plan exits 0.
	if code, _, stderr := runCmd(t, nil, append([]string{"plan"}, quickstartArgs(t)...)...); code != exitOK {
		t.Errorf("without --detailed-exitcode: exit %d, stderr %s", code, stderr)
	}
}

func TestPlanConvergedServer(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		args []string
	}{
		// Write-only facets as last applied, from the state file.
		{"with state", []string{"--state", filepath.Join(planCases, "converged", "state.json"),
			"-f", filepath.Join(planCases, "converged", "desired"), "--simulator", filepath.Join(planCases, "converged", "live.yaml")}},
		// Only readable facets, in the server's own form.
		{"normalised", []string{"--state", filepath.Join(t.TempDir(), "state.json"),
			"-f", filepath.Join(planCases, "normalization", "desired"), "--simulator", filepath.Join(planCases, "normalization", "live.yaml")}},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, nil, append([]string{"plan"}, append(c.args, "--detailed-exitcode")...)...)
			if code != exitOK {
				t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			if stdout != "No changes. The server matches the desired state.\n" {
				t.Errorf("stdout:\n%s", stdout)
			}
		})
	}
}

func TestPlanJSON(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCmd(t, nil, append([]string{"plan"}, quickstartArgs(t, "-o", "json", "--detailed-exitcode")...)...)
	if code != exitChanges {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var got struct {
		FormatVersion *string           `json:"format_version"`
		Applicable    bool              `json:"applicable"`
		Changes       []json.RawMessage `json:"changes"`
		Summary       map[string]int    `json:"summary"`
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	if dec.More() {
		t.Error("more than one JSON value on stdout")
	}
	if got.FormatVersion == nil || *got.FormatVersion != render.JSONFormatVersion {
		t.Errorf("format_version = %v, want %q", got.FormatVersion, render.JSONFormatVersion)
	}
	if !got.Applicable || len(got.Changes) == 0 || got.Summary["add"] == 0 {
		t.Errorf("applicable %v, %d changes, summary %v", got.Applicable, len(got.Changes), got.Summary)
	}
	if got.Summary["add"]+got.Summary["change"]+got.Summary["destroy"]-got.Summary["replace"] != len(got.Changes) {
		t.Errorf("summary %v does not count the %d changes", got.Summary, len(got.Changes))
	}
}

func TestPlanMarkdown(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCmd(t, nil, append([]string{"plan"}, quickstartArgs(t, "-o", "markdown")...)...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !summaryLine.MatchString(strings.ReplaceAll(stdout, "**", "")) {
		t.Errorf("no summary line in the markdown:\n%s", stdout)
	}
	if !strings.Contains(stdout, "<details>") {
		t.Errorf("no collapsible sections:\n%s", stdout)
	}
}

func TestPlanOutWritesAPlanFile(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "plan.json")
	code, stdout, stderr := runCmd(t, nil, append([]string{"plan"}, quickstartArgs(t, "--out", out, "--detailed-exitcode")...)...)
	if code != exitChanges {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "Saved the plan to "+out) {
		t.Errorf("stderr does not say where the plan went: %q", stderr)
	}
	f, err := planfile.Read(out)
	if err != nil {
		t.Fatalf("planfile.Read: %v", err)
	}
	if len(f.Files) != 6 || f.Options.Simulator != planQuickstartServer || len(f.Options.Paths) != 1 || f.Options.Paths[0] != planQuickstartDesired {
		t.Errorf("files %v, options %+v", f.Files, f.Options)
	}
	if err := f.CheckFiles(); err != nil {
		t.Errorf("CheckFiles right after plan: %v", err)
	}
	// The saved plan is the one shown.
	var shown bytes.Buffer
	if err := render.Text(&shown, f.Plan, render.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if shown.String() != stdout {
		t.Errorf("the saved plan renders differently from the plan shown")
	}
	if len(f.Plan.Changes) == 0 || f.Plan.Changes[0].NewState == nil && f.Plan.Changes[0].Action != plan.Delete {
		t.Errorf("the saved plan lost its changes or their new state")
	}
}

func TestPlanUsageErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no -f", []string{"--simulator", planQuickstartServer}, "no files given: use -f PATH"},
		{"unknown flag", []string{"--bogus", "-f", planQuickstartDesired}, "flag provided but not defined: -bogus"},
		{"bad output", []string{"-o", "yaml", "-f", planQuickstartDesired}, `-o "yaml": want text, json or markdown`},
		{"argument without -f", []string{planQuickstartDesired}, "unexpected argument"},
		{"missing path", []string{"-f", "does-not-exist", "--simulator", planQuickstartServer}, "does-not-exist"},
		{"missing seed", []string{"-f", planQuickstartDesired, "--simulator", "no-such-seed.yaml"}, "simulator"},
		{"no server", []string{"-f", planQuickstartDesired}, "no server: pass --server URL or set PERMSYNC_SERVER"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, nil, append([]string{"plan"}, c.args...)...)
			if code != exitError {
				t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			if !strings.Contains(stderr, c.want) || stderr == "" {
				t.Errorf("stderr does not say %q:\n%s", c.want, stderr)
			}
			if stdout != "" {
				t.Errorf("a plan on stdout despite the error:\n%s", stdout)
			}
			noCrash(t, stdout, stderr)
		})
	}
}

func TestPlanUnknownUsers(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(planCases, "unknown-users")
	code, stdout, stderr := runCmd(t, nil, "plan", "-f", filepath.Join(dir, "desired"), "--simulator", filepath.Join(dir, "live.yaml"),
		"--state", filepath.Join(t.TempDir(), "state.json"), "--detailed-exitcode")
	if code != exitError {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, u := range []string{"ghost.admin@example.com", "ghost1@example.com", "ghost2@example.com", "ghost3@example.com", "ghost4@example.com"} {
		if !strings.Contains(stderr, `user "`+u+`" is referenced but is neither under users: nor on the server`) {
			t.Errorf("%s is not listed:\n%s", u, stderr)
		}
	}
	if !strings.Contains(stderr, filepath.Join(dir, "desired", "projects.yaml")+":8") {
		t.Errorf("no file:line in:\n%s", stderr)
	}
	if stdout != "" {
		t.Errorf("stdout: %s", stdout)
	}
}

func TestPlanMassDelete(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(planCases, "mass-delete-refused")
	args := []string{"-f", filepath.Join(dir, "desired"), "--simulator", filepath.Join(dir, "live.yaml"),
		"--state", filepath.Join(t.TempDir(), "state.json"), "-o", "json"}
	var refused, allowed struct {
		Applicable bool     `json:"applicable"`
		Refusals   []string `json:"refusals"`
		Warnings   []string `json:"warnings"`
	}
	code, stdout, stderr := runCmd(t, nil, append([]string{"plan"}, args...)...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), &refused); err != nil {
		t.Fatal(err)
	}
	if refused.Applicable || len(refused.Refusals) != 1 || !strings.Contains(refused.Refusals[0], "--allow-mass-delete") {
		t.Errorf("without --allow-mass-delete: %+v", refused)
	}
	code, stdout, stderr = runCmd(t, nil, append([]string{"plan"}, append(args, "--allow-mass-delete")...)...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), &allowed); err != nil {
		t.Fatal(err)
	}
	if !allowed.Applicable || len(allowed.Refusals) != 0 || len(allowed.Warnings) != 1 {
		t.Errorf("with --allow-mass-delete: %+v", allowed)
	}
}

// With --detailed-exitcode a plan that apply would refuse exits 1, so a
// pull-request check fails instead of the apply on merge; the plan is
// still shown and the Markdown comments still written.
func TestPlanDetailedExitcodeRefused(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(planCases, "mass-delete-refused")
	mdDir := filepath.Join(t.TempDir(), "comments")
	args := []string{"plan", "-f", filepath.Join(dir, "desired"), "--simulator", filepath.Join(dir, "live.yaml"),
		"--state", filepath.Join(t.TempDir(), "state.json"), "--markdown-dir", mdDir, "--detailed-exitcode"}
	code, stdout, stderr := runCmd(t, nil, args...)
	if code != exitError {
		t.Errorf("refused plan: exit %d, want %d\nstderr: %s", code, exitError, stderr)
	}
	if !strings.Contains(stdout, "maxDeletes") || !strings.Contains(stderr, "cannot be applied") {
		t.Errorf("the refusal is not shown:\nstdout: %s\nstderr: %s", stdout, stderr)
	}
	if md, err := os.ReadFile(filepath.Join(mdDir, "plan-1.md")); err != nil || !strings.Contains(string(md), "maxDeletes") {
		t.Errorf("markdown comment: %v\n%s", err, md)
	}
	code, _, stderr = runCmd(t, nil, append(args, "--allow-mass-delete")...)
	if code != exitChanges {
		t.Errorf("with --allow-mass-delete: exit %d, want %d\nstderr: %s", code, exitChanges, stderr)
	}
}

func TestPlanTokenUserIsProtected(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(planCases, "token-user")
	code, stdout, stderr := runCmd(t, nil, "plan", "-f", filepath.Join(dir, "desired"), "--simulator", filepath.Join(dir, "live.yaml"),
		"--state", filepath.Join(t.TempDir(), "state.json"), "--token-user", "ops@example.com", "--detailed-exitcode")
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "Warning: user ops@example.com is protected") || strings.Contains(stdout, "- user ops@example.com") {
		t.Errorf("stdout:\n%s", stdout)
	}
}
