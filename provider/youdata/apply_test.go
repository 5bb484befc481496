package youdata

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/internal/sets"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/state"
)

// attrs builds attributes from name/value pairs.
func attrs(kv ...any) plan.Attrs {
	var a plan.Attrs
	for i := 0; i < len(kv); i += 2 {
		a.Set(kv[i].(string), kv[i+1])
	}
	return a
}

func ns() *state.Object { return &state.Object{} }

func userCreate(uid string) plan.Change {
	return plan.Change{Action: plan.Create, Kind: KindUser, Key: uid,
		After: attrs("uniqueId", uid, "nick", "N "+uid), NewState: &state.Object{Created: true}}
}

func memberChange(action plan.Action, project string, pid int64, user string, before, after []string) plan.Change {
	ids := func(names []string) map[string]int64 {
		m := map[string]int64{}
		for _, n := range names {
			m[n] = map[string]int64{"admin": 1, "editor": 2, "viewer": 3}[n]
		}
		return m
	}
	c := plan.Change{Action: action, Kind: KindMember, Key: project + "/" + user,
		After: attrs("project_id", pid, "user", user, "systemRoles", after, "system_role_ids", ids(after)), NewState: ns()}
	if action == plan.Update {
		c.Before = attrs("project_id", pid, "user", user, "systemRoles", before, "system_role_ids", ids(before))
	}
	return c
}

func roleCreate(project string, pid int64, folder, name string, users []string) plan.Change {
	a := attrs("name", name, "folder", folder, "type", 0, "level", 1, "users", users, "user_expires", map[string]string{})
	if pid != 0 {
		a.Set("project_id", pid)
	}
	return plan.Change{Action: plan.Create, Kind: KindRole, Key: project + "/" + folder + "/" + name, After: a, NewState: &state.Object{Created: true}}
}

func roleUpdate(project string, pid, id int64, folder, name string, typ int, before, after []string) plan.Change {
	kind := KindRole
	if typ == 2 {
		kind = KindDataPermission
	}
	b := attrs("id", id, "project_id", pid, "name", name, "folder", folder, "type", typ, "users", before, "user_expires", map[string]string{})
	a := attrs("id", id, "project_id", pid, "name", name, "folder", folder, "type", typ, "users", after, "user_expires", map[string]string{})
	return plan.Change{Action: plan.Update, Kind: kind, Key: project + "/" + folder + "/" + name, Before: b, After: a, NewState: &state.Object{ID: id}}
}

func users(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%04d", prefix, i)
	}
	sort.Strings(out)
	return out
}

// run applies p with a fake and a recording SaveState.
type saved struct {
	mu     sync.Mutex
	states []*state.State
}

func (s *saved) save(st *state.State) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st.Serial++
	cp := &state.State{Version: st.Version, Serial: st.Serial, Objects: map[string]*state.Object{}}
	for k, v := range st.Objects {
		o := *v
		cp.Objects[k] = &o
	}
	s.states = append(s.states, cp)
	return nil
}

func statuses(r *engine.Result) map[string]engine.Status {
	out := map[string]engine.Status{}
	for _, c := range r.Changes {
		out[string(c.Change.Kind)+" "+c.Change.Key] = c.Status
	}
	return out
}

func TestApplyBatchesUsers(t *testing.T) {
	var p plan.Plan
	for _, u := range users("u", 1200) {
		p.Changes = append(p.Changes, userCreate(u))
	}
	f := &fakeAPI{}
	st := state.New()
	res, err := Apply(context.Background(), f, &p, st, ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	calls := f.of(epBatchImport)
	var sizes []int
	for _, c := range calls {
		req := c.(apiclient.BatchImportRequest)
		if req.ProjectID != 0 || req.GroupIDs != nil || req.SystemRoleIDs != nil {
			t.Errorf("user upsert carries project options: %+v", req)
		}
		sizes = append(sizes, len(req.Users))
	}
	sort.Sort(sort.Reverse(sort.IntSlice(sizes)))
	if diff := cmp.Diff([]int{500, 500, 200}, sizes); diff != "" {
		t.Errorf("batch sizes (-want +got):\n%s", diff)
	}
	if res.Applied() != 1200 || res.Calls[epBatchImport] != 3 || len(st.Objects) != 1200 {
		t.Errorf("applied %d, calls %v, state objects %d", res.Applied(), res.Calls, len(st.Objects))
	}
	if !st.Objects["user u0000"].Created {
		t.Errorf("state of u0000 = %+v, want created", st.Objects["user u0000"])
	}
}

func TestApplyUserFacets(t *testing.T) {
	c := plan.Change{Action: plan.Update, Kind: KindUser, Key: "u1",
		Before: attrs("id", 7, "uniqueId", "u1", "nick", "old", "email", "u1@x"),
		After: attrs("id", 7, "uniqueId", "u1", "nick", "new", "email", "u1@x", "left", true, "allowExternal", false,
			"orgs", []userOrg{{Code: "D1", Role: "leader"}},
			"attrs", map[string]any{"region": nil, "level": []string{}, "7": []string{"a", "b"}}),
		NewState: ns()}
	c2 := plan.Change{Action: plan.Update, Kind: KindUser, Key: "u2",
		Before: attrs("id", 8, "uniqueId", "u2"), After: attrs("id", 8, "uniqueId", "u2", "orgs", []userOrg{{Code: "GONE", Role: "normal"}}), NewState: ns()}
	f := &fakeAPI{orgFails: func(req apiclient.BatchImportRequest) []apiclient.OrgFailedUser {
		if !req.ReturnOrgFailedUsers {
			t.Error("returnOrgFailedUsers not set")
		}
		return []apiclient.OrgFailedUser{{UniqueID: "u2", Message: "GONE dosen't exist!"}}
	}}
	res, err := Apply(context.Background(), f, &plan.Plan{Changes: []plan.Change{c, c2}}, state.New(), ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	calls := f.of(epBatchImport)
	if len(calls) != 1 {
		t.Fatalf("%d batchImport calls, want 1", len(calls))
	}
	u := calls[0].(apiclient.BatchImportRequest).Users[0]
	if u.Email != nil || u.Nick == nil || *u.Nick != "new" || u.IfLeave == nil || *u.IfLeave != 1 ||
		u.NetworkConfig == nil || u.NetworkConfig.AllowExternal {
		t.Errorf("user sent = %+v", u)
	}
	if diff := cmp.Diff([]apiclient.UserOrg{{OrgCode: "D1", OrgRole: "leader"}}, u.UserOrgs); diff != "" {
		t.Errorf("userOrgs (-want +got):\n%s", diff)
	}
	empty := []string{}
	ab := []string{"a", "b"}
	want := []apiclient.AttrValue{{AttrID: 7, AttrValue: &ab}, {AttrName: "level", AttrValue: &empty}, {AttrName: "region"}}
	if diff := cmp.Diff(want, u.Attrs); diff != "" {
		t.Errorf("attrs (-want +got):\n%s", diff)
	}
	s := statuses(res)
	if s["user u1"] != engine.StatusApplied || s["user u2"] != engine.StatusFailed {
		t.Errorf("statuses = %v", s)
	}
	if !strings.Contains(res.Changes[1].Err.Error(), "GONE dosen't exist") {
		t.Errorf("u2 error = %v", res.Changes[1].Err)
	}
}

func TestApplyMembersGroupedByOptions(t *testing.T) {
	p := &plan.Plan{Changes: []plan.Change{
		memberChange(plan.Create, "P", 7, "a", nil, []string{"viewer"}),
		memberChange(plan.Create, "P", 7, "b", nil, []string{"viewer"}),
		memberChange(plan.Create, "P", 7, "c", nil, []string{"editor"}),
		memberChange(plan.Update, "P", 7, "d", []string{"viewer"}, []string{"editor"}),
		memberChange(plan.Update, "P", 7, "e", []string{"viewer"}, []string{"editor"}),
		memberChange(plan.Create, "Q", 8, "a", nil, []string{"viewer"}),
	}}
	f := &fakeAPI{}
	res, err := Apply(context.Background(), f, p, state.New(), ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, c := range f.of(epBatchImport) {
		req := c.(apiclient.BatchImportRequest)
		k := fmt.Sprintf("%d %v", req.ProjectID, req.SystemRoleIDs)
		for _, u := range req.Users {
			got[k] = append(got[k], u.UniqueID)
		}
	}
	want := map[string][]string{"7 [3]": {"a", "b"}, "7 [2]": {"c", "d", "e"}, "8 [3]": {"a"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("batchImport grouping (-want +got):\n%s", diff)
	}
	if n := len(f.of(epBatchImport)); n != 3 {
		t.Errorf("%d batchImport calls, want 3", n)
	}
	dels := f.of(epDelRoles)
	if len(dels) != 1 {
		t.Fatalf("%d delRoles calls, want 1", len(dels))
	}
	wantDel := apiclient.DelRolesRequest{ProjectID: 7, UniqueIDs: []string{"d", "e"}, SystemRoleIDs: []int64{3}}
	if diff := cmp.Diff(wantDel, dels[0].(apiclient.DelRolesRequest)); diff != "" {
		t.Errorf("delRoles (-want +got):\n%s", diff)
	}
	if res.Applied() != 6 {
		t.Errorf("applied %d, want 6", res.Applied())
	}
}

func TestApplyRoleBindsManyUsersInOneCall(t *testing.T) {
	many := users("u", 1500)
	p := &plan.Plan{Changes: []plan.Change{
		roleCreate("P", 7, "", "Readers", many),
		roleUpdate("P", 7, 300, "F", "Old", 0, many[:3], many[:1]),
		roleUpdate("P", 7, 301, "F", "Rows", 2, many[:3], many[:1]),
		roleUpdate("P", 7, 302, "F", "Other", 0, many[:3], many[2:4]),
	}}
	f := &fakeAPI{}
	st := state.New()
	res, err := Apply(context.Background(), f, p, st, ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	imports := f.of(epImportDataPerms)
	if len(imports) != 2 {
		t.Fatalf("%d importDataPermissions calls, want 2 (the create and the role binding a new user)", len(imports))
	}
	byName := map[string]apiclient.ImportDataPermissionsRequest{}
	for _, c := range imports {
		r := c.(apiclient.ImportDataPermissionsRequest)
		byName[r.RoleName] = r
	}
	create := byName["Readers"]
	if len(create.UniqueIDs) != 1500 || create.ProjectID != 7 || create.ResourcePermissions != nil {
		t.Errorf("create sent %d users to project %d", len(create.UniqueIDs), create.ProjectID)
	}
	bind := byName["Other"]
	if diff := cmp.Diff(many[3:4], bind.UniqueIDs); diff != "" || bind.ResourcePermissions != nil || bind.DataPermissions != nil {
		t.Errorf("binding sends only the new user and no permissions: %+v (%s)", bind, diff)
	}
	dels := f.of(epDelRoles)
	var got []apiclient.DelRolesRequest
	for _, d := range dels {
		got = append(got, d.(apiclient.DelRolesRequest))
	}
	sort.Slice(got, func(i, j int) bool { return got[i].RoleNames[0] < got[j].RoleNames[0] })
	want := []apiclient.DelRolesRequest{
		{ProjectID: 7, Path: []string{"F"}, UniqueIDs: many[1:3], RoleNames: []string{"Old"}, PermissionRoleNames: []string{"Rows"}},
		{ProjectID: 7, Path: []string{"F"}, UniqueIDs: many[:2], RoleNames: []string{"Other"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("delRoles (-want +got):\n%s", diff)
	}
	if res.Applied() != 4 {
		t.Errorf("applied %d", res.Applied())
	}
	if id := st.Objects["role P//Readers"].ID; id == 0 {
		t.Errorf("the created role's id is not in the state")
	}
}

func TestApplyOneSyncOrgPerPhase(t *testing.T) {
	dep := func(code, parent string) plan.Change {
		return plan.Change{Action: plan.Create, Kind: KindDepartment, Key: code,
			After: attrs("code", code, "name", "N"+code, "parent", parent, "admins", []string{}, "description", ""), NewState: ns()}
	}
	del := func(code string) plan.Change {
		return plan.Change{Action: plan.Delete, Kind: KindDepartment, Key: code, Before: attrs("code", code)}
	}
	p := &plan.Plan{Changes: []plan.Change{
		{Action: plan.Update, Kind: KindCompany, Key: "company", After: attrs("name", "ACME"), NewState: ns()},
		dep("A", ""), dep("B", "A"), dep("C", "B"),
		del("X2"), del("X1"),
	}}
	f := &fakeAPI{}
	var sv saved
	res, err := Apply(context.Background(), f, p, state.New(), ApplyOptions{SaveState: sv.save})
	if err != nil {
		t.Fatal(err)
	}
	calls := f.of(epSyncOrg)
	if len(calls) != 2 {
		t.Fatalf("%d syncOrg calls, want 2", len(calls))
	}
	up := calls[0].(apiclient.SyncOrgRequest)
	if up.CompanyName != "ACME" || len(up.UpdatedOrgs) != 3 || up.UpdatedOrgs[2].ParentOrgCode != "B" || len(up.DeletedOrgCodes) != 0 {
		t.Errorf("updates = %+v", up)
	}
	down := calls[1].(apiclient.SyncOrgRequest)
	if diff := cmp.Diff([]string{"X2", "X1"}, down.DeletedOrgCodes); diff != "" || len(down.UpdatedOrgs) != 0 {
		t.Errorf("deletions (-want +got):\n%s", diff)
	}
	if res.Applied() != 6 {
		t.Errorf("applied %d", res.Applied())
	}
	// One save after the phase that changed the state; deleting
	// departments the state does not know changes nothing to save.
	if len(sv.states) != 1 {
		t.Errorf("%d saves, want 1", len(sv.states))
	}
	if _, ok := sv.states[0].Objects["department A"]; !ok {
		t.Errorf("first save lacks department A: %v", sv.states[0].Objects)
	}
}

func TestApplyFailureKeepsAPIErrorAndSkipsDependents(t *testing.T) {
	apiErr := &apiclient.APIError{Endpoint: epBatchImport, Code: 500, Message: "内部错误"}
	groupChange := func(project, name string, members []string) plan.Change {
		return plan.Change{Action: plan.Create, Kind: KindGroup, Key: project + "/" + name,
			After: attrs("name", name, "folder", "", "members", members), NewState: ns()}
	}
	p := &plan.Plan{Changes: []plan.Change{
		userCreate("bad"), // fails: its batch is rejected
		{Action: plan.Create, Kind: KindProject, Key: "New", After: attrs("name", "New", "receivers", []string{"ok"}), NewState: ns()},
		{Action: plan.Create, Kind: KindProject, Key: "Broken", After: attrs("name", "Broken", "receivers", []string{"ok"}), NewState: ns()},
		memberChange(plan.Create, "P", 7, "bad", nil, []string{"viewer"}),
		memberChange(plan.Create, "P", 7, "ok", nil, []string{"viewer"}),
		groupChange("Broken", "G", []string{"ok"}),
		groupChange("New", "FailG", nil),
		groupChange("New", "G2", []string{"ok"}),
		roleCreate("P", 7, "", "BindsBad", []string{"bad", "ok"}),
		roleCreate("P", 7, "", "Fine", []string{"ok"}),
		roleCreate("New", 0, "", "InNew", []string{"ok"}),
		func() plan.Change {
			c := roleCreate("New", 0, "", "BindsFailG", nil)
			c.After.Set("groups", []string{"FailG"})
			c.After.Set("group_expires", map[string]string{})
			return c
		}(),
		func() plan.Change {
			c := roleUpdate("P", 7, 900, "", "Replaced", 0, nil, []string{"ok"})
			c.Action = plan.Replace
			return c
		}(),
	}}
	f := &fakeAPI{fail: func(endpoint string, req any) error {
		switch r := req.(type) {
		case apiclient.BatchImportRequest:
			for _, u := range r.Users {
				if u.UniqueID == "bad" {
					return apiErr
				}
			}
		case apiclient.ProjectAddRequest:
			if r.Name == "Broken" {
				return errors.New("project/add: boom")
			}
		case apiclient.GroupAddRequest:
			if r.Title == "FailG" {
				return errors.New("group/add: boom")
			}
		case apiclient.DeleteRoleRequest:
			return errors.New("role/ext/delete: boom")
		}
		return nil
	}}
	res, err := Apply(context.Background(), f, p, state.New(), ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]engine.Status{
		"user bad":             engine.StatusFailed,
		"project New":          engine.StatusApplied,
		"project Broken":       engine.StatusFailed,
		"member P/bad":         engine.StatusFailed, // joins in the call that upserts the user
		"member P/ok":          engine.StatusApplied,
		"group Broken/G":       engine.StatusSkipped,
		"group New/FailG":      engine.StatusFailed,
		"group New/G2":         engine.StatusApplied,
		"role P//BindsBad":     engine.StatusSkipped,
		"role P//Fine":         engine.StatusApplied,
		"role New//InNew":      engine.StatusApplied,
		"role New//BindsFailG": engine.StatusSkipped,
		"role P//Replaced":     engine.StatusFailed,
	}
	if diff := cmp.Diff(want, statuses(res)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	var ae *apiclient.APIError
	if !errors.As(res.Changes[0].Err, &ae) || ae.Code != 500 {
		t.Errorf("user bad error = %v, want the APIError", res.Changes[0].Err)
	}
	for _, c := range res.Changes {
		if c.Status == engine.StatusSkipped && !strings.Contains(c.Reason, "depends on") {
			t.Errorf("%s skipped for %q", c.Change.Key, c.Reason)
		}
	}
	if r := res.Changes[8].Reason; !strings.Contains(r, "user bad") {
		t.Errorf("role P//BindsBad reason %q does not name user bad", r)
	}
	// The member joining with the user was made in the user's call.
	for _, c := range f.of(epBatchImport) {
		if r := c.(apiclient.BatchImportRequest); r.ProjectID == 7 && len(r.Users) == 1 && r.Users[0].UniqueID == "bad" && r.Users[0].Nick == nil {
			t.Errorf("member P/bad joined in a call of its own")
		}
	}
	// The replace whose delete failed made no import.
	for _, c := range f.of(epImportDataPerms) {
		if n := c.(apiclient.ImportDataPermissionsRequest).RoleName; n == "Replaced" || n == "BindsBad" || n == "BindsFailG" {
			t.Errorf("importDataPermissions made for %s", n)
		}
	}
	// The role of the new project learned the project's id.
	for _, c := range f.of(epImportDataPerms) {
		if r := c.(apiclient.ImportDataPermissionsRequest); r.RoleName == "InNew" && r.ProjectID == 0 {
			t.Errorf("role in new project sent without project id")
		}
	}
}

func TestApplyInterrupted(t *testing.T) {
	p := &plan.Plan{Changes: []plan.Change{
		roleCreate("P", 7, "", "R1", []string{"a"}),
		roleCreate("P", 7, "", "R2", []string{"a"}),
		roleCreate("P", 7, "", "R3", []string{"a"}),
		roleCreate("P", 7, "", "R4", []string{"a"}),
		{Action: plan.Delete, Kind: KindUser, Key: "gone", Before: attrs("uniqueId", "gone")},
	}}
	f := &fakeAPI{started: make(chan string, 10), gate: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	var sv saved
	type out struct {
		res *engine.Result
		err error
	}
	done := make(chan out)
	go func() {
		res, err := Apply(ctx, f, p, state.New(), ApplyOptions{Concurrency: 2, SaveState: sv.save})
		done <- out{res, err}
	}()
	<-f.started
	<-f.started
	cancel()
	close(f.gate) // the calls in flight finish after the cancel
	o := <-done
	if !errors.Is(o.err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", o.err)
	}
	if !o.res.Interrupted {
		t.Error("Interrupted not set")
	}
	if f.total() != 2 || o.res.Calls[epImportDataPerms] != 2 {
		t.Errorf("%d calls made (%v), want the 2 in flight only", f.total(), o.res.Calls)
	}
	if o.res.Applied() != 2 || o.res.Skipped() != 3 {
		t.Errorf("applied %d, skipped %d", o.res.Applied(), o.res.Skipped())
	}
	for _, c := range o.res.Changes {
		if c.Status == engine.StatusSkipped && c.Reason != engine.ReasonInterrupted {
			t.Errorf("%s skipped for %q", c.Change.Key, c.Reason)
		}
	}
	last := sv.states[len(sv.states)-1]
	n := 0
	for k := range last.Objects {
		if strings.HasPrefix(k, "role ") {
			n++
		}
	}
	if n != 2 {
		t.Errorf("the saved state holds %d roles, want the 2 applied", n)
	}
}

func TestApplyGuardRails(t *testing.T) {
	del := plan.Change{Action: plan.Delete, Kind: KindUser, Key: "x", Before: attrs("uniqueId", "x")}
	cases := []struct {
		name    string
		plan    plan.Plan
		o       ApplyOptions
		refused string
	}{
		{"refusal", plan.Plan{Changes: []plan.Change{del}, Refusals: []plan.Refusal{{Kind: plan.RefuseDataLoss, Message: "role P//R must be replaced"}}}, ApplyOptions{AllowMassDelete: true}, "must be replaced"},
		{"maxDeletes", plan.Plan{Changes: []plan.Change{del}, Refusals: []plan.Refusal{{Kind: plan.RefuseMaxDeletes, Message: "settings.maxDeletes: 5 user deletions exceed"}}}, ApplyOptions{}, "maxDeletes"},
		{"maxDeletes lifted", plan.Plan{Changes: []plan.Change{del}, Refusals: []plan.Refusal{{Kind: plan.RefuseMaxDeletes, Message: "settings.maxDeletes: 5 user deletions exceed"}}}, ApplyOptions{AllowMassDelete: true}, ""},
		{"protected user deleted", plan.Plan{Changes: []plan.Change{del}}, ApplyOptions{ProtectedUsers: []string{"x"}}, "protected user x"},
		{"token user removed from project", plan.Plan{Changes: []plan.Change{{Action: plan.Delete, Kind: KindMember, Key: "P/me", Before: attrs("user", "me", "project_id", 7)}}}, ApplyOptions{TokenUser: "me"}, "protected user me"},
		{"token user unbound from role", plan.Plan{Changes: []plan.Change{roleUpdate("P", 7, 1, "", "R", 0, []string{"me", "x"}, []string{"x"})}}, ApplyOptions{TokenUser: "me"}, "unbind from the role"},
		{"protected admin dropped", plan.Plan{Changes: []plan.Change{memberChange(plan.Update, "P", 7, "boss", []string{"admin"}, []string{"viewer"})}}, ApplyOptions{ProtectedUsers: []string{"boss"}}, "admin system role"},
		{"protected user bound", plan.Plan{Changes: []plan.Change{roleUpdate("P", 7, 1, "", "R", 0, []string{"x"}, []string{"me", "x"})}}, ApplyOptions{TokenUser: "me"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeAPI{}
			res, err := Apply(context.Background(), f, &tc.plan, state.New(), tc.o)
			if tc.refused == "" {
				if err != nil || res.Failed() != 0 {
					t.Fatalf("err = %v, res = %+v", err, res)
				}
				if f.total() == 0 {
					t.Error("nothing was written")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.refused) {
				t.Fatalf("err = %v, want a refusal naming %q", err, tc.refused)
			}
			if f.total() != 0 || res != nil {
				t.Errorf("%d calls made after a refusal", f.total())
			}
		})
	}
}

func TestApplySaveStateFailureStops(t *testing.T) {
	p := &plan.Plan{Changes: []plan.Change{userCreate("a"), memberChange(plan.Create, "P", 7, "a", nil, []string{"viewer"})}}
	f := &fakeAPI{}
	calls := 0
	res, err := Apply(context.Background(), f, p, state.New(), ApplyOptions{SaveState: func(*state.State) error {
		calls++
		return errors.New("disk full")
	}})
	if err == nil || !strings.Contains(err.Error(), "disk full") || !strings.Contains(err.Error(), "state") {
		t.Fatalf("err = %v", err)
	}
	if !errors.Is(err, engine.ErrStateNotSaved) {
		t.Errorf("err = %v, want engine.ErrStateNotSaved", err)
	}
	if calls != 1 || f.total() != 1 {
		t.Errorf("SaveState called %d times, %d write calls; want 1 and 1", calls, f.total())
	}
	if s := statuses(res); s["user a"] != engine.StatusApplied || s["member P/a"] != engine.StatusSkipped {
		t.Errorf("statuses = %v", s)
	}
}

func TestApplyGroups(t *testing.T) {
	p := &plan.Plan{Changes: []plan.Change{
		{Action: plan.Create, Kind: KindGroup, Key: "P/A", After: attrs("project_id", 7, "name", "A", "folder", "F", "description", "d", "members", []string{"u1", "u2"}), NewState: ns()},
		{Action: plan.Create, Kind: KindGroup, Key: "P/B", After: attrs("project_id", 7, "name", "B", "folder", "", "members", []string{"u1", "u2", "u3"}), NewState: ns()},
		{Action: plan.Update, Kind: KindGroup, Key: "P/C",
			Before: attrs("id", 55, "project_id", 7, "name", "C", "folder", "", "members", []string{"u1", "x"}),
			After:  attrs("id", 55, "project_id", 7, "name", "C", "folder", "", "description", "new", "members", []string{"u1", "u3"}), NewState: &state.Object{ID: 55}},
		{Action: plan.Replace, Kind: KindGroup, Key: "P/D",
			Before: attrs("id", 56, "project_id", 7, "name", "D", "folder", "Old", "members", []string{"u4"}),
			After:  attrs("id", 56, "project_id", 7, "name", "D", "folder", "New", "members", []string{"u4"}), NewState: ns()},
	}}
	f := &fakeAPI{}
	st := state.New()
	res, err := Apply(context.Background(), f, p, st, ApplyOptions{})
	if err != nil || res.Applied() != 4 {
		t.Fatalf("err %v, applied %d: %+v", err, res.Applied(), res.Changes)
	}
	// The replace deletes the group by its id, which does not depend on
	// the folder the state remembers.
	if d := f.of(epDeleteGroups); len(d) != 1 || cmp.Diff(apiclient.GroupDelsRequest{ProjectID: 7, IDs: []int64{56}}, d[0].(apiclient.GroupDelsRequest)) != "" {
		t.Errorf("group/dels = %+v", d)
	}
	ids := map[string]int64{}
	for _, c := range f.calls {
		if c.endpoint == epAddGroup {
			ids[c.req.(apiclient.GroupAddRequest).Title] = 0
		}
	}
	for k := range ids {
		ids[k] = st.Objects["group P/"+k].ID
	}
	got := map[string][]int64{}
	for _, c := range f.of(epBatchImport) {
		req := c.(apiclient.BatchImportRequest)
		for _, u := range req.Users {
			got[u.UniqueID] = req.GroupIDs
		}
	}
	want := map[string][]int64{
		"u1": sets.Sorted([]int64{ids["A"], ids["B"]}),
		"u2": sets.Sorted([]int64{ids["A"], ids["B"]}),
		"u3": sets.Sorted([]int64{ids["B"], 55}),
		"u4": {ids["D"]},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("group joins (-want +got):\n%s", diff)
	}
	if n := len(f.of(epBatchImport)); n != 3 {
		t.Errorf("%d batchImport calls, want 3 (one per set of groups)", n)
	}
	if d := f.of(epDeleteGroupUser); len(d) != 1 || cmp.Diff(apiclient.GroupDelUsersRequest{GroupID: 55, UniqueIDs: []string{"x"}}, d[0]) != "" {
		t.Errorf("delUsers = %+v", d)
	}
	if u := f.of(epUpdateGroup); len(u) != 1 {
		t.Errorf("group/ext/update calls = %+v", u)
	}
}

// Without an id (no state, never seen on the server) a group is deleted by
// its path.
func TestGroupDelsFallsBackToPath(t *testing.T) {
	c := plan.Change{Action: plan.Delete, Kind: KindGroup, Key: "P/G", Before: attrs("project_id", 7, "name", "G", "folder", "F")}
	want := apiclient.GroupDelsRequest{ProjectID: 7, Path: []string{"F", "G"}}
	if d := cmp.Diff(want, groupDels(7, c)); d != "" {
		t.Errorf("group/dels (-want +got):\n%s", d)
	}
}

// A group or role deleted by hand that the state still remembers: the
// server answers that it does not exist, and the delete counts as done, so
// the state forgets it instead of failing every later apply. Other errors
// still fail.
func TestApplyDeleteOfSomethingGone(t *testing.T) {
	p := &plan.Plan{Changes: []plan.Change{
		{Action: plan.Delete, Kind: KindGroup, Key: "P/G", Before: attrs("id", 56, "project_id", 7, "name", "G", "folder", "")},
		{Action: plan.Delete, Kind: KindRole, Key: "P//R", Before: attrs("id", 77, "project_id", 7, "name", "R", "folder", "", "type", 0)},
		{Action: plan.Delete, Kind: KindRole, Key: "P//S", Before: attrs("id", 78, "project_id", 7, "name", "S", "folder", "", "type", 0)},
	}}
	st := state.New()
	for _, k := range []string{"group P/G", "role P//R", "role P//S"} {
		st.Objects[k] = &state.Object{Created: true}
	}
	f := &fakeAPI{fail: func(endpoint string, req any) error {
		switch endpoint {
		case epDeleteGroups:
			return &apiclient.APIError{HTTPStatus: 200, Code: 404, Message: "对应的用户组不存在", Endpoint: endpoint}
		case epDeleteRole:
			if req.(apiclient.DeleteRoleRequest).RoleID == 77 {
				return &apiclient.APIError{HTTPStatus: 200, Code: 404, Message: "对应的角色不存在", Endpoint: endpoint}
			}
			return &apiclient.APIError{HTTPStatus: 200, Code: 500, Message: "内部错误", Endpoint: endpoint}
		}
		return nil
	}}
	res, err := Apply(context.Background(), f, p, st, ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied() != 2 || res.Failed() != 1 {
		t.Fatalf("applied %d, failed %d: %+v", res.Applied(), res.Failed(), res.Changes)
	}
	if _, ok := st.Objects["group P/G"]; ok {
		t.Error("the state still remembers the group that is gone")
	}
	if _, ok := st.Objects["role P//R"]; ok {
		t.Error("the state still remembers the role that is gone")
	}
	if _, ok := st.Objects["role P//S"]; !ok {
		t.Error("a role whose delete failed left the state")
	}
}

// An answer that does not come from the endpoint (an HTTP error, or "no
// such endpoint" from a gateway or an older server) says nothing about the
// object: the delete fails and the state keeps it.
func TestApplyDeleteNotGoneOnEndpointErrors(t *testing.T) {
	for _, ae := range []*apiclient.APIError{
		{HTTPStatus: 404, Code: 404, Message: "接口不存在: group/dels"},
		{HTTPStatus: 404, Message: "对应的用户组不存在"},
		{HTTPStatus: 200, Code: 404, Message: "接口不存在"},
	} {
		p := &plan.Plan{Changes: []plan.Change{
			{Action: plan.Delete, Kind: KindGroup, Key: "P/G", Before: attrs("id", 56, "project_id", 7, "name", "G", "folder", "")},
		}}
		st := state.New()
		st.Objects["group P/G"] = &state.Object{Created: true, ID: 56}
		f := &fakeAPI{fail: func(endpoint string, _ any) error {
			if endpoint == epDeleteGroups {
				return ae
			}
			return nil
		}}
		res, err := Apply(context.Background(), f, p, st, ApplyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Failed() != 1 {
			t.Errorf("%v: failed %d, want 1", ae, res.Failed())
		}
		if _, ok := st.Objects["group P/G"]; !ok {
			t.Errorf("%v: the state forgot a group the server may still hold", ae)
		}
	}
}

// A replace whose old object was deleted by hand still re-creates it.
func TestApplyReplaceOfSomethingGone(t *testing.T) {
	p := &plan.Plan{Changes: []plan.Change{
		{Action: plan.Replace, Kind: KindGroup, Key: "P/D",
			Before: attrs("id", 56, "project_id", 7, "name", "D", "folder", "Old", "members", []string{}),
			After:  attrs("id", 56, "project_id", 7, "name", "D", "folder", "New", "members", []string{}), NewState: ns()},
	}}
	f := &fakeAPI{fail: func(endpoint string, req any) error {
		if endpoint == epDeleteGroups {
			return &apiclient.APIError{HTTPStatus: 200, Code: 404, Message: "对应的用户组不存在", Endpoint: endpoint}
		}
		return nil
	}}
	st := state.New()
	res, err := Apply(context.Background(), f, p, st, ApplyOptions{})
	if err != nil || res.Applied() != 1 {
		t.Fatalf("err %v, applied %d: %+v", err, res.Applied(), res.Changes)
	}
	if len(f.of(epAddGroup)) != 1 {
		t.Errorf("the group was not re-created: %+v", f.calls)
	}
	if o := st.Objects["group P/D"]; o == nil || o.ID == 0 {
		t.Errorf("state after the replace: %+v", o)
	}
}

// A role bound to a group whose replace failed is skipped, and the reason
// names the replace, not a create the plan never had.
func TestApplySkipNamesFailedReplace(t *testing.T) {
	p := &plan.Plan{Changes: []plan.Change{
		{Action: plan.Replace, Kind: KindGroup, Key: "P/G",
			Before: attrs("id", 5, "project_id", 7, "name", "G", "folder", "Old", "members", []string{"u1"}),
			After:  attrs("id", 5, "project_id", 7, "name", "G", "folder", "New", "members", []string{"u1"}), NewState: ns()},
		{Action: plan.Create, Kind: KindRole, Key: "P//R",
			After: attrs("project_id", 7, "name", "R", "folder", "", "level", 1, "type", 0, "groups", []string{"G"}), NewState: ns()},
	}}
	f := &fakeAPI{fail: func(endpoint string, _ any) error {
		if endpoint == epDeleteGroups {
			return &apiclient.APIError{Code: 500, Message: "内部错误"}
		}
		return nil
	}}
	res, err := Apply(context.Background(), f, p, state.New(), ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]engine.Status{"group P/G": engine.StatusFailed, "role P//R": engine.StatusSkipped}, statuses(res)); d != "" {
		t.Fatalf("statuses (-want +got):\n%s", d)
	}
	if r := res.Changes[1].Reason; r != "depends on group P/G, whose replace failed" {
		t.Errorf("reason %q", r)
	}
}

// A group that exists without members cannot be seen, so its create
// meets the name taken, and its id cannot be learned: the members the
// files give it cannot join; the error says why and what to do.
func TestApplyGroupNameTakenSaysWhatToDo(t *testing.T) {
	p := &plan.Plan{Changes: []plan.Change{
		{Action: plan.Create, Kind: KindGroup, Key: "P/G", After: attrs("project_id", 7, "name", "G", "folder", "", "members", []string{"u1"}), NewState: ns()},
	}}
	f := &fakeAPI{fail: func(endpoint string, req any) error {
		if endpoint == epAddGroup {
			return &apiclient.APIError{HTTPStatus: 200, Code: 409, Message: "用户组名称已存在: G", Endpoint: endpoint}
		}
		return nil
	}}
	res, err := Apply(context.Background(), f, p, state.New(), ApplyOptions{})
	if err != nil || res.Failed() != 1 {
		t.Fatalf("err %v, failed %d", err, res.Failed())
	}
	msg := res.Changes[0].Err.Error()
	var ae *apiclient.APIError
	if !errors.As(res.Changes[0].Err, &ae) || !strings.Contains(msg, "no members") || !strings.Contains(msg, "web console") {
		t.Errorf("error: %v", msg)
	}
}
