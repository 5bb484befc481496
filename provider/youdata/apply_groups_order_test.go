package youdata

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/state"
)

var (
	errTaken = &apiclient.APIError{HTTPStatus: 200, Code: 409, Message: "用户组名称已存在: G", Endpoint: epAddGroup}
	errNoGrp = &apiclient.APIError{HTTPStatus: 200, Code: 404, Message: "对应的用户组不存在", Endpoint: epDeleteGroups}
)

// endpoints lists the endpoints of the fake's calls, in order.
func (f *fakeAPI) endpoints() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		out = append(out, c.endpoint)
	}
	return out
}

// groupUpdate replaces the members of group P/G (id 56) from before to
// after.
func groupUpdate(before, after []string) plan.Change {
	return plan.Change{Action: plan.Update, Kind: KindGroup, Key: "P/G",
		Before:   attrs("id", 56, "project_id", 7, "name", "G", "folder", "", "members", before),
		After:    attrs("id", 56, "project_id", 7, "name", "G", "folder", "", "members", after),
		NewState: &state.Object{ID: 56}}
}

// Members join before anyone leaves, in a step of its own: the group is
// never emptier than both before and after.
func TestApplyGroupJoinsBeforeLeaves(t *testing.T) {
	p := &plan.Plan{Changes: []plan.Change{groupUpdate([]string{"a"}, []string{"b"})}}
	f := &fakeAPI{}
	res, err := Apply(context.Background(), f, p, state.New(), ApplyOptions{Concurrency: 8})
	if err != nil || res.Applied() != 1 {
		t.Fatalf("err %v, applied %d", err, res.Applied())
	}
	if got := f.endpoints(); !reflect.DeepEqual(got, []string{epBatchImport, epDeleteGroupUser}) {
		t.Errorf("calls %v, want the join, then the leave", got)
	}
}

// A group change whose join failed does not run its leave; the state
// knows the group.
func TestApplyGroupJoinFailedKeepsMembers(t *testing.T) {
	p := &plan.Plan{Changes: []plan.Change{groupUpdate([]string{"a"}, []string{"b"})}}
	f := &fakeAPI{fail: func(endpoint string, _ any) error {
		if endpoint == epBatchImport {
			return &apiclient.APIError{HTTPStatus: 200, Code: 400, Message: "导入失败"}
		}
		return nil
	}}
	res, err := Apply(context.Background(), f, p, state.New(), ApplyOptions{})
	if err != nil || res.Failed() != 1 {
		t.Fatalf("err %v, failed %d", err, res.Failed())
	}
	if n := len(f.of(epDeleteGroupUser)); n != 0 {
		t.Errorf("%d group/ext/delUsers calls after the join failed", n)
	}
}

// Before members leave a group (which may empty it, and then no read
// shows it), the saved state records the group with its id.
func TestApplySavesGroupBeforeMembersLeave(t *testing.T) {
	p := &plan.Plan{Changes: []plan.Change{groupUpdate([]string{"a"}, []string{})}}
	var sv saved
	var known *state.Object
	f := &fakeAPI{fail: func(endpoint string, _ any) error {
		if endpoint == epDeleteGroupUser {
			sv.mu.Lock()
			defer sv.mu.Unlock()
			if n := len(sv.states); n > 0 {
				known = sv.states[n-1].Objects["group P/G"]
			}
		}
		return nil
	}}
	if _, err := Apply(context.Background(), f, p, state.New(), ApplyOptions{SaveState: sv.save}); err != nil {
		t.Fatal(err)
	}
	if known == nil || known.ID != 56 || known.Pending || known.Created {
		t.Errorf("saved state when the members left: %+v, want the group with id 56, not created", known)
	}
}

// lostGroupPlan is the replace of group P/G whose earlier create lost its
// answer, in folder pending; the group goes to folder F.
func lostGroupPlan(pending string, members []string) (*plan.Plan, *state.State) {
	c := plan.Change{Action: plan.Replace, Kind: KindGroup, Key: "P/G",
		Before:   attrs("project_id", 7, "name", "G", "folder", pending, "members", []string{}),
		After:    attrs("project_id", 7, "name", "G", "folder", "F", "description", "d", "members", members),
		NewState: &state.Object{Created: true, Facets: map[string]state.Facet{"folder": folderFacet("F")}}}
	st := state.New()
	st.Objects["group P/G"] = &state.Object{Created: true, Pending: true, Facets: map[string]state.Facet{"folder": folderFacet(pending)}}
	return &plan.Plan{Changes: []plan.Change{c}}, st
}

// The replace of a group whose create lost its answer sends group/add
// first: when the name is free, nothing is deleted.
func TestApplyLostGroupCreateSendsAddFirst(t *testing.T) {
	p, st := lostGroupPlan("F", []string{"u1"})
	f := &fakeAPI{}
	res, err := Apply(context.Background(), f, p, st, ApplyOptions{})
	if err != nil || res.Applied() != 1 {
		t.Fatalf("err %v, applied %d", err, res.Applied())
	}
	if got := f.endpoints(); !reflect.DeepEqual(got, []string{epAddGroup, epBatchImport}) {
		t.Errorf("calls %v", got)
	}
	if o := st.Objects["group P/G"]; o == nil || o.Pending || !o.Created || o.ID == 0 {
		t.Errorf("state %+v", o)
	}
}

// When the name is taken, the group the lost create left is deleted by
// the path that create named, and created again.
func TestApplyLostGroupCreateNameTaken(t *testing.T) {
	p, st := lostGroupPlan("F", []string{"u1"})
	adds := 0
	f := &fakeAPI{fail: func(endpoint string, _ any) error {
		if endpoint == epAddGroup {
			adds++
			if adds == 1 {
				return errTaken
			}
		}
		return nil
	}}
	res, err := Apply(context.Background(), f, p, st, ApplyOptions{})
	if err != nil || res.Applied() != 1 {
		t.Fatalf("err %v, applied %d: %+v", err, res.Applied(), res.Changes)
	}
	if got := f.endpoints(); !reflect.DeepEqual(got, []string{epAddGroup, epDeleteGroups, epAddGroup, epBatchImport}) {
		t.Errorf("calls %v", got)
	}
	if del := f.of(epDeleteGroups)[0].(apiclient.GroupDelsRequest); !reflect.DeepEqual(del.Path, []string{"F", "G"}) || len(del.IDs) != 0 {
		t.Errorf("group/dels %+v, want the path F/G", del)
	}
	if o := st.Objects["group P/G"]; o == nil || o.Pending || !o.Created || o.ID == 0 {
		t.Errorf("state %+v", o)
	}
}

// When the name is taken but no group is at the path the lost create
// named, and the name is still taken, it is another group's: it is
// adopted, not deleted, and members that must join it fail with what to
// do.
func TestApplyLostGroupCreateNameTakenElsewhere(t *testing.T) {
	p, st := lostGroupPlan("F", []string{"u1"})
	f := &fakeAPI{fail: func(endpoint string, _ any) error {
		switch endpoint {
		case epAddGroup:
			return errTaken
		case epDeleteGroups, epUpdateGroup:
			return errNoGrp
		}
		return nil
	}}
	res, err := Apply(context.Background(), f, p, st, ApplyOptions{})
	if err != nil || res.Failed() != 1 {
		t.Fatalf("err %v, failed %d", err, res.Failed())
	}
	if got := f.endpoints(); !reflect.DeepEqual(got, []string{epAddGroup, epDeleteGroups, epAddGroup, epUpdateGroup}) {
		t.Errorf("calls %v", got)
	}
	if msg := res.Changes[0].Err.Error(); !strings.Contains(msg, "web console") {
		t.Errorf("error %q says not what to do", msg)
	}
	if o := st.Objects["group P/G"]; o == nil || o.Pending || o.Created || o.ID != 0 {
		t.Errorf("state %+v, want the group known, not pending, not created", o)
	}
}

// A retried group/dels whose first attempt deleted the group answers
// that it is gone: the name is free again, and the group is created.
func TestApplyLostGroupCreateDeleteRetried(t *testing.T) {
	p, st := lostGroupPlan("F", nil)
	adds := 0
	f := &fakeAPI{fail: func(endpoint string, _ any) error {
		switch endpoint {
		case epAddGroup:
			adds++
			if adds == 1 {
				return errTaken
			}
		case epDeleteGroups:
			return errNoGrp
		}
		return nil
	}}
	res, err := Apply(context.Background(), f, p, st, ApplyOptions{})
	if err != nil || res.Applied() != 1 {
		t.Fatalf("err %v, applied %d: %+v", err, res.Applied(), res.Changes)
	}
	if o := st.Objects["group P/G"]; o == nil || o.Pending || !o.Created || o.ID == 0 {
		t.Errorf("state %+v, want the group created with its id", o)
	}
}

// A lost create in another folder than the one the group now goes to:
// what it left is deleted there first, the state then marks the create
// in the new folder pending, and group/add is sent.
func TestApplyLostGroupCreateInAnotherFolder(t *testing.T) {
	p, st := lostGroupPlan("Old", nil)
	var pendingAt []string
	var sv saved
	f := &fakeAPI{fail: func(endpoint string, _ any) error {
		if endpoint == epAddGroup {
			sv.mu.Lock()
			defer sv.mu.Unlock()
			if o := sv.states[len(sv.states)-1].Objects["group P/G"]; o != nil && o.Pending {
				pendingAt = o.Facets["folder"].Items
			}
		}
		return nil
	}}
	res, err := Apply(context.Background(), f, p, st, ApplyOptions{SaveState: sv.save})
	if err != nil || res.Applied() != 1 {
		t.Fatalf("err %v, applied %d", err, res.Applied())
	}
	if got := f.endpoints(); !reflect.DeepEqual(got, []string{epDeleteGroups, epAddGroup}) {
		t.Errorf("calls %v", got)
	}
	if del := f.of(epDeleteGroups)[0].(apiclient.GroupDelsRequest); !reflect.DeepEqual(del.Path, []string{"Old", "G"}) {
		t.Errorf("group/dels %+v, want the path Old/G", del)
	}
	if !reflect.DeepEqual(pendingAt, []string{"F"}) {
		t.Errorf("when group/add was sent, the saved state marked the create pending in %v, want [F]", pendingAt)
	}
}

// A create that meets the name taken adopts the group: its description
// is set by its path, the change applied when no member must join, and
// the state records it as existing and not created by permsync.
func TestApplyGroupNameTakenAdopts(t *testing.T) {
	p := &plan.Plan{Changes: []plan.Change{{Action: plan.Create, Kind: KindGroup, Key: "P/G",
		After:    attrs("project_id", 7, "name", "G", "folder", "F", "description", "d"),
		NewState: &state.Object{Created: true, Facets: map[string]state.Facet{"folder": folderFacet("F"), "description": {Hash: "hd"}}}}}}
	f := &fakeAPI{fail: func(endpoint string, _ any) error {
		if endpoint == epAddGroup {
			return errTaken
		}
		return nil
	}}
	st := state.New()
	res, err := Apply(context.Background(), f, p, st, ApplyOptions{})
	if err != nil || res.Applied() != 1 {
		t.Fatalf("err %v, applied %d: %+v", err, res.Applied(), res.Changes)
	}
	if n := len(f.of(epDeleteGroups)); n != 0 {
		t.Errorf("%d group/dels calls", n)
	}
	up := f.of(epUpdateGroup)
	if len(up) != 1 {
		t.Fatalf("group/ext/update calls %v", up)
	}
	if req := up[0].(apiclient.GroupUpdateRequest); req.ID != 0 || req.ProjectID != 7 || !reflect.DeepEqual(req.Path, []string{"F", "G"}) || req.Description == nil || *req.Description != "d" {
		t.Errorf("group/ext/update %+v, want the description by path", req)
	}
	o := st.Objects["group P/G"]
	if o == nil || o.Created || o.Pending || o.ID != 0 || o.Facets["description"].Hash != "hd" {
		t.Errorf("state %+v", o)
	}
	var ae *apiclient.APIError
	if errors.As(res.Changes[0].Err, &ae) {
		t.Errorf("applied change carries an error: %v", res.Changes[0].Err)
	}
}

// A group whose only member leaves with his deletion from the domain is
// emptied by that deletion, in a later phase: the state is saved with the
// group, and its id, before it.
func TestApplySavesGroupBeforeItsMembersLeaveTheDomain(t *testing.T) {
	user := plan.Change{Action: plan.Delete, Kind: KindUser, Key: "a", Before: attrs("uniqueId", "a")}
	p := &plan.Plan{Changes: []plan.Change{groupUpdate([]string{"a"}, []string{}), user}}
	var sv saved
	var known *state.Object
	f := &fakeAPI{fail: func(endpoint string, _ any) error {
		if endpoint == epDelDomainUsers {
			sv.mu.Lock()
			defer sv.mu.Unlock()
			if n := len(sv.states); n > 0 {
				known = sv.states[n-1].Objects["group P/G"]
			}
		}
		return nil
	}}
	res, err := Apply(context.Background(), f, p, state.New(), ApplyOptions{SaveState: sv.save})
	if err != nil || res.Applied() != 2 {
		t.Fatalf("err %v, applied %d", err, res.Applied())
	}
	if n := len(f.of(epDeleteGroupUser)); n != 0 {
		t.Errorf("%d group/ext/delUsers calls: the domain deletion removes the member", n)
	}
	if known == nil || known.ID != 56 {
		t.Errorf("saved state when the member left the domain: %+v, want the group with id 56", known)
	}
}
