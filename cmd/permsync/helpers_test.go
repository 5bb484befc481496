package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// chdirForTest changes the working directory for the rest of the test and
// back after it. Tests that call it must not run in parallel.
func chdirForTest(t *testing.T, dir string) {
	t.Helper()
	old, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.Chdir(old); err != nil {
			t.Fatal(err)
		}
	})
}

// runCmd runs permsync in-process with the given environment variables
// (nil: none) and no standard input, and returns its exit code and output.
func runCmd(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &cmdEnv{
		stdin:  strings.NewReader(""),
		stdout: &out,
		stderr: &errb,
		getenv: func(k string) string { return vars[k] },
	}
	code = runMain(context.Background(), env, args)
	return code, out.String(), errb.String()
}

func TestSimulatorURL(t *testing.T) {
	for seed, want := range map[string]string{
		"examples/quickstart/server-before.yaml": "simulator://embedded/examples/quickstart/server-before.yaml",
		"/srv/seed.yaml":                         "simulator://embedded/srv/seed.yaml",
	} {
		if got := simulatorURL(seed); got != want {
			t.Errorf("simulatorURL(%q) = %q, want %q", seed, got, want)
		}
	}
}
