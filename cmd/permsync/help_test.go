package main

import (
	"context"
	"flag"
	"strings"
	"testing"
)

// 'permsync help plan' prints plan's usage, flags and examples on stdout,
// not the list of commands.
func TestHelpCommand(t *testing.T) {
	for _, name := range []string{"plan", "apply", "validate", "export", "run", "sim", "version"} {
		code, stdout, stderr := runCmd(t, nil, "help", name)
		if code != exitOK {
			t.Errorf("help %s: exit %d\n%s", name, code, stderr)
		}
		if !strings.HasPrefix(stdout, "Usage: permsync "+name) || !strings.Contains(stdout, "\nExamples:\n  ") {
			t.Errorf("help %s: not its usage and examples:\n%s", name, stdout)
		}
		if strings.Contains(stdout, "Commands:") {
			t.Errorf("help %s prints the list of commands:\n%s", name, stdout)
		}
		if stderr != "" {
			t.Errorf("help %s: stderr %q", name, stderr)
		}
	}
	if _, stdout, _ := runCmd(t, nil, "help", "plan"); !strings.Contains(stdout, "-detailed-exitcode") {
		t.Errorf("help plan does not list plan's flags:\n%s", stdout)
	}
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		code, stdout, _ := runCmd(t, nil, args...)
		if code != exitOK || !strings.Contains(stdout, "Commands:") || !strings.Contains(stdout, "  validate  ") {
			t.Errorf("%q: exit %d\n%s", args, code, stdout)
		}
	}
	code, _, stderr := runCmd(t, nil, "help", "valdate")
	if code != exitError || !strings.Contains(stderr, "Did you mean validate?") {
		t.Errorf("help valdate: exit %d\n%s", code, stderr)
	}
}

func TestUnknownCommandSuggests(t *testing.T) {
	for typed, want := range map[string]string{"valdate": "validate", "plna": "plan", "aply": "apply", "exprot": "export"} {
		code, _, stderr := runCmd(t, nil, typed)
		if code != exitError || !strings.Contains(stderr, "unknown command") || !strings.Contains(stderr, "Did you mean "+want+"?") {
			t.Errorf("%s: exit %d\n%s", typed, code, stderr)
		}
	}
	if _, _, stderr := runCmd(t, nil, "frobnicate"); strings.Contains(stderr, "Did you mean") {
		t.Errorf("frobnicate: a suggestion far from anything:\n%s", stderr)
	}
}

func TestUnknownFlagSuggests(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"plan", "--sevrer", "http://x"}, "Did you mean --server?"},
		{[]string{"plan", "-detailed-exitcod"}, "Did you mean --detailed-exitcode?"},
		{[]string{"apply", "x.plan", "--auto-aprove"}, "Did you mean --auto-approve?"},
		{[]string{"validate", "-ff", "x"}, "Did you mean -f?"},
		{[]string{"version", "--jsno"}, "Did you mean --json?"},
	} {
		code, stdout, stderr := runCmd(t, nil, tc.args...)
		if code != exitError || !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "flag provided but not defined") {
			t.Errorf("%q: exit %d\n%s", tc.args, code, stderr)
		}
		if stdout != "" {
			t.Errorf("%q: stdout %q", tc.args, stdout)
		}
	}
}

// Every command ends its -h with examples, and every flag an example uses
// is one of the command's: an example that no longer runs fails here.
func TestEveryCommandHasExamples(t *testing.T) {
	for _, name := range commandNames() {
		code, stdout, stderr := runCmd(t, nil, name, "-h")
		if name == "help" {
			stderr = stdout
		}
		if code != exitOK || !strings.Contains(stderr, "\nExamples:\n  ") {
			t.Errorf("%s -h: exit %d, no examples (add them to examples.go):\n%s", name, code, stderr)
			continue
		}
		fs := describeFlags(context.Background(), name)
		for _, ex := range examples[name] {
			for _, line := range strings.Split(ex, "\n") {
				fields := strings.Fields(line)
				if len(fields) < 2 || fields[0] != "permsync" {
					continue
				}
				if fields[1] != name {
					t.Errorf("%s: the example %q runs another command", name, line)
				}
				if fs == nil {
					continue
				}
				for _, f := range fields[2:] {
					if !strings.HasPrefix(f, "-") || f == "-" || f == "--" {
						continue
					}
					n, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
					if fs.Lookup(n) == nil && n != "h" {
						t.Errorf("%s: the example %q uses %s, which %s does not define", name, line, f, name)
					}
				}
			}
		}
	}
}

// Completion learns a command's flags without running it, whether or not
// the command parses them through parseFlags.
func TestDescribeCommand(t *testing.T) {
	ran := false
	body := func(env *cmdEnv, fs *flag.FlagSet, parse func() error) int {
		fs.SetOutput(env.stderr)
		fs.String("server", "", "")
		if err := parse(); err != nil {
			return parseErrorCode(err)
		}
		ran = true
		return exitOK
	}
	withParseFlags := command{name: "a", run: func(_ context.Context, env *cmdEnv, args []string) int {
		fs := flag.NewFlagSet("a", flag.ContinueOnError)
		return body(env, fs, func() error { return parseFlags(env, fs, args) })
	}}
	withFlagParse := command{name: "b", run: func(_ context.Context, env *cmdEnv, args []string) int {
		fs := flag.NewFlagSet("b", flag.ContinueOnError)
		return body(env, fs, func() error { return fs.Parse(args) })
	}}
	if fs := describeCommand(context.Background(), withParseFlags); fs == nil || fs.Lookup("server") == nil {
		t.Errorf("parseFlags: no flags learnt")
	}
	if fs := describeCommand(context.Background(), withFlagParse); fs != nil {
		t.Errorf("fs.Parse: flags learnt from nowhere")
	}
	if ran {
		t.Errorf("describing a command ran it")
	}
}
