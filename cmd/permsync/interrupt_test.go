package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/permsync/permsync/state"
)

// interrupted runs 'permsync args...' in-process, cancels its context
// (SIGINT, SIGTERM) once it is in phase, and fires its stop grace timer
// at once. It returns the exit code, the output and the grace asked for.
func interrupted(t *testing.T, phase string, args ...string) (code int, stderr string, grace time.Duration) {
	t.Helper()
	var out, errb lockedBuffer
	graces := make(chan time.Duration, 1)
	fire := make(chan time.Time, 1)
	env := &cmdEnv{
		stdin:  strings.NewReader(""),
		stdout: &out,
		stderr: &errb,
		getenv: func(string) string { return "" },
		after: func(d time.Duration) <-chan time.Time {
			graces <- d
			return fire
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	codes := make(chan int, 1)
	go func() { codes <- runMain(ctx, env, args) }()
	// A generous bound, so that a command that hangs fails the test; it
	// asserts no timing.
	bound := time.After(60 * time.Second)
	for {
		if p, _, _ := env.stopState(); p == phase {
			break
		}
		select {
		case c := <-codes:
			return c, errb.String(), 0
		case <-bound:
			t.Fatalf("permsync %s never reached %q", args[0], phase)
		case <-time.After(time.Millisecond):
		}
	}
	cancel()
	select {
	case grace = <-graces:
	case c := <-codes:
		return c, errb.String(), 0
	case <-bound:
		t.Fatalf("permsync %s: no stop grace after the interruption", args[0])
	}
	fire <- time.Now()
	select {
	case code = <-codes:
	case <-bound:
		t.Fatalf("permsync %s did not exit after its stop grace:\n%s", args[0], errb.String())
	}
	return code, errb.String(), grace
}

// fifo makes a named pipe at path; at the end of the test it is given a
// writer (which ends an open blocked on it) and removed.
func fifo(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	t.Cleanup(func() {
		w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		os.Remove(path)
		if err == nil {
			w.Close()
		}
	})
}

// TestRunCommandBoundsTheStop: an interrupted command that returns is
// waited for; one that does not return within its stop grace is left,
// and runCommand exits non-zero saying what it was doing.
func TestRunCommandBoundsTheStop(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	block := command{name: "block", stopGrace: 3 * time.Second, run: func(ctx context.Context, env *cmdEnv, _ []string) int {
		env.setPhase("reading a file that blocks", "Nothing was changed.")
		<-release
		return exitOK
	}}
	var errb lockedBuffer
	graces := make(chan time.Duration, 1)
	fire := make(chan time.Time, 1)
	env := &cmdEnv{stdout: &errb, stderr: &errb, getenv: func(string) string { return "" },
		after: func(d time.Duration) <-chan time.Time { graces <- d; return fire }}
	ctx, cancel := context.WithCancel(context.Background())
	codes := make(chan int, 1)
	go func() { codes <- runCommand(ctx, env, block, nil) }()
	for p, _, _ := env.stopState(); p == ""; p, _, _ = env.stopState() {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if g := <-graces; g != 3*time.Second {
		t.Errorf("stop grace %s, want the command's 3s", g)
	}
	select {
	case c := <-codes:
		t.Fatalf("runCommand returned %d before the grace passed", c)
	default:
	}
	fire <- time.Now()
	if c := <-codes; c != exitError {
		t.Errorf("exit %d, want 1", c)
	}
	msg := errb.String()
	for _, want := range []string{"permsync block: interrupted", "did not stop within 3s", "reading a file that blocks", "Nothing was changed."} {
		if !strings.Contains(msg, want) {
			t.Errorf("the message lacks %q:\n%s", want, msg)
		}
	}

	// A command that returns once interrupted gives its own exit code.
	quick := command{name: "quick", run: func(ctx context.Context, _ *cmdEnv, _ []string) int { <-ctx.Done(); return exitChanges }}
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	env = &cmdEnv{stdout: &errb, stderr: &errb, getenv: func(string) string { return "" },
		after: func(time.Duration) <-chan time.Time { return make(chan time.Time) }}
	if c := runCommand(ctx, env, quick, nil); c != exitChanges {
		t.Errorf("exit %d, want the command's own 2", c)
	}
}

// TestApplyBlockedOnTheLockEndsOnSignal: an apply blocked reading a lock
// file that is a named pipe ends once interrupted, after the grace that
// lets an apply finish its calls, saying it was taking the lock and that
// nothing was changed.
func TestApplyBlockedOnTheLockEndsOnSignal(t *testing.T) {
	stPath := filepath.Join(t.TempDir(), "state.json")
	fifo(t, state.LockPath(stPath))
	code, stderr, grace := interrupted(t, "taking the state's lock", "apply", "-f", "../../examples/quickstart/desired",
		"--simulator", quickstartBefore, "--state", stPath, "--auto-approve", "--rps", "0")
	if code != exitError {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	if grace != 45*time.Second {
		t.Errorf("apply's stop grace is %s, want 45s (30s for the calls in flight, then the state)", grace)
	}
	for _, want := range []string{"permsync apply: interrupted", "taking the state's lock", "Nothing was changed."} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestValidateOfANamedPipeEndsOnSignal: validate of a .yaml that is a
// named pipe is refused, or, where the loader opens it and blocks, ends
// once interrupted; it never hangs.
func TestValidateOfANamedPipeEndsOnSignal(t *testing.T) {
	dir := t.TempDir()
	fifo(t, filepath.Join(dir, "pipe.fifo"))
	if err := os.Symlink(filepath.Join(dir, "pipe.fifo"), filepath.Join(dir, "people.yaml")); err != nil {
		t.Fatal(err)
	}
	code, stderr, grace := interrupted(t, "reading the files", "validate", "-f", dir)
	if code != exitError {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	if grace == 0 {
		// Returned before the interruption: the loader refused the pipe.
		if !strings.Contains(stderr, "people.yaml") {
			t.Errorf("the refusal does not name the file:\n%s", stderr)
		}
		return
	}
	t.Logf("validate of a named pipe: %s", stderr)
	if !strings.Contains(stderr, "interrupted") || !strings.Contains(stderr, "reading the files") {
		t.Errorf("stderr: %s", stderr)
	}
}
