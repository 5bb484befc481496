package main

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/provider/youdata"
)

// Progress of the long steps (reading the server, applying), on stderr so
// that stdout stays the plan. --progress says when:
//
//   - auto (the default): on a terminal, one line that overwrites itself
//     (at most five times a second); elsewhere (CI, a log file) a plain
//     line every progressInterval once the step has taken that long, so a
//     five-minute read is not silent and a quick one prints nothing;
//   - always: as auto, but off a terminal the plain lines start with the
//     first call;
//   - never: nothing.
//
// With TERM=dumb the line is never overwritten: plain lines, as off a
// terminal. No progress output holds an escape code.

// progressInterval is how often a plain progress line is printed.
const progressInterval = 10 * time.Second

// Values of --progress.
const (
	progressAuto   = "auto"
	progressAlways = "always"
	progressNever  = "never"
)

// checkProgress checks a --progress value.
func checkProgress(mode string) error {
	switch mode {
	case progressAuto, progressAlways, progressNever:
		return nil
	}
	return fmt.Errorf("--progress %q: want auto, always or never", mode)
}

// noColor reports whether the environment asks for output without colour
// or other escape codes: NO_COLOR set to anything (no-color.org) or a
// dumb terminal.
func (e *cmdEnv) noColor() bool {
	return e.getenv("NO_COLOR") != "" || e.getenv("TERM") == "dumb"
}

func (e *cmdEnv) clock() time.Time {
	if e.now != nil {
		return e.now()
	}
	return time.Now()
}

// progress reports how far one step has come.
type progress struct {
	env  *cmdEnv
	mode string
	// live: one self-overwriting line (a terminal that can).
	live    bool
	mu      sync.Mutex
	start   time.Time
	last    time.Time // of the last line printed
	width   int       // of the live line shown, to blank it
	printed bool
	// status is the last status given, for the closing line.
	status func(elapsed time.Duration, done bool) string
	// closing: a closing line even when no progress was shown
	// (--log-level info).
	closing bool
}

func newProgress(env *cmdEnv, mode string) *progress {
	if mode == "" {
		mode = progressNever
	}
	return &progress{
		env: env, mode: mode,
		live:  env.stderrTerminal && env.getenv("TERM") != "dumb",
		start: env.clock(),
	}
}

// show reports the status: its line for the time elapsed, and for the
// closing line (done).
func (p *progress) show(status func(elapsed time.Duration, done bool) string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status = status
	if p.mode == progressNever {
		return
	}
	now := p.env.clock()
	elapsed := now.Sub(p.start)
	if p.live {
		if !p.last.IsZero() && now.Sub(p.last) < 200*time.Millisecond {
			return
		}
		line := status(elapsed, false)
		pad := max(0, p.width-len(line))
		p.env.printErrLine("\r" + line + strings.Repeat(" ", pad))
		p.width, p.last, p.printed = len(line), now, true
		return
	}
	due := p.last.Add(progressInterval)
	if p.last.IsZero() {
		due = p.start.Add(progressInterval)
		if p.mode == progressAlways {
			due = now
		}
	}
	if now.Before(due) {
		return
	}
	p.env.printErrLine(status(elapsed, false) + "\n")
	p.last, p.printed = now, true
}

// stop ends the report: the live line is blanked; after plain lines (or
// with closing), a last one says where the step ended.
func (p *progress) stop() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live && p.printed {
		p.env.printErrLine("\r" + strings.Repeat(" ", p.width) + "\r")
	}
	if p.status != nil && (p.closing || p.printed && !p.live) {
		p.env.printErrLine(p.status(p.env.clock().Sub(p.start), true) + "\n")
	}
	p.printed, p.last, p.width, p.status = false, time.Time{}, 0, nil
}

// readStatus is the status of a read: the server gives no totals ahead
// (getAllUsers has none), so it counts what came, at what rate, and the
// bound of --max-read-time.
func readStatus(r youdata.ReadProgress, maxTime time.Duration) func(time.Duration, bool) string {
	return func(elapsed time.Duration, done bool) string {
		verb := "Reading"
		if done {
			verb = "Read"
		}
		s := fmt.Sprintf("%s the server: %d objects, %d calls, %s", verb, r.Objects, r.Calls, roundDuration(elapsed))
		if secs := elapsed.Seconds(); secs >= 1 {
			s += fmt.Sprintf(" (%.0f objects/s)", float64(r.Objects)/secs)
		}
		if !done && maxTime > 0 && elapsed < maxTime {
			s += fmt.Sprintf(", stops at %s (--max-read-time)", roundDuration(maxTime))
		}
		return s
	}
}

// applyProgress reports an apply of total changes, with an estimate of
// the time left from the rate so far.
type applyProgress struct {
	*progress
	mu     sync.Mutex
	total  int
	done   int
	failed int
}

func newApplyProgress(env *cmdEnv, mode string, total int) *applyProgress {
	return &applyProgress{progress: newProgress(env, mode), total: total}
}

// change is ApplyOptions.Progress: a change has ended.
func (a *applyProgress) change(r engine.ChangeResult) {
	a.mu.Lock()
	a.done++
	if r.Status == engine.StatusFailed {
		a.failed++
	}
	done, failed, total := a.done, a.failed, max(a.total, a.done)
	a.mu.Unlock()
	a.show(func(elapsed time.Duration, end bool) string {
		return applyStatus(done, failed, total, elapsed, end)
	})
}

// applyStatus is "Applying: 120 of 3400 changes (3%), 2 failed, 1m10s,
// about 31m50s left".
func applyStatus(done, failed, total int, elapsed time.Duration, end bool) string {
	verb := "Applying"
	if end {
		verb = "Applied"
	}
	s := fmt.Sprintf("%s: %d of %d changes (%d%%)", verb, done, total, done*100/max(total, 1))
	if failed > 0 {
		s += fmt.Sprintf(", %d failed", failed)
	}
	s += ", " + roundDuration(elapsed)
	if !end && done > 0 && done < total {
		left := time.Duration(float64(elapsed) / float64(done) * float64(total-done))
		s += ", about " + roundDuration(left) + " left"
	}
	return s
}

// roundDuration rounds to what a person reads: tenths of a second below a
// minute, seconds above.
func roundDuration(d time.Duration) string {
	if d < time.Minute {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// progressLine is a status line on stderr for a step whose status is one
// formatted line (export), shown as --progress auto shows progress.
type progressLine struct {
	env *cmdEnv
	mu  sync.Mutex
	p   *progress
}

func newProgressLine(env *cmdEnv) *progressLine { return &progressLine{env: env} }

func (l *progressLine) show(format string, args ...any) {
	l.mu.Lock()
	if l.p == nil {
		l.p = newProgress(l.env, progressAuto)
	}
	p := l.p
	l.mu.Unlock()
	line := fmt.Sprintf(format, args...)
	line = strings.TrimRight(line, " ")
	p.show(func(_ time.Duration, done bool) string {
		if done {
			return line + " (done)"
		}
		return line
	})
}

func (l *progressLine) clear() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.p.stop()
	l.p = nil
}
