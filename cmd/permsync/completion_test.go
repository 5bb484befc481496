package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func completionScript(t *testing.T, shell string) string {
	t.Helper()
	code, stdout, stderr := runCmd(t, nil, "completion", shell)
	if code != exitOK || stderr != "" {
		t.Fatalf("completion %s: exit %d\n%s", shell, code, stderr)
	}
	path := filepath.Join(t.TempDir(), "permsync."+shell)
	if err := os.WriteFile(path, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// The bash script completes commands, flags and flag values, as bash
// runs it.
func TestCompletionBash(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	script := completionScript(t, "bash")
	for _, tc := range []struct {
		words []string
		want  []string
	}{
		{[]string{"pl"}, []string{"plan"}},
		{[]string{"s"}, []string{"show", "sim"}},
		{[]string{"plan", "--ser"}, []string{"--server"}},
		{[]string{"plan", "--detailed"}, []string{"--detailed-exitcode"}},
		{[]string{"plan", "-o", ""}, []string{"text", "json", "markdown"}},
		{[]string{"plan", "--progress", "a"}, []string{"always", "auto"}},
		{[]string{"apply", "--log-level", "d"}, []string{"debug"}},
		{[]string{"run", "--mode", ""}, []string{"apply", "plan"}},
		{[]string{"help", "va"}, []string{"validate"}},
		{[]string{"completion", "f"}, []string{"fish"}},
		{[]string{"validate", "--a"}, []string{"--annotations"}},
		{[]string{"validate", "-"}, []string{"--annotations", "-f"}},
		{[]string{"validate", "--annotations", "g"}, []string{"github", "gitlab="}},
		{[]string{"version", "--"}, []string{"--json"}},
	} {
		words := append([]string{"permsync"}, tc.words...)
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = shellQuote(w)
		}
		prog := "source " + shellQuote(script) + "\nCOMP_WORDS=(" + strings.Join(quoted, " ") + ")\nCOMP_CWORD=" + strconv.Itoa(len(words)-1) + "\n_permsync\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
		out, err := exec.Command("bash", "--norc", "--noprofile", "-c", prog).CombinedOutput()
		if err != nil {
			t.Fatalf("%q: %v\n%s", tc.words, err, out)
		}
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if l != "" {
				got = append(got, l)
			}
		}
		if d := cmp.Diff(sortedCopy(tc.want), sortedCopy(got)); d != "" {
			t.Errorf("complete %q (-want +got):\n%s", tc.words, d)
		}
	}
}

// fish, when installed, completes from the script; zsh, when installed,
// parses it. Both scripts name every command and every flag of plan.
func TestCompletionZshFish(t *testing.T) {
	for _, shell := range []string{"zsh", "fish"} {
		script := completionScript(t, shell)
		b, _ := os.ReadFile(script)
		for _, name := range commandNames() {
			if !strings.Contains(string(b), name) {
				t.Errorf("%s: no command %s", shell, name)
			}
		}
		fs := describeFlags(context.Background(), "plan")
		for _, f := range []string{"detailed-exitcode", "server", "progress", "log-level", "out"} {
			if fs.Lookup(f) == nil {
				t.Fatalf("plan has no --%s", f)
			}
			if !strings.Contains(string(b), f) {
				t.Errorf("%s: no plan flag %s", shell, f)
			}
		}
		if _, err := exec.LookPath(shell); err != nil {
			continue
		}
		if out, err := exec.Command(shell, "-n", script).CombinedOutput(); err != nil {
			t.Errorf("%s -n: %v\n%s", shell, err, out)
		}
	}
	if _, err := exec.LookPath("fish"); err != nil {
		return
	}
	script := completionScript(t, "fish")
	for line, want := range map[string][]string{
		"permsync pl":          {"plan"},
		"permsync plan --se":   {"--server"},
		"permsync plan -o ":    {"json", "markdown", "text"},
		"permsync show -o j":   {"json"},
		"permsync help valid":  {"validate"},
		"permsync run --mode ": {"apply", "plan"},
	} {
		out, err := exec.Command("fish", "--no-config", "-c", "source "+shellQuote(script)+"; complete -C "+shellQuote(line)).CombinedOutput()
		if err != nil {
			t.Fatalf("fish %q: %v\n%s", line, err, out)
		}
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			got = append(got, strings.SplitN(l, "\t", 2)[0])
		}
		if d := cmp.Diff(want, sortedCopy(got)); d != "" {
			t.Errorf("fish %q (-want +got):\n%s", line, d)
		}
	}
}

func TestCompletionUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"completion"}, "name one shell"},
		{[]string{"completion", "bsh"}, "did you mean bash"},
		{[]string{"completion", "powershell"}, "want bash, zsh or fish"},
	} {
		if code, _, stderr := runCmd(t, nil, tc.args...); code != exitError || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d\n%s", tc.args, code, stderr)
		}
	}
}

func sortedCopy(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
