package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/state"
)

const quickstartBefore = "../../examples/quickstart/server-before.yaml"

// TestExportThenPlanIsEmpty is the done-when of export: exporting the
// quickstart's "before" server and planning the export against it shows
// no changes and exits 0 with --detailed-exitcode.
func TestExportThenPlanIsEmpty(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := runCmd(t, nil, "export", "--simulator", quickstartBefore, "--out", dir)
	if code != exitOK {
		t.Fatalf("export: exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "Exported 9 users, 1 custom system role, 2 projects") {
		t.Errorf("export summary:\n%s", stdout)
	}
	defaultState := state.DefaultPath(dir)
	if _, err := os.Stat(defaultState); err != nil {
		t.Errorf("the state is not where 'plan -f %s' looks: %v", dir, err)
	}
	for _, stPath := range []string{filepath.Join(dir, ".permsync", "state.json"), defaultState} {
		code, stdout, stderr = runCmd(t, nil, "plan", "-f", dir, "--simulator", quickstartBefore, "--state", stPath, "--detailed-exitcode")
		if code != exitOK || !strings.Contains(stdout, "No changes.") {
			t.Errorf("plan with --state %s: exit %d\n%s%s", stPath, code, stdout, stderr)
		}
	}

	// The files are the quickstart's, changed: planning the desired files
	// after the export's state shows the changes (the export is no
	// blanket "no changes").
	code, stdout, _ = runCmd(t, nil, "plan", "-f", "../../examples/quickstart/desired", "--simulator", quickstartBefore, "--state", defaultState, "--detailed-exitcode")
	if code != exitChanges {
		t.Errorf("plan of the desired files: exit %d, want %d\n%s", code, exitChanges, stdout)
	}
}

// TestExportServerDefaultState exports a server given with --server and
// plans it without --state: plan finds the export's state by itself, and
// it names the server.
func TestExportServerDefaultState(t *testing.T) {
	seed, err := youdatatest.LoadSeed(quickstartBefore)
	if err != nil {
		t.Fatal(err)
	}
	sim := youdatatest.New(youdatatest.Options{Seed: seed})
	defer sim.Close()
	vars := map[string]string{apiclient.EnvToken: sim.Token()}
	root := t.TempDir()
	dir := filepath.Join(root, "permissions")

	code, stdout, stderr := runCmd(t, vars, "export", "--server", sim.URL(), "--out", dir, "--split", "single", "--project", "财务分析")
	if code != exitOK {
		t.Fatalf("export: exit %d\n%s%s", code, stdout, stderr)
	}
	if strings.Contains(stdout+stderr, sim.Token()) {
		t.Errorf("the token is printed")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) != 1 || filepath.Base(files[0]) != "permsync.yaml" {
		t.Errorf("files %v (want only permsync.yaml)", files)
	}
	text, err := os.ReadFile(filepath.Join(dir, "permsync.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(text), "name: 财务分析") || strings.Contains(string(text), "name: 销售分析") {
		t.Errorf("--project 财务分析 exported:\n%s", text)
	}
	st, exists, err := state.Load(filepath.Join(root, ".permsync", "state.json"))
	if err != nil || !exists {
		t.Fatalf("state: exists %v, %v", exists, err)
	}
	if st.Server != strings.TrimRight(sim.URL(), "/") || len(st.Objects) == 0 {
		t.Errorf("state server %q, %d objects", st.Server, len(st.Objects))
	}

	code, stdout, stderr = runCmd(t, vars, "plan", "-f", dir, "--server", sim.URL(), "--detailed-exitcode")
	if code != exitOK || !strings.Contains(stdout, "No changes.") {
		t.Errorf("plan: exit %d\n%s%s", code, stdout, stderr)
	}

	// A second export would overwrite the files and the state: refused
	// without --force, done with it.
	code, _, stderr = runCmd(t, vars, "export", "--server", sim.URL(), "--out", dir)
	if code != exitError || !strings.Contains(stderr, "already exists") {
		t.Errorf("second export: exit %d\n%s", code, stderr)
	}
	code, _, stderr = runCmd(t, vars, "export", "--server", sim.URL(), "--out", dir, "--split", "single", "--force")
	if code != exitOK {
		t.Errorf("second export with --force: exit %d\n%s", code, stderr)
	}
}

func TestExportFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "--split", "by-team", "--simulator", quickstartBefore}, "by-kind"},
		{[]string{"export", "--out", "", "--simulator", quickstartBefore}, "--out"},
		{[]string{"export", "stray"}, "unexpected argument"},
		{[]string{"export", "--simulator", quickstartBefore, "--project", "没有这个", "--out", "x", "--state", "y"}, `"没有这个"`},
		{[]string{"export", "--out", "x", "--state", "y"}, "no server"},
	} {
		dir := t.TempDir()
		args := append([]string{}, tc.args...)
		for i, a := range args {
			if (a == "x" || a == "y") && i > 0 && (args[i-1] == "--out" || args[i-1] == "--state") {
				args[i] = filepath.Join(dir, a)
			}
		}
		code, _, stderr := runCmd(t, nil, args...)
		if code != exitError || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q (want %q)", tc.args, code, stderr, tc.want)
		}
		if _, err := os.Stat(filepath.Join(dir, "x")); err == nil {
			t.Errorf("%v: files were written", tc.args)
		}
	}
}

// TestExportProgress shows a progress line on a terminal (stderr, where it
// is written), and blanks it without escape codes.
func TestExportProgress(t *testing.T) {
	var out, errb bytes.Buffer
	env := &cmdEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, isTerminal: true, stderrTerminal: true}
	dir := t.TempDir()
	code := runMain(context.Background(), env, []string{"export", "--simulator", quickstartBefore, "--out", filepath.Join(dir, "out")})
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	if s := errb.String(); !strings.Contains(s, "\rReading the server: ") || !strings.Contains(s, "\rWriting files: ") || !strings.HasSuffix(s, "\r") || strings.Contains(s, "\x1b") {
		t.Errorf("progress on the terminal: %q", s)
	}
	if strings.Contains(out.String(), "\r") {
		t.Errorf("progress went to stdout")
	}
}

// An export into a directory that already holds YAML files is refused
// before anything is read from the server.
func TestExportRefusesDirBeforeReading(t *testing.T) {
	seed, err := youdatatest.LoadSeed(quickstartBefore)
	if err != nil {
		t.Fatal(err)
	}
	sim := youdatatest.New(youdatatest.Options{Seed: seed})
	defer sim.Close()
	dir := filepath.Join(t.TempDir(), "permissions")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "team.yaml"), []byte("version: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sim.ResetCalls()
	code, _, stderr := runCmd(t, map[string]string{apiclient.EnvToken: sim.Token()}, "export", "--server", sim.URL(), "--out", dir)
	if code != exitError || !strings.Contains(stderr, "team.yaml") || !strings.Contains(stderr, "--force") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for ep, n := range sim.Calls() {
		if ep != "util/genToken" {
			t.Errorf("%s called %d times before the refusal", ep, n)
		}
	}
}
