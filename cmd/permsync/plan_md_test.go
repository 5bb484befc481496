package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata"
)

// --markdown-dir writes one file per comment, and a shorter plan later
// removes the parts it no longer has.
func TestPlanMarkdownDir(t *testing.T) {
	sim, vars, desired := quickstartServer(t)
	dir := filepath.Join(t.TempDir(), "comments")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Left by an earlier, longer plan.
	if err := os.WriteFile(filepath.Join(dir, "plan-7.md"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCmd(t, vars, "plan", "-f", desired, "--server", sim.URL(), "-o", "markdown", "--markdown-dir", dir)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	if len(files) != 1 || filepath.Base(files[0]) != "plan-1.md" {
		t.Fatalf("files %v, want only plan-1.md", files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != stdout || !strings.Contains(string(b), "Plan: ") {
		t.Errorf("plan-1.md differs from the Markdown on stdout:\n%s", b)
	}
}

func TestWriteMarkdownPartsSplits(t *testing.T) {
	p := &plan.Plan{}
	for i := 0; i < 3000; i++ {
		var after plan.Attrs
		after.Set("nick", strings.Repeat("名", 20))
		p.Changes = append(p.Changes, plan.Change{Action: plan.Create, Kind: youdata.KindUser, Key: fmt.Sprintf("user%04d@example.com", i), After: after})
	}
	dir := t.TempDir()
	if err := writeMarkdownParts(dir, p); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "plan-*.md"))
	if len(files) < 2 {
		t.Fatalf("%d files for a plan of 3000 changes, want several", len(files))
	}
	var all strings.Builder
	for i := range files {
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("plan-%d.md", i+1)))
		if err != nil {
			t.Fatal(err)
		}
		if len([]rune(string(b))) > 65000 {
			t.Errorf("plan-%d.md is over a comment's size", i+1)
		}
		all.Write(b)
	}
	for _, k := range []string{"user0000@example.com", "user2999@example.com"} {
		if strings.Count(all.String(), k) != 1 {
			t.Errorf("%s is not in exactly one part", k)
		}
	}
}

// Only the parts of an earlier plan are removed, never another file whose
// name merely starts with "plan-".
func TestWriteMarkdownPartsKeepsOtherFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"plan-2.md", "plan-notes.md", "plan-.md"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := writeMarkdownParts(dir, &plan.Plan{}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	if want := []string{"plan-.md", "plan-1.md", "plan-notes.md"}; strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("files %v, want %v", names, want)
	}
}
