package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/permsync/permsync/internal/textsafe"
	"github.com/permsync/permsync/spec"
)

// annotations is --annotations (validate, plan, apply): the problems and
// warnings of the files, and the refusals of a plan, where CI shows them
// beside the lines of a pull request:
//
//   - github: GitHub Actions workflow commands on stderr (the runner reads
//     both streams), "::error file=F,line=L,title=FIELD::message";
//   - gitlab=FILE: a GitLab code-quality report (a JSON array, for
//     artifacts:reports:codequality), written as soon as the command
//     starts ("[]") and again at every finding, so that a failed run
//     leaves the report of what it found.
//
// The flag is repeatable: --annotations github --annotations gitlab=FILE.
type annotations struct {
	github bool
	gitlab string

	mu sync.Mutex
	// issues are what the GitLab report holds so far.
	issues []gitlabIssue
	seen   map[string]int
	// fallback is the location of a finding of no file: the first -f path.
	fallback string
}

func (a *annotations) String() string {
	if a == nil {
		return ""
	}
	var s []string
	if a.github {
		s = append(s, "github")
	}
	if a.gitlab != "" {
		s = append(s, "gitlab="+a.gitlab)
	}
	return strings.Join(s, ",")
}

func (a *annotations) Set(v string) error {
	switch {
	case v == "github":
		a.github = true
	case strings.HasPrefix(v, "gitlab="):
		a.gitlab = strings.TrimPrefix(v, "gitlab=")
		if a.gitlab == "" {
			return errors.New("gitlab=FILE: name the report file")
		}
	case v == "gitlab":
		return errors.New("gitlab=FILE: name the report file, e.g. gitlab=gl-code-quality.json")
	default:
		return errors.New("want github or gitlab=FILE")
	}
	return nil
}

// annotationsUsage is the usage of --annotations.
const annotationsUsage = "report the problems in the files (and a plan's refusals) to CI: github (workflow commands, shown on the pull request's lines) or gitlab=FILE (a code-quality report); repeatable"

// finding is one thing to report.
type finding struct {
	// severity is "error" or "warning".
	severity string
	file     string
	line     int
	// field is the field path inside the file, if known.
	field string
	msg   string
	// check names the kind of finding: "validate", "warning", "refusal".
	check string
}

// begin starts the reports of a command reading paths: an empty GitLab
// report, so that one exists whatever happens next.
func (a *annotations) begin(env *cmdEnv, paths []string) error {
	if a == nil || (!a.github && a.gitlab == "") {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(paths) > 0 {
		a.fallback = reportPath(env, paths[0])
	}
	a.issues, a.seen = []gitlabIssue{}, map[string]int{}
	return a.writeGitLab()
}

// problems reports the problems of the files (severity "error", or
// "warning" for the warnings of a valid set of files).
func (a *annotations) problems(env *cmdEnv, probs []*spec.Problem, severity string) error {
	fs := make([]finding, len(probs))
	for i, p := range probs {
		check := "validate"
		if severity == "warning" {
			check = "warning"
		}
		fs[i] = finding{severity: severity, file: p.File, line: p.Line, field: p.Path, msg: p.Msg, check: check}
	}
	return a.report(env, fs)
}

// refusals reports why apply would refuse a plan, and the plan's warnings.
func (a *annotations) refusals(env *cmdEnv, refusals, warnings []string) error {
	var fs []finding
	for _, r := range refusals {
		fs = append(fs, finding{severity: "error", field: "plan refused", msg: r, check: "refusal"})
	}
	for _, w := range warnings {
		fs = append(fs, finding{severity: "warning", field: "plan", msg: w, check: "plan-warning"})
	}
	return a.report(env, fs)
}

func (a *annotations) report(env *cmdEnv, fs []finding) error {
	if a == nil || (!a.github && a.gitlab == "") || len(fs) == 0 {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.seen == nil {
		a.issues, a.seen = []gitlabIssue{}, map[string]int{}
	}
	for _, f := range fs {
		f.file = reportPath(env, f.file)
		if a.github {
			fmt.Fprintln(env.stderr, githubCommand(f))
		}
		if a.gitlab != "" {
			a.issues = append(a.issues, a.gitlabIssue(f))
		}
	}
	return a.writeGitLab()
}

// reportPath is a file's path as CI names it: relative to the checkout
// (GITHUB_WORKSPACE, CI_PROJECT_DIR) when it is inside it, with slashes.
func reportPath(env *cmdEnv, file string) string {
	if file == "" {
		return ""
	}
	if filepath.IsAbs(file) {
		for _, root := range []string{env.getenv("GITHUB_WORKSPACE"), env.getenv("CI_PROJECT_DIR")} {
			if root == "" {
				continue
			}
			if rel, err := filepath.Rel(root, file); err == nil && !strings.HasPrefix(rel, "..") {
				file = rel
				break
			}
		}
	}
	return filepath.ToSlash(filepath.Clean(file))
}

// githubCommand is the workflow command of f: "::error file=F,line=L,
// title=T::message", each part escaped as the runner reads it, and
// nothing of the text able to end the command or start another.
func githubCommand(f finding) string {
	var props []string
	if f.file != "" {
		props = append(props, "file="+githubProperty(f.file))
		if f.line > 0 {
			props = append(props, "line="+strconv.Itoa(f.line))
		}
	}
	if f.field != "" {
		props = append(props, "title="+githubProperty(f.field))
	}
	cmd := "::" + f.severity
	if len(props) > 0 {
		cmd += " " + strings.Join(props, ",")
	}
	return cmd + "::" + githubData(f.msg)
}

// githubData escapes a workflow command's message as the runner unescapes
// it: %, CR and LF. Other control characters and bidirectional overrides
// are shown as visible escapes (textsafe).
func githubData(s string) string {
	r := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	return textsafe.Line(r.Replace(s))
}

// githubProperty escapes a property value: as the message, and the ':'
// and ',' that end a property.
func githubProperty(s string) string {
	r := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
	return textsafe.Line(r.Replace(s))
}

// gitlabIssue is one issue of a GitLab code-quality report.
type gitlabIssue struct {
	Description string         `json:"description"`
	CheckName   string         `json:"check_name"`
	Fingerprint string         `json:"fingerprint"`
	Severity    string         `json:"severity"`
	Location    gitlabLocation `json:"location"`
}

type gitlabLocation struct {
	Path  string      `json:"path"`
	Lines gitlabLines `json:"lines"`
}

type gitlabLines struct {
	Begin int `json:"begin"`
}

// gitlabIssue makes f an issue. Its fingerprint is stable across runs and
// line moves (check, file, field and message, not the line), and tells
// apart two equal findings by their order.
func (a *annotations) gitlabIssue(f finding) gitlabIssue {
	path, line := f.file, f.line
	if path == "" {
		// GitLab needs a location: the files as given.
		path = a.fallback
	}
	if line <= 0 {
		line = 1
	}
	desc := f.msg
	if f.field != "" {
		desc = f.field + ": " + f.msg
	}
	key := strings.Join([]string{"permsync", f.check, path, f.field, f.msg}, "\x00")
	n := a.seen[key]
	a.seen[key] = n + 1
	sum := sha256.Sum256([]byte(key + "\x00" + strconv.Itoa(n)))
	severity := "major"
	if f.severity == "warning" {
		severity = "minor"
	}
	return gitlabIssue{
		Description: desc,
		CheckName:   "permsync/" + f.check,
		Fingerprint: hex.EncodeToString(sum[:16]),
		Severity:    severity,
		Location:    gitlabLocation{Path: path, Lines: gitlabLines{Begin: line}},
	}
}

// writeGitLab (re)writes the GitLab report, whole: a temporary file
// renamed over it, so that a reader never sees half of one.
func (a *annotations) writeGitLab() error {
	if a.gitlab == "" {
		return nil
	}
	data, err := json.MarshalIndent(a.issues, "", "  ")
	if err != nil {
		return fmt.Errorf("write the GitLab report %s: %w", a.gitlab, err)
	}
	tmp := a.gitlab + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write the GitLab report: %w", err)
	}
	if err := os.Rename(tmp, a.gitlab); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write the GitLab report: %w", err)
	}
	return nil
}
