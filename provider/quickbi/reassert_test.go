package quickbi_test

import (
	"context"
	"testing"
	"time"

	"github.com/permsync/permsync/diff"
	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/quickbi"
	"github.com/permsync/permsync/provider/quickbi/apiclient"
)

// TestReassertAfterConsoleEdits: apply --reassert after console edits to
// everything the files set of users, groups, workspace members and rules.
// Quick BI shows all of it, so the re-assertion marks nothing and plans
// what the plan without it does: the edits are put back, within 1.05 × the
// fewest write calls that plan needs (WriteBound), the time is recorded,
// the state keeps what permsync created, and the next plan is empty.
func TestReassertAfterConsoleEdits(t *testing.T) {
	c := newConsole(t, consoleFiles(t, nil))
	snap := c.s.Snapshot()
	alice, bob, carol := snap.User("a:alice"), snap.User("a:bob"), snap.User("a:carol")
	ws := snap.Workspace("分析")
	edits := []func() error{
		func() error { return c.s.client.UpdateUserTagValue(ctx(), alice.UserID, snap.Tag("region").ID, "南") },
		func() error {
			return c.s.client.UpdateUser(ctx(), apiclient.UpdateUserRequest{UserID: carol.UserID, NickName: "卡罗"})
		},
		func() error {
			return c.s.client.UpdateWorkspaceUserRole(ctx(), ws.ID, bob.UserID, []int64{apiclient.WorkspaceRoleViewer})
		},
		func() error { return c.s.client.DeleteUserGroupMember(ctx(), "ops", carol.UserID) },
		func() error {
			return c.s.client.UpdateUserGroup(ctx(), apiclient.UpdateUserGroupRequest{UserGroupID: "ops", UserGroupName: "运维二组"})
		},
	}
	for _, e := range edits {
		if err := e(); err != nil {
			t.Fatal(err)
		}
	}
	plain := mustPlan(t, c.p)
	created := c.st.Objects[plan.StateKey(quickbi.KindGroup, "ops")].Created
	at := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	if n := quickbi.New(quickbi.Config{}).MarkReassert(c.st, at); n != 0 {
		t.Errorf("marked %d facets, want 0: Quick BI shows every facet the files set", n)
	}
	pl := mustPlan(t, c.p)
	if !plan.Equal(plain, pl) {
		t.Errorf("the re-asserting plan differs from the plain one:\n%v\n%v", changeIDs(plain), changeIDs(pl))
	}
	res, err := c.p.Apply(context.Background(), pl, engine.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, bound := quickbi.Calls(res.Calls).Merged().Total(), quickbi.WriteBound(plain).Total()
	t.Logf("write calls %d, WriteBound %d", got, bound)
	if bound == 0 || float64(got) > 1.05*float64(bound) {
		t.Errorf("write calls %d, bound %d (×1.05)", got, bound)
	}
	if last, ok := diff.LastReassert(c.st, quickbi.Name); !ok || !last.Equal(at) {
		t.Errorf("last re-assertion: %v %v, want %v", last, ok, at)
	}
	if o := c.st.Objects[plan.StateKey(quickbi.KindGroup, "ops")]; o == nil || o.Created != created || !created {
		t.Errorf("ops's record: %+v, created before %v", o, created)
	}
	expectEmpty(t, c.p)
	c.expectImage(nil)
}
