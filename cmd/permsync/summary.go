package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/permsync/permsync/internal/textsafe"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/plan/render"
)

// summaryFlags are plan's --markdown-summary flags: a pull-request
// comment of bounded size for a plan of any size (the counts of each kind
// and action, the refusals, the first changes) that points to the whole
// plan kept as an artifact.
type summaryFlags struct {
	path    string
	changes int
	fullURL string
}

// Bounds of the summary: GitHub takes comments of up to 65,536
// characters, GitLab of up to 1,000,000.
const (
	defaultSummaryChanges = 50
	summaryMaxChars       = 60000
	summaryMaxLine        = 300
	summaryMaxRefusals    = 20
)

func addSummaryFlags(fs *flag.FlagSet) *summaryFlags {
	f := &summaryFlags{}
	fs.StringVar(&f.path, "markdown-summary", "", "also write a bounded Markdown summary for a pull-request comment to this file: the counts of each kind and action, the refusals and the first changes, with a pointer to the full plan (the --out file, --markdown-dir, the CI run's artifacts)")
	fs.IntVar(&f.changes, "markdown-summary-changes", defaultSummaryChanges, "how many changes --markdown-summary lists (0: none, only the counts)")
	fs.StringVar(&f.fullURL, "full-plan-url", "", "where --markdown-summary says the full plan is (default: the CI run's artifacts, from GITHUB_SERVER_URL, GITHUB_REPOSITORY and GITHUB_RUN_ID, or CI_JOB_URL)")
	return f
}

// write writes the summary, if asked for. out and mdDir are where plan
// wrote the whole plan (--out, --markdown-dir).
func (f *summaryFlags) write(env *cmdEnv, p *plan.Plan, out, mdDir string) error {
	if f.path == "" {
		return nil
	}
	if f.changes < 0 {
		return fmt.Errorf("--markdown-summary-changes must not be negative, got %d", f.changes)
	}
	s := markdownSummary(p, f.changes, fullPlanPointer(env, f.fullURL, out, mdDir))
	if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
		return fmt.Errorf("write the markdown summary: %w", err)
	}
	if err := os.WriteFile(f.path, []byte(s), 0o644); err != nil {
		return fmt.Errorf("write the markdown summary: %w", err)
	}
	return nil
}

// fullPlanPointer says where the full plan is: the URL given or the CI
// run's, and the files plan wrote it to.
func fullPlanPointer(env *cmdEnv, url, out, mdDir string) string {
	if url == "" {
		if gh, repo, run := env.getenv("GITHUB_SERVER_URL"), env.getenv("GITHUB_REPOSITORY"), env.getenv("GITHUB_RUN_ID"); gh != "" && repo != "" && run != "" {
			url = strings.TrimRight(gh, "/") + "/" + repo + "/actions/runs/" + run
		} else if job := env.getenv("CI_JOB_URL"); job != "" {
			url = strings.TrimRight(job, "/") + "/artifacts/browse"
		}
	}
	var where []string
	if out != "" {
		where = append(where, fmt.Sprintf("the saved plan `%s` (`permsync show %s`)", mdCode(out), mdCode(out)))
	}
	if mdDir != "" {
		where = append(where, fmt.Sprintf("the comments in `%s/`", mdCode(strings.TrimRight(mdDir, "/"))))
	}
	var s string
	switch {
	case len(where) > 0 && url != "":
		s = fmt.Sprintf("The full plan: %s, in the [artifacts of this run](%s).", strings.Join(where, " and "), url)
	case len(where) > 0:
		s = fmt.Sprintf("The full plan: %s; keep it as an artifact of the run.", strings.Join(where, " and "))
	case url != "":
		s = fmt.Sprintf("The full plan: the [artifacts of this run](%s).", url)
	default:
		s = "The full plan: run `permsync plan` (or save it with `--out` and keep it as an artifact)."
	}
	return textsafe.Line(s)
}

// markdownSummary is the summary: never more than summaryMaxChars
// characters, whatever the plan's size.
func markdownSummary(p *plan.Plan, most int, pointer string) string {
	var b strings.Builder
	s := render.Counts(p)
	b.WriteString("### permsync plan (summary)\n\n")
	if s.Refusals > 0 {
		b.WriteString("**The plan cannot be applied: apply refuses it (see below).**\n\n")
	}
	fmt.Fprintf(&b, "**%s**\n\n", s.Line())
	kinds := summaryKinds(p, s)
	if len(kinds) > 0 {
		b.WriteString("| kind | to add | to change | to destroy | to replace | unchanged |\n|---|---:|---:|---:|---:|---:|\n")
		for _, k := range kinds {
			t := s.ByKind[k]
			// Replaces are also counted as an add and a destroy; shown
			// apart here.
			fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d |\n", mdCell(string(k)), t.Add-t.Replace, t.Change, t.Destroy-t.Replace, t.Replace, t.NoOp)
		}
		b.WriteString("\n")
	}
	refusals := p.RefusalMessages()
	for i, r := range refusals {
		if i == summaryMaxRefusals {
			fmt.Fprintf(&b, "> … and %d more refusals.\n", len(refusals)-i)
			break
		}
		fmt.Fprintf(&b, "> **Refused:** %s\n", mdCell(cutRunes(r, summaryMaxLine)))
	}
	if len(refusals) > 0 {
		b.WriteString("\n")
	}
	if s.Warnings > 0 {
		fmt.Fprintf(&b, "%d warning(s): see the full plan.\n\n", s.Warnings)
	}

	var changes []string
	total := 0
	for i := range p.Changes {
		c := &p.Changes[i]
		if c.Action == plan.NoOp {
			continue
		}
		total++
		if len(changes) < most {
			changes = append(changes, cutRunes(summarySign(c)+" "+string(c.Kind)+" "+textsafe.Line(c.Key), summaryMaxLine))
		}
	}
	tail := "\n" + pointer + "\n"
	if len(changes) > 0 {
		// The changes fill what the rest leaves, within the bound.
		budget := summaryMaxChars - b.Len() - len(tail) - 200
		shown := 0
		for _, l := range changes {
			if budget -= len(l) + 1; budget < 0 {
				break
			}
			shown++
		}
		changes = changes[:shown]
		fence := mdFence(changes)
		title := fmt.Sprintf("The first %d of %d changes", len(changes), total)
		if len(changes) == total {
			title = fmt.Sprintf("All %d changes", total)
		}
		fmt.Fprintf(&b, "<details><summary>%s</summary>\n\n%sdiff\n%s\n%s\n\n</details>\n", title, fence, strings.Join(changes, "\n"), fence)
	}
	b.WriteString(tail)
	return b.String()
}

// summaryKinds are the kinds with a change or an unchanged object, in the
// provider's order, then any other sorted.
func summaryKinds(p *plan.Plan, s render.Summary) []plan.Kind {
	var out []plan.Kind
	seen := map[plan.Kind]bool{}
	if p != nil {
		for _, k := range p.Kinds {
			if _, ok := s.ByKind[k]; ok && !seen[k] {
				out, seen[k] = append(out, k), true
			}
		}
	}
	var rest []plan.Kind
	for k := range s.ByKind {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Slice(rest, func(i, j int) bool { return rest[i] < rest[j] })
	return append(out, rest...)
}

// summarySign is a change's sign in a ```diff block: GitHub colours "+"
// and "-" lines, and "!" ones for updates.
func summarySign(c *plan.Change) string {
	switch c.Action {
	case plan.Create:
		return "+"
	case plan.Delete:
		return "-"
	case plan.Replace:
		return "-/+"
	}
	return "!"
}

// mdFence is a code fence longer than any run of backticks in lines.
func mdFence(lines []string) string {
	longest := 0
	for _, l := range lines {
		run := 0
		for _, r := range l {
			if r == '`' {
				run++
				longest = max(longest, run)
			} else {
				run = 0
			}
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

// mdCell is text safe in a table cell or a quote: one line, no HTML, no
// column break.
func mdCell(s string) string {
	r := strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "&", "&amp;")
	return r.Replace(textsafe.Line(s))
}

// mdCode is text safe inside `...`.
func mdCode(s string) string {
	return strings.ReplaceAll(textsafe.Line(s), "`", "'")
}

// cutRunes cuts s to at most n runes, marking the cut.
func cutRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
