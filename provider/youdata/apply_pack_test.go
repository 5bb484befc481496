package youdata

import (
	"context"
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/internal/sets"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/state"
)

// bindModel is the direct user bindings of a project's roles, as
// importDataPermissions and user/delRoles change them: "folder/name#type"
// → users.
type bindModel map[string]map[string]bool

func roleModelKey(folder, name string, typ int) string {
	return fmt.Sprintf("%s/%s#%d", folder, name, typ)
}

// apply plays one write call on the model: importDataPermissions adds the
// users it names; user/delRoles unbinds every user it names from every
// role it names at its path.
func (m bindModel) apply(endpoint string, req any) {
	switch endpoint {
	case epImportDataPerms:
		r := req.(apiclient.ImportDataPermissionsRequest)
		folder := ""
		if len(r.Path) > 0 {
			folder = r.Path[0]
		}
		k := roleModelKey(folder, r.RoleName, r.Type)
		for _, u := range r.UniqueIDs {
			if m[k] == nil {
				m[k] = map[string]bool{}
			}
			m[k][u] = true
		}
	case epDelRoles:
		r := req.(apiclient.DelRolesRequest)
		folder := ""
		if len(r.Path) > 0 {
			folder = r.Path[0]
		}
		var keys []string
		for _, n := range r.RoleNames {
			// Level 1 and level 2 roles are both roleNames.
			keys = append(keys, roleModelKey(folder, n, 0), roleModelKey(folder, n, 3))
		}
		for _, n := range r.PermissionRoleNames {
			keys = append(keys, roleModelKey(folder, n, 2))
		}
		for _, k := range keys {
			for _, u := range r.UniqueIDs {
				delete(m[k], u)
			}
		}
	}
}

func pickUsers(rnd *rand.Rand, all []string) []string {
	var out []string
	for _, u := range all {
		if rnd.Intn(2) == 0 {
			out = append(out, u)
		}
	}
	sort.Strings(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// However the roles of a folder share user/delRoles calls, no user is
// unbound from a role the plan keeps them in, and every user the plan
// removes is unbound: random bindings, played on a model of the server.
func TestApplyPackedDelRolesUnbindsOnlyWhatLeaves(t *testing.T) {
	people := users("u", 6)
	for seed := int64(1); seed <= 300; seed++ {
		rnd := rand.New(rand.NewSource(seed))
		model := bindModel{}
		want := bindModel{}
		var changes []plan.Change
		removing := 0
		for r := 0; r < 2+rnd.Intn(6); r++ {
			folder := []string{"", "F", "G"}[rnd.Intn(3)]
			typ := []int{0, 2, 3}[rnd.Intn(3)]
			name := fmt.Sprintf("R%d", r)
			before, after := pickUsers(rnd, people), pickUsers(rnd, people)
			k := roleModelKey(folder, name, typ)
			model[k], want[k] = map[string]bool{}, map[string]bool{}
			for _, u := range before {
				model[k][u] = true
			}
			for _, u := range after {
				want[k][u] = true
			}
			c := roleUpdate("P", 7, int64(100+r), folder, name, typ, before, after)
			if typ == 3 {
				c.After.Set("level", 2)
			}
			changes = append(changes, c)
			if len(sets.Minus(before, after)) > 0 {
				removing++
			}
		}
		batch := 1 + rnd.Intn(6)
		f := &fakeAPI{fail: func(endpoint string, req any) error {
			model.apply(endpoint, req)
			return nil
		}}
		res, err := Apply(context.Background(), f, &plan.Plan{Changes: changes}, state.New(), ApplyOptions{BatchSize: batch})
		if err != nil {
			t.Fatal(err)
		}
		if res.Applied() != len(changes) {
			t.Fatalf("seed %d: %d of %d applied: %+v", seed, res.Applied(), len(changes), res.Changes)
		}
		if d := cmp.Diff(want, model); d != "" {
			t.Fatalf("seed %d (batch %d): bindings after the apply (-want +got):\n%s", seed, batch, d)
		}
		for _, req := range f.of(epDelRoles) {
			if n := len(req.(apiclient.DelRolesRequest).UniqueIDs); n > batch {
				t.Fatalf("seed %d: user/delRoles names %d users, batch size %d", seed, n, batch)
			}
		}
		if batch >= len(people) && len(f.of(epDelRoles)) > removing {
			t.Fatalf("seed %d: %d user/delRoles calls for %d roles losing users", seed, len(f.of(epDelRoles)), removing)
		}
	}
}

// Roles of one folder that unbind the same users, with nobody staying,
// share one user/delRoles; a role in which one of those users stays gets a
// call of its own.
func TestApplyDelRolesPacksAFolder(t *testing.T) {
	p := &plan.Plan{Changes: []plan.Change{
		roleUpdate("P", 7, 1, "F", "A", 0, []string{"x", "y"}, []string{}),
		roleUpdate("P", 7, 2, "F", "B", 2, []string{"x"}, []string{"z"}),
		roleUpdate("P", 7, 3, "F", "C", 0, []string{"x", "y"}, []string{"y"}),
		roleUpdate("P", 7, 4, "", "D", 0, []string{"x"}, []string{}),
	}}
	f := &fakeAPI{}
	if _, err := Apply(context.Background(), f, p, state.New(), ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range f.of(epDelRoles) {
		req := r.(apiclient.DelRolesRequest)
		got = append(got, fmt.Sprintf("%v roles %v perms %v users %v", req.Path, req.RoleNames, req.PermissionRoleNames, req.UniqueIDs))
	}
	sort.Strings(got)
	want := []string{
		"[F] roles [A] perms [B] users [x y]",
		"[F] roles [C] perms [] users [x]",
		"[] roles [D] perms [] users [x]",
	}
	sort.Strings(want)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("user/delRoles calls (-want +got):\n%s", d)
	}
}

// leaverPlan deletes user gone from the domain; gone also leaves role R,
// group G and project P, which domain/user/delete does by itself.
func leaverPlan() *plan.Plan {
	role := roleUpdate("P", 7, 11, "", "R", 0, []string{"gone", "stay"}, []string{"stay"})
	group := plan.Change{Action: plan.Update, Kind: KindGroup, Key: "P/G",
		Before: attrs("id", 56, "project_id", 7, "name", "G", "folder", "", "members", []string{"gone", "x"}),
		After:  attrs("id", 56, "project_id", 7, "name", "G", "folder", "", "members", []string{"x"}), NewState: &state.Object{ID: 56}}
	member := plan.Change{Action: plan.Delete, Kind: KindMember, Key: "P/gone", Before: attrs("user", "gone", "project_id", 7, "id", 5)}
	user := plan.Change{Action: plan.Delete, Kind: KindUser, Key: "gone", Before: attrs("uniqueId", "gone")}
	return &plan.Plan{Changes: []plan.Change{user, member, group, role}}
}

// A user deleted from the domain is not unbound, removed from groups or
// from projects first: the deletion does it, in one call.
func TestApplyLeaverLeavesWithItsDeletion(t *testing.T) {
	f := &fakeAPI{}
	res, err := Apply(context.Background(), f, leaverPlan(), state.New(), ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied() != 4 {
		t.Fatalf("applied %d of 4: %+v", res.Applied(), res.Changes)
	}
	for _, ep := range []string{epDelRoles, epDeleteGroupUser, epDelProjectUsers, epImportDataPerms, epBatchImport} {
		if n := len(f.of(ep)); n != 0 {
			t.Errorf("%s called %d times: %v", ep, n, f.of(ep))
		}
	}
	if d := cmp.Diff([]any{[]string{"gone"}}, f.of(epDelDomainUsers)); d != "" {
		t.Errorf("domain/user/delete calls (-want +got):\n%s", d)
	}
}

// When the deletion from the domain fails, or is never made because the
// apply is interrupted first, every change that left its part to it
// fails too: none is reported applied while the user is still bound.
func TestApplyLeaverDeletionNotMadeFailsWhatReliedOnIt(t *testing.T) {
	for _, tc := range []string{"fails", "interrupted"} {
		t.Run(tc, func(t *testing.T) {
			p := leaverPlan()
			// stay2 leaves R too, so the roles phase makes a call.
			p.Changes[3] = roleUpdate("P", 7, 11, "", "R", 0, []string{"gone", "stay", "stay2"}, []string{"stay"})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			f := &fakeAPI{fail: func(endpoint string, req any) error {
				switch {
				case tc == "fails" && endpoint == epDelDomainUsers:
					return &apiclient.APIError{HTTPStatus: 200, Code: 500, Message: "内部错误", Endpoint: endpoint}
				case tc == "interrupted" && endpoint == epDelRoles:
					cancel()
				}
				return nil
			}}
			st := state.New()
			res, err := Apply(ctx, f, p, st, ApplyOptions{})
			if tc == "interrupted" && err == nil {
				t.Fatal("an interrupted apply returned no error")
			}
			if tc == "fails" && err != nil {
				t.Fatal(err)
			}
			for _, ep := range []string{epDeleteGroupUser, epDelProjectUsers} {
				if n := len(f.of(ep)); n != 0 {
					t.Errorf("%s called %d times", ep, n)
				}
			}
			for _, r := range f.of(epDelRoles) {
				if slices.Contains(r.(apiclient.DelRolesRequest).UniqueIDs, "gone") {
					t.Errorf("user/delRoles names the leaver: %+v", r)
				}
			}
			got := statuses(res)
			if got["user gone"] == engine.StatusApplied {
				t.Fatalf("the deletion is reported applied: %v", got)
			}
			for _, k := range []string{"member P/gone", "group P/G", "role P//R"} {
				if got[k] == engine.StatusApplied {
					t.Errorf("%s is reported applied though user gone is still there", k)
				}
			}
			for _, cr := range res.Changes {
				if cr.Change.Kind == KindRole && (cr.Err == nil || !strings.Contains(cr.Err.Error(), "unbinding user gone")) {
					t.Errorf("role error = %v, want it to name the leaver", cr.Err)
				}
			}
		})
	}
}

func goneErr(endpoint string) error {
	return &apiclient.APIError{HTTPStatus: 200, Code: 404, Message: "对应的用户组不存在", Endpoint: endpoint}
}

// The groups of a project leave in one group/dels; when the server refuses
// it because one is gone already, each is deleted on its own, the one gone
// counting as deleted and a failure failing only its own change.
func TestApplyGroupDelsPackedAndFallback(t *testing.T) {
	groupDelete := func(id int64, name string) plan.Change {
		return plan.Change{Action: plan.Delete, Kind: KindGroup, Key: "P/" + name, Before: attrs("id", id, "project_id", 7, "name", name)}
	}
	pl := func() (*plan.Plan, *state.State) {
		st := state.New()
		for _, n := range []string{"A", "B", "C"} {
			st.Objects["group P/"+n] = &state.Object{Created: true}
		}
		return &plan.Plan{Changes: []plan.Change{groupDelete(6, "A"), groupDelete(7, "B"), groupDelete(8, "C")}}, st
	}

	p, st := pl()
	f := &fakeAPI{}
	if _, err := Apply(context.Background(), f, p, st, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]any{apiclient.GroupDelsRequest{ProjectID: 7, IDs: []int64{6, 7, 8}}}, f.of(epDeleteGroups)); d != "" {
		t.Errorf("group/dels calls (-want +got):\n%s", d)
	}

	p, st = pl()
	f = &fakeAPI{fail: func(endpoint string, req any) error {
		if endpoint != epDeleteGroups {
			return nil
		}
		ids := req.(apiclient.GroupDelsRequest).IDs
		for _, id := range ids {
			if id == 7 {
				return goneErr(endpoint)
			}
		}
		if len(ids) == 1 && ids[0] == 8 {
			return &apiclient.APIError{HTTPStatus: 200, Code: 500, Message: "内部错误", Endpoint: endpoint}
		}
		return nil
	}}
	res, err := Apply(context.Background(), f, p, st, ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]engine.Status{"group P/A": engine.StatusApplied, "group P/B": engine.StatusApplied, "group P/C": engine.StatusFailed}
	if d := cmp.Diff(want, statuses(res)); d != "" {
		t.Errorf("statuses (-want +got):\n%s", d)
	}
	wantCalls := []any{
		apiclient.GroupDelsRequest{ProjectID: 7, IDs: []int64{6, 7, 8}},
		apiclient.GroupDelsRequest{ProjectID: 7, IDs: []int64{6}},
		apiclient.GroupDelsRequest{ProjectID: 7, IDs: []int64{7}},
		apiclient.GroupDelsRequest{ProjectID: 7, IDs: []int64{8}},
	}
	if d := cmp.Diff(wantCalls, f.of(epDeleteGroups)); d != "" {
		t.Errorf("group/dels calls (-want +got):\n%s", d)
	}
	for k, keep := range map[string]bool{"group P/A": false, "group P/B": false, "group P/C": true} {
		if _, ok := st.Objects[k]; ok != keep {
			t.Errorf("state has %s: %v, want %v", k, ok, keep)
		}
	}
}

// A role update that drops a group the plan deletes leaves the unbinding
// to group/dels. When that fails, the update fails too, and its state
// still records the group bound, so the next plan knows of the binding.
func TestApplyRoleRelyingOnGroupDeletion(t *testing.T) {
	role := roleUpdate("P", 7, 11, "", "R", 0, []string{"u"}, []string{"u"})
	role.Before.Set("groups", []string{"A", "X"})
	role.After.Set("groups", []string{"A"})
	role.Before.Set("group_expires", map[string]string{})
	role.After.Set("group_expires", map[string]string{})
	role.NewState = &state.Object{ID: 11, Facets: map[string]state.Facet{"groups": {Hash: "new", Items: []string{"A"}}}}
	group := plan.Change{Action: plan.Delete, Kind: KindGroup, Key: "P/X", Before: attrs("id", 9, "project_id", 7, "name", "X")}
	p := &plan.Plan{Changes: []plan.Change{group, role}}

	for _, fails := range []bool{false, true} {
		st := state.New()
		st.Objects["role P//R"] = &state.Object{ID: 11, Facets: map[string]state.Facet{"groups": {Hash: "old", Items: []string{"A", "X"}}}}
		f := &fakeAPI{fail: func(endpoint string, req any) error {
			if fails && endpoint == epDeleteGroups {
				return &apiclient.APIError{HTTPStatus: 200, Code: 500, Message: "内部错误", Endpoint: endpoint}
			}
			return nil
		}}
		res, err := Apply(context.Background(), f, p, st, ApplyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(f.of(epImportDataPerms)); n != 0 {
			t.Errorf("fails=%v: importDataPermissions called %d times: the kept group's binding is unchanged", fails, n)
		}
		got := statuses(res)
		facet := st.Objects["role P//R"].Facets["groups"]
		if !fails {
			if got["role P//R"] != engine.StatusApplied || facet.Hash != "new" {
				t.Errorf("statuses %v, facet %+v", got, facet)
			}
			continue
		}
		if got["role P//R"] != engine.StatusFailed {
			t.Errorf("the role update is %s though group X is still bound to it", got["role P//R"])
		}
		if d := cmp.Diff(state.Facet{Hash: "", Items: []string{"A", "X"}}, facet); d != "" {
			t.Errorf("state of the role's groups (-want +got):\n%s", d)
		}
		if p.Changes[1].NewState.Facets["groups"].Hash != "new" {
			t.Error("the plan's NewState was changed")
		}
	}
}
