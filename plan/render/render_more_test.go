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
				block := strings.Join(markdownLines(&p.Changes[i], DefaultMaxValueLen), "\n") + "\n"
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

func TestMarkdownOversizedChangeIsCut(t *testing.T) {
	var members []string
	for i := range 8000 {
		members = append(members, fmt.Sprintf(`"member%05d@corp.com"`, i))
	}
	p := &plan.Plan{Kinds: testKinds, Changes: []plan.Change{
		{Action: plan.Create, Kind: kindUser, Key: "small@corp.com", After: attrs("nick", `"S"`)},
		{Action: plan.Create, Kind: kindGroup, Key: "p/huge", After: attrs("members", "["+strings.Join(members, ",")+"]")},
	}}
	parts := Markdown(p, MarkdownOptions{})
	joined := strings.Join(parts, "")
	for i, part := range parts {
		if w := width(part); w > DefaultMaxChars {
			t.Errorf("part %d is %d characters", i+1, w)
		}
	}
	if !strings.Contains(joined, "of this change not shown") || !strings.Contains(joined, "member00000@corp.com") ||
		strings.Contains(joined, "member07999@corp.com") {
		t.Error("the oversized change was not cut with a note")
	}
	if strings.Count(joined, " group p/huge\n") != 1 || strings.Count(joined, " user small@corp.com\n") != 1 {
		t.Error("a change is missing or repeated")
	}
}

func TestMarkdownManyWarningsStayInOnePart(t *testing.T) {
	p := &plan.Plan{Kinds: testKinds}
	for i := range 5000 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("warning number %d about something long enough", i))
	}
	parts := Markdown(p, MarkdownOptions{MaxChars: 10000})
	if len(parts) != 1 || width(parts[0]) > 10000 || !strings.Contains(parts[0], "more lines not shown") {
		t.Errorf("got %d parts, first %d characters", len(parts), width(parts[0]))
	}
}

func TestFitLines(t *testing.T) {
	note := func(n int) string { return fmt.Sprintf("+%d", n) }
	tests := []struct {
		lines  []string
		budget int
		want   []string
	}{
		{[]string{"aaa", "bbb"}, 7, []string{"aaa", "bbb"}},
		{[]string{"aaa", "bbb", "ccc"}, 8, []string{"aaa", "+2"}},
		{[]string{"aaaaaaaaaa", "b"}, 8, []string{"aaaa…", "+1"}},
	}
	for _, tt := range tests {
		got := fitLines(tt.lines, tt.budget, note)
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("fitLines(%q, %d) (-want +got):\n%s", tt.lines, tt.budget, d)
		}
		if w := width(strings.Join(got, "\n")); w > tt.budget {
			t.Errorf("fitLines(%q, %d) is %d wide", tt.lines, tt.budget, w)
		}
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

// Two long list items (data permission rules) that differ past the part
// shown are shown from just before their first difference: cut at the same
// place, they would look identical and the reviewer could not see the change.
func TestLongItemsShowTheirDifference(t *testing.T) {
	long := strings.Repeat(`{"field":"地区","dataType":"String"},`, 6)
	before := `[{"connection":2010,"details":[` + long + `{"select":["华北","东北"]}]},"short"]`
	after := `[{"connection":2010,"details":[` + long + `{"select":["华北"]}]},"short"]`
	p := &plan.Plan{Kinds: testKinds, Changes: []plan.Change{{Action: plan.Update, Kind: kindDataPermission, Key: "P//D",
		Before: plan.Attrs{"rules": json.RawMessage(before)}, After: plan.Attrs{"rules": json.RawMessage(after)}}}}
	var buf bytes.Buffer
	if err := Text(&buf, p, TextOptions{MaxValueLen: 60}); err != nil {
		t.Fatal(err)
	}
	var minus, plus string
	for _, l := range strings.Split(buf.String(), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "- "):
			minus = l
		case strings.HasPrefix(l, "+ "):
			plus = l
		}
	}
	if !strings.Contains(minus, `"东北"`) || strings.Contains(plus, `"东北"`) || !strings.Contains(plus, `["华北"]`) {
		t.Errorf("the difference is not shown:\n%s", buf.String())
	}
	if !strings.HasPrefix(minus, "- …") || !strings.HasSuffix(plus, "characters)") {
		t.Errorf("cut items should say they are cut:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), "(1 unchanged item hidden)") {
		t.Errorf("unchanged item not counted:\n%s", buf.String())
	}
}

// A pair shown from its first difference ends with "…" only where it is
// cut; one shown to its end says its length without it.
func TestCutPairMarksOnlyCuts(t *testing.T) {
	common := strings.Repeat("a", 50)
	a, b := cutPair(common+"X"+strings.Repeat("z", 100), common+"Y", 40)
	if !strings.HasPrefix(a, "…") || !strings.HasSuffix(a, "… (151 characters)") {
		t.Errorf("cut side: %q", a)
	}
	if want := "…" + strings.Repeat("a", 10) + "Y (51 characters)"; b != want {
		t.Errorf("side shown to its end: %q, want %q", b, want)
	}
}
