package youdata_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata"
)

// A user the files mark left: the plan warns that it keeps its access;
// with settings.leavers: revoke it leaves the projects, and with them its
// groups and roles there, in one call per project.
func TestLeavers(t *testing.T) {
	const leaver = "zhao.lei@example.com"
	e := consoleEnv(t, nil)
	dir := editedQuickstart(t)
	editFile(t, dir, "people.yaml", "    position: 销售代表\n    allowExternal: false\n", "    position: 销售代表\n    left: true\n    allowExternal: false\n")
	e.load(dir)

	p, _ := e.plan(context.Background())
	var warned bool
	for _, w := range p.Warnings {
		warned = warned || strings.Contains(w, "project 销售分析: "+leaver) && strings.Contains(w, "marked left but still a member") && strings.Contains(w, "settings.leavers: revoke")
	}
	if !warned {
		t.Errorf("no warning that %s keeps access: %q", leaver, p.Warnings)
	}
	e.applyPlanned()
	if e.sim.Snapshot().ProjectByName(sales).Members[leaver] == nil {
		t.Fatal("keep: the leaver was removed")
	}

	editFile(t, dir, "settings.yaml", "  strictUsers: true\n", "  strictUsers: true\n  leavers: revoke\n")
	e.load(dir)
	e.writes.reset()
	p = e.applyPlanned()
	c := planned(t, p, youdata.KindMember, sales+"/"+leaver)
	if c.Action != plan.Delete || !strings.Contains(c.Reason, "marked left") {
		t.Errorf("member: %s (%s), want a delete", c.Action, c.Reason)
	}
	g := planned(t, p, youdata.KindGroup, sales+"/华东销售组")
	if slices.Contains(g.After.Strings("members"), leaver) {
		t.Errorf("group members after: %v", g.After.Strings("members"))
	}
	onlyCalls(t, e, 1, "projectUser/delUsersByUniqueIds: leaving the project takes the group with it")
	snap := e.sim.Snapshot().ProjectByName(sales)
	if snap.Members[leaver] != nil {
		t.Error("revoke: the leaver is still a member")
	}
	if slices.Contains(snap.GroupByName("华东销售组").Members, leaver) {
		t.Error("revoke: the leaver is still in the group")
	}
	e.converged()
}
