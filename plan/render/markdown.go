package render

import (
	"fmt"
	"strings"

	"github.com/permsync/permsync/plan"
)

// DefaultMaxChars is the default size of one Markdown part: under
// GitHub's limit of 65,536 characters for a comment.
const DefaultMaxChars = 65000

// MinMaxChars is the smallest part size Markdown accepts; a smaller
// MaxChars is raised to it.
const MinMaxChars = 2000

// DefaultTitle is the heading of a Markdown plan.
const DefaultTitle = "permsync plan"

// MarkdownOptions configure Markdown.
type MarkdownOptions struct {
	// MaxChars is the largest size of one part, in UTF-16 code units (the
	// largest of the usual ways of counting characters, bytes aside);
	// 0 means DefaultMaxChars.
	MaxChars int
	// Title is the heading; "" means DefaultTitle.
	Title string
	// MaxValueLen is as in TextOptions.
	MaxValueLen int
}

// Markdown renders the plan for pull-request comments: a heading, the
// summary line, the warnings and refusals, then for each kind a collapsed
// <details> section holding its changes in a ```diff block (the sign of
// each line in the first column, "!" for updates, so that GitHub colours
// them). When the whole is larger than MaxChars it is split into parts,
// each one comment; a change is never split across parts, and every part
// after the first says "(continued, part 2 of 3)". A single change larger
// than a part is cut, saying how many lines were left out.
func Markdown(p *plan.Plan, o MarkdownOptions) []string {
	maxChars := o.MaxChars
	if maxChars == 0 {
		maxChars = DefaultMaxChars
	}
	maxChars = max(maxChars, MinMaxChars)
	title := o.Title
	if title == "" {
		title = DefaultTitle
	}
	title = escapeHTML(cleanLine(title))
	maxLen := valueLen(o.MaxValueLen)

	s := Counts(p)
	kinds, byKind := groups(p)
	intro := fitLines(markdownIntro(p, s), maxChars/2, func(n int) string {
		return fmt.Sprintf("> … (%s not shown; run `permsync plan` for all of them)", plural(n, "more line"))
	})

	var sections []mdSection
	for _, k := range kinds {
		sec := mdSection{kind: k, phrase: kindPhrase(s.ByKind[k])}
		var all []string
		for _, c := range byKind[k] {
			ls := markdownLines(c, maxLen)
			sec.blocks = append(sec.blocks, ls)
			all = append(all, ls...)
		}
		sec.fence = fenceFor(all)
		sections = append(sections, sec)
	}

	for digits := 1; ; digits++ {
		most := 1
		for range digits {
			most *= 10
		}
		most--
		bodies := packParts(intro, sections, maxChars, title, most)
		if len(bodies) > most {
			continue
		}
		n := len(bodies)
		parts := make([]string, n)
		for i, b := range bodies {
			parts[i] = strings.TrimRight(partTitle(title, i+1, n)+b, "\n") + "\n"
		}
		return parts
	}
}

// mdSection is one kind's changes, each a block of lines.
type mdSection struct {
	kind   plan.Kind
	phrase string
	fence  string
	blocks [][]string
}

func (s *mdSection) open(continued bool) string {
	summary := string(s.kind) + " (" + s.phrase + ")"
	if continued {
		summary += " (continued)"
	}
	return "<details><summary>" + escapeHTML(summary) + "</summary>\n\n" + s.fence + "diff\n"
}

func (s *mdSection) close() string { return s.fence + "\n\n</details>\n\n" }

func partTitle(title string, i, n int) string {
	switch {
	case n == 1:
		return "### " + title + "\n\n"
	case i == 1:
		return fmt.Sprintf("### %s (part 1 of %d)\n\n", title, n)
	}
	return fmt.Sprintf("### %s (continued, part %d of %d)\n\n", title, i, n)
}

// packParts fills parts with the intro and the sections' blocks, leaving
// room in each for a title of a plan of up to most parts. It returns each
// part's text after its title.
func packParts(intro []string, sections []mdSection, maxChars int, title string, most int) []string {
	firstBudget := maxChars - width(partTitle(title, 1, most))
	restBudget := maxChars - width(partTitle(title, most, most))

	var parts []string
	var cur strings.Builder
	curW, budget, hasBlocks := 0, firstBudget, false
	write := func(s string) { cur.WriteString(s); curW += width(s) }
	if len(intro) > 0 {
		write(strings.Join(intro, "\n") + "\n\n")
	}
	flush := func() {
		parts = append(parts, cur.String())
		cur.Reset()
		curW, budget, hasBlocks = 0, restBudget, false
	}

	for i := range sections {
		sec := &sections[i]
		blockBudget := restBudget - width(sec.open(true)) - width(sec.close())
		open, continued := false, false
		for _, ls := range sec.blocks {
			block := strings.Join(fitLines(ls, blockBudget-1, func(n int) string {
				return fmt.Sprintf("  # … (%s of this change not shown; run `permsync plan` for all of it)", plural(n, "more line"))
			}), "\n") + "\n"
			need := width(block) + width(sec.close())
			if open {
				need++ // the blank line between changes
			} else {
				need += width(sec.open(continued))
			}
			if curW+need > budget && (hasBlocks || len(parts) == 0) {
				if open {
					write(sec.close())
				}
				flush()
				open, continued = false, true
			}
			if open {
				write("\n")
			} else {
				write(sec.open(continued))
				open = true
			}
			write(block)
			hasBlocks = true
		}
		if open {
			write(sec.close())
		}
	}
	if cur.Len() > 0 || len(parts) == 0 {
		parts = append(parts, cur.String())
	}
	return parts
}

// markdownIntro is the summary line, the warnings and the refusals.
func markdownIntro(p *plan.Plan, s Summary) []string {
	out := []string{"**" + s.Line() + "**"}
	if p == nil {
		return out
	}
	if len(p.Warnings) > 0 {
		out = append(out, "", "> [!WARNING]")
		for _, w := range p.Warnings {
			out = append(out, quoteItem(w)...)
		}
	}
	if len(p.Refusals) > 0 {
		out = append(out, "", "> [!CAUTION]", "> **This plan cannot be applied:**")
		for _, r := range p.Refusals {
			out = append(out, quoteItem(r.Message)...)
		}
	}
	return out
}

// quoteItem is a list item in a block quote, continuation lines indented.
func quoteItem(s string) []string {
	ls := cleanLines(s)
	out := []string{"> - " + escapeHTML(ls[0])}
	for _, l := range ls[1:] {
		out = append(out, ">   "+escapeHTML(l))
	}
	return out
}

// markdownLines lays out a change for a ```diff block: the line as Text
// shows it, with the sign moved to the first column ("!" for "~").
func markdownLines(c *plan.Change, maxLen int) []string {
	ls := changeLines(c, maxLen)
	out := make([]string, len(ls))
	for i, l := range ls {
		pad := 4*l.level + 3 - len(l.sign)
		switch l.sign {
		case "+", "-":
			out[i] = l.sign + strings.Repeat(" ", pad) + " " + l.body()
		case "~":
			out[i] = "!" + strings.Repeat(" ", pad) + " " + l.body()
		default:
			out[i] = strings.Repeat(" ", pad) + l.sign + " " + l.body()
		}
	}
	return out
}

// fenceFor returns a code fence longer than any run of backticks in the
// lines, so that no line can close the block.
func fenceFor(lines []string) string {
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

// fitLines keeps the lines that fit in budget (joined by newlines), and
// when some do not, ends with note(number left out). The first line is
// cut if even it does not fit.
func fitLines(ls []string, budget int, note func(int) string) []string {
	total := 0
	for i, l := range ls {
		if i > 0 {
			total++
		}
		total += width(l)
	}
	if total <= budget {
		return ls
	}
	var out []string
	used := 0
	for i, l := range ls {
		n := note(len(ls) - i)
		add := width(l)
		if i > 0 {
			add++
		}
		if used+add+1+width(n) > budget {
			if i == 0 {
				return []string{cutWidth(l, budget-1-width(note(len(ls)-1))), note(len(ls) - 1)}
			}
			return append(out, n)
		}
		out = append(out, l)
		used += add
	}
	return out
}

// cutWidth cuts s to at most w UTF-16 code units, ending it with "…".
func cutWidth(s string, w int) string {
	if w <= 1 {
		return "…"
	}
	var b strings.Builder
	used := 0
	for _, r := range s {
		rw := 1
		if r >= 0x10000 {
			rw = 2
		}
		if used+rw > w-1 {
			break
		}
		b.WriteRune(r)
		used += rw
	}
	return b.String() + "…"
}

// width counts UTF-16 code units.
func width(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func escapeHTML(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
