package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/permsync/permsync/apiclient"
	"github.com/permsync/permsync/apiclient/youdatatest"
	"github.com/permsync/permsync/reconcile"
)

// quickstartServer starts a simulator seeded with the quickstart's
// "before" server and copies the quickstart's desired files to a temp
// dir, so the state file lands there.
func quickstartServer(t *testing.T) (sim *youdatatest.Server, vars map[string]string, desired string) {
	t.Helper()
	seed, err := youdatatest.LoadSeed(quickstartBefore)
	if err != nil {
		t.Fatal(err)
	}
	sim = youdatatest.New(youdatatest.Options{Seed: seed})
	t.Cleanup(sim.Close)
	desired = filepath.Join(t.TempDir(), "desired")
	copyDir(t, "../../examples/quickstart/desired", desired)
	return sim, map[string]string{apiclient.EnvToken: sim.Token()}, desired
}

func writes(sim *youdatatest.Server) int {
	n := 0
	for ep, c := range sim.Calls() {
		switch ep {
		case "user/getAllUsers", "project/list", "projectUser/list", "role/list", "user/permissions", "systemRole/list", "util/genToken":
		default:
			n += c
		}
	}
	return n
}

// Without a terminal apply refuses unless --auto-approve is given, and
// writes nothing.
func TestApplyNeedsApproval(t *testing.T) {
	sim, vars, desired := quickstartServer(t)
	code, stdout, stderr := runExportCmd(t, vars, "apply", "-f", desired, "--server", sim.URL())
	if code != exitError || !strings.Contains(stderr, "--auto-approve") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "Plan: ") {
		t.Errorf("the plan is not shown before refusing:\n%s", stdout)
	}
	if n := writes(sim); n != 0 {
		t.Errorf("%d write calls without approval", n)
	}
}

func TestApplyConvergesAndSecondApplyOnlyReads(t *testing.T) {
	sim, vars, desired := quickstartServer(t)
	code, stdout, stderr := runExportCmd(t, vars, "apply", "-f", desired, "--server", sim.URL(), "--auto-approve")
	if code != exitOK || !strings.HasSuffix(stdout, "No changes. The server matches the desired state.\n") {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	st, exists, err := reconcile.LoadState(filepath.Join(filepath.Dir(desired), ".permsync", "state.json"))
	if err != nil || !exists || st.Serial == 0 || st.Server != strings.TrimRight(sim.URL(), "/") {
		t.Fatalf("state after apply: exists %v serial %v server %q err %v", exists, st.Serial, st.Server, err)
	}
	sim.ResetCalls()
	code, stdout, stderr = runExportCmd(t, vars, "apply", "-f", desired, "--server", sim.URL(), "--auto-approve")
	if code != exitOK || !strings.Contains(stdout, "No changes.") {
		t.Fatalf("second apply: exit %d\n%s%s", code, stdout, stderr)
	}
	if n := writes(sim); n != 0 {
		t.Errorf("second apply made %d write calls: %v", n, sim.Calls())
	}
}

// A saved plan is applied only if re-planning gives the same changes: a
// server change that touches the plan makes it stale, one that does not
// leaves it applicable.
func TestApplySavedPlan(t *testing.T) {
	sim, vars, desired := quickstartServer(t)
	planFile := filepath.Join(t.TempDir(), "release.plan")
	code, _, stderr := runExportCmd(t, vars, "plan", "-f", desired, "--server", sim.URL(), "--out", planFile)
	if code != exitOK {
		t.Fatalf("plan: exit %d\n%s", code, stderr)
	}
	client, err := apiclient.New(apiclient.Config{Server: sim.URL(), Credentials: apiclient.Credentials{Token: sim.Token()}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	// Not in the plan: a user the files never mention.
	if _, err := client.BatchImport(ctx, apiclient.BatchImportRequest{Users: []apiclient.ImportUser{{UniqueID: "visitor@example.com"}}}); err != nil {
		t.Fatal(err)
	}
	// In the plan: li.na's nick drifted to "Li Na"; fixing it by hand
	// removes a change the reviewers saw.
	nick := "李娜"
	if _, err := client.BatchImport(ctx, apiclient.BatchImportRequest{Users: []apiclient.ImportUser{{UniqueID: "li.na@example.com", Nick: &nick}}}); err != nil {
		t.Fatal(err)
	}
	sim.ResetCalls()
	code, stdout, stderr := runExportCmd(t, vars, "apply", planFile, "--server", sim.URL())
	if code != exitError || !strings.Contains(stderr, "stale plan") || !strings.Contains(stderr, "li.na@example.com") {
		t.Fatalf("stale plan: exit %d\n%s%s", code, stdout, stderr)
	}
	if n := writes(sim); n != 0 {
		t.Errorf("a stale plan made %d write calls", n)
	}

	// Put the drift back: the plan is current again, and is applied.
	drift := "Li Na"
	if _, err := client.BatchImport(ctx, apiclient.BatchImportRequest{Users: []apiclient.ImportUser{{UniqueID: "li.na@example.com", Nick: &drift}}}); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runExportCmd(t, vars, "apply", planFile, "--server", sim.URL())
	if code != exitOK || !strings.Contains(stdout, "No changes.") {
		t.Fatalf("apply saved plan: exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestApplyLock(t *testing.T) {
	sim, vars, desired := quickstartServer(t)
	state := filepath.Join(t.TempDir(), "state.json")
	lock, err := reconcile.AcquireLock(state)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	code, _, stderr := runExportCmd(t, vars, "apply", "-f", desired, "--server", sim.URL(), "--state", state, "--auto-approve")
	if code != exitError || !strings.Contains(stderr, "locked") {
		t.Fatalf("apply under a held lock: exit %d\n%s", code, stderr)
	}
	if n := writes(sim); n != 0 {
		t.Errorf("%d write calls under a held lock", n)
	}
	code, stdout, stderr := runExportCmd(t, vars, "apply", "-f", desired, "--server", sim.URL(), "--state", state, "--auto-approve", "--force-unlock")
	if code != exitOK || !strings.Contains(stderr, "Removed the lock") {
		t.Fatalf("apply --force-unlock: exit %d\n%s%s", code, stdout, stderr)
	}
}

// copyDir copies the regular files of a directory tree.
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A simulator run keeps its state in a temp dir of its own and removes it.
func TestSimulatorRunLeavesNoState(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	code, stdout, stderr := runExportCmd(t, nil, "apply", "-f", "../../examples/quickstart/desired", "--simulator", quickstartBefore, "--auto-approve")
	if code != exitOK || !strings.Contains(stdout, "No changes.") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left behind in TMPDIR: %v", left)
	}
	if _, err := os.Stat("../../examples/quickstart/.permsync"); err == nil {
		t.Error("a simulator run wrote a state beside the examples")
	}
}
