package render

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/permsync/permsync/internal/textsafe"
	"github.com/permsync/permsync/plan"
)

// hostileText is server text meant to rewrite a terminal or a CI log.
const hostileText = "\x1b[2J\rApply complete: 0 failed\n::error::forged\n##vso[task.setvariable variable=X]1\u202e"

// hostilePlan holds server-sourced names, descriptions and values, and
// warnings and refusals quoting them.
func hostilePlan() *plan.Plan {
	q, _ := json.Marshal(hostileText)
	long, _ := json.Marshal(strings.Repeat("x", 120) + "##vso[task.complete]")
	obj, _ := json.Marshal(map[string]string{"name": hostileText})
	list, _ := json.Marshal([]string{"##[group]bare", "::error::bare", hostileText})
	return &plan.Plan{
		Changes: []plan.Change{
			{Action: plan.Delete, Kind: kindUser, Key: "eve\n::error::x@corp.com", Reason: "not in the files\n##[warning]r",
				Before: plan.Attrs{"nick": q, "customInfo": obj, "::tags": list}},
			{Action: plan.Update, Kind: kindGroup, Key: "P/g", Before: plan.Attrs{"description": q, "members": list, "note": long},
				After: plan.Attrs{"description": json.RawMessage(`"plain"`), "members": json.RawMessage(`["a"]`), "note": json.RawMessage(`"y"`)}},
			{Action: plan.Create, Kind: kindRole, Key: "P/##vso[x]", After: plan.Attrs{"users": list}},
		},
		Warnings: []string{"user " + hostileText + " is protected:\n::warning::kept"},
		Refusals: refusals("2 deletions of "+hostileText, "second\n  ::error::r"),
	}
}

// TestRenderHostileServerText: no output format lets server text clear
// the screen, forge a line or start a workflow command; the JSON output
// still decodes to the server's strings.
func TestRenderHostileServerText(t *testing.T) {
	p := hostilePlan()
	outs := map[string]string{}
	for _, color := range []bool{false, true} {
		var buf bytes.Buffer
		if err := Text(&buf, p, TextOptions{Color: color}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if color {
			if !strings.Contains(out, ansiRed) {
				t.Errorf("colour output lost its colours")
			}
			for _, code := range []string{ansiReset, ansiBold, ansiRed, ansiGreen, ansiYellow} {
				out = strings.ReplaceAll(out, code, "")
			}
			outs["text color"] = out
		} else {
			outs["text"] = out
		}
	}
	outs["markdown"] = strings.Join(Markdown(p, MarkdownOptions{}), "\n")
	var js bytes.Buffer
	if err := JSON(&js, p, JSONOptions{}); err != nil {
		t.Fatal(err)
	}
	outs["json"] = js.String()
	for name, out := range outs {
		for _, bad := range textsafe.Unsafe(out) {
			t.Errorf("%s: %s", name, bad)
		}
		if strings.Contains(out, "\nApply complete") {
			t.Errorf("%s: a forged line", name)
		}
	}
	var doc struct {
		Changes []struct {
			Key    string         `json:"key"`
			Before map[string]any `json:"before"`
		} `json:"changes"`
		Warnings []string `json:"warnings"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatalf("JSON plan does not decode: %v", err)
	}
	if doc.Changes[0].Key != p.Changes[0].Key || doc.Changes[0].Before["nick"] != hostileText || doc.Warnings[0] != p.Warnings[0] {
		t.Errorf("the JSON plan changed the server's strings: %+v", doc)
	}
}

// refusals makes refusals of the messages, of no kind in particular.
func refusals(msgs ...string) []plan.Refusal {
	out := make([]plan.Refusal, len(msgs))
	for i, m := range msgs {
		out[i] = plan.Refusal{Kind: plan.RefuseOther, Message: m}
	}
	return out
}
