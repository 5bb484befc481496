package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateQuickstart(t *testing.T) {
	code, stdout, stderr := runCmd(t, nil, "validate", "-f", "../../examples/quickstart/desired")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	want := "Valid: 10 users, 6 departments, 1 system role, 2 projects, 3 groups, 4 roles, 2 data permissions, 1 resource member list (6 files).\n"
	if stdout != want || stderr != "" {
		t.Errorf("stdout %q, stderr %q; want %q and nothing", stdout, stderr, want)
	}
}

func TestValidateSeveralPaths(t *testing.T) {
	code, stdout, stderr := runCmd(t, nil, "validate",
		"-f", "../../examples/quickstart/desired/people.yaml",
		"-f", "../../examples/quickstart/desired/org.yaml",
		"-f", "../../examples/quickstart/desired/projects")
	// The projects refer to 审计员, declared in a file not given.
	if code != exitError {
		t.Fatalf("exit %d, want %d; stdout %q", code, exitError, stdout)
	}
	if !strings.Contains(stderr, `unknown system role "审计员"`) || !strings.HasSuffix(stderr, " problems.\n") {
		t.Errorf("stderr:\n%s", stderr)
	}
}

// TestValidateInvalidCases runs every case under testdata/invalid as a user
// at the repository root would, and expects exit 1, the problems of
// <case>.want on stderr and their count.
func TestValidateInvalidCases(t *testing.T) {
	chdirForTest(t, "../..")
	entries, err := os.ReadDir("testdata/invalid")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		base, isCase := strings.CutSuffix(e.Name(), ".yaml")
		if e.IsDir() {
			base, isCase = e.Name(), true
		}
		if !isCase {
			continue
		}
		n++
		want, err := os.ReadFile("testdata/invalid/" + base + ".want")
		if err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := runCmd(t, nil, "validate", "-f", "testdata/invalid/"+e.Name())
		lines := strings.Count(string(want), "\n")
		count := fmt.Sprintf("%d problems.\n", lines)
		if lines == 1 {
			count = "1 problem.\n"
		}
		if code != exitError || stdout != "" || stderr != string(want)+count {
			t.Errorf("%s: exit %d, stdout %q, stderr:\n%s\nwant exit 1 and:\n%s%s", base, code, stdout, stderr, want, count)
		}
		if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
			t.Errorf("%s: stack trace on stderr", base)
		}
	}
	if n < 25 {
		t.Errorf("only %d cases", n)
	}
}

func TestValidateUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"validate"}, exitError, "give at least one file or directory with -f"},
		{[]string{"validate", "-x"}, exitError, "flag provided but not defined"},
		{[]string{"validate", "-f", "a.yaml", "extra"}, exitError, `unexpected argument "extra"`},
		{[]string{"validate", "-h"}, exitOK, "Usage: permsync validate -f PATH"},
		{[]string{"validate", "-f", "does/not/exist"}, exitError, "does/not/exist: cannot read: no such file or directory\n1 problem.\n"},
	} {
		code, _, stderr := runCmd(t, nil, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
}

// TestValidatePrintsWarnings: names that differ only by letter case are
// valid, and validate says so on stderr, naming both lines.
func TestValidatePrintsWarnings(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "users.yaml")
	if err := os.WriteFile(f, []byte("version: 1\nusers:\n  - uniqueId: Alice@example.com\n  - uniqueId: alice@example.com\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCmd(t, nil, "validate", "-f", f)
	if code != exitOK || !strings.Contains(stdout, "Valid:") {
		t.Fatalf("validate exited %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "Warning: ") || !strings.Contains(stderr, "users.yaml:3") || !strings.Contains(stderr, ":4") {
		t.Errorf("want a warning naming lines 3 and 4 on stderr, got:\n%s", stderr)
	}
}
