package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/permsync/permsync/plan/planfile"
)

// show renders a saved plan as plan rendered it when saving it.
func TestShowSavedPlan(t *testing.T) {
	dir := t.TempDir()
	desired := filepath.Join(dir, "desired")
	copyDir(t, planQuickstartDesired, desired)
	saved := filepath.Join(dir, "release.plan")
	args := []string{"plan", "-f", desired, "--simulator", planQuickstartServer, "--state", filepath.Join(dir, "state.json"), "--out", saved}
	code, planText, stderr := runCmd(t, nil, args...)
	if code != exitOK {
		t.Fatalf("plan: exit %d\n%s", code, stderr)
	}
	code, shown, stderr := runCmd(t, nil, "show", saved)
	if code != exitOK || shown != planText || !strings.Contains(shown, " to add, ") {
		t.Errorf("show: exit %d, differs from what plan showed:\n%s\n%s", code, shown, stderr)
	}
	if !strings.Contains(stderr, "Saved plan for simulator://embedded/") || strings.Contains(stderr, "stale") {
		t.Errorf("show: stderr %q", stderr)
	}
	// JSON and Markdown: as plan renders the plan saved. (The JSON of an
	// update whose "before" is empty reads back as null: the plan file
	// leaves empty attributes out.)
	f, err := planfile.Read(saved)
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"json", "markdown"} {
		var want bytes.Buffer
		if err := writePlan(&want, f.Plan, format, false); err != nil {
			t.Fatal(err)
		}
		code, got, stderr := runCmd(t, nil, "show", saved, "-o", format)
		if code != exitOK || got != want.String() || !strings.Contains(got, "add") {
			t.Errorf("show -o %s: exit %d\n%s\n%s", format, code, got, stderr)
		}
	}

	// Once a file changes, show says that apply would refuse the plan.
	first := filepath.Join(desired, f.Files[0].Path[len(desired)+1:])
	b, _ := os.ReadFile(first)
	if err := os.WriteFile(first, append(b, []byte("\n# edited\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCmd(t, nil, "show", saved); code != exitOK || !strings.Contains(stderr, "would refuse it as stale") {
		t.Errorf("show after an edit: exit %d\n%s", code, stderr)
	}
}

func TestShowErrors(t *testing.T) {
	notPlan := filepath.Join(t.TempDir(), "x.json")
	if err := os.WriteFile(notPlan, []byte(`{"a":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"show"}, "give one saved plan"},
		{[]string{"show", "a.plan", "b.plan"}, "give one saved plan"},
		{[]string{"show", filepath.Join(t.TempDir(), "none.plan")}, "permsync show: planfile: read"},
		{[]string{"show", notPlan}, "not a permsync plan file"},
		{[]string{"show", notPlan, "-o", "yaml"}, `-o "yaml": want text, json or markdown`},
	} {
		code, stdout, stderr := runCmd(t, nil, tc.args...)
		if code != exitError || !strings.Contains(stderr, tc.want) || stdout != "" {
			t.Errorf("%q: exit %d, stdout %q\n%s", tc.args, code, stdout, stderr)
		}
	}
}
