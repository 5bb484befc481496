package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// GitHub's rules: %, CR and LF escaped in the message; in properties
// also ':' and ','. Nothing of the text can end the command early or
// start another on a line of its own.
func TestGitHubCommandEscaping(t *testing.T) {
	for _, tc := range []struct {
		f    finding
		want string
	}{
		{finding{severity: "error", file: "perms/a.yaml", line: 3, field: "users[0].email", msg: "not an email"},
			"::error file=perms/a.yaml,line=3,title=users[0].email::not an email"},
		{finding{severity: "warning", file: "a,b:c%.yaml", line: 1, field: "x,y:z", msg: "50% done\r\n::error::forged"},
			"::warning file=a%2Cb%3Ac%25.yaml,line=1,title=x%2Cy%3Az::50%25 done%0D%0A::error::forged"},
		{finding{severity: "error", msg: "no file: a, b: c"}, "::error::no file: a, b: c"},
		{finding{severity: "error", file: "f.yaml", msg: "escape \x1b[2J and \u202e"}, `::error file=f.yaml::escape \u001b[2J and \u202e`},
	} {
		if got := githubCommand(tc.f); got != tc.want {
			t.Errorf("githubCommand(%+v)\n got %s\nwant %s", tc.f, got, tc.want)
		}
	}
}

func writeInvalidFiles(t *testing.T) (root string) {
	t.Helper()
	root = t.TempDir()
	dir := filepath.Join(root, "perms")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bad := "version: 1\nusers:\n  - uniqueId: a\n    email: a@example.com\n    bogus: 1\n  - uniqueId: b\n    email: b@example.com\n    \"odd, key: x\": 2\n"
	if err := os.WriteFile(filepath.Join(dir, "people.yaml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

var githubLine = regexp.MustCompile(`(?m)^::error file=perms/people\.yaml,line=(\d+),title=([^:]*)::(.*)$`)

func TestValidateAnnotations(t *testing.T) {
	root := writeInvalidFiles(t)
	report := filepath.Join(root, "gl-code-quality.json")
	vars := map[string]string{"GITHUB_WORKSPACE": root}
	code, _, stderr := runCmd(t, vars, "validate", "-f", filepath.Join(root, "perms"), "--annotations", "github", "--annotations", "gitlab="+report)
	if code != exitError {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	problems := regexp.MustCompile(`(?m)^(\d+) problems\.$`).FindStringSubmatch(stderr)
	cmds := githubLine.FindAllStringSubmatch(stderr, -1)
	if problems == nil || len(cmds) == 0 || problems[1] != strconv.Itoa(len(cmds)) {
		t.Fatalf("want one workflow command per problem, relative to GITHUB_WORKSPACE:\n%s", stderr)
	}
	var sawComma bool
	for _, c := range cmds {
		if strings.Contains(c[2], "%2C") && strings.Contains(c[2], "%3A") {
			sawComma = true // the field "odd, key: x", escaped as a property
		}
	}
	if !sawComma {
		t.Errorf("no title escaped per GitHub's property rules:\n%s", stderr)
	}

	var issues []gitlabIssue
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &issues); err != nil {
		t.Fatalf("GitLab report: %v\n%s", err, b)
	}
	if len(issues) != len(cmds) {
		t.Errorf("GitLab report: %d issues, %d problems", len(issues), len(cmds))
	}
	fingerprints := map[string]bool{}
	for _, is := range issues {
		if is.Description == "" || is.CheckName != "permsync/validate" || is.Severity != "major" ||
			is.Location.Path != "perms/people.yaml" || is.Location.Lines.Begin < 1 || len(is.Fingerprint) != 32 {
			t.Errorf("GitLab issue %+v", is)
		}
		if fingerprints[is.Fingerprint] {
			t.Errorf("fingerprint %s twice", is.Fingerprint)
		}
		fingerprints[is.Fingerprint] = true
	}

	// Valid files: no command, and an empty report (GitLab wants one).
	code, _, stderr = runCmd(t, nil, "validate", "-f", planQuickstartDesired, "--annotations", "github", "--annotations", "gitlab="+report)
	if code != exitOK || strings.Contains(stderr, "::") {
		t.Errorf("valid files: exit %d\n%s", code, stderr)
	}
	if b, _ := os.ReadFile(report); strings.TrimSpace(string(b)) != "[]" {
		t.Errorf("valid files: GitLab report %s", b)
	}

	for _, bad := range []string{"gitlab", "gitlab=", "azure"} {
		if code, _, stderr := runCmd(t, nil, "validate", "-f", planQuickstartDesired, "--annotations", bad); code != exitError || !strings.Contains(stderr, `invalid value "`+bad+`" for flag -annotations`) {
			t.Errorf("--annotations %s: exit %d\n%s", bad, code, stderr)
		}
	}
}

// plan reports the problems of the files, as validate does, and the
// refusals of the plan.
func TestPlanAnnotations(t *testing.T) {
	root := writeInvalidFiles(t)
	code, _, stderr := runCmd(t, map[string]string{"GITHUB_WORKSPACE": root}, "plan", "-f", filepath.Join(root, "perms"), "--simulator", planQuickstartServer, "--annotations", "github")
	if code != exitError || len(githubLine.FindAllString(stderr, -1)) == 0 {
		t.Errorf("plan of invalid files: exit %d\n%s", code, stderr)
	}

	dir := filepath.Join(planCases, "mass-delete-refused")
	report := filepath.Join(t.TempDir(), "gl.json")
	code, _, stderr = runCmd(t, nil, "plan", "-f", filepath.Join(dir, "desired"), "--simulator", filepath.Join(dir, "live.yaml"),
		"--state", filepath.Join(t.TempDir(), "state.json"), "--annotations", "github", "--annotations", "gitlab="+report)
	if code != exitOK || !regexp.MustCompile(`(?m)^::error title=plan refused::.*maxDeletes`).MatchString(stderr) {
		t.Errorf("refused plan: exit %d\n%s", code, stderr)
	}
	var issues []gitlabIssue
	b, _ := os.ReadFile(report)
	if err := json.Unmarshal(b, &issues); err != nil || len(issues) != 1 || issues[0].CheckName != "permsync/refusal" || issues[0].Location.Path == "" {
		t.Errorf("GitLab report of a refused plan: %v\n%s", err, b)
	}
}
