package render

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/permsync/permsync/plan"
)

// TextOptions configure Text.
type TextOptions struct {
	// Color adds ANSI colours: green for additions, yellow for updates, red
	// for removals. Callers set it only when writing to a terminal.
	Color bool
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
)

// Text writes the plan for a terminal, as Terraform shows its plans: the
// changes grouped by kind (in the order of the plan's kinds, each kind's changes in plan
// order), each with its attributes, then the summary line, the warnings
// and the reasons the plan cannot be applied. A plan with an action Text
// does not know is an error, and nothing is written.
func Text(w io.Writer, p *plan.Plan, o TextOptions) error {
	if err := checkActions(p); err != nil {
		return err
	}
	t := textWriter{color: o.Color}
	s := Counts(p)
	kinds, byKind := groups(p)

	if len(kinds) > 0 {
		t.legend(byKind)
		t.printf("permsync will perform the following actions:\n")
		for _, k := range kinds {
			t.printf("\n%s\n", t.paint(ansiBold, fmt.Sprintf("%s (%s):", k, kindPhrase(s.ByKind[k]))))
			for _, c := range byKind[k] {
				t.printf("\n")
				for _, l := range changeLines(c) {
					t.line(l)
				}
			}
		}
		t.printf("\n")
	}
	if s.HasChanges() {
		t.printf("%s%s\n", t.paint(ansiBold, "Plan:"), strings.TrimPrefix(s.Line(), "Plan:"))
	} else {
		t.printf("%s\n", t.paint(ansiGreen, s.Line()))
	}
	if p != nil {
		for _, warn := range p.Warnings {
			t.printf("\n")
			t.message(ansiYellow, "Warning:", cleanLines(warn))
		}
		switch len(p.Refusals) {
		case 0:
		case 1:
			t.printf("\n")
			t.message(ansiRed, "Error:", append([]string{"This plan cannot be applied: " + firstLine(p.Refusals[0].Message)},
				restLines(p.Refusals[0].Message)...))
		default:
			t.printf("\n")
			lines := []string{"This plan cannot be applied:"}
			for _, r := range p.Refusals {
				rl := cleanLines(r.Message)
				lines = append(lines, "  - "+rl[0])
				for _, more := range rl[1:] {
					lines = append(lines, "    "+more)
				}
			}
			t.message(ansiRed, "Error:", lines)
		}
	}
	if _, err := w.Write(t.buf.Bytes()); err != nil {
		return fmt.Errorf("render: write text plan: %w", err)
	}
	return nil
}

func firstLine(s string) string { return cleanLines(s)[0] }

func restLines(s string) []string {
	ls := cleanLines(s)
	for i := range ls[1:] {
		ls[i+1] = "  " + ls[i+1]
	}
	return ls[1:]
}

type textWriter struct {
	buf   bytes.Buffer
	color bool
}

func (t *textWriter) printf(format string, args ...any) { fmt.Fprintf(&t.buf, format, args...) }

func (t *textWriter) paint(code, s string) string {
	if !t.color {
		return s
	}
	return code + s + ansiReset
}

// paintSign colours a change's sign; a replace is red then green.
func (t *textWriter) paintSign(sign string) string {
	switch sign {
	case "+":
		return t.paint(ansiGreen, sign)
	case "-":
		return t.paint(ansiRed, sign)
	case "~":
		return t.paint(ansiYellow, sign)
	case "-/+":
		return t.paint(ansiRed, "-") + "/" + t.paint(ansiGreen, "+")
	}
	return sign
}

// line writes a change's line: the sign right-aligned in three columns,
// four more spaces for each level.
func (t *textWriter) line(l line) {
	indent := strings.Repeat(" ", 4*l.level+3-len(l.sign))
	t.printf("%s%s %s\n", indent, t.paintSign(l.sign), l.body())
}

// legend lists the symbols the plan uses, as Terraform's plans begin.
func (t *textWriter) legend(byKind map[plan.Kind][]*plan.Change) {
	used := map[plan.Action]bool{}
	reassert := false
	for _, cs := range byKind {
		for _, c := range cs {
			used[c.Action] = true
			reassert = reassert || isReassert(c)
		}
	}
	t.printf("Resource actions are indicated with the following symbols:\n")
	for _, e := range []struct {
		a    plan.Action
		text string
	}{
		{plan.Create, "create"},
		{plan.Update, "update in-place"},
		{plan.Delete, "destroy"},
		{plan.Replace, "destroy and then create replacement"},
	} {
		if used[e.a] {
			sign := actionSign(e.a)
			t.printf("%s%s %s\n", strings.Repeat(" ", 3-len(sign)), t.paintSign(sign), e.text)
		}
		if e.a == plan.Update && reassert {
			t.printf("  %s reassert: sent again as the files say (the server cannot show it)\n", t.paintSign("~"))
		}
	}
	t.printf("\n")
}

// message writes a warning or an error: a coloured label, then the text,
// continuation lines indented under it.
func (t *textWriter) message(code, label string, lines []string) {
	t.printf("%s %s\n", t.paint(ansiBold+code, label), lines[0])
	for _, l := range lines[1:] {
		t.printf("%s%s\n", strings.Repeat(" ", len(label)+1), l)
	}
}
