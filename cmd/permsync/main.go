// Command permsync keeps users, departments, groups, roles and data
// permissions of a BI server in YAML files and makes the server match.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// version, commit and date are set at build time:
//
//	go build -ldflags "-X main.version=v1.2.0 -X main.commit=$(git rev-parse HEAD) -X main.date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
//
// Without them, the commit and date come from the VCS stamp Go records in
// the binary, where there is one (see version.go).
var (
	version = "dev"
	commit  = ""
	date    = ""
)

// Exit codes, as Terraform's -detailed-exitcode uses them.
const (
	exitOK      = 0
	exitError   = 1
	exitChanges = 2
)

// command is one subcommand. Each lives in a file of its own and registers
// itself in an init function.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *cmdEnv, args []string) int
	// stopGrace is how long the command may take to return once
	// interrupted (SIGINT, SIGTERM) before the process exits without it;
	// 0 means defaultStopGrace. A command may change it (env.setStopGrace).
	stopGrace time.Duration
}

// defaultStopGrace bounds the wait for a command that does not return
// once interrupted: a read that cannot be cancelled (a file that is a
// FIFO, a hung mount) must not keep the process alive.
const defaultStopGrace = 10 * time.Second

// cmdEnv is what a subcommand may touch of the process: its streams and
// environment, so tests can run commands in-process.
type cmdEnv struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// isTerminal reports whether stdout is a terminal (colours, progress,
	// prompts).
	isTerminal bool
	// stderrTerminal reports whether stderr is a terminal (the progress
	// line overwrites itself there; elsewhere it is printed as plain lines).
	stderrTerminal bool
	// after is the clock of the stop grace (nil: time.After); tests
	// replace it.
	after func(time.Duration) <-chan time.Time
	// now is the clock of progress reports (nil: time.Now); tests
	// replace it.
	now func() time.Time
	// describe, when set, is given the command's flags by parseFlags,
	// which then stops the command as -h does, printing nothing: shell
	// completion learns every command's flags this way.
	describe func(*flag.FlagSet)

	// stop is what the command is doing, for the message of a command
	// abandoned after an interruption.
	stop stopInfo
	// errMu serialises what goroutines print on stderr (progress, retry
	// notices, debug lines): one whole line at a time.
	errMu sync.Mutex
}

// printErrLine prints to stderr, whole, from any goroutine.
func (e *cmdEnv) printErrLine(s string) {
	e.errMu.Lock()
	defer e.errMu.Unlock()
	io.WriteString(e.stderr, s)
}

// stopInfo is what the running command is doing, what its abandonment
// would leave behind, and how long it may take to stop.
type stopInfo struct {
	mu    sync.Mutex
	phase string
	note  string
	grace time.Duration
}

// setPhase records what the command is doing (phase), and what exiting
// without it then means (note: "Nothing was changed.").
func (e *cmdEnv) setPhase(phase, note string) {
	e.stop.mu.Lock()
	defer e.stop.mu.Unlock()
	e.stop.phase, e.stop.note = phase, note
}

// setStopGrace changes how long the command may take to return once
// interrupted.
func (e *cmdEnv) setStopGrace(d time.Duration) {
	e.stop.mu.Lock()
	defer e.stop.mu.Unlock()
	e.stop.grace = d
}

func (e *cmdEnv) stopState() (phase, note string, grace time.Duration) {
	e.stop.mu.Lock()
	defer e.stop.mu.Unlock()
	return e.stop.phase, e.stop.note, e.stop.grace
}

var commands = map[string]command{}

func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("permsync: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

func main() {
	// The first Ctrl-C cancels ctx: apply finishes the calls in flight,
	// records them and stops. Once that has begun, the signals go back to
	// their default, so a second Ctrl-C ends the process at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()
	env := &cmdEnv{
		stdin:      os.Stdin,
		stdout:     os.Stdout,
		stderr:     os.Stderr,
		getenv:     os.Getenv,
		isTerminal: isTerminal(os.Stdout),

		stderrTerminal: isTerminal(os.Stderr),
	}
	os.Exit(runMain(ctx, env, os.Args[1:]))
}

// runMain dispatches to a subcommand and returns the exit code.
func runMain(ctx context.Context, env *cmdEnv, args []string) int {
	if len(args) == 0 {
		usage(env.stdout)
		return exitError
	}
	switch args[0] {
	case "-h", "-help", "--help":
		args[0] = "help"
	case "--version":
		args[0] = "version"
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.stderr, "permsync: unknown command %q\n", args[0])
		if s := suggest(args[0], commandNames()); len(s) > 0 {
			fmt.Fprintf(env.stderr, "Did you mean %s?\n", orList(s))
		}
		fmt.Fprintln(env.stderr)
		usage(env.stderr)
		return exitError
	}
	return runCommand(ctx, env, c, args[1:])
}

// runCommand runs c. Once ctx is cancelled (the first SIGINT or SIGTERM)
// the command has its stop grace to return: apply finishes the calls in
// flight and records them. A command still going after that is blocked
// where cancelling cannot reach (a read of a FIFO, a hung mount): the
// process exits non-zero without it, saying what it was doing.
func runCommand(ctx context.Context, env *cmdEnv, c command, args []string) int {
	grace := c.stopGrace
	if grace <= 0 {
		grace = defaultStopGrace
	}
	env.setStopGrace(grace)
	code := make(chan int, 1)
	go func() { code <- c.run(ctx, env, args) }()
	select {
	case n := <-code:
		return n
	case <-ctx.Done():
	}
	_, _, grace = env.stopState() // the command may have changed it
	after := env.after
	if after == nil {
		after = time.After
	}
	select {
	case n := <-code:
		return n
	case <-after(grace):
	}
	phase, note, _ := env.stopState()
	msg := fmt.Sprintf("permsync %s: interrupted, and it did not stop within %s: exiting without it", c.name, grace)
	if phase != "" {
		msg += " (it was " + phase + ")"
	}
	fmt.Fprintln(env.stderr, msg+".")
	if note != "" {
		fmt.Fprintln(env.stderr, note)
	}
	return exitError
}

// isTerminal reports whether f is a terminal: a character device other
// than the null device (output sent to /dev/null is no terminal to show
// progress on or to ask for approval).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(fi, null)
}
