package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permsync/permsync/plan"
)

func TestCounts(t *testing.T) {
	p := goldenPlans()["mixed"]
	got := Counts(p)
	want := Summary{
		Tally: Tally{Add: 4, Change: 4, Destroy: 2, Replace: 1, NoOp: 42},
		ByKind: map[plan.Kind]Tally{
			kindSystemRole:     {Add: 1},
			kindUser:           {Add: 1, Change: 1, NoOp: 40},
			kindMember:         {Change: 1},
			kindGroup:          {Change: 1, Destroy: 1, NoOp: 2},
			kindRole:           {Add: 2, Destroy: 1, Replace: 1},
			kindDataPermission: {Change: 1},
		},
		Warnings: 1,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Counts (-want +got):\n%s", d)
	}
	if !got.HasChanges() || !got.Applicable() {
		t.Errorf("HasChanges %v, Applicable %v; want true, true", got.HasChanges(), got.Applicable())
	}
	if l := got.Line(); l != "Plan: 4 to add, 4 to change, 2 to destroy." {
		t.Errorf("Line = %q", l)
	}

	refused := Counts(goldenPlans()["refused"])
	if refused.Applicable() || refused.Refusals != 2 {
		t.Errorf("refused plan: Applicable %v, Refusals %d", refused.Applicable(), refused.Refusals)
	}
	for _, p := range []*plan.Plan{nil, {}, {NoOps: map[plan.Kind]int{kindUser: 3}}} {
		s := Counts(p)
		if s.HasChanges() || s.Line() != "No changes. The server matches the desired state." {
			t.Errorf("Counts(%v): HasChanges %v, Line %q", p, s.HasChanges(), s.Line())
		}
	}
}

func TestUnknownActionIsAnError(t *testing.T) {
	p := &plan.Plan{Kinds: testKinds, Changes: []plan.Change{{Action: "explode", Kind: kindUser, Key: "a"}}}
	var buf bytes.Buffer
	if err := Text(&buf, p, TextOptions{}); err == nil || !strings.Contains(err.Error(), `"explode"`) {
		t.Errorf("Text: err = %v, want one naming the action", err)
	}
	if err := JSON(&buf, p, JSONOptions{}); err == nil {
		t.Error("JSON: no error for an unknown action")
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %q before failing", buf.String())
	}
}

func TestJSONInvalidAttributeIsAnError(t *testing.T) {
	p := &plan.Plan{Kinds: testKinds, Changes: []plan.Change{{Action: plan.Create, Kind: kindUser, Key: "a",
		After: attrs("nick", `{"unterminated"`)}}}
	err := JSON(&bytes.Buffer{}, p, JSONOptions{})
	if err == nil || !strings.Contains(err.Error(), "nick") {
		t.Errorf("err = %v, want one naming the attribute", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrorsAreReturned(t *testing.T) {
	p := goldenPlans()["mixed"]
	if err := Text(failWriter{}, p, TextOptions{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Text: err = %v", err)
	}
	if err := JSON(failWriter{}, p, JSONOptions{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("JSON: err = %v", err)
	}
}

func TestJSONSchema(t *testing.T) {
	// Object keys inside a value come out sorted, numbers keep their digits
	// and HTML characters are not escaped.
	p := &plan.Plan{Kinds: testKinds, Changes: []plan.Change{{Action: plan.Update, Kind: kindUser, Key: "a<b>@corp.com",
		Before: attrs("customInfo", `{"z":1,"a":1.50}`), After: attrs("customInfo", `{"z":2, "a":1.50}`)}}}
	var a, b bytes.Buffer
	if err := JSON(&a, p, JSONOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := JSON(&b, p, JSONOptions{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two renderings of one plan differ")
	}
	out := a.String()
	for _, want := range []string{`"a": 1.50,` + "\n" + `          "z": 2`, `"key": "a<b>@corp.com"`, `"applicable": true`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	var doc struct {
		FormatVersion string `json:"format_version"`
		Changes       []struct {
			Action, Kind, Key string
			Before, After     map[string]any
		} `json:"changes"`
		Summary      map[string]int            `json:"summary"`
		CountsByKind map[string]map[string]int `json:"counts_by_kind"`
	}
	if err := json.Unmarshal(a.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.FormatVersion != JSONFormatVersion || len(doc.Changes) != 1 || doc.Summary["change"] != 1 ||
		doc.CountsByKind["user"]["change"] != 1 || len(doc.CountsByKind) != len(testKinds) {
		t.Errorf("decoded %+v", doc)
	}
}

func TestTextEscapesTerminalControls(t *testing.T) {
	p := &plan.Plan{
		Changes: []plan.Change{{Action: plan.Create, Kind: kindUser, Key: "x\x1b]0;pwned\x07",
			Reason: "\x9b31m", After: attrs("nick", "\"\u009b2J\"")}},
		Warnings: []string{"w\x1b[2J"},
	}
	for _, color := range []bool{false, true} {
		var buf bytes.Buffer
		if err := Text(&buf, p, TextOptions{Color: color}); err != nil {
			t.Fatal(err)
		}
		out := strings.ReplaceAll(buf.String(), ansiReset, "")
		for _, code := range []string{ansiBold, ansiRed, ansiGreen, ansiYellow} {
			out = strings.ReplaceAll(out, code, "")
		}
		if strings.ContainsAny(out, "\x1b\x07\u009b") {
			t.Errorf("color=%v: output contains a terminal control: %q", color, out)
		}
	}
}

// bigPlan has n changes of several kinds and actions, with unique keys.
func bigPlan(n int) *plan.Plan {
	p := &plan.Plan{Kinds: testKinds, Warnings: []string{"one warning"}}
	for i := range n {
		key := fmt.Sprintf("项目/u%05d@corp.com", i)
		switch i % 4 {
		case 0:
			p.Changes = append(p.Changes, plan.Change{Action: plan.Create, Kind: kindUser, Key: key,
				Reason: "not on the server", After: attrs("nick", fmt.Sprintf(`"User %d"`, i), "email", `"u@corp.com"`)})
		case 1:
			p.Changes = append(p.Changes, plan.Change{Action: plan.Update, Kind: kindGroup, Key: key,
				Before: attrs("members", `["a","b","c"]`), After: attrs("members", `["a","d","e","f"]`)})
		case 2:
			p.Changes = append(p.Changes, plan.Change{Action: plan.Delete, Kind: kindRole, Key: key,
				Before: attrs("description", `"old role"`, "users", `["x@corp.com","y@corp.com"]`)})
		default:
			p.Changes = append(p.Changes, plan.Change{Action: plan.Replace, Kind: kindRole, Key: key,
				Reason: "the API cannot unbind group 旧组 from a role: delete it and create it again with the desired bindings; changed since last apply: groups",
				Before: attrs("groups", `["g1","g2"]`), After: attrs("groups", `["g1"]`)})
		}
	}
	return p
}

func TestMarkdownSplit(t *testing.T) {
	p := bigPlan(3000)
	for _, maxChars := range []int{0, 5000} {
		t.Run(fmt.Sprint(maxChars), func(t *testing.T) {
			limit := maxChars
			if limit == 0 {
				limit = DefaultMaxChars
			}
			parts := Markdown(p, MarkdownOptions{MaxChars: maxChars})
			if len(parts) < 2 {
				t.Fatalf("%d parts, want several", len(parts))
			}
			if maxChars == 5000 && len(parts) < 10 {
				t.Fatalf("%d parts, want at least 10 to exercise two-digit part numbers", len(parts))
			}
			for i, part := range parts {
				if w := width(part); w > limit {
					t.Errorf("part %d is %d characters, over %d", i+1, w, limit)
				}
				if i > 0 {
					want := fmt.Sprintf("(continued, part %d of %d)", i+1, len(parts))
					if !strings.HasPrefix(part, "### permsync plan "+want+"\n") {
						t.Errorf("part %d begins %q, want the heading with %q", i+1, part[:min(80, len(part))], want)
					}
				} else if !strings.Contains(part, fmt.Sprintf("(part 1 of %d)", len(parts))) {
					t.Errorf("part 1 does not say how many parts there are")
				}
				if o, c := strings.Count(part, "<details>"), strings.Count(part, "</details>"); o != c || o == 0 {
					t.Errorf("part %d opens %d and closes %d sections", i+1, o, c)
				}
				if n := strings.Count(part, "```"); n%2 != 0 {
					t.Errorf("part %d has an unclosed code fence", i+1)
				}
			}
			if !strings.Contains(parts[0], "one warning") || !strings.Contains(parts[0], Counts(p).Line()) {
				t.Error("part 1 lacks the summary or the warning")
			}
			// Every change appears whole, in exactly one part, exactly once.
			for i := range p.Changes {
				block := strings.Join(markdownLines(&p.Changes[i]), "\n") + "\n"
				total, in := 0, 0
				for _, part := range parts {
					if n := strings.Count(part, block); n > 0 {
						total += n
						in++
					}
				}
				header := " " + string(p.Changes[i].Kind) + " " + p.Changes[i].Key + "\n"
				headers := 0
				for _, part := range parts {
					headers += strings.Count(part, header)
				}
				if total != 1 || in != 1 || headers != 1 {
					t.Fatalf("change %d (%s): whole block found %d times in %d parts, header %d times",
						i, p.Changes[i].Key, total, in, headers)
				}
			}
		})
	}
}

// A change larger than a part goes on in the next parts: every line of
// it is shown, each part says whose lines it continues, and no part is
// over the limit.
func TestMarkdownOversizedChangeIsSplit(t *testing.T) {
	var members []string
	for i := range 8000 {
		members = append(members, fmt.Sprintf(`"member%05d@corp.com"`, i))
	}
	p := &plan.Plan{Kinds: testKinds, Changes: []plan.Change{
		{Action: plan.Create, Kind: kindUser, Key: "small@corp.com", After: attrs("nick", `"S"`)},
		{Action: plan.Create, Kind: kindGroup, Key: "p/huge", After: attrs("members", "["+strings.Join(members, ",")+"]")},
	}}
	parts := Markdown(p, MarkdownOptions{})
	if len(parts) < 3 {
		t.Fatalf("%d parts, want the huge change over several", len(parts))
	}
	joined := strings.Join(parts, "")
	for i, part := range parts {
		if w := width(part); w > DefaultMaxChars {
			t.Errorf("part %d is %d characters", i+1, w)
		}
		if n := strings.Count(part, "```"); n%2 != 0 {
			t.Errorf("part %d has an unclosed code fence", i+1)
		}
		if i > 1 && !strings.Contains(part, "# (group p/huge, continued)") {
			t.Errorf("part %d does not say whose lines it continues", i+1)
		}
	}
	shown := map[string]int{}
	for _, l := range strings.Split(joined, "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "+" {
			shown[f[1]]++
		}
	}
	for i := range 8000 {
		if m := fmt.Sprintf("member%05d@corp.com", i); shown[m] != 1 {
			t.Fatalf("member %d is shown %d times", i, shown[m])
		}
	}
	if strings.Contains(joined, "not shown") || strings.Contains(joined, "characters)") {
		t.Error("something was cut")
	}
	if strings.Count(joined, " group p/huge\n") != 1 || strings.Count(joined, " user small@corp.com\n") != 1 {
		t.Error("a change is missing or repeated")
	}
}

// Warnings too many for one part go on in the next parts, whole.
func TestMarkdownManyWarningsAreSplit(t *testing.T) {
	p := &plan.Plan{Kinds: testKinds}
	for i := range 5000 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("warning number %d about something long enough", i))
	}
	p.Warnings = append(p.Warnings, strings.Repeat("长", 12000))
	parts := Markdown(p, MarkdownOptions{MaxChars: 10000})
	if len(parts) < 2 {
		t.Fatalf("%d parts", len(parts))
	}
	joined := strings.Join(parts, "")
	for i, part := range parts {
		if w := width(part); w > 10000 {
			t.Errorf("part %d is %d characters", i+1, w)
		}
	}
	for i := range 5000 {
		if w := fmt.Sprintf("> - warning number %d about something long enough\n", i); !strings.Contains(joined, w) {
			t.Fatalf("warning %d is not shown whole", i)
		}
	}
	if n := strings.Count(joined, "长"); n != 12000 {
		t.Errorf("the long warning shows %d of its 12000 characters", n)
	}
	if strings.Contains(joined, "not shown") {
		t.Error("something was cut")
	}
}

func TestChunkLine(t *testing.T) {
	if got := chunkLine("+ short", 20); len(got) != 1 || got[0] != "+ short" {
		t.Errorf("a line that fits: %q", got)
	}
	long := "+ " + strings.Repeat("abcdefghij", 5)
	got := chunkLine(long, 20)
	var rebuilt strings.Builder
	for i, piece := range got {
		if width(piece) > 20 {
			t.Errorf("piece %d is %d wide: %q", i, width(piece), piece)
		}
		if i > 0 {
			if !strings.HasPrefix(piece, "+ ↪ ") {
				t.Errorf("piece %d does not say it goes on: %q", i, piece)
			}
			piece = strings.TrimPrefix(piece, "+ ↪ ")
		}
		rebuilt.WriteString(piece)
	}
	if rebuilt.String() != long {
		t.Errorf("the pieces make %q, want %q", rebuilt.String(), long)
	}
}

// TestDocExample keeps the example in docs/plan-json.md true.
func TestDocExample(t *testing.T) {
	p := &plan.Plan{Kinds: testKinds,
		Changes: []plan.Change{
			{Action: plan.Create, Kind: kindUser, Key: "alice@corp.com", Reason: "not on the server",
				Source: "desired/users.yaml:4", After: attrs("email", `"alice@corp.com"`, "nick", `"Alice"`)},
			{Action: plan.Replace, Kind: kindRole, Key: "销售分析/通用/报告阅览",
				Reason: "the API cannot unbind group 旧组 from a role: delete it and create it again with the desired bindings; changed since last apply: groups", Source: "desired/roles.yaml:12",
				Before: attrs("groups", `["华东组","旧组"]`), After: attrs("groups", `["华东组"]`)},
		},
		NoOps:    map[plan.Kind]int{kindUser: 41},
		Warnings: []string{"user root@corp.com is protected (settings.protectedUsers or the token's user): not removed from project 销售分析"},
	}
	var buf bytes.Buffer
	if err := JSON(&buf, p, JSONOptions{}); err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "plan-json.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "## Example\n")
	_, rest, ok1 := strings.Cut(rest, "```json\n")
	ok = ok && ok1
	example, _, ok2 := strings.Cut(rest, "```\n")
	if !ok || !ok2 {
		t.Fatal("docs/plan-json.md has no JSON example")
	}
	if d := cmp.Diff(example, buf.String()); d != "" {
		t.Errorf("the example in docs/plan-json.md is out of date (-doc +JSON):\n%s", d)
	}
}

// Two long list items (data permission rules) that differ deep inside are
// paired and shown element by element: the rule's unchanged fields as
// context, and the items of the list that changed, whole.
func TestLongItemsShowTheirDifference(t *testing.T) {
	long := strings.Repeat(`{"field":"地区","dataType":"String"},`, 6)
	before := `[{"connection":2010,"details":[` + long + `{"select":["华北","东北"]}]},"short"]`
	after := `[{"connection":2010,"details":[` + long + `{"select":["华北"]}]},"short"]`
	p := &plan.Plan{Kinds: testKinds, Changes: []plan.Change{{Action: plan.Update, Kind: kindDataPermission, Key: "P//D",
		Before: plan.Attrs{"rules": json.RawMessage(before)}, After: plan.Attrs{"rules": json.RawMessage(after)}}}}
	var buf bytes.Buffer
	if err := Text(&buf, p, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	want := `  ~ dataPermission P//D
      ~ rules:
          ~ [0]:
                connection = 2010
              ~ details:
                  ~ [6]:
                      ~ select:
                          - 东北
                          # (1 unchanged item hidden)
                  # (6 unchanged items hidden)
          # (1 unchanged item hidden)
`
	if !strings.Contains(buf.String(), want) {
		t.Errorf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
}

// Nothing is cut: a long string, a long list item and a long value are
// shown whole, long ones over several lines.
func TestNothingIsCut(t *testing.T) {
	longStr := strings.Repeat("长", 300)
	p := &plan.Plan{Kinds: testKinds, Changes: []plan.Change{{Action: plan.Update, Kind: kindUser, Key: "u",
		Before: attrs("nick", `"`+longStr+`a"`, "tags", `["`+longStr+`"]`, "customInfo", `{"a":"`+longStr+`","b":1}`),
		After:  attrs("nick", `"`+longStr+`b"`, "tags", `["`+longStr+`","x"]`, "customInfo", `{"a":"`+longStr+`","b":2}`)}}}
	var buf bytes.Buffer
	if err := Text(&buf, p, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"      ~ nick:\n          - \"" + longStr + "a\"\n          + \"" + longStr + "b\"\n",
		"      ~ tags:\n          + x\n          # (1 unchanged item hidden)\n",
		"      ~ customInfo:\n          ~ b: 1 → 2\n          # (1 unchanged field hidden)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks\n%s\ngot:\n%s", want, out)
		}
	}
	if strings.Contains(out, "…") || strings.Contains(out, "characters)") {
		t.Errorf("something was cut:\n%s", out)
	}
}

// However small the parts, and however long a line, every part is within
// its limit and well formed, and a line too long for a part is split
// over several, whole.
func TestMarkdownLongLinesAreSplit(t *testing.T) {
	long := strings.Repeat("长a", 2500)
	p := &plan.Plan{Kinds: testKinds, Warnings: []string{strings.Repeat("w", 4100)}, Changes: []plan.Change{
		{Action: plan.Create, Kind: kindUser, Key: "u@corp.com", After: attrs("nick", `"`+long+`"`)},
	}}
	for name, q := range goldenPlans() {
		if name != "empty" && name != "converged" {
			p.Changes = append(p.Changes, q.Changes...)
		}
	}
	for _, maxChars := range []int{MinMaxChars, 3000} {
		parts := Markdown(p, MarkdownOptions{MaxChars: maxChars})
		var rebuilt strings.Builder
		for i, part := range parts {
			if w := width(part); w > maxChars {
				t.Errorf("%d: part %d is %d characters", maxChars, i+1, w)
			}
			if o, c := strings.Count(part, "<details>"), strings.Count(part, "</details>"); o != c {
				t.Errorf("%d: part %d opens %d and closes %d sections", maxChars, i+1, o, c)
			}
			if n := strings.Count(part, "```diff"); n != strings.Count(part, "<details>") {
				t.Errorf("%d: part %d has %d code blocks in %d sections", maxChars, i+1, n, strings.Count(part, "<details>"))
			}
			for _, l := range strings.Split(part, "\n") {
				if strings.HasPrefix(l, "+ ↪ ") {
					rebuilt.WriteString(strings.TrimPrefix(l, "+ ↪ "))
				} else if strings.HasPrefix(l, "+       nick = ") {
					rebuilt.WriteString(strings.TrimPrefix(l, "+       nick = "))
				}
			}
		}
		if got := rebuilt.String(); !strings.HasPrefix(got, `"`+long+`"`) {
			t.Errorf("%d: the long value is not whole over its pieces (%d characters of %d)", maxChars, width(got), width(long)+2)
		}
		if joined := strings.Join(parts, ""); strings.Count(joined, "w") < 4100 {
			t.Errorf("%d: the long warning is cut", maxChars)
		}
	}
}

// Within a rule, a short path of values (an inlist item) that changes is
// shown whole, removed and added, not as the values that differ in it.
func TestShortTuplesShowWhole(t *testing.T) {
	rule := func(item string) string {
		return `[{"connection":2010,"details":[{"filter":{"or":[{"cond":{"inlist":[["华东","上海"],` + item + `]},` +
			`"dims":[{"dataType":"String","field":"地区"},{"dataType":"String","field":"省"}]}]},"tableName":"订单表"}]}]`
	}
	p := &plan.Plan{Kinds: testKinds, Changes: []plan.Change{{Action: plan.Update, Kind: kindDataPermission, Key: "P//D",
		Before: attrs("rules", rule(`["华东","浙江"]`)), After: attrs("rules", rule(`["华东","江苏"]`))}}}
	var buf bytes.Buffer
	if err := Text(&buf, p, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	want := `
                                      ~ inlist:
                                          + ["华东","江苏"]
                                          - ["华东","浙江"]
                                          # (1 unchanged item hidden)
`
	if !strings.Contains(buf.String(), want) {
		t.Errorf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
}
