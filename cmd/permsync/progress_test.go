package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/provider/youdata"
)

// fakeClock is a clock the test moves.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func progressEnv(vars map[string]string, terminal bool) (*cmdEnv, *bytes.Buffer, *fakeClock) {
	var errb bytes.Buffer
	clock := &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	return &cmdEnv{
		stdout: &bytes.Buffer{}, stderr: &errb,
		getenv:         func(k string) string { return vars[k] },
		stderrTerminal: terminal,
		now:            clock.now,
	}, &errb, clock
}

// readFor reports a read that makes one call a second, bringing 100
// objects, from the start of the clock for the given time.
func readFor(p *progress, clock *fakeClock, d time.Duration) {
	for end := clock.t.Add(d); clock.t.Before(end); {
		clock.advance(time.Second)
		calls := int64(clock.t.Sub(p.start) / time.Second)
		p.show(readStatus(youdata.ReadProgress{Calls: calls, Objects: 100 * calls}, 10*time.Minute))
	}
}

// Off a terminal (CI), a long read prints a plain line every interval, so
// it is not silent; a short one prints nothing.
func TestProgressPlainLinesOffTerminal(t *testing.T) {
	env, errb, clock := progressEnv(nil, false)
	p := newProgress(env, progressAuto)
	readFor(p, clock, progressInterval-time.Second)
	if errb.Len() != 0 {
		t.Fatalf("a read shorter than the interval printed: %q", errb.String())
	}
	readFor(p, clock, 2*progressInterval+time.Second)
	p.stop()
	lines := strings.Split(strings.TrimSuffix(errb.String(), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("want 3 progress lines and a closing one, got:\n%s", errb.String())
	}
	if lines[0] != "Reading the server: 1000 objects, 10 calls, 10s (100 objects/s), stops at 10m0s (--max-read-time)" {
		t.Errorf("first line %q", lines[0])
	}
	if want := "Read the server: 3000 objects, 30 calls, 30s (100 objects/s)"; lines[3] != want {
		t.Errorf("closing line %q, want %q", lines[3], want)
	}
	if strings.ContainsAny(errb.String(), "\r\x1b") {
		t.Errorf("plain lines hold a carriage return or an escape: %q", errb.String())
	}

	env, errb, clock = progressEnv(nil, false)
	p = newProgress(env, progressAlways)
	readFor(p, clock, time.Second)
	if !strings.HasPrefix(errb.String(), "Reading the server: 100 objects, 1 calls, 1s") {
		t.Errorf("--progress always: the first call printed %q", errb.String())
	}

	env, errb, clock = progressEnv(nil, true)
	p = newProgress(env, progressNever)
	readFor(p, clock, time.Minute)
	p.stop()
	if errb.Len() != 0 {
		t.Errorf("--progress never printed %q", errb.String())
	}
}

// On a terminal the line overwrites itself and is blanked at the end,
// without escape codes; TERM=dumb gets plain lines.
func TestProgressLiveLine(t *testing.T) {
	env, errb, clock := progressEnv(nil, true)
	p := newProgress(env, progressAuto)
	readFor(p, clock, 3*time.Second)
	p.stop()
	out := errb.String()
	if strings.Count(out, "\rReading the server: ") != 3 || !strings.HasSuffix(out, "\r") || strings.Contains(out, "\n") {
		t.Errorf("live line %q", out)
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("the live line holds an escape code: %q", out)
	}

	env, errb, clock = progressEnv(map[string]string{"TERM": "dumb"}, true)
	p = newProgress(env, progressAuto)
	readFor(p, clock, progressInterval)
	p.stop()
	if out := errb.String(); strings.Contains(out, "\r") || strings.Count(out, "\n") != 2 {
		t.Errorf("TERM=dumb: %q", out)
	}
}

func TestApplyStatus(t *testing.T) {
	for _, tc := range []struct {
		done, failed, total int
		elapsed             time.Duration
		end                 bool
		want                string
	}{
		{10, 0, 40, 10 * time.Second, false, "Applying: 10 of 40 changes (25%), 10s, about 30s left"},
		{30, 2, 40, 3 * time.Minute, false, "Applying: 30 of 40 changes (75%), 2 failed, 3m0s, about 1m0s left"},
		{40, 0, 40, 4 * time.Minute, true, "Applied: 40 of 40 changes (100%), 4m0s"},
	} {
		if got := applyStatus(tc.done, tc.failed, tc.total, tc.elapsed, tc.end); got != tc.want {
			t.Errorf("applyStatus(%d, %d, %d, %s) = %q, want %q", tc.done, tc.failed, tc.total, tc.elapsed, got, tc.want)
		}
	}
	env, errb, clock := progressEnv(nil, false)
	a := newApplyProgress(env, progressAlways, 3)
	for _, st := range []engine.Status{engine.StatusApplied, engine.StatusFailed, engine.StatusApplied} {
		clock.advance(progressInterval)
		a.change(engine.ChangeResult{Status: st})
	}
	a.stop()
	want := "Applying: 1 of 3 changes (33%), 10s, about 20s left\n" +
		"Applying: 2 of 3 changes (66%), 1 failed, 20s, about 10s left\n" +
		"Applying: 3 of 3 changes (100%), 1 failed, 30s\n" +
		"Applied: 3 of 3 changes (100%), 1 failed, 30s\n"
	if errb.String() != want {
		t.Errorf("apply progress:\n%s\nwant:\n%s", errb.String(), want)
	}
}

// NO_COLOR=1 and TERM=dumb: no escape code in anything plan or apply
// prints, even on a terminal.
func TestNoColorNoEscapes(t *testing.T) {
	for _, vars := range []map[string]string{{"NO_COLOR": "1"}, {"TERM": "dumb"}} {
		for _, cmd := range [][]string{
			append([]string{"plan"}, quickstartArgs(t)...),
			append([]string{"apply", "--auto-approve", "--progress", "always", "--rps", "0"}, quickstartArgs(t)...),
		} {
			var out, errb bytes.Buffer
			env := &cmdEnv{
				stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
				getenv:     func(k string) string { return vars[k] },
				isTerminal: true, stderrTerminal: true,
			}
			if code := runMain(context.Background(), env, cmd); code != exitOK {
				t.Fatalf("%v %s: exit %d\n%s", vars, cmd[0], code, errb.String())
			}
			if strings.Contains(out.String()+errb.String(), "\x1b") {
				t.Errorf("%v %s: escape codes in the output:\n%q", vars, cmd[0], out.String()+errb.String())
			}
			if !strings.Contains(out.String(), " to add, ") {
				t.Errorf("%v %s: no plan shown:\n%s", vars, cmd[0], out.String())
			}
		}
	}
	// The same on a terminal without them is coloured: the test sees colour.
	var out bytes.Buffer
	env := &cmdEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &bytes.Buffer{},
		getenv: func(string) string { return "" }, isTerminal: true}
	runMain(context.Background(), env, append([]string{"plan"}, quickstartArgs(t)...))
	if !strings.Contains(out.String(), "\x1b[") {
		t.Errorf("no colour on a terminal without NO_COLOR: the test cannot see escapes")
	}
}
