package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/permsync/permsync/plan/planfile"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/state"
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
	code, stdout, stderr := runCmd(t, vars, "apply", "-f", desired, "--server", sim.URL())
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
	code, stdout, stderr := runCmd(t, vars, "apply", "-f", desired, "--server", sim.URL(), "--auto-approve")
	if code != exitOK || !strings.HasSuffix(stdout, "No changes. The server matches the desired state.\n") {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	st, exists, err := state.Load(filepath.Join(filepath.Dir(desired), ".permsync", "state.json"))
	if err != nil || !exists || st.Serial == 0 || st.Server != strings.TrimRight(sim.URL(), "/") {
		t.Fatalf("state after apply: exists %v serial %v server %q err %v", exists, st.Serial, st.Server, err)
	}
	sim.ResetCalls()
	code, stdout, stderr = runCmd(t, vars, "apply", "-f", desired, "--server", sim.URL(), "--auto-approve")
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
	code, _, stderr := runCmd(t, vars, "plan", "-f", desired, "--server", sim.URL(), "--out", planFile)
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
	code, stdout, stderr := runCmd(t, vars, "apply", planFile, "--server", sim.URL())
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
	code, stdout, stderr = runCmd(t, vars, "apply", planFile, "--server", sim.URL())
	if code != exitOK || !strings.Contains(stdout, "No changes.") {
		t.Fatalf("apply saved plan: exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestApplyLock(t *testing.T) {
	sim, vars, desired := quickstartServer(t)
	stPath := filepath.Join(t.TempDir(), "state.json")
	lock, err := state.AcquireLock(stPath)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	code, _, stderr := runCmd(t, vars, "apply", "-f", desired, "--server", sim.URL(), "--state", stPath, "--auto-approve")
	if code != exitError || !strings.Contains(stderr, "locked") {
		t.Fatalf("apply under a held lock: exit %d\n%s", code, stderr)
	}
	if n := writes(sim); n != 0 {
		t.Errorf("%d write calls under a held lock", n)
	}
	// The holder (this test) still runs: --force-unlock keeps the lock.
	code, _, stderr = runCmd(t, vars, "apply", "-f", desired, "--server", sim.URL(), "--state", stPath, "--auto-approve", "--force-unlock")
	if code != exitError || !strings.Contains(stderr, "still running") || writes(sim) != 0 {
		t.Fatalf("apply --force-unlock of a live holder: exit %d\n%s", code, stderr)
	}

	// A lock left by an apply that was killed: reported as stale, and
	// --force-unlock removes it.
	lock.Release()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skip("no 'true' command:", err)
	}
	host, _ := os.Hostname()
	stale := fmt.Sprintf(`{"pid": %d, "host": %q, "created": "2026-01-01T00:00:00Z"}`, dead.Process.Pid, host)
	if err := os.WriteFile(state.LockPath(stPath), []byte(stale), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCmd(t, vars, "apply", "-f", desired, "--server", sim.URL(), "--state", stPath, "--auto-approve")
	if code != exitError || !strings.Contains(stderr, "no longer running") {
		t.Fatalf("apply under a stale lock: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr := runCmd(t, vars, "apply", "-f", desired, "--server", sim.URL(), "--state", stPath, "--auto-approve", "--force-unlock")
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
	code, stdout, stderr := runCmd(t, nil, "apply", "-f", "../../examples/quickstart/desired", "--simulator", quickstartBefore, "--auto-approve")
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

// Output sent to the null device is no terminal: no prompt, no progress.
func TestIsTerminalNotDevNull(t *testing.T) {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Errorf("%s is taken for a terminal", os.DevNull)
	}
}

// The state is read again once the lock is held: an apply that held the
// lock while this one loaded its files may have written it since.
func TestLockRereadsState(t *testing.T) {
	stPath := filepath.Join(t.TempDir(), "state.json")
	st := state.New()
	if err := state.Save(stPath, st); err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("apply", flag.ContinueOnError)
	pf := addPlanFlags(fs)
	if err := fs.Parse([]string{"-f", planQuickstartDesired, "--simulator", quickstartBefore, "--state", stPath}); err != nil {
		t.Fatal(err)
	}
	env := &cmdEnv{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	s, err := pf.open(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	// Another apply records an object meanwhile.
	st.Objects["group 销售分析/x"] = &state.Object{Created: true, ID: 9}
	if err := state.Save(stPath, st); err != nil {
		t.Fatal(err)
	}
	unlock, err := s.lock(env, false)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if s.state.Serial != st.Serial || s.state.Objects["group 销售分析/x"] == nil {
		t.Errorf("state under the lock: serial %d, objects %v; want serial %d with the new object", s.state.Serial, s.state.Objects, st.Serial)
	}
}

// A plan saved with --simulator and --state is applied on top of that
// state, not a throwaway one.
func TestApplySavedSimulatorPlanKeepsItsState(t *testing.T) {
	dir := t.TempDir()
	stPath := filepath.Join(dir, "state.json")
	planFile := filepath.Join(dir, "sim.plan")
	code, _, stderr := runCmd(t, nil, "plan", "-f", planQuickstartDesired, "--simulator", quickstartBefore, "--state", stPath, "--out", planFile)
	if code != exitOK {
		t.Fatalf("plan: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr := runCmd(t, nil, "apply", planFile)
	if code != exitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	st, exists, err := state.Load(stPath)
	if err != nil || !exists || st.Serial == 0 {
		t.Errorf("state %s after apply: exists %v, serial %d, err %v", stPath, exists, st.Serial, err)
	}
}

// A saved plan is refused when re-planning refuses it now, even though the
// saved one carried no refusal.
func TestApplySavedPlanRefusedNow(t *testing.T) {
	dir := filepath.Join(planCases, "mass-delete-refused")
	planFile := filepath.Join(t.TempDir(), "p.plan")
	code, _, stderr := runCmd(t, nil, "plan", "-f", filepath.Join(dir, "desired"), "--simulator", filepath.Join(dir, "live.yaml"), "--out", planFile)
	if code != exitOK {
		t.Fatalf("plan: exit %d\n%s", code, stderr)
	}
	f, err := planfile.Read(planFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Plan.Refusals) == 0 {
		t.Fatal("the case plans no refusal")
	}
	f.Plan.Refusals = nil // as when the share allowed was larger
	if err := planfile.Write(planFile, f); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCmd(t, nil, "apply", planFile)
	if code != exitError || !strings.Contains(stderr, "refused now") || !strings.Contains(stderr, "maxDeletes") {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	if strings.Contains(stdout, "Apply complete") {
		t.Errorf("the plan was applied:\n%s", stdout)
	}
}

func TestConfirm(t *testing.T) {
	for in, want := range map[string]bool{"yes\n": true, "yes": true, " yes \n": true, "y\n": false, "": false} {
		if got := confirm(context.Background(), strings.NewReader(in), io.Discard); got != want {
			t.Errorf("confirm(%q) = %v", in, got)
		}
	}
}

// Ctrl-C at the prompt answers no at once, while stdin is still open, so
// apply returns and releases its lock.
func TestConfirmInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r, w := io.Pipe() // never written: a terminal nobody types into
	defer w.Close()
	if confirm(ctx, r, io.Discard) {
		t.Error("an interrupted prompt approved the apply")
	}
}

// plan reads through a client interface without write methods; whatever
// the output, the server sees no write.
func TestPlanMakesNoWrites(t *testing.T) {
	sim, vars, desired := quickstartServer(t)
	out := filepath.Join(t.TempDir(), "p.plan")
	for _, args := range [][]string{
		{"--detailed-exitcode"},
		{"-o", "json"},
		{"-o", "markdown", "--out", out},
	} {
		code, _, stderr := runCmd(t, vars, append([]string{"plan", "-f", desired, "--server", sim.URL()}, args...)...)
		if code != exitOK && code != exitChanges {
			t.Fatalf("plan %v: exit %d\n%s", args, code, stderr)
		}
	}
	if n := writes(sim); n != 0 {
		t.Errorf("plan made %d write calls: %v", n, sim.Calls())
	}
	if sim.Calls()["user/permissions"] == 0 {
		t.Error("the plan read nothing: the test proves nothing")
	}
}

// A saved plan applied from another directory than plan ran in finds none
// of its files: apply says so, instead of calling the plan stale, and
// writes nothing.
func TestApplySavedPlanFromAnotherDirectory(t *testing.T) {
	sim, vars, desired := quickstartServer(t)
	work := filepath.Dir(desired)
	chdirForTest(t, work)
	code, _, stderr := runCmd(t, vars, "plan", "-f", "desired", "--server", sim.URL(), "--out", "release.plan")
	if code != exitOK {
		t.Fatalf("plan: exit %d\n%s", code, stderr)
	}
	chdirForTest(t, t.TempDir())
	sim.ResetCalls()
	code, stdout, stderr := runCmd(t, vars, "apply", filepath.Join(work, "release.plan"), "--server", sim.URL())
	if code != exitError || strings.Contains(stderr, "stale") || !strings.Contains(stderr, "relative to the directory") || !strings.Contains(stderr, "desired/org.yaml") {
		t.Errorf("apply from another directory: exit %d\n%s%s", code, stdout, stderr)
	}
	if n := writes(sim); n != 0 {
		t.Errorf("%d write calls", n)
	}
	// From the directory plan ran in, the same plan applies.
	chdirForTest(t, work)
	code, stdout, stderr = runCmd(t, vars, "apply", "release.plan", "--server", sim.URL())
	if code != exitOK || !strings.Contains(stdout, "No changes.") {
		t.Errorf("apply from the plan's directory: exit %d\n%s%s", code, stdout, stderr)
	}
}

// Ctrl-C while apply reads the server: the message says it was
// interrupted, names no half-read endpoint, and nothing is written.
func TestApplyInterruptedWhileReading(t *testing.T) {
	sim, vars, desired := quickstartServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb strings.Builder
	env := &cmdEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }}
	code := runMain(ctx, env, []string{"apply", "-f", desired, "--server", sim.URL(), "--auto-approve"})
	if code != exitError || !strings.Contains(errb.String(), "interrupted while reading the server (nothing was changed)") || strings.Contains(errb.String(), "youdata") {
		t.Errorf("exit %d\n%s%s", code, out.String(), errb.String())
	}
	if n := writes(sim); n != 0 {
		t.Errorf("%d write calls", n)
	}
}

// A token user named by email (PERMSYNC_EMAIL, --token-user) reaches
// apply's guard rails as the uniqueId the read resolved it to: they
// compare uniqueIds.
func TestTokenUserEmailResolvedForApply(t *testing.T) {
	b, err := os.ReadFile("../../examples/quickstart/server-before.yaml")
	if err != nil {
		t.Fatal(err)
	}
	seed := strings.Replace(string(b), "  email: bi.admin@example.com", "  email: boss@example.com", 1)
	seedPath := filepath.Join(t.TempDir(), "seed.yaml")
	if err := os.WriteFile(seedPath, []byte(seed), 0o644); err != nil {
		t.Fatal(err)
	}
	pf := &planFlags{files: stringList{"../../examples/quickstart/desired"}, simulator: seedPath, tokenUser: "boss@example.com",
		statePath: filepath.Join(t.TempDir(), "state.json"), server: &serverFlags{rps: -1, concurrency: 4, timeout: time.Minute}}
	env := &cmdEnv{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	s, err := pf.open(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if _, err := s.plan(context.Background(), env, false); err != nil {
		t.Fatal(err)
	}
	if s.tokenUser != "bi.admin@example.com" {
		t.Errorf("token user after the read = %q, want the uniqueId bi.admin@example.com", s.tokenUser)
	}
}

// TestApplyPlanFileOfAnEarlierRelease: a plan file that an earlier
// permsync saved (before plans carried their provider, phases and
// dependencies; its refusals were bare strings) is applied as reviewed:
// it matches today's plan and converges.
func TestApplyPlanFileOfAnEarlierRelease(t *testing.T) {
	planFile, err := filepath.Abs(filepath.Join("testdata", "release-quickstart.plan"))
	if err != nil {
		t.Fatal(err)
	}
	// The plan was made from the repository's root: its files' paths are
	// relative to it.
	chdirForTest(t, filepath.Join("..", ".."))
	code, stdout, stderr := runCmd(t, nil, "apply", planFile)
	if code != exitOK {
		t.Fatalf("apply of the earlier release's plan file: exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "No changes. The server matches the desired state.") {
		t.Errorf("the apply did not verify as converged:\n%s", stdout)
	}
}
