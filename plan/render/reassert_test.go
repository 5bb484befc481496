package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/permsync/permsync/plan"
)

// An update that only re-asserts is shown as "~ reassert kind key", with a
// line of the legend saying what that is; other updates are shown as
// before.
func TestTextShowsReassertDistinctly(t *testing.T) {
	var after plan.Attrs
	after.Set("department", "华北销售")
	p := &plan.Plan{Kinds: []plan.Kind{"user"}, Changes: []plan.Change{
		{Action: plan.Update, Kind: "user", Key: "alice", Reason: "reassert: department (the server does not show them: sent again as the files say)", Before: plan.Attrs{}, After: after},
		{Action: plan.Update, Kind: "user", Key: "bob", Reason: "changed since last apply: department; reassert: orgs (the server does not show them: sent again as the files say)", Before: plan.Attrs{}, After: after},
	}}
	var b bytes.Buffer
	if err := Text(&b, p, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"  ~ update in-place\n  ~ reassert: sent again as the files say (the server cannot show it)\n",
		"  ~ reassert user alice\n      # (reassert: department (the server does not show them: sent again as the files say))\n      + department = \"华北销售\"\n",
		"  ~ user bob\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	p.Changes = p.Changes[1:]
	b.Reset()
	if err := Text(&b, p, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "~ reassert:") {
		t.Errorf("legend names reassert without one:\n%s", b.String())
	}
}
