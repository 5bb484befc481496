// Package textsafe makes text that permsync did not write (a server's
// messages and names, the values of a plan) safe to print on a terminal
// or into a CI log.
//
// Two things are neutralised:
//
//   - control characters (escape sequences that clear a screen or move
//     the cursor, carriage returns and line feeds that forge a line of
//     output), bidirectional overrides and line separators are shown as
//     visible escapes: \n, \r, \t, \u001b, \u202e;
//   - CI workflow commands: GitHub Actions runs a line that starts with
//     "::" (after white space), Azure Pipelines and the older GitHub
//     syntax a "##vso[" or "##[" anywhere in a line. A leading "::" is
//     shown as "\u003a:" and the first "#" of "##[" or "##vso[" as
//     "\u0023", so that no such command survives.
//
// Ordinary text (no control character, no workflow command) comes out
// unchanged, byte for byte.
package textsafe

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Line returns s made safe to show within one line: line breaks and
// every other control character are escaped, and workflow commands are
// broken.
func Line(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	lead := true // only white space so far: a "::" here would start a line
	for i, r := range s {
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case needsEscape(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		case lead && r == ':' && strings.HasPrefix(s[i:], "::"):
			b.WriteString(`\u003a`)
		case r == '#' && azureCommandAt(s[i:]):
			b.WriteString(`\u0023`)
		default:
			b.WriteRune(r)
		}
		// An escape written above starts with a backslash: no command
		// can follow it at the start of the line.
		lead = lead && unicode.IsSpace(r) && !unicode.IsControl(r)
	}
	return b.String()
}

// Text is Line for text of several lines: the line feeds are kept, and
// every line is made safe as Line does (so none starts with a workflow
// command).
func Text(s string) string {
	if isPlain(s) {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Line(l)
	}
	return strings.Join(lines, "\n")
}

// JSON makes encoded JSON (the output of encoding/json) safe to print:
// the characters Line escapes that encoding/json leaves as they are (DEL,
// the C1 controls, bidirectional overrides) are written as \u escapes,
// and so is the first "#" of "##[" and "##vso[". The JSON means exactly
// what it meant: a decoder reads the same strings. A "::" cannot start a
// line of JSON: strings are quoted.
func JSON(b []byte) []byte {
	if isPlainBytes(b) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = append(out, b[i]) // not valid UTF-8: leave it to the encoder's caller
		case r >= 0x7f && needsEscape(r):
			out = fmt.Appendf(out, `\u%04x`, r)
		case r == '#' && azureCommandAt(string(b[i:min(len(b), i+len("##vso["))])):
			out = append(out, `\u0023`...)
		default:
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return out
}

// Unsafe lists the lines of out that hold what this package removes: a
// raw control character (a tab aside) or separator, a line that starts
// with "::" after white space, a "##[" or "##vso[" anywhere. Tests check
// output with it.
func Unsafe(out string) []string {
	var bad []string
	for _, l := range strings.Split(out, "\n") {
		for _, r := range l {
			if r != '\t' && needsEscape(r) {
				bad = append(bad, fmt.Sprintf("raw control character %U in %q", r, l))
				break
			}
		}
		if strings.HasPrefix(strings.TrimLeftFunc(l, unicode.IsSpace), "::") {
			bad = append(bad, fmt.Sprintf("line starts with a workflow command: %q", l))
		}
		if low := strings.ToLower(l); strings.Contains(low, "##vso[") || strings.Contains(low, "##[") {
			bad = append(bad, fmt.Sprintf("workflow command in %q", l))
		}
	}
	return bad
}

// needsEscape reports a character Line shows as a \u escape: a control
// character (C0, DEL, C1), a bidirectional control, or a line or
// paragraph separator.
func needsEscape(r rune) bool {
	return unicode.IsControl(r) || isBidi(r) || r == '\u2028' || r == '\u2029'
}

func isBidi(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C
}

// azureCommandAt reports whether s starts with "##[" or "##vso[" (in any
// case: the agents do not all compare it the same way).
func azureCommandAt(s string) bool {
	if !strings.HasPrefix(s, "##") {
		return false
	}
	rest := s[2:]
	return strings.HasPrefix(rest, "[") || (len(rest) >= 4 && strings.EqualFold(rest[:4], "vso["))
}

// isPlain reports text Line leaves as it is: printable ASCII and other
// characters that need no escape, no "##", and no leading "::".
func isPlain(s string) bool {
	if strings.Contains(s, "##") || strings.HasPrefix(strings.TrimLeftFunc(s, unicode.IsSpace), "::") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			return false
		}
		if c >= utf8.RuneSelf {
			for _, r := range s[i:] {
				if needsEscape(r) {
					return false
				}
			}
			return true
		}
	}
	return true
}

func isPlainBytes(b []byte) bool {
	for _, c := range b {
		if c >= 0x7f {
			return false
		}
	}
	return !strings.Contains(string(b), "##")
}
