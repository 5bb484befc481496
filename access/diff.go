package access

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/permsync/permsync/internal/textsafe"
)

// DiffFormat is the version of the JSON form of a Diff.
const DiffFormat = "permsync-access-diff/1"

// Diff is who gained and who lost what between two reports.
type Diff struct {
	Format string   `json:"format"`
	Old    DiffSide `json:"old"`
	New    DiffSide `json:"new"`
	// Gained are the grants of the new report that the old one lacks,
	// Lost those of the old one the new one lacks, by Grant.Key; Changed
	// are those of one key whose rights, expiry or row values changed.
	Gained  []Grant  `json:"gained"`
	Lost    []Grant  `json:"lost"`
	Changed []Change `json:"changed"`
	// Users are the users of the changes, sorted.
	Users []User `json:"users"`
}

// DiffSide names one report of a diff.
type DiffSide struct {
	Name      string `json:"name,omitempty"`
	Source    Source `json:"source"`
	Generated string `json:"generated,omitempty"`
}

// Change is one grant whose rights, expiry or row values changed.
type Change struct {
	Old  Grant    `json:"old"`
	New  Grant    `json:"new"`
	What []string `json:"what"`
}

// Empty reports whether nothing changed.
func (d *Diff) Empty() bool { return len(d.Gained)+len(d.Lost)+len(d.Changed) == 0 }

// DiffReports compares two finished reports: a grant is the same grant on
// both sides when its key is. Between two comparisons of the files and the
// server, a status that changed (files only → same on the server) is a
// change too.
func DiffReports(old, cur *Report, oldName, newName string) *Diff {
	d := &Diff{Format: DiffFormat,
		Old:    DiffSide{Name: oldName, Source: old.Source, Generated: old.Generated},
		New:    DiffSide{Name: newName, Source: cur.Source, Generated: cur.Generated},
		Gained: []Grant{}, Lost: []Grant{}, Changed: []Change{}, Users: []User{}}
	users := map[string]bool{}
	i, j := 0, 0
	for i < len(old.Grants) || j < len(cur.Grants) {
		c := 0
		switch {
		case i == len(old.Grants):
			c = 1
		case j == len(cur.Grants):
			c = -1
		default:
			c = compareGrants(&old.Grants[i], &cur.Grants[j])
		}
		switch {
		case c < 0:
			d.Lost = append(d.Lost, old.Grants[i])
			users[old.Grants[i].User] = true
			i++
		case c > 0:
			d.Gained = append(d.Gained, cur.Grants[j])
			users[cur.Grants[j].User] = true
			j++
		default:
			if what := changes(&old.Grants[i], &cur.Grants[j]); len(what) > 0 {
				d.Changed = append(d.Changed, Change{Old: old.Grants[i], New: cur.Grants[j], What: what})
				users[cur.Grants[j].User] = true
			}
			i++
			j++
		}
	}
	for _, r := range []*Report{cur, old} {
		for _, u := range r.Users {
			if users[u.ID] {
				d.Users = append(d.Users, u)
				users[u.ID] = false
			}
		}
	}
	slices.SortFunc(d.Users, func(a, b User) int { return strings.Compare(a.ID, b.ID) })
	return d
}

// changes says what changed of one grant, in words.
func changes(a, b *Grant) []string {
	var out []string
	if !slices.Equal(a.Rights, b.Rights) {
		out = append(out, "rights "+listOrNone(a.Rights)+" → "+listOrNone(b.Rights))
	}
	if PathText(a.Path) != PathText(b.Path) || a.Expires != b.Expires {
		out = append(out, PathText(a.Path)+" → "+PathText(b.Path))
	}
	if a.Rule != nil && b.Rule != nil {
		if ta, tb := RuleText(a.Rule), RuleText(b.Rule); ta != tb {
			out = append(out, ta+" → "+tb)
		}
	}
	// Two comparisons (files and server): a grant the server came to show
	// as the files say, or that drifted from them.
	if a.Status != "" && b.Status != "" && a.Status != b.Status {
		out = append(out, a.Status.Label()+" → "+b.Status.Label())
	}
	return out
}

// WriteJSON writes the diff as indented JSON (DiffFormat).
func (d *Diff) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return fmt.Errorf("write access diff JSON: %w", err)
	}
	return nil
}

// WriteText writes the diff for a terminal: a summary, then per user the
// grants gained (+), lost (-) and changed (~), sorted. Every name is
// escaped (textsafe.Line).
func (d *Diff) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("Access changes from %s to %s\n", sideText(d.Old), sideText(d.New))
	if d.Empty() {
		ew.printf("No changes.\n")
		return ew.err
	}
	ew.printf("%d gained, %d lost, %d changed, for %d %s.\n", len(d.Gained), len(d.Lost), len(d.Changed), len(d.Users), plural(len(d.Users), "user", "users"))
	type line struct {
		g    *Grant
		mark string
		text string
	}
	byUser := map[string][]line{}
	for i := range d.Gained {
		g := &d.Gained[i]
		byUser[g.User] = append(byUser[g.User], line{g, "+", textsafe.Line(WhatText(g)) + " — " + textsafe.Line(PathText(g.Path))})
	}
	for i := range d.Lost {
		g := &d.Lost[i]
		byUser[g.User] = append(byUser[g.User], line{g, "-", textsafe.Line(WhatText(g)) + " — " + textsafe.Line(PathText(g.Path))})
	}
	for i := range d.Changed {
		c := &d.Changed[i]
		text := textsafe.Line(c.New.Target) + " — "
		if PathText(c.Old.Path) == PathText(c.New.Path) {
			text += textsafe.Line(PathText(c.New.Path)) + ": "
		}
		text += textsafe.Line(strings.Join(c.What, "; "))
		byUser[c.New.User] = append(byUser[c.New.User], line{&c.New, "~", text})
	}
	for _, u := range d.Users {
		lines := byUser[u.ID]
		if len(lines) == 0 {
			continue
		}
		idx := make([]int, len(lines))
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int {
			if c := compareGrants(lines[a].g, lines[b].g); c != 0 {
				return c
			}
			return strings.Compare(lines[a].mark, lines[b].mark)
		})
		ew.printf("\n%s\n", userText(&u))
		for _, i := range idx {
			l := lines[i]
			space := ""
			if l.g.Space != "" {
				space = textsafe.Line(l.g.Space) + "  "
			}
			ew.printf("  %s %s%s %s\n", l.mark, space, LabelOf(l.g), l.text)
		}
	}
	return ew.err
}

func sideText(s DiffSide) string {
	out := textsafe.Line(s.Name)
	if out == "" {
		out = "the report"
	}
	var about []string
	if s.Source != "" {
		about = append(about, sourceWord(s.Source))
	}
	if s.Generated != "" {
		about = append(about, textsafe.Line(s.Generated))
	}
	if len(about) > 0 {
		out += " (" + strings.Join(about, ", ") + ")"
	}
	return out
}

func sourceWord(s Source) string {
	switch s {
	case SourceFiles:
		return "the files"
	case SourceServer:
		return "the server"
	case SourceBoth:
		return "the files and the server"
	}
	return textsafe.Line(string(s))
}
