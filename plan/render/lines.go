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

// DefaultMaxValueLen is how many terminal columns of a value are shown
// before it is cut, when the options do not say.
const DefaultMaxValueLen = 100

// lineKind says how a line of a change is laid out.
type lineKind int

const (
	lineHeader   lineKind = iota // "+ user alice@corp.com"
	lineReason                   // "# (reason)"
	lineAssign                   // "+ name = value"
	lineModify                   // "~ name: before → after"
	lineListHead                 // "~ name:"
	lineItem                     // "+ item" under a list head
	lineNote                     // "# (3 unchanged attributes hidden)"
)

// line is one line of a rendered change, independent of the format.
type line struct {
	kind  lineKind
	sign  string // "+", "-", "~", "-/+", "#" or "?"
	name  string // attribute name (assign, modify, list head)
	text  string // header, reason, item or note text; assign and modify values
	after string // modify: the value after
	pad   int    // assign: spaces after the name, to align the "="
	level int    // indentation: 0 header, 1 attributes, 2 list items
}

// body is the line without its sign and indentation.
func (l line) body() string {
	switch l.kind {
	case lineAssign:
		return l.name + strings.Repeat(" ", l.pad) + " = " + l.text
	case lineModify:
		return l.name + ": " + l.text + " → " + l.after
	case lineListHead:
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

// changeLines lays out one change: a header, its reason, then its
// attributes (all of them for a create or delete, only the changed ones for
// an update or replace; lists as the items added and removed).
func changeLines(c *plan.Change, maxLen int) []line {
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
			out = append(out, whole("+", name, c.After[name], maxLen)...)
		}
	case plan.Delete:
		for _, name := range sortedNames(c.Before) {
			out = append(out, whole("-", name, c.Before[name], maxLen)...)
		}
	default:
		out = append(out, changed(c.Before, c.After, maxLen)...)
	}
	alignAssigns(out)
	return out
}

// changed lays out the attributes that differ between before and after.
func changed(before, after plan.Attrs, maxLen int) []line {
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
		case !inBefore:
			out = append(out, whole("+", name, a, maxLen)...)
		case !inAfter:
			out = append(out, whole("-", name, b, maxLen)...)
		case canonical(b) == canonical(a):
			hidden++
		default:
			bi, bList := listItems(b)
			ai, aList := listItems(a)
			if bList && aList {
				out = append(out, line{kind: lineListHead, sign: "~", name: cleanLine(name), level: 1})
				out = append(out, itemDiff(bi, ai, maxLen)...)
				continue
			}
			bv, av := formatPair(b, a, maxLen)
			out = append(out, line{kind: lineModify, sign: "~", name: cleanLine(name), text: bv, after: av, level: 1})
		}
	}
	if hidden > 0 {
		out = append(out, line{kind: lineNote, sign: "#", text: "(" + plural(hidden, "unchanged attribute") + " hidden)", level: 1})
	}
	return out
}

// whole lays out an attribute that is added or removed as a whole.
func whole(sign, name string, raw json.RawMessage, maxLen int) []line {
	items, isList := listItems(raw)
	if !isList || len(items) == 0 {
		return []line{{kind: lineAssign, sign: sign, name: cleanLine(name), text: formatValue(raw, maxLen), level: 1}}
	}
	out := []line{{kind: lineListHead, sign: sign, name: cleanLine(name), level: 1}}
	texts := make([]string, len(items))
	for i, it := range items {
		texts[i] = formatItem(it, maxLen)
	}
	sort.Strings(texts)
	for _, t := range texts {
		out = append(out, line{kind: lineItem, sign: sign, text: t, level: 2})
	}
	return out
}

// itemDiff lays out the items removed from and added to a list, as
// multisets, sorted by their text with removals first on a tie. A removed
// and an added item that differ only past what would be shown (two long
// rules, say) are both shown from a little before their first difference,
// so that a reviewer sees what changed.
func itemDiff(before, after []json.RawMessage, maxLen int) []line {
	left := map[string]int{}
	for _, it := range before {
		left[canonical(it)]++
	}
	type item struct {
		sign, text, key string
		raw             json.RawMessage
	}
	var items []item
	unchanged := 0
	for _, it := range after {
		k := canonical(it)
		if left[k] > 0 {
			left[k]--
			unchanged++
			continue
		}
		items = append(items, item{sign: "+", text: formatItem(it, maxLen), raw: it})
	}
	for _, it := range before {
		k := canonical(it)
		if left[k] > 0 {
			left[k]--
			items = append(items, item{sign: "-", text: formatItem(it, maxLen), raw: it})
		}
	}
	for i := range items {
		items[i].key = items[i].text
	}
	// Pair removed and added items whose shown beginnings are the same,
	// in order, and show each pair from its first difference. The pair
	// sorts by the removed item's text.
	if maxLen > 0 {
		// The full text and shown beginning of each item that is cut,
		// computed once.
		type shown struct{ full, head string }
		long := make([]*shown, len(items))
		for i := range items {
			if full, ok := compactItem(items[i].raw); ok {
				if h, cut := cutColumns(full, maxLen); cut {
					long[i] = &shown{full, h}
				}
			}
		}
		paired := make([]bool, len(items))
		for i := range items {
			if items[i].sign != "-" || long[i] == nil {
				continue
			}
			for j := range items {
				if paired[j] || items[j].sign != "+" || long[j] == nil || long[i].head != long[j].head {
					continue
				}
				paired[j] = true
				items[j].key = items[i].key
				items[i].text, items[j].text = cutPair(long[i].full, long[j].full, maxLen)
				break
			}
		}
	}
	sort.SliceStable(items, func(i, j int) bool {
		if items[i].key != items[j].key {
			return items[i].key < items[j].key
		}
		if items[i].sign != items[j].sign {
			return items[i].sign == "-"
		}
		return items[i].text < items[j].text
	})
	out := make([]line, 0, len(items)+1)
	for _, it := range items {
		out = append(out, line{kind: lineItem, sign: it.sign, text: it.text, level: 2})
	}
	if unchanged > 0 {
		out = append(out, line{kind: lineNote, sign: "#", text: "(" + plural(unchanged, "unchanged item") + " hidden)", level: 2})
	}
	return out
}

// compactItem is an item's text in full, as formatItem shows it before
// cutting: a string quoted, anything else compact JSON on one line.
func compactItem(raw json.RawMessage) (string, bool) {
	v, ok := decode(raw)
	if !ok {
		return "", false
	}
	if s, isString := v.(string); isString {
		return strconv.Quote(s), true
	}
	b, err := marshal(v)
	if err != nil {
		return "", false
	}
	return cleanLine(string(b)), true
}

// cutPair shows two long texts that share their first maxLen columns from
// a little before their first difference, each cut to maxLen columns.
func cutPair(a, b string, maxLen int) (string, string) {
	ra, rb := []rune(a), []rune(b)
	i := 0
	for i < len(ra) && i < len(rb) && ra[i] == rb[i] {
		i++
	}
	start := max(0, i-maxLen/4)
	show := func(r []rune) string {
		head, cut := cutColumns(string(r[start:]), maxLen)
		if start > 0 {
			head = "…" + head
		}
		switch {
		case cut:
			head += "… (" + strconv.Itoa(len(r)) + " characters)"
		case start > 0:
			// Shown to its end: no "…" there.
			head += " (" + strconv.Itoa(len(r)) + " characters)"
		}
		return head
	}
	return show(ra), show(rb)
}

// alignAssigns pads the names of consecutive "name = value" lines so that
// their "=" line up, as Terraform does.
func alignAssigns(ls []line) {
	for i := 0; i < len(ls); {
		if ls[i].kind != lineAssign {
			i++
			continue
		}
		j, width := i, 0
		for ; j < len(ls) && ls[j].kind == lineAssign; j++ {
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
// JSON; cut to maxLen characters.
func formatValue(raw json.RawMessage, maxLen int) string {
	v, ok := decode(raw)
	if !ok {
		return truncate("(invalid JSON) "+cleanLine(string(raw)), maxLen)
	}
	if s, isString := v.(string); isString {
		return quote(s, maxLen)
	}
	b, err := marshal(v)
	if err != nil {
		return "(unprintable value)"
	}
	return truncate(cleanLine(string(b)), maxLen)
}

// formatPair shows the two sides of a changed value.
func formatPair(before, after json.RawMessage, maxLen int) (string, string) {
	bv, bok := decode(before)
	av, aok := decode(after)
	bs, bIsString := bv.(string)
	as, aIsString := av.(string)
	if bok && aok && bIsString && aIsString {
		return quotePair(bs, as, maxLen)
	}
	return formatValue(before, maxLen), formatValue(after, maxLen)
}

// formatItem shows a list item: a plain string bare (as in
// "+ carol@corp.com"), anything else as formatValue does.
func formatItem(raw json.RawMessage, maxLen int) string {
	v, ok := decode(raw)
	if s, isString := v.(string); ok && isString && bareSafe(s) {
		return truncate(s, maxLen)
	}
	return formatValue(raw, maxLen)
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
// interpret, and cuts it to maxLen columns, saying how long it was.
func quote(s string, maxLen int) string {
	// strconv.Quote escapes the control characters; textsafe breaks
	// the workflow commands it leaves (a "##vso[" in a value).
	head, cut := cutColumns(s, maxLen)
	if !cut {
		return textsafe.Line(strconv.Quote(s))
	}
	q := textsafe.Line(strconv.Quote(head))
	return q[:len(q)-1] + `…" (` + strconv.Itoa(utf8.RuneCountInString(s)) + " characters)"
}

// quotePair quotes the two sides of a changed string. When both are long
// and differ only past what would be shown, both are shown from a little
// before their first difference, so that the difference is visible.
func quotePair(a, b string, maxLen int) (string, string) {
	qa, qb := quote(a, maxLen), quote(b, maxLen)
	if qa != qb || maxLen <= 0 {
		return qa, qb
	}
	ra, rb := []rune(a), []rune(b)
	i := 0
	for i < len(ra) && i < len(rb) && ra[i] == rb[i] {
		i++
	}
	start := max(0, i-maxLen/4)
	return "…" + quote(string(ra[start:]), maxLen), "…" + quote(string(rb[start:]), maxLen)
}

// truncate cuts text to maxLen columns, saying how long it was.
func truncate(s string, maxLen int) string {
	head, cut := cutColumns(s, maxLen)
	if !cut {
		return s
	}
	return head + "… (" + strconv.Itoa(utf8.RuneCountInString(s)) + " characters)"
}

// cutColumns returns the longest prefix of s that fills at most maxLen
// terminal columns (wide East Asian characters take two), and whether s
// was longer. maxLen <= 0 never cuts.
func cutColumns(s string, maxLen int) (string, bool) {
	if maxLen <= 0 {
		return s, false
	}
	cols := 0
	for i, r := range s {
		cols += runeColumns(r)
		if cols > maxLen {
			return s[:i], true
		}
	}
	return s, false
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
