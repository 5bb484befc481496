package main

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/permsync/permsync/internal/textsafe"
	"github.com/permsync/permsync/provider/youdata/apiclient"
)

// logLevel is --log-level: the least severe messages printed on stderr.
// Unset, it is the command's default: info for run (its log), warn for
// the others (retry notices and the like).
//
//   - error: only errors (no retry notices);
//   - warn: and warnings: the client's retry notices;
//   - info: and how each read and apply ended (objects, calls, time), even
//     when no progress was shown;
//   - debug: and every API call (endpoint, result, time, attempt).
type logLevel struct {
	set   bool
	level slog.Level
}

func (l *logLevel) String() string {
	if l == nil || !l.set {
		return ""
	}
	return strings.ToLower(l.level.String())
}

func (l *logLevel) Set(v string) error {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "debug":
		l.level = slog.LevelDebug
	case "info":
		l.level = slog.LevelInfo
	case "warn", "warning":
		l.level = slog.LevelWarn
	case "error":
		l.level = slog.LevelError
	default:
		return fmt.Errorf("want debug, info, warn or error")
	}
	l.set = true
	return nil
}

// or is the level given, else def.
func (l *logLevel) or(def slog.Level) slog.Level {
	if l == nil || !l.set {
		return def
	}
	return l.level
}

// enabled reports whether a message of level is printed by a command
// whose default is warn.
func (f *serverFlags) enabled(level slog.Level) bool {
	return level >= f.logLevel.or(slog.LevelWarn)
}

// clientLogf is the client's Logf for a command without a log of its own:
// its notices (retries) on stderr, escaped, unless --log-level error.
func (f *serverFlags) clientLogf(env *cmdEnv) func(format string, args ...any) {
	return func(format string, args ...any) {
		if !f.enabled(slog.LevelWarn) {
			return
		}
		// Retry notices quote the server's errors.
		env.printErrLine(fmt.Sprintf("permsync: %s\n", textsafe.Line(fmt.Sprintf(format, args...))))
	}
}

// observer is what the client tells of every HTTP attempt: f.observe (the
// metrics of run) and, with --log-level debug, a line on stderr.
func (f *serverFlags) observer(env *cmdEnv) func(apiclient.CallInfo) {
	if f.logf != nil || !f.enabled(slog.LevelDebug) {
		// A command with a log of its own (run) has its metrics.
		return f.observe
	}
	next := f.observe
	return func(ci apiclient.CallInfo) {
		env.printErrLine(fmt.Sprintf("permsync: debug: %s %s: %s in %s (attempt %d)\n", ci.Method, textsafe.Line(ci.Endpoint), ci.Result, roundDuration(ci.Duration), ci.Attempt))
		if next != nil {
			next(ci)
		}
	}
}
