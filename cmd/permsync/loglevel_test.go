package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestLogLevel(t *testing.T) {
	_, _, quiet := runCmd(t, nil, append([]string{"plan"}, quickstartArgs(t)...)...)
	if strings.Contains(quiet, "debug:") || strings.Contains(quiet, "Read the server") {
		t.Errorf("default level: %s", quiet)
	}
	code, _, info := runCmd(t, nil, append([]string{"plan", "--log-level", "info"}, quickstartArgs(t)...)...)
	if code != exitOK || !strings.Contains(info, "Read the server: ") || strings.Contains(info, "debug:") {
		t.Errorf("--log-level info: exit %d\n%s", code, info)
	}
	code, _, debug := runCmd(t, nil, append([]string{"plan", "--log-level", "debug"}, quickstartArgs(t)...)...)
	if code != exitOK || !strings.Contains(debug, "permsync: debug: POST ") || !strings.Contains(debug, "Read the server: ") {
		t.Errorf("--log-level debug: exit %d\n%s", code, debug)
	}
	code, _, bad := runCmd(t, nil, append([]string{"plan", "--log-level", "loud"}, quickstartArgs(t)...)...)
	if code != exitError || !strings.Contains(bad, "want debug, info, warn or error") {
		t.Errorf("--log-level loud: exit %d\n%s", code, bad)
	}
}

// run's log keeps to --log-level.
func TestNewLoggerLevel(t *testing.T) {
	var buf bytes.Buffer
	l, err := newLogger(&buf, "json", slog.LevelWarn)
	if err != nil {
		t.Fatal(err)
	}
	l.Info("starting")
	l.Warn("retrying")
	if out := buf.String(); strings.Contains(out, "starting") || !strings.Contains(out, "retrying") {
		t.Errorf("log at warn:\n%s", out)
	}
}
