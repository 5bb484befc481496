package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The command lines the docs, the examples and the CI pieces show name
// commands and flags that exist.

// docCall is a permsync command line in code: permsync, or go run
// ./cmd/permsync, where a shell command starts, then the command and its
// arguments up to the end of the line or of the shell command.
var docCall = regexp.MustCompile(`(?m)(?:^\s*|[;&|(]\s*|\b(?:then|do|else|if|while|until|run:)\s+|[!-]\s+|go run \./cmd/)permsync\s+([a-z][a-z-]*)([^\n|;&>` + "`" + `]*)`)

// docCalls are the permsync command lines of a file: in Markdown, those in
// code (spans and fenced blocks); in a shell script, those of its lines
// that are not comments; elsewhere (YAML, templates) those quoted in
// backticks, as the comments quote them, and whatever the YAML's strings
// run (deploy_test.go reads those).
func docCalls(t *testing.T, path string) []invocation {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var chunks []string
	text := string(b)
	switch {
	case strings.HasSuffix(path, ".md"):
		inFence := false
		var fence []string
		for _, line := range strings.Split(text, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "```") {
				if inFence {
					chunks = append(chunks, strings.Join(fence, "\n"))
					fence = nil
				}
				inFence = !inFence
				continue
			}
			if inFence {
				// Comments in a fence are prose.
				if i := strings.Index(line, " #"); i >= 0 {
					line = line[:i]
				}
				if !strings.HasPrefix(strings.TrimSpace(line), "#") {
					fence = append(fence, line)
				}
				continue
			}
			chunks = append(chunks, codeSpans(line)...)
		}
	case strings.HasSuffix(path, ".sh"):
		for _, line := range strings.Split(text, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(line), "#") {
				chunks = append(chunks, line)
			}
		}
	default:
		for _, line := range strings.Split(text, "\n") {
			chunks = append(chunks, codeSpans(line)...)
		}
	}
	var out []invocation
	for _, c := range chunks {
		// Continued lines, and Markdown's \| in tables.
		c = strings.ReplaceAll(strings.ReplaceAll(c, "\\\n", " "), `\|`, "/")
		for _, m := range docCall.FindAllStringSubmatch(c, -1) {
			args := []string{m[1]}
			for _, f := range strings.Fields(m[2]) {
				f = strings.Trim(f, `"'[](),`)
				// Alternatives (--revoke\|--renew in a table) are each a flag.
				for i, alt := range strings.Split(f, "/-") {
					if i > 0 {
						alt = "-" + alt
					}
					args = append(args, strings.TrimSuffix(alt, "..."))
				}
			}
			out = append(out, invocation{file: path, args: args})
		}
	}
	return out
}

// codeSpans are the `...` spans of a line that are a permsync command
// line (not those quoting a file's text that mentions permsync).
func codeSpans(line string) []string {
	parts := strings.Split(line, "`")
	var out []string
	for i := 1; i < len(parts); i += 2 {
		if span := strings.TrimSpace(parts[i]); strings.HasPrefix(span, "permsync ") || strings.HasPrefix(span, "go run ./cmd/permsync ") {
			out = append(out, span)
		}
	}
	return out
}

// checkInvocations reports command lines whose command or flags do not
// exist, and returns the "file command" pairs it saw.
func checkInvocations(t *testing.T, calls []invocation) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	flagsOf := map[string]map[string]bool{}
	for _, c := range calls {
		name := c.args[0]
		rel, _ := filepath.Rel(repoRoot, c.file)
		if _, ok := commands[name]; !ok {
			t.Errorf("%s: permsync %s: no such command (%q)", rel, name, strings.Join(c.args, " "))
			continue
		}
		seen[filepath.ToSlash(rel)+" "+name] = true
		if flagsOf[name] == nil {
			flagsOf[name] = commandFlags(t, name)
		}
		for _, a := range c.args[1:] {
			if !strings.HasPrefix(a, "-") || a == "-" || a == "--" || a == "-h" || a == "--help" {
				continue
			}
			flagName, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
			if !flagsOf[name][flagName] {
				t.Errorf("%s: permsync %s: no flag %s (flags: %v)", rel, name, a, sortedKeys(flagsOf[name]))
			}
		}
	}
	return seen
}

func TestReleaseDocsCommandsExist(t *testing.T) {
	var files []string
	for _, pattern := range []string{"README.md", "docs/*.md", "action.yml", "action/*.sh", "templates/*.yml",
		"deploy/*/*.yml", "deploy/helm/permsync/values.yaml", "deploy/helm/permsync/templates/*",
		"deploy/kubernetes/*/*.yaml", "deploy/kubernetes/*/*/*.yaml"} {
		m, err := filepath.Glob(filepath.Join(repoRoot, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	var calls []invocation
	for _, f := range files {
		calls = append(calls, docCalls(t, f)...)
	}
	seen := checkInvocations(t, calls)
	// The extraction finds what the docs and scripts are known to run.
	for _, want := range []string{
		"README.md apply", "README.md plan", "docs/deploy.md plan", "docs/release.md version",
		"action/plan.sh validate", "action/plan.sh plan", "action/apply.sh apply",
	} {
		if !seen[want] {
			t.Errorf("no %q command line found; found %v", want, sortedKeys(seen))
		}
	}
}

// TestReleaseDocsCallsParsed checks the extraction on a known text, so
// that a broken one cannot pass the test above by finding nothing.
func TestReleaseDocsCallsParsed(t *testing.T) {
	dir := t.TempDir()
	md := filepath.Join(dir, "x.md")
	text := "Run `permsync plan -f perms/ [--out PLANFILE] [-o text\\|json]` and\n" +
		"```sh\n# permsync as prose\ngo run ./cmd/permsync apply --auto-approve -f x   # permsync comment\n```\n" +
		"permsync keeps a state (prose, not code)\n" +
		"| `permsync token P [--revoke\\|--renew]` | a table |\n"
	if err := os.WriteFile(md, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range docCalls(t, md) {
		got = append(got, strings.Join(c.args, " "))
	}
	want := []string{"plan -f perms/ --out PLANFILE -o text/json", "apply --auto-approve -f x", "token P --revoke --renew"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("docCalls = %q, want %q", got, want)
	}
}
