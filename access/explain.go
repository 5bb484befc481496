package access

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/permsync/permsync/internal/textsafe"
)

// ExplainFormat is the version of explain's JSON form.
const ExplainFormat = "permsync-explain/1"

// Explanation is what reaches one user, or whom one resource reaches.
type Explanation struct {
	Format    string `json:"format"`
	Provider  string `json:"provider"`
	Source    Source `json:"source"`
	Generated string `json:"generated,omitempty"`
	// User is the user explained (explain USER).
	User *User `json:"user,omitempty"`
	// Resource is what was asked for (explain --resource), and Space the
	// space it was looked for in ("" every space).
	Resource string `json:"resource,omitempty"`
	Space    string `json:"space,omitempty"`
	// Users are the users the grants reach (explain --resource), sorted.
	Users  []User   `json:"users,omitempty"`
	Notes  []string `json:"notes,omitempty"`
	Grants []Grant  `json:"grants"`

	departments []Department
	zone        string
	spaceLabel  string
	domainLabel string
}

func (r *Report) explanation() *Explanation {
	return &Explanation{Format: ExplainFormat, Provider: r.Provider, Source: r.Source, Generated: r.Generated,
		Notes: r.Notes, Grants: []Grant{}, departments: r.Departments, zone: r.Zone, spaceLabel: r.SpaceLabel, domainLabel: r.DomainLabel}
}

// NotFoundError is an explain of a user or a resource no grant names.
type NotFoundError struct {
	What, Name string
	// Near are names of that kind that look like it, sorted.
	Near []string
}

func (e *NotFoundError) Error() string {
	msg := fmt.Sprintf("no %s %q in the report", e.What, e.Name)
	if len(e.Near) > 0 {
		msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(quoteAll(e.Near), ", "))
	}
	return msg
}

func quoteAll(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// ForUser is every grant that reaches user id in a finished report.
func (r *Report) ForUser(id string) (*Explanation, error) {
	u, ok := r.UserByID(id)
	if !ok {
		return nil, &NotFoundError{What: "user", Name: id, Near: r.nearUsers(id)}
	}
	e := r.explanation()
	e.User = &u
	lo := sort.Search(len(r.Grants), func(i int) bool { return r.Grants[i].User >= id })
	for i := lo; i < len(r.Grants) && r.Grants[i].User == id; i++ {
		e.Grants = append(e.Grants, r.Grants[i])
	}
	return e, nil
}

// nearUsers are up to 5 users whose id or name holds name, or whose id
// differs from it only in letter case.
func (r *Report) nearUsers(name string) []string {
	low := strings.ToLower(name)
	var out []string
	for _, u := range r.Users {
		if low != "" && (strings.Contains(strings.ToLower(u.ID), low) || strings.Contains(strings.ToLower(u.Name), low)) {
			out = append(out, u.ID)
			if len(out) == 5 {
				break
			}
		}
	}
	return out
}

// ForResource is every grant whose target answers to name (a role or data
// permission by name or "folder/name", a resource by "TYPE path", path,
// last name or id, a group, a rule's table or connection), or that is
// granted through something of that name (a role's resources, a data
// permission's rules, what a group or a department grants), in space
// (every space when ""), grouped by target.
func (r *Report) ForResource(name, space string) (*Explanation, error) {
	name = strings.TrimSpace(name)
	e := r.explanation()
	e.Resource, e.Space = name, space
	users := map[string]bool{}
	for i := range r.Grants {
		g := &r.Grants[i]
		if space != "" && g.Space != space {
			continue
		}
		if answersTo(g, name) {
			e.Grants = append(e.Grants, *g)
			users[g.User] = true
		}
	}
	if len(e.Grants) == 0 {
		what := "resource"
		if space != "" {
			what = "resource of " + space
		}
		return nil, &NotFoundError{What: what, Name: name, Near: r.nearTargets(name, space)}
	}
	sort.SliceStable(e.Grants, func(i, j int) bool {
		a, b := &e.Grants[i], &e.Grants[j]
		if a.Space != b.Space {
			return a.Space < b.Space
		}
		if a.Kind != b.Kind {
			return kindOrder[a.Kind] < kindOrder[b.Kind]
		}
		if a.Target != b.Target {
			return a.Target < b.Target
		}
		if fa, fb := ruleFields(a), ruleFields(b); fa != fb {
			return fa < fb
		}
		return a.User < b.User
	})
	for _, u := range r.Users {
		if users[u.ID] {
			e.Users = append(e.Users, u)
		}
	}
	return e, nil
}

func ruleFields(g *Grant) string {
	if g.Rule == nil {
		return ""
	}
	return g.Rule.Type + "\x00" + strings.Join(g.Rule.Fields, "\x01")
}

// answersTo reports whether a grant's target answers to name, or a link
// of its path does (what a role, a data permission, a group or a
// department grants).
func answersTo(g *Grant, name string) bool {
	for _, n := range targetNames(g) {
		if n == name {
			return true
		}
	}
	for _, s := range g.Path {
		if s.Name == "" {
			continue
		}
		if s.Name == name || GroupRef(g.Space, s.Name) == name {
			return true
		}
		if i := strings.LastIndex(s.Name, "/"); i >= 0 && s.Name[i+1:] == name {
			return true
		}
	}
	return false
}

// targetNames are the names a grant's target answers to.
func targetNames(g *Grant) []string {
	t := g.Target
	out := []string{t, GroupRef(g.Space, t)}
	if i := strings.LastIndex(t, "/"); i >= 0 {
		out = append(out, t[i+1:])
	}
	if g.Kind == KindResource {
		// "TYPE path" or "TYPE #id": the path, its last name, the id.
		if _, rest, ok := strings.Cut(t, " "); ok {
			out = append(out, rest, strings.TrimPrefix(rest, "#"))
			if i := strings.LastIndex(rest, "/"); i >= 0 {
				out = append(out, rest[i+1:])
			}
		}
	}
	if g.Rule != nil {
		if g.Rule.Table != "" {
			out = append(out, g.Rule.Table)
		}
		if g.Rule.Name != "" {
			out = append(out, g.Rule.Name)
		}
		if g.Rule.Type == "table" {
			// A table rule restricts the tables it names.
			out = append(out, g.Rule.Values...)
		}
		if g.Rule.Connection != "" {
			out = append(out, g.Rule.Connection)
		}
	}
	return out
}

// nearTargets are up to 5 targets that hold name, for a message.
func (r *Report) nearTargets(name, space string) []string {
	low := strings.ToLower(name)
	seen := map[string]bool{}
	var out []string
	for i := range r.Grants {
		g := &r.Grants[i]
		if space != "" && g.Space != space || seen[g.Target] || low == "" {
			continue
		}
		if strings.Contains(strings.ToLower(g.Target), low) {
			seen[g.Target] = true
			out = append(out, g.Target)
		}
	}
	sort.Strings(out)
	if len(out) > 5 {
		out = out[:5]
	}
	return out
}

// WriteJSON writes the explanation as indented JSON (ExplainFormat).
func (e *Explanation) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		return fmt.Errorf("write explain JSON: %w", err)
	}
	return nil
}

// WriteText writes the explanation for a terminal: grouped by space,
// sorted, each grant on one line with its path, and with a comparison the
// status of the grants that are not the same on both sides. Every name
// is escaped (textsafe.Line).
func (e *Explanation) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	rep := &Report{Generated: e.Generated, Zone: e.zone, Departments: e.departments}
	now := rep.ExpiredAt()
	switch {
	case e.User != nil:
		ew.printf("User %s\n", userText(e.User))
		if len(e.User.Departments) > 0 {
			var ds []string
			for _, d := range e.User.Departments {
				if n := rep.DepartmentName(d); n != "" && n != d {
					ds = append(ds, d+" ("+n+")")
				} else {
					ds = append(ds, d)
				}
			}
			ew.printf("Departments: %s\n", textsafe.Line(strings.Join(ds, ", ")))
		}
		if len(e.User.Groups) > 0 {
			ew.printf("Groups: %s\n", textsafe.Line(strings.Join(e.User.Groups, ", ")))
		}
		if e.User.Left {
			ew.printf("The user has left (cannot log in).\n")
		}
	default:
		where := ""
		if e.Space != "" {
			where = " in " + textsafe.Line(e.Space)
		}
		ew.printf("Resource %s%s: reaches %d %s\n", textsafe.Line(e.Resource), where, len(e.Users), plural(len(e.Users), "user", "users"))
	}
	ew.printf("Source: %s\n", sourceText(e.Source))
	for _, n := range e.Notes {
		ew.printf("Note: %s\n", textsafe.Line(n))
	}
	if e.User != nil {
		e.writeUserGrants(ew, rep, now)
	} else {
		e.writeResourceGrants(ew, rep, now)
	}
	return ew.err
}

func (e *Explanation) writeUserGrants(ew *errWriter, rep *Report, now time.Time) {
	space := "\x00"
	spaces, domain := 0, 0
	for i := range e.Grants {
		g := &e.Grants[i]
		if g.Space == "" {
			domain++
		}
		if g.Space != space {
			space = g.Space
			if space != "" {
				spaces++
			}
			ew.printf("\n%s\n", spaceHeading(e.spaceLabel, e.domainLabel, g.Space))
		}
		ew.printf("  %-16s %s — %s%s\n", LabelOf(g), textsafe.Line(WhatText(g)), textsafe.Line(PathText(g.Path)), suffix(rep, g, now))
	}
	if len(e.Grants) == 0 {
		ew.printf("\nNothing reaches this user.\n")
		return
	}
	label := e.spaceLabel
	if label == "" {
		label = "space"
	}
	if domain == 0 {
		ew.printf("\n%d %s in %d %s.\n", len(e.Grants), plural(len(e.Grants), "grant", "grants"), spaces, plural(spaces, label, label+"s"))
		return
	}
	dl := e.domainLabel
	if dl == "" {
		dl = "domain"
	}
	ew.printf("\n%d %s: %d %s-wide, %d in %d %s.\n", len(e.Grants), plural(len(e.Grants), "grant", "grants"), domain, dl,
		len(e.Grants)-domain, spaces, plural(spaces, label, label+"s"))
}

func (e *Explanation) writeResourceGrants(ew *errWriter, rep *Report, now time.Time) {
	names := map[string]string{}
	for _, u := range e.Users {
		names[u.ID] = u.Name
	}
	head := ""
	for i := range e.Grants {
		g := &e.Grants[i]
		h := g.Space + "\x00" + string(g.Kind) + "\x00" + g.Target + "\x00" + ruleFields(g)
		if h != head {
			head = h
			where := ""
			if g.Space != "" {
				label := e.spaceLabel
				if label == "" {
					label = "space"
				}
				where = " in " + label + " " + textsafe.Line(g.Space)
			}
			n := 0
			for j := i; j < len(e.Grants) && sameTarget(&e.Grants[j], g); j++ {
				n++
			}
			ew.printf("\n%s %s%s: %d %s\n", LabelOf(g), textsafe.Line(g.Target), where, n, plural(n, "grant", "grants"))
		}
		u := &User{ID: g.User, Name: names[g.User]}
		what := ""
		switch {
		case g.Kind == KindRule && g.Rule != nil:
			what = " — " + textsafe.Line(RuleText(g.Rule))
		case g.Kind == KindMember || len(g.Rights) > 0:
			what = " — " + textsafe.Line(strings.Join(g.Rights, ", "))
		}
		ew.printf("  %s%s — %s%s\n", userText(u), what, textsafe.Line(PathText(g.Path)), suffix(rep, g, now))
	}
}

func sameTarget(a, b *Grant) bool {
	return a.Space == b.Space && a.Kind == b.Kind && a.Target == b.Target && ruleFields(a) == ruleFields(b)
}

// suffix marks an expired grant and the status of a compared one.
func suffix(rep *Report, g *Grant, now time.Time) string {
	var s string
	if rep.Expired(g.Expires, now) {
		s += "  [expired]"
	}
	if g.Status != "" && g.Status != StatusSame {
		s += "  [" + g.Status.Label()
		if g.Note != "" {
			s += ": " + textsafe.Line(g.Note)
		}
		s += "]"
	}
	return s
}

func spaceHeading(label, domain, space string) string {
	if space == "" {
		if domain == "" {
			return "Domain"
		}
		return strings.ToUpper(domain[:1]) + domain[1:]
	}
	if label == "" {
		label = "space"
	}
	return strings.ToUpper(label[:1]) + label[1:] + " " + textsafe.Line(space)
}

func userText(u *User) string {
	if u.Name != "" && u.Name != u.ID {
		return textsafe.Line(u.ID) + " (" + textsafe.Line(u.Name) + ")"
	}
	return textsafe.Line(u.ID)
}

func sourceText(s Source) string {
	switch s {
	case SourceFiles:
		return "the files"
	case SourceServer:
		return "the server"
	case SourceBoth:
		return "the files and the server (marked where they differ; unmarked: the same on both)"
	}
	return textsafe.Line(string(s))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err != nil {
		return
	}
	_, e.err = fmt.Fprintf(e.w, format, args...)
}
