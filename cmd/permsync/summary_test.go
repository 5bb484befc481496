package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/permsync/permsync/plan"
)

// A summary of a huge plan stays within a comment's size, with the
// counts of every kind and action and the first changes.
func TestMarkdownSummaryBounded(t *testing.T) {
	p := &plan.Plan{Kinds: []plan.Kind{"user", "role"}}
	for i := 0; i < 100000; i++ {
		a := plan.Create
		if i%4 == 0 {
			a = plan.Delete
		}
		p.Changes = append(p.Changes, plan.Change{Action: a, Kind: "user", Key: fmt.Sprintf("user-%06d@example.com", i) + strings.Repeat("x", 500)})
	}
	p.Changes = append(p.Changes, plan.Change{Action: plan.Update, Kind: "role", Key: "finance/```analyst"})
	for i := 0; i < 50; i++ {
		p.Refusals = append(p.Refusals, plan.Refusal{Kind: plan.RefuseMaxDeletes, Message: strings.Repeat("too many deletions | ", 100)})
	}
	for _, most := range []int{0, 50, 1000000} {
		s := markdownSummary(p, most, "The full plan: here.")
		if n := utf8.RuneCountInString(s); n > summaryMaxChars {
			t.Errorf("most %d: %d characters", most, n)
		}
		for _, want := range []string{"**Plan: 75000 to add, 1 to change, 25000 to destroy.**", "| user | 75000 | 0 | 25000 | 0 | 0 |", "| role | 0 | 1 | 0 | 0 | 0 |", "> … and 30 more refusals.", "The full plan: here.\n"} {
			if !strings.Contains(s, want) {
				t.Errorf("most %d: no %q in\n%.2000s", most, want, s)
			}
		}
		if strings.Contains(s, "too many deletions | ") {
			t.Errorf("a refusal breaks out of its table cell or quote")
		}
		switch most {
		case 0:
			if strings.Contains(s, "<details>") {
				t.Errorf("most 0 lists changes")
			}
		case 50:
			if !strings.Contains(s, "The first 50 of 100001 changes") || !strings.Contains(s, "\n- user user-000000@example.com") || !strings.Contains(s, "\n+ user user-000001@example.com") {
				t.Errorf("most 50:\n%.3000s", s)
			}
		}
	}
	// A key holding a fence does not end the code block.
	small := &plan.Plan{Changes: []plan.Change{{Action: plan.Update, Kind: "role", Key: "finance/```analyst"}}}
	if s := markdownSummary(small, 10, "x"); !strings.Contains(s, "````diff\n! role finance/```analyst\n````") || !strings.Contains(s, "All 1 changes") {
		t.Errorf("fence:\n%s", s)
	}
}

func TestPlanMarkdownSummary(t *testing.T) {
	dir := t.TempDir()
	summary := filepath.Join(dir, "pr", "summary.md")
	saved := filepath.Join(dir, "release.plan")
	vars := map[string]string{"GITHUB_SERVER_URL": "https://github.example.com", "GITHUB_REPOSITORY": "acme/perms", "GITHUB_RUN_ID": "42"}
	code, _, stderr := runCmd(t, vars, append([]string{"plan", "--markdown-summary", summary, "--markdown-summary-changes", "3", "--out", saved, "--detailed-exitcode"}, quickstartArgs(t)...)...)
	if code != exitChanges {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	b, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{
		"**Plan: 15 to add, 18 to change, 1 to destroy.**",
		"| department | 6 | 0 | 0 | 0 | 0 |",
		"The first 3 of 34 changes",
		"permsync show " + saved,
		"(https://github.example.com/acme/perms/actions/runs/42)",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("no %q in the summary:\n%s", want, s)
		}
	}
	if code, _, stderr := runCmd(t, nil, append([]string{"plan", "--markdown-summary", summary, "--markdown-summary-changes", "-1"}, quickstartArgs(t)...)...); code != exitError || !strings.Contains(stderr, "must not be negative") {
		t.Errorf("--markdown-summary-changes -1: exit %d\n%s", code, stderr)
	}
}
