package youdata

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/state"
)

func groupCreate(name string, members []string) plan.Change {
	return plan.Change{Action: plan.Create, Kind: KindGroup, Key: "P/" + name,
		After:    attrs("project_id", 7, "name", name, "folder", "", "members", members),
		NewState: &state.Object{Created: true, Facets: map[string]state.Facet{"folder": {Hash: "h", Items: []string{""}}}}}
}

// A group whose create succeeded but whose members could not join exists
// on the server without members, where no read shows it: the state must
// record it, or the next plan creates it a second time.
func TestApplyRecordsGroupCreatedWhenJoinFails(t *testing.T) {
	p := &plan.Plan{Changes: []plan.Change{groupCreate("G", []string{"u1"})}}
	f := &fakeAPI{fail: func(endpoint string, _ any) error {
		if endpoint == epBatchImport {
			return errors.New("batchImport: boom")
		}
		return nil
	}}
	st := state.New()
	res, err := Apply(context.Background(), f, p, st, ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := statuses(res)["group P/G"]; s != engine.StatusFailed {
		t.Fatalf("group P/G %s, want failed", s)
	}
	o := st.Objects["group P/G"]
	if o == nil || !o.Created || o.ID == 0 {
		t.Fatalf("state of group P/G = %+v, want it recorded as created with its id", o)
	}
	if add := f.of(epAddGroup); len(add) != 1 {
		t.Errorf("group/add calls = %d", len(add))
	}
}

// Interrupted while the group is created: the call finishes, the members'
// join does not start, and the state records the group.
func TestApplyInterruptedAfterGroupCreate(t *testing.T) {
	p := &plan.Plan{Changes: []plan.Change{groupCreate("G", []string{"u1"})}}
	f := &fakeAPI{started: make(chan string, 10), gate: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	st := state.New()
	var sv saved
	done := make(chan error)
	var res *engine.Result
	go func() {
		var err error
		res, err = Apply(ctx, f, p, st, ApplyOptions{SaveState: sv.save})
		done <- err
	}()
	if ep := <-f.started; ep != epAddGroup {
		t.Fatalf("first call %s", ep)
	}
	cancel()
	close(f.gate)
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if n := len(f.of(epBatchImport)); n != 0 {
		t.Errorf("%d batchImport calls after the interruption", n)
	}
	if s := statuses(res)["group P/G"]; s != engine.StatusSkipped {
		t.Errorf("group P/G %s, want skipped", s)
	}
	last := sv.states[len(sv.states)-1]
	if o := last.Objects["group P/G"]; o == nil || !o.Created || o.ID == 0 {
		t.Errorf("saved state of group P/G = %+v, want the created group", o)
	}
}

// A replace that deleted the old object but could not create the new one
// leaves the old object out of the state: the server no longer has it. A
// group's create is recorded as pending before it is sent.
func TestApplyReplaceDeletedButNotCreated(t *testing.T) {
	before := attrs("id", 56, "project_id", 7, "name", "D", "folder", "Old", "members", []string{"u4"})
	after := attrs("id", 56, "project_id", 7, "name", "D", "folder", "New", "members", []string{"u4"})
	role := roleUpdate("P", 7, 900, "", "R", 0, []string{"u4"}, []string{"u4"})
	role.Action = plan.Replace
	p := &plan.Plan{Changes: []plan.Change{
		{Action: plan.Replace, Kind: KindGroup, Key: "P/D", Before: before, After: after, NewState: ns()},
		role,
	}}
	st := state.New()
	st.Objects["group P/D"] = &state.Object{ID: 56}
	st.Objects["role P//R"] = &state.Object{ID: 900}
	f := &fakeAPI{fail: func(endpoint string, _ any) error {
		if endpoint == epAddGroup || endpoint == epImportDataPerms {
			return errors.New("boom")
		}
		return nil
	}}
	res, err := Apply(context.Background(), f, p, st, ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() != 2 {
		t.Fatalf("failed %d, want 2: %+v", res.Failed(), res.Changes)
	}
	if o, ok := st.Objects["role P//R"]; ok {
		t.Errorf("state still holds role P//R (%+v), which the replace deleted", o)
	}
	// The group's create was sent: the state keeps only that it is
	// pending in its new folder (no id), for the next apply to clear what
	// a create whose answer was lost may have left.
	if o := st.Objects["group P/D"]; o == nil || !o.Pending || o.ID != 0 || len(o.Facets) != 1 || o.Facets["folder"].Items[0] != "New" {
		t.Errorf("state of group P/D = %+v, want only a pending create in folder New", o)
	}
}

// An update never touches a facet its After does not hold, even when
// Before does: userOrgs [] would take the user out of every department.
func TestApplyLeavesFacetsAfterDoesNotHold(t *testing.T) {
	p := &plan.Plan{Changes: []plan.Change{{Action: plan.Update, Kind: KindUser, Key: "u",
		Before: attrs("uniqueId", "u", "nick", "old", "orgs", []map[string]string{{"code": "HQ", "role": "normal"}}),
		After:  attrs("uniqueId", "u", "nick", "new"), NewState: ns()}}}
	f := &fakeAPI{}
	if _, err := Apply(context.Background(), f, p, state.New(), ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	calls := f.of(epBatchImport)
	if len(calls) != 1 {
		t.Fatalf("%d batchImport calls", len(calls))
	}
	u := calls[0].(apiclient.BatchImportRequest).Users[0]
	if u.UserOrgs != nil {
		t.Errorf("userOrgs sent: %+v", u.UserOrgs)
	}
	if u.Nick == nil || *u.Nick != "new" {
		t.Errorf("nick = %v, want new", u.Nick)
	}
}

// Members cannot join a group whose id is not known: batchImport names
// groups by id, and groupIds [0] is no group.
func TestApplyGroupJoinNeedsID(t *testing.T) {
	p := &plan.Plan{Changes: []plan.Change{{Action: plan.Update, Kind: KindGroup, Key: "P/G",
		Before: attrs("project_id", 7, "name", "G", "folder", "", "members", []string{}),
		After:  attrs("project_id", 7, "name", "G", "folder", "", "members", []string{"u1"}), NewState: ns()}}}
	f := &fakeAPI{}
	res, err := Apply(context.Background(), f, p, state.New(), ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() != 1 || !strings.Contains(res.Changes[0].Err.Error(), "id of the group") {
		t.Errorf("result %+v, want the change failed for the unknown id", res.Changes)
	}
	if n := f.total(); n != 0 {
		t.Errorf("%d write calls", n)
	}
}

// The state is saved with a new group before its members join: a process
// killed during the join leaves a state that knows the group, which no
// read shows while it has no members.
func TestApplySavesCreatedGroupBeforeMembersJoin(t *testing.T) {
	p := &plan.Plan{Changes: []plan.Change{groupCreate("G", []string{"u1"})}}
	var sv saved
	known := false
	f := &fakeAPI{fail: func(endpoint string, _ any) error {
		if endpoint == epBatchImport {
			sv.mu.Lock()
			defer sv.mu.Unlock()
			if n := len(sv.states); n > 0 {
				o := sv.states[n-1].Objects["group P/G"]
				known = o != nil && o.Created && o.ID != 0
			}
		}
		return nil
	}}
	st := state.New()
	res, err := Apply(context.Background(), f, p, st, ApplyOptions{SaveState: sv.save})
	if err != nil || res.Applied() != 1 {
		t.Fatalf("err %v, applied %d", err, res.Applied())
	}
	if !known {
		t.Error("when the members joined, no saved state recorded the created group")
	}
	if o := st.Objects["group P/G"]; o == nil || !o.Created || o.ID == 0 {
		t.Errorf("final state of group P/G = %+v", o)
	}
}
