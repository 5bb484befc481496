package access

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed page/report.html
var pageHTML string

//go:embed page/report.css
var pageCSS string

//go:embed page/report.js
var pageJS string

// The numbers of one grant in the page's data (page/report.js reads them
// in this order).
const (
	pageSpace = iota
	pageKind
	pageWhat
	pagePath
	pageExpires
	pageRule
	pageStatus
	pageNote
	pageFlags
	pageWidth
)

// The categories of paths the page colours, in the order of its VIA list.
const (
	viaDirect = iota
	viaGroup
	viaDepartment
	viaDynamic
	viaWorkspaceRole
	viaRole
	viaDataPermission
	viaEveryone
	viaOther
)

// viaOf is the category of a path: dynamic when a dynamic attribute is
// on it, else that of its first link.
func viaOf(path []Step) int {
	for _, s := range path {
		if s.Kind == StepAttribute {
			return viaDynamic
		}
	}
	if len(path) == 0 {
		return viaDirect
	}
	switch path[0].Kind {
	case StepDirect:
		return viaDirect
	case StepGroup:
		return viaGroup
	case StepDepartment:
		return viaDepartment
	case StepWorkspaceRole:
		return viaWorkspaceRole
	case StepRole:
		return viaRole
	case StepDataPermission:
		return viaDataPermission
	case StepEveryone:
		return viaEveryone
	}
	return viaOther
}

var statusCodes = map[Status]int{StatusSame: 1, StatusDiffers: 2, StatusFilesOnly: 3, StatusServerOnly: 4, StatusUnshown: 5}

// soonWindow is how far ahead an expiry counts as soon.
const soonWindow = 30 * 24 * time.Hour

// WriteHTML writes the report as one self-contained page: inline CSS and
// JavaScript, the data inline as JSON, no request to anywhere (its
// Content-Security-Policy forbids them). The page is searchable by user
// and by what and path, filterable by space, group, department, data
// permission, kind, path and status, and shows a user's grants as
// explain does. Server text reaches the page only as JSON strings (which
// escape <, > and &) that the script sets as text, never as markup.
func WriteHTML(w io.Writer, r *Report) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	title := "permsync access report — " + r.Provider
	if r.Generated != "" {
		title += " — " + r.Generated
	}
	parts := []struct {
		mark string
		fill func() error
	}{
		{"{{TITLE}}", func() error { _, err := bw.WriteString(html.EscapeString(title)); return err }},
		{"{{CSS}}", func() error { _, err := bw.WriteString(pageCSS); return err }},
		{"{{DATA}}", func() error { return writePageData(bw, r) }},
		{"{{JS}}", func() error { _, err := bw.WriteString(pageJS); return err }},
	}
	rest := pageHTML
	for _, p := range parts {
		before, after, ok := strings.Cut(rest, p.mark)
		if !ok {
			return fmt.Errorf("write access HTML: the page has no %s", p.mark)
		}
		bw.WriteString(before)
		if err := p.fill(); err != nil {
			return fmt.Errorf("write access HTML: %w", err)
		}
		rest = after
	}
	bw.WriteString(rest)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write access HTML: %w", err)
	}
	return nil
}

// interner numbers strings; 0 is "".
type interner struct {
	idx  map[string]int
	strs []string
}

func newInterner() *interner {
	return &interner{idx: map[string]int{"": 0}, strs: []string{""}}
}

func (in *interner) id(s string) int {
	if i, ok := in.idx[s]; ok {
		return i
	}
	i := len(in.strs)
	in.idx[s] = i
	in.strs = append(in.strs, s)
	return i
}

func (in *interner) ids(list []string) []int {
	out := make([]int, len(list))
	for i, s := range list {
		out[i] = in.id(s)
	}
	return out
}

// ruleRef is the data permission or the named rule a grant belongs to,
// "space/name" ("space/table/name" for a named rule), or "".
func ruleRef(g *Grant) string {
	if g.Kind == KindRule && g.Rule != nil && g.Rule.Name != "" {
		return GroupRef(g.Space, g.Rule.Table+"/"+g.Rule.Name)
	}
	if g.Kind == KindDataPermission {
		return GroupRef(g.Space, g.Target)
	}
	if g.Kind == KindRule {
		for _, s := range g.Path {
			if s.Kind == StepDataPermission {
				return GroupRef(g.Space, s.Name)
			}
		}
	}
	return ""
}

type pageMeta struct {
	Provider    string   `json:"provider"`
	SourceText  string   `json:"sourceText"`
	Generated   string   `json:"generated,omitempty"`
	Zone        string   `json:"zone,omitempty"`
	SpaceLabel  string   `json:"spaceLabel"`
	DomainLabel string   `json:"domainLabel,omitempty"`
	Notes       []string `json:"notes,omitempty"`
	Compared    bool     `json:"compared"`
}

// writePageData writes the page's data: interned strings and numbers, so
// that a report of 50,000 users loads in a browser.
func writePageData(w *bufio.Writer, r *Report) error {
	in := newInterner()
	now := r.ExpiredAt()
	soon := now.Add(soonWindow)
	g := make([]int, 0, len(r.Grants)*pageWidth)
	start := make([]int, 0, len(r.Users)+1)
	spaces, groups, depts, rules, kinds := map[int]bool{}, map[int]bool{}, map[string]bool{}, map[int]bool{}, map[string]int{}
	gi := 0
	uid := make([]int, len(r.Users))
	uname := make([]int, len(r.Users))
	udepts := make([][]int, len(r.Users))
	ugroups := make([][]int, len(r.Users))
	uleft := make([]int, len(r.Users))
	for ui := range r.Users {
		u := &r.Users[ui]
		uid[ui], uname[ui] = in.id(u.ID), in.id(u.Name)
		udepts[ui], ugroups[ui] = in.ids(u.Departments), in.ids(u.Groups)
		for _, d := range u.Departments {
			depts[d] = true
		}
		for _, x := range ugroups[ui] {
			groups[x] = true
		}
		if u.Left {
			uleft[ui] = 1
		}
		start = append(start, gi)
		for ; gi < len(r.Grants) && r.Grants[gi].User == u.ID; gi++ {
			gr := &r.Grants[gi]
			label := LabelOf(gr)
			if _, ok := kinds[label]; !ok {
				kinds[label] = kindOrder[gr.Kind]
			}
			flags := viaOf(gr.Path) << 4
			if r.Expired(gr.Expires, now) {
				flags |= 1
			} else if gr.Expires != "" && r.Expired(gr.Expires, soon) {
				flags |= 2
			}
			rule := in.id(ruleRef(gr))
			if rule != 0 {
				rules[rule] = true
			}
			sp := in.id(gr.Space)
			if sp != 0 {
				spaces[sp] = true
			}
			g = append(g, sp, in.id(label), in.id(WhatText(gr)), in.id(PathText(gr.Path)), in.id(gr.Expires),
				rule, statusCodes[gr.Status], in.id(gr.Note), flags)
		}
	}
	if gi != len(r.Grants) {
		return fmt.Errorf("the report is not finished: grant %d of user %q has no user", gi, r.Grants[gi].User)
	}
	start = append(start, gi)
	for _, d := range r.Departments {
		depts[d.Code] = true
	}
	deptCodes := make([]string, 0, len(depts))
	for d := range depts {
		deptCodes = append(deptCodes, d)
	}
	sort.Strings(deptCodes)
	deptIDs := in.ids(deptCodes)
	deptNames := make([]int, len(deptCodes))
	for i, d := range deptCodes {
		deptNames[i] = in.id(r.DepartmentName(d))
	}
	kindList := make([]string, 0, len(kinds))
	for k := range kinds {
		kindList = append(kindList, k)
	}
	sort.Slice(kindList, func(i, j int) bool {
		if kinds[kindList[i]] != kinds[kindList[j]] {
			return kinds[kindList[i]] < kinds[kindList[j]]
		}
		return kindList[i] < kindList[j]
	})
	zone := r.Zone
	label := r.SpaceLabel
	if label == "" {
		label = "space"
	}
	meta := pageMeta{Provider: r.Provider, SourceText: sourceWord(r.Source), Generated: r.Generated, Zone: zone,
		SpaceLabel: label, DomainLabel: r.DomainLabel, Notes: r.Notes, Compared: r.Source == SourceBoth}

	pw := &pageWriter{w: w}
	pw.raw(`{"w":` + strconv.Itoa(pageWidth) + `,"meta":`)
	pw.json(meta)
	pw.raw(`,"users":{"id":`)
	pw.ints(uid)
	pw.raw(`,"name":`)
	pw.ints(uname)
	pw.raw(`,"depts":`)
	pw.intLists(udepts)
	pw.raw(`,"groups":`)
	pw.intLists(ugroups)
	pw.raw(`,"left":`)
	pw.ints(uleft)
	pw.raw(`,"start":`)
	pw.ints(start)
	pw.raw("},\n\"spaces\":")
	pw.ints(in.sortedIDs(spaces))
	pw.raw(`,"groups":`)
	pw.ints(in.sortedIDs(groups))
	pw.raw(`,"depts":`)
	pw.ints(deptIDs)
	pw.raw(`,"deptNames":`)
	pw.ints(deptNames)
	pw.raw(`,"rules":`)
	pw.ints(in.sortedIDs(rules))
	pw.raw(`,"kinds":`)
	pw.ints(in.ids(kindList))
	pw.raw(",\n\"g\":")
	pw.ints(g)
	// The strings last: every one is known only now.
	pw.raw(",\n\"s\":[")
	for i, s := range in.strs {
		if i > 0 {
			pw.raw(",")
			if i%64 == 0 {
				pw.raw("\n")
			}
		}
		pw.json(s)
	}
	pw.raw("]}")
	return pw.err
}

// sortedIDs are the ids of a set of interned strings, by their strings.
func (in *interner) sortedIDs(set map[int]bool) []int {
	out := make([]int, 0, len(set))
	for i := range set {
		out = append(out, i)
	}
	sort.Slice(out, func(a, b int) bool { return in.strs[out[a]] < in.strs[out[b]] })
	return out
}

// pageWriter writes JSON by hand, stopping at the first error.
type pageWriter struct {
	w   *bufio.Writer
	err error
	buf []byte
}

func (p *pageWriter) raw(s string) {
	if p.err == nil {
		_, p.err = p.w.WriteString(s)
	}
}

// json writes a value as JSON; encoding/json escapes <, > and & (and
// U+2028, U+2029), so no text can end the script element it is in.
func (p *pageWriter) json(v any) {
	if p.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		p.err = err
		return
	}
	_, p.err = p.w.Write(b)
}

func (p *pageWriter) ints(list []int) {
	if p.err != nil {
		return
	}
	p.buf = append(p.buf[:0], '[')
	for i, n := range list {
		if i > 0 {
			p.buf = append(p.buf, ',')
		}
		p.buf = strconv.AppendInt(p.buf, int64(n), 10)
		if len(p.buf) > 1<<16 {
			if _, p.err = p.w.Write(p.buf); p.err != nil {
				return
			}
			p.buf = p.buf[:0]
		}
	}
	p.buf = append(p.buf, ']')
	_, p.err = p.w.Write(p.buf)
}

func (p *pageWriter) intLists(lists [][]int) {
	p.raw("[")
	for i, l := range lists {
		if i > 0 {
			p.raw(",")
		}
		p.ints(l)
	}
	p.raw("]")
}
