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
}

// Markdown renders the plan for pull-request comments: a heading, the
// summary line, the warnings and refusals, then for each kind a collapsed
// <details> section holding its changes in a ```diff block (the sign of
// each line in the first column, "!" for updates, so that GitHub colours
// them). When the whole is larger than MaxChars it is split into parts,
// each one comment; a change is never split across parts, and every part
// after the first says "(continued, part 2 of 3)". Nothing is cut: a
// change that fits in a part is never split across parts; one larger
// than a part goes on in the next, which says whose lines follow, and so
// do warnings and refusals too many for the first part.
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

	s := Counts(p)
	kinds, byKind := groups(p)
	intro := markdownIntro(p, s)

	var sections []mdSection
	for _, k := range kinds {
		sec := mdSection{kind: k, phrase: kindPhrase(s.ByKind[k])}
		var all []string
		for _, c := range byKind[k] {
			ls := markdownLines(c)
			sec.blocks = append(sec.blocks, ls)
			sec.heads = append(sec.heads, string(c.Kind)+" "+cleanLine(c.Key))
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
	heads  []string // each block's change, as its header names it
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
	pk := &packer{budget: maxChars - width(partTitle(title, 1, most)), rest: maxChars - width(partTitle(title, most, most))}
	if len(intro) > 0 {
		if text := strings.Join(intro, "\n") + "\n\n"; width(text) <= pk.budget {
			pk.write(text)
		} else {
			for _, l := range intro {
				for _, piece := range chunkLine(l, pk.rest-2) {
					if !pk.room(width(piece) + 2) {
						pk.flush()
					}
					pk.write(piece + "\n")
				}
			}
			pk.write("\n")
		}
	}
	for i := range sections {
		sec := &sections[i]
		open, continued := false, false
		start := func() {
			pk.write(sec.open(continued))
			open = true
		}
		next := func() {
			if open {
				pk.write(sec.close())
			}
			pk.flush()
			open, continued = false, true
		}
		closeW := width(sec.close())
		for bi, ls := range sec.blocks {
			block := strings.Join(ls, "\n") + "\n"
			need := width(block) + closeW
			if open {
				need++ // the blank line between changes
			} else {
				need += width(sec.open(continued))
			}
			fresh := width(sec.open(true)) + width(block) + closeW
			switch {
			case pk.room(need):
			case fresh <= pk.rest && !pk.fresh:
				next()
			case fresh <= pk.rest:
			default:
				// Larger than a part: its lines go on in the next parts.
				note := "    # (" + sec.heads[bi] + ", continued)"
				if width(note) > pk.rest/4 {
					note = "    # (continued)"
				}
				lineBudget := pk.rest - width(sec.open(true)) - closeW - width(note) - 2
				if !pk.room(need - width(block) + width(ls[0]) + 1) {
					next()
				}
				if open {
					pk.write("\n")
				} else {
					start()
				}
				for _, l := range ls {
					opened := false
					for l != "" {
						avail := max(1, min(pk.budget-pk.used-1-closeW, lineBudget))
						if width(l) <= avail {
							pk.write(l + "\n")
							break
						}
						if avail < minPiece && !opened {
							next()
							start()
							pk.write(note + "\n")
							opened = true
							continue
						}
						opened = false
						var piece string
						piece, l = splitLine(l, avail)
						pk.write(piece + "\n")
					}
				}
				continue
			}
			if open {
				pk.write("\n")
			} else {
				start()
			}
			pk.write(block)
		}
		if open {
			pk.write(sec.close())
		}
	}
	return pk.done()
}

// packer fills parts of at most budget characters (rest after the first).
type packer struct {
	parts        []string
	cur          strings.Builder
	used, budget int
	rest         int
	// fresh is set while a part after the first holds nothing.
	fresh bool
}

func (p *packer) room(n int) bool { return p.used+n <= p.budget }

func (p *packer) write(s string) {
	p.cur.WriteString(s)
	p.used += width(s)
	p.fresh = false
}

func (p *packer) flush() {
	p.parts = append(p.parts, p.cur.String())
	p.cur.Reset()
	p.used, p.budget, p.fresh = 0, p.rest, true
}

func (p *packer) done() []string {
	if p.cur.Len() > 0 || len(p.parts) == 0 {
		p.parts = append(p.parts, p.cur.String())
	}
	return p.parts
}

// minPiece is the least room, in UTF-16 code units, worth starting a
// piece of a split line in; with less, the line goes on in the next part.
const minPiece = 40

// chunkLine splits a line wider than w UTF-16 code units into pieces that
// fit, each after the first marked as going on the line before (see
// splitLine). A line that fits is returned as it is.
func chunkLine(l string, w int) []string {
	var out []string
	for width(l) > w {
		var piece string
		piece, l = splitLine(l, w)
		out = append(out, piece)
	}
	return append(out, l)
}

// splitLine cuts from l a first piece of at most w UTF-16 code units (at
// least one character), and returns it and the rest, which begins with
// l's first character (its sign) and "↪", to say that it goes on the
// line before.
func splitLine(l string, w int) (string, string) {
	lead := ""
	used := 0
	for i, r := range l {
		if lead == "" {
			lead = string(r) + " ↪ "
		}
		rw := 1
		if r >= 0x10000 {
			rw = 2
		}
		if used+rw > w && i > 0 {
			return l[:i], lead + l[i:]
		}
		used += rw
	}
	return l, ""
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
func markdownLines(c *plan.Change) []string {
	ls := changeLines(c)
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
