package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/permsync/permsync/plan"
)

// The text plan hides what only the executor needs; the JSON plan keeps
// everything.
func TestInternalAttrsHiddenFromText(t *testing.T) {
	var after plan.Attrs
	after.Set("project_id", 101)
	after.Set("system_role_ids", map[string]int{"viewer": 3})
	after.Set("systemRoles", []string{"viewer"})
	after.Set("group_expires", map[string]string{})
	p := &plan.Plan{Kinds: testKinds, Changes: []plan.Change{{Action: plan.Create, Kind: kindMember, Key: "销售分析/chen.jing@example.com", After: after}}}

	var text bytes.Buffer
	if err := Text(&text, p, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, hidden := range []string{"project_id", "system_role_ids", "group_expires"} {
		if strings.Contains(text.String(), hidden) {
			t.Errorf("text plan shows %s:\n%s", hidden, text.String())
		}
	}
	if !strings.Contains(text.String(), "viewer") {
		t.Errorf("text plan lost the system roles:\n%s", text.String())
	}

	// An update adding an empty expiry map (none known before) is no news
	// either.
	var before plan.Attrs
	before.Set("users", []string{"a@corp.com"})
	upd := plan.Attrs{}
	for k, v := range after {
		upd[k] = v
	}
	upd.Set("users", []string{"a@corp.com", "b@corp.com"})
	text.Reset()
	up := &plan.Plan{Kinds: testKinds, Changes: []plan.Change{{Action: plan.Update, Kind: kindRole, Key: "销售分析//报告", Before: before, After: upd}}}
	if err := Text(&text, up, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text.String(), "group_expires") || !strings.Contains(text.String(), "b@corp.com") {
		t.Errorf("update plan:\n%s", text.String())
	}

	var js bytes.Buffer
	if err := JSON(&js, p, JSONOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, kept := range []string{"project_id", "system_role_ids", "group_expires"} {
		if !strings.Contains(js.String(), kept) {
			t.Errorf("JSON plan lost %s", kept)
		}
	}
}
