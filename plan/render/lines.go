package render

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/permsync/permsync/internal/textsafe"
	"github.com/permsync/permsync/plan"
)

// inlineWidth is the most terminal columns a list item or a value takes
// on its line; a longer list or object is laid out over several lines,
// element by element. Nothing is ever cut: a value that cannot be split (a
// long string) is shown whole on its line.
const inlineWidth = 100

// lineKind says how a line of a change is laid out.
type lineKind int

const (
	lineHeader   lineKind = iota // "+ user alice@corp.com"
	lineReason                   // "# (reason)"
	lineAssign                   // "+ name = value"; sign "" for unchanged context
	lineModify                   // "~ name: before → after"
	lineListHead                 // "~ name:", "~ [2]:" (a list element)
	lineItem                     // "+ item" under a list head
	lineNote                     // "# (3 unchanged attributes hidden)"
)

// line is one line of a rendered change, independent of the format.
type line struct {
	kind  lineKind
	sign  string // "+", "-", "~", "-/+", "#", "?", or "" (unchanged context)
	name  string // attribute name (assign, modify, list head)
	text  string // header, reason, item or note text; assign and modify values; list head: what follows the ":"
	after string // modify: the value after
	pad   int    // assign: spaces after the name, to align the "="
	level int    // indentation: 0 header, 1 attributes, 2 list items, and one more for each nested value
}

// body is the line without its sign and indentation.
func (l line) body() string {
	switch l.kind {
	case lineAssign:
		return l.name + strings.Repeat(" ", l.pad) + " = " + l.text
	case lineModify:
		return l.name + ": " + l.text + " → " + l.after
	case lineListHead:
		if l.text != "" {
			return l.name + ": " + l.text
		}
		return l.name + ":"
	}
	return l.text
}

// reassertReason begins the reason of an update that only sends again
// facets the server cannot show (the words of diff.ReassertReason).
const reassertReason = "reassert: "

// isReassert reports whether c only re-asserts facets the server cannot
// show: it is shown as "~ reassert kind key", so that a reviewer tells
// what is sent again from what changed.
func isReassert(c *plan.Change) bool {
	return c.Action == plan.Update && strings.HasPrefix(c.Reason, reassertReason)
}

func actionSign(a plan.Action) string {
	switch a {
	case plan.Create:
		return "+"
	case plan.Update:
		return "~"
	case plan.Delete:
		return "-"
	case plan.Replace:
		return "-/+"
	}
	return "?"
}

// beforeUnknown is what a change shows as the earlier value of a
// write-only attribute the state keeps only a fingerprint of.
const beforeUnknown = "(before unknown)"

// changeLines lays out one change: a header, its reason, then its
// attributes (all of them for a create or delete, only the changed ones
// for an update or replace). Lists are shown as the items added and
// removed, and a long item or value element by element, down to what
// changed in it; no value is cut.
func changeLines(c *plan.Change) []line {
	header := string(c.Kind) + " " + cleanLine(c.Key)
	if isReassert(c) {
		header = "reassert " + header
	}
	out := []line{{kind: lineHeader, sign: actionSign(c.Action), text: header}}
	if c.Reason != "" {
		out = append(out, line{kind: lineReason, sign: "#", text: "(" + cleanLine(c.Reason) + ")", level: 1})
	}
	switch c.Action {
	case plan.Create:
		for _, name := range sortedNames(c.After) {
			if isEmpty(c.After[name]) {
				continue // an empty value of a new object says nothing to a reviewer
			}
			out = append(out, whole("+", name, c.After[name], 1, true)...)
		}
	case plan.Delete:
		for _, name := range sortedNames(c.Before) {
			out = append(out, whole("-", name, c.Before[name], 1, true)...)
		}
	default:
		unknown := map[string]bool{}
		for _, n := range c.BeforeUnknown {
			unknown[n] = true
		}
		out = append(out, changed(c.Shown(), c.After, unknown)...)
	}
	alignAssigns(out)
	return out
}

// changed lays out the attributes that differ between before and after;
// those in unknown have no before (the state keeps only a fingerprint).
func changed(before, after plan.Attrs, unknown map[string]bool) []line {
	names := map[string]bool{}
	for _, n := range sortedNames(before) {
		names[n] = true
	}
	for _, n := range sortedNames(after) {
		names[n] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	var out []line
	hidden := 0
	for _, name := range sorted {
		b, inBefore := before[name]
		a, inAfter := after[name]
		switch {
		case !inBefore && isEmpty(a):
			hidden++ // nothing known before, nothing after: no news
		case !inBefore && unknown[name]:
			out = append(out, unknownLines(name, a, 1)...)
		case !inBefore:
			out = append(out, whole("+", name, a, 1, true)...)
		case !inAfter:
			out = append(out, whole("-", name, b, 1, true)...)
		case canonical(b) == canonical(a):
			hidden++
		default:
			out = append(out, valueDiff(name, b, a, 1, false)...)
		}
	}
	if hidden > 0 {
		out = append(out, line{kind: lineNote, sign: "#", text: "(" + plural(hidden, "unchanged attribute") + " hidden)", level: 1})
	}
	return out
}

// unknownLines lays out a write-only attribute set again whose earlier
// value is unknown: "~ name: (before unknown) → value", or, for a list or
// a long value, what is set under "~ name: (before unknown)".
func unknownLines(name string, raw json.RawMessage, level int) []line {
	items, isList := listItems(raw)
	if !isList && (fits(formatValue(raw)) || !isContainer(raw)) {
		return []line{{kind: lineModify, sign: "~", name: cleanLine(name), text: beforeUnknown, after: formatValue(raw), level: level}}
	}
	head := line{kind: lineListHead, sign: "~", name: cleanLine(name), text: beforeUnknown, level: level}
	if isList {
		return append([]line{head}, listLines("+", items, level+1, true)...)
	}
	return append([]line{head}, expand("+", raw, level+1)...)
}

// whole lays out an attribute (top) or a field that is added or removed
// as a whole: an attribute's list item by item, sorted by their text;
// anything else on one line when it fits, otherwise a list item by item
// and an object field by field.
func whole(sign, name string, raw json.RawMessage, level int, top bool) []line {
	items, isList := listItems(raw)
	text := formatValue(raw)
	if isList && len(items) > 0 && (top || !fits(text)) {
		return append([]line{{kind: lineListHead, sign: sign, name: cleanLine(name), level: level}}, listLines(sign, items, level+1, top)...)
	}
	if isList || fits(text) || !isContainer(raw) {
		return []line{{kind: lineAssign, sign: sign, name: cleanLine(name), text: text, level: level}}
	}
	return append([]line{{kind: lineListHead, sign: sign, name: cleanLine(name), level: level}}, expand(sign, raw, level+1)...)
}

// listLines lays out the items of a list added or removed as a whole;
// sorted by their text when sorted is set, otherwise in their order.
func listLines(sign string, items []json.RawMessage, level int, sorted bool) []line {
	type entry struct {
		key   string
		lines []line
	}
	entries := make([]entry, len(items))
	for i, it := range items {
		entries[i] = entry{key: formatItem(it), lines: element(sign, i, it, level)}
	}
	if sorted {
		sort.SliceStable(entries, func(i, j int) bool { return entries[i].key < entries[j].key })
	}
	var out []line
	for _, e := range entries {
		out = append(out, e.lines...)
	}
	return out
}

// element lays out list element i: on one line when it fits, otherwise
// under "[i]:", field by field or item by item.
func element(sign string, i int, raw json.RawMessage, level int) []line {
	text := formatItem(raw)
	if fits(text) || !isContainer(raw) {
		return []line{{kind: lineItem, sign: sign, text: text, level: level}}
	}
	return append([]line{{kind: lineListHead, sign: sign, name: "[" + strconv.Itoa(i) + "]", level: level}}, expand(sign, raw, level+1)...)
}

// expand lays out what a list or an object holds, added or removed:
// fields in key order, items in their order.
func expand(sign string, raw json.RawMessage, level int) []line {
	if items, ok := listItems(raw); ok {
		return listLines(sign, items, level, false)
	}
	m, ok := objectFields(raw)
	if !ok {
		return []line{{kind: lineItem, sign: sign, text: formatValue(raw), level: level}}
	}
	var out []line
	for _, k := range sortedKeys(m) {
		out = append(out, whole(sign, k, m[k], level, false)...)
	}
	return out
}

// valueDiff lays out an attribute or field whose value changed. Two lists
// are shown as the items removed and added; two objects within a list
// element, or that do not both fit on a line, as the fields that changed;
// anything else as "before → after", or, when either is too long for a
// line, as the value removed and the value added.
func valueDiff(name string, b, a json.RawMessage, level int, nested bool) []line {
	head := line{kind: lineListHead, sign: "~", name: cleanLine(name), level: level}
	bi, bList := listItems(b)
	ai, aList := listItems(a)
	if bList && aList {
		return append([]line{head}, listDiff(bi, ai, level+1, nested)...)
	}
	bv, av := formatValue(b), formatValue(a)
	bm, bObj := objectFields(b)
	am, aObj := objectFields(a)
	if bObj && aObj && (nested || !fits(bv) || !fits(av)) {
		return append([]line{head}, objectDiff(bm, am, level+1, nested)...)
	}
	if fits(bv) && fits(av) {
		return []line{{kind: lineModify, sign: "~", name: cleanLine(name), text: bv, after: av, level: level}}
	}
	out := []line{head}
	out = append(out, replaced("-", b, level+1)...)
	return append(out, replaced("+", a, level+1)...)
}

// replaced lays out one side of a value replaced by one of another kind
// or too long to show on one line with the other.
func replaced(sign string, raw json.RawMessage, level int) []line {
	text := formatValue(raw)
	if fits(text) || !isContainer(raw) {
		return []line{{kind: lineItem, sign: sign, text: text, level: level}}
	}
	what := "(before)"
	if sign == "+" {
		what = "(after)"
	}
	return append([]line{{kind: lineListHead, sign: sign, name: what, level: level}}, expand(sign, raw, level+1)...)
}

// objectDiff lays out the fields of an object that changed: those added
// and removed whole, those changed as valueDiff shows them. Within a list
// element (context), the unchanged fields that fit on a line are shown,
// unsigned, so that a reviewer knows which element it is (its table, its
// field); the others are counted.
func objectDiff(b, a map[string]json.RawMessage, level int, context bool) []line {
	keys := map[string]bool{}
	for k := range b {
		keys[k] = true
	}
	for k := range a {
		keys[k] = true
	}
	var out []line
	hidden := 0
	for _, k := range sortedKeys(keysOf(keys)) {
		bv, inB := b[k]
		av, inA := a[k]
		switch {
		case !inB:
			out = append(out, whole("+", k, av, level, false)...)
		case !inA:
			out = append(out, whole("-", k, bv, level, false)...)
		case canonical(bv) == canonical(av):
			if text := formatValue(av); context && fits(text) {
				out = append(out, line{kind: lineAssign, name: cleanLine(k), text: text, level: level})
			} else {
				hidden++
			}
		default:
			out = append(out, valueDiff(k, bv, av, level, true)...)
		}
	}
	if hidden > 0 {
		out = append(out, line{kind: lineNote, sign: "#", text: "(" + plural(hidden, "unchanged field") + " hidden)", level: level})
	}
	return out
}

// listDiff lays out the items removed from and added to a list, as
// multisets. An item removed and one added that are alike (lists or
// objects with fields in common) are paired and shown under "~ [i]:"
// as what changed between them: objects within a list element always,
// lists and an attribute's items when either is too long for its line. Entries are
// sorted by their text, removals first on a tie; a pair sorts as its
// removed item. Unchanged items are counted.
func listDiff(before, after []json.RawMessage, level int, nested bool) []line {
	left := map[string]int{}
	for _, it := range before {
		left[canonical(it)]++
	}
	type item struct {
		sign  string
		index int
		raw   json.RawMessage
		text  string
	}
	var added, removed []item
	unchanged := 0
	for i, it := range after {
		k := canonical(it)
		if left[k] > 0 {
			left[k]--
			unchanged++
			continue
		}
		added = append(added, item{sign: "+", index: i, raw: it, text: formatItem(it)})
	}
	for i, it := range before {
		k := canonical(it)
		if left[k] > 0 {
			left[k]--
			removed = append(removed, item{sign: "-", index: i, raw: it, text: formatItem(it)})
		}
	}
	type entry struct {
		key, sign, text string
		lines           []line
	}
	var entries []entry
	pairedAdd := make([]bool, len(added))
	for _, r := range removed {
		best, bestScore := -1, 0
		for j, a := range added {
			// Short lists (a path of values) read best whole, so do an
			// attribute's short items.
			short := fits(r.text) && fits(a.text)
			if pairedAdd[j] || short && (!nested || isList(r.raw)) {
				continue
			}
			if s := likeness(r.raw, a.raw); s > bestScore {
				best, bestScore = j, s
			}
		}
		if best < 0 {
			entries = append(entries, entry{key: r.text, sign: "-", text: r.text, lines: element("-", r.index, r.raw, level)})
			continue
		}
		pairedAdd[best] = true
		a := added[best]
		head := line{kind: lineListHead, sign: "~", name: "[" + strconv.Itoa(a.index) + "]", level: level}
		var inner []line
		if bi, ok := listItems(r.raw); ok {
			ai, _ := listItems(a.raw)
			inner = listDiff(bi, ai, level+1, true)
		} else {
			bm, _ := objectFields(r.raw)
			am, _ := objectFields(a.raw)
			inner = objectDiff(bm, am, level+1, true)
		}
		entries = append(entries, entry{key: r.text, sign: "~", text: a.text, lines: append([]line{head}, inner...)})
	}
	for j, a := range added {
		if !pairedAdd[j] {
			entries = append(entries, entry{key: a.text, sign: "+", text: a.text, lines: element("+", a.index, a.raw, level)})
		}
	}
	rank := map[string]int{"-": 0, "~": 1, "+": 2}
	sort.SliceStable(entries, func(i, j int) bool {
		if entries[i].key != entries[j].key {
			return entries[i].key < entries[j].key
		}
		if entries[i].sign != entries[j].sign {
			return rank[entries[i].sign] < rank[entries[j].sign]
		}
		return entries[i].text < entries[j].text
	})
	var out []line
	for _, e := range entries {
		out = append(out, e.lines...)
	}
	if unchanged > 0 {
		out = append(out, line{kind: lineNote, sign: "#", text: "(" + plural(unchanged, "unchanged item") + " hidden)", level: level})
	}
	return out
}

// likeness is how alike two list items are: for two objects, two for
// each field they share with the same value and one for each other field
// they both have; for two lists the items they share; 0 for anything
// else, which is never paired.
func likeness(b, a json.RawMessage) int {
	if bm, ok := objectFields(b); ok {
		am, ok := objectFields(a)
		if !ok {
			return 0
		}
		n := 0
		for k, v := range bm {
			if w, ok := am[k]; ok {
				n++
				if canonical(v) == canonical(w) {
					n++
				}
			}
		}
		return n
	}
	bi, ok := listItems(b)
	if !ok {
		return 0
	}
	ai, ok := listItems(a)
	if !ok {
		return 0
	}
	left := map[string]int{}
	for _, it := range bi {
		left[canonical(it)]++
	}
	n := 0
	for _, it := range ai {
		if k := canonical(it); left[k] > 0 {
			left[k]--
			n++
		}
	}
	return n
}

// fits reports whether text takes at most inlineWidth terminal columns.
func fits(text string) bool {
	cols := 0
	for _, r := range text {
		if cols += runeColumns(r); cols > inlineWidth {
			return false
		}
	}
	return true
}

// isList reports whether raw is a JSON list.
func isList(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && t[0] == '['
}

// isContainer reports whether raw is a JSON list or object.
func isContainer(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && (t[0] == '[' || t[0] == '{')
}

// objectFields returns the fields of a JSON object.
func objectFields(raw json.RawMessage) (map[string]json.RawMessage, bool) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || t[0] != '{' {
		return nil, false
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(t, &m); err != nil {
		return nil, false
	}
	return m, true
}

func keysOf(m map[string]bool) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(m))
	for k := range m {
		out[k] = nil
	}
	return out
}

func sortedKeys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// alignAssigns pads the names of consecutive "name = value" lines of one
// level so that their "=" line up, as Terraform does.
func alignAssigns(ls []line) {
	for i := 0; i < len(ls); {
		if ls[i].kind != lineAssign {
			i++
			continue
		}
		j, width := i, 0
		for ; j < len(ls) && ls[j].kind == lineAssign && ls[j].level == ls[i].level; j++ {
			width = max(width, utf8.RuneCountInString(ls[j].name))
		}
		for k := i; k < j; k++ {
			ls[k].pad = width - utf8.RuneCountInString(ls[k].name)
		}
		i = j
	}
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// isEmpty reports an empty string, list or map.
func isEmpty(raw json.RawMessage) bool {
	switch strings.TrimSpace(string(raw)) {
	case `""`, "[]", "{}":
		return true
	}
	return false
}

// internalAttrs are attributes the executor needs but a reviewer does not:
// the project's id, and system role ids derived from the names shown. The
// JSON output keeps them.
var internalAttrs = map[string]bool{"project_id": true, "system_role_ids": true}

// sortedNames lists the attributes to show, sorted.
func sortedNames(a plan.Attrs) []string {
	names := make([]string, 0, len(a))
	for n := range a {
		if internalAttrs[n] {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// canonical is a comparison key for a JSON value: objects with sorted
// keys, no whitespace, numbers as written. Invalid JSON compares as its
// bytes.
func canonical(raw json.RawMessage) string {
	v, ok := decode(raw)
	if !ok {
		return "\x00" + string(raw)
	}
	b, err := marshal(v)
	if err != nil {
		return "\x00" + string(raw)
	}
	return string(b)
}

func decode(raw json.RawMessage) (any, bool) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, true // a missing value is shown as null
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, false
	}
	if d.More() {
		return nil, false
	}
	return v, true
}

// marshal encodes without HTML escaping and without a trailing newline.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	e := json.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// listItems returns the items of a JSON array.
func listItems(raw json.RawMessage) ([]json.RawMessage, bool) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || t[0] != '[' {
		return nil, false
	}
	var items []json.RawMessage
	if err := json.Unmarshal(t, &items); err != nil {
		return nil, false
	}
	return items, true
}

// formatValue shows a value: strings quoted, everything else as compact
// JSON, in full.
func formatValue(raw json.RawMessage) string {
	v, ok := decode(raw)
	if !ok {
		return "(invalid JSON) " + cleanLine(string(raw))
	}
	if s, isString := v.(string); isString {
		return quote(s)
	}
	b, err := marshal(v)
	if err != nil {
		return "(unprintable value)"
	}
	return cleanLine(string(b))
}

// formatItem shows a list item: a plain string bare (as in
// "+ carol@corp.com"), anything else as formatValue does.
func formatItem(raw json.RawMessage) string {
	v, ok := decode(raw)
	if s, isString := v.(string); ok && isString && bareSafe(s) {
		return s
	}
	return formatValue(raw)
}

// bareSafe reports whether a string can be shown without quotes without
// being mistaken for something else.
func bareSafe(s string) bool {
	if s == "" || strings.TrimSpace(s) != s || s == "null" || s == "true" || s == "false" {
		return false
	}
	if strings.ContainsAny(s, `"\[]{}`) {
		return false
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return false
	}
	return strconv.Quote(s) == `"`+s+`"`
}

// quote quotes a string for display, escaping what a terminal would
// interpret.
func quote(s string) string {
	// strconv.Quote escapes the control characters; textsafe breaks
	// the workflow commands it leaves (a "##vso[" in a value).
	return textsafe.Line(strconv.Quote(s))
}

// runeColumns is the number of terminal columns a character takes, near
// enough: two for the wide East Asian ranges, one otherwise.
func runeColumns(r rune) int {
	switch {
	case r >= 0x1100 && r <= 0x115F, r >= 0x2E80 && r <= 0xA4CF, r >= 0xAC00 && r <= 0xD7A3,
		r >= 0xF900 && r <= 0xFAFF, r >= 0xFE30 && r <= 0xFE4F, r >= 0xFF00 && r <= 0xFF60,
		r >= 0xFFE0 && r <= 0xFFE6, r >= 0x1F300 && r <= 0x1FAFF, r >= 0x20000 && r <= 0x3FFFD:
		return 2
	}
	return 1
}

// cleanLine makes text safe to show on one line of a terminal, a CI log
// or a code block: control characters (line breaks included) and
// bidirectional overrides are shown escaped, and CI workflow commands are
// broken (see textsafe).
func cleanLine(s string) string { return textsafe.Line(s) }

// cleanLines is cleanLine for text that may span several lines: it
// returns the lines, each cleaned.
func cleanLines(s string) []string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, p := range parts {
		parts[i] = cleanLine(strings.TrimRight(p, "\r"))
	}
	return parts
}
