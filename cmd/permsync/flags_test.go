package main

import (
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseInterspersed(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		pos    []string
		server string
	}{
		{[]string{"p.plan"}, []string{"p.plan"}, ""},
		{[]string{"p.plan", "--server", "http://x"}, []string{"p.plan"}, "http://x"},
		{[]string{"--server", "http://x", "p.plan"}, []string{"p.plan"}, "http://x"},
		{[]string{"a", "--server=http://x", "b"}, []string{"a", "b"}, "http://x"},
		{[]string{"--", "--server"}, []string{"--server"}, ""},
		{[]string{"a", "--", "-b"}, []string{"a", "-b"}, ""},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		server := fs.String("server", "", "")
		pos, err := parseInterspersed(fs, tc.args)
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if d := cmp.Diff(tc.pos, pos); d != "" || *server != tc.server {
			t.Errorf("%q: positional (-want +got):\n%s server %q, want %q", tc.args, d, *server, tc.server)
		}
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if _, err := parseInterspersed(fs, []string{"a", "--nope"}); err == nil {
		t.Error("an unknown flag after a positional argument is accepted")
	}
}

// -h shows a command's usage and exits 0, as for validate and sim; a bad
// flag exits 1.
func TestHelpExitsZero(t *testing.T) {
	for _, cmd := range []string{"plan", "apply", "export", "validate", "sim"} {
		code, _, stderr := runCmd(t, nil, cmd, "-h")
		if code != exitOK || !strings.Contains(stderr, "Usage: permsync "+cmd) {
			t.Errorf("%s -h: exit %d\n%s", cmd, code, stderr)
		}
		if code, _, _ := runCmd(t, nil, cmd, "--no-such-flag"); code != exitError {
			t.Errorf("%s --no-such-flag: exit %d", cmd, code)
		}
	}
}
