package benchgen

import (
	"context"
	"encoding/json"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

var tiny = Shape{Name: "T", Users: 120, Departments: 12, Projects: 3, Members: 40, Groups: 6, Roles: 20, DataPermissions: 6}

func seedJSON(t *testing.T, c *Company) string {
	t.Helper()
	data, err := json.Marshal(c.Seed())
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, b := Generate(tiny, 7), Generate(tiny, 7)
	if diff := cmp.Diff(seedJSON(t, a), seedJSON(t, b)); diff != "" {
		t.Fatalf("same seed, different companies (-a +b):\n%s", diff)
	}
	if seedJSON(t, a) == seedJSON(t, Generate(tiny, 8)) {
		t.Fatal("seeds 7 and 8 gave the same company")
	}
	ma, mutA := Mutate(a, 0.1, 7)
	mb, mutB := Mutate(b, 0.1, 7)
	if diff := cmp.Diff(seedJSON(t, ma), seedJSON(t, mb)); diff != "" {
		t.Fatalf("same seed, different mutations (-a +b):\n%s", diff)
	}
	if mutA != mutB {
		t.Fatalf("mutation counts differ: %+v, %+v", mutA, mutB)
	}
	if seedJSON(t, a) != seedJSON(t, b) {
		t.Fatal("Mutate changed its input")
	}
}

func TestShapeAndMutationCounts(t *testing.T) {
	c := Generate(tiny, 1)
	if len(c.Users) != tiny.Users || len(c.Depts) != tiny.Departments || len(c.Projects) != tiny.Projects {
		t.Fatalf("users %d, departments %d, projects %d", len(c.Users), len(c.Depts), len(c.Projects))
	}
	for _, p := range c.Projects {
		// The admin is a member of every project besides the generated members.
		if len(p.Members) != tiny.Members+1 || len(p.Groups) != tiny.Groups || len(p.Roles) != tiny.Roles || len(p.DPs) != tiny.DataPermissions {
			t.Fatalf("project %s: members %d, groups %d, roles %d, data permissions %d", p.Name, len(p.Members), len(p.Groups), len(p.Roles), len(p.DPs))
		}
		for _, g := range p.Groups {
			if len(g.Members) == 0 {
				t.Errorf("group %s/%s has no members: no read would show it", p.Name, g.Name)
			}
		}
	}
	after, m := Mutate(c, 0.3, 1)
	third := 12 // round(120 × 0.3 / 3)
	if m.NewUsers != third || m.Leavers != third || m.Moved != third {
		t.Fatalf("mutation %+v: want %d new users, leavers and moved", m, third)
	}
	if len(after.Users) != tiny.Users {
		t.Fatalf("after: %d users, want %d (as many join as leave)", len(after.Users), tiny.Users)
	}
	// Per project, half the share: round(6 × 0.15) = 1 group and
	// round(20 × 0.15) = 3 roles.
	if m.GroupsRemoved != 3 || m.GroupsAdded != 3 || m.RolesRemoved != 9 || m.RolesAdded != 9 {
		t.Fatalf("mutation %+v: want 3 groups and 9 roles removed and added", m)
	}
	moved := 0
	for uid, u := range after.Users {
		if b := c.Users[uid]; b != nil && b.Dept != u.Dept {
			moved++
		}
	}
	if moved != m.Moved {
		t.Fatalf("%d users changed department, Mutate says %d", moved, m.Moved)
	}
}

func TestReadBound(t *testing.T) {
	got := ReadBound(2500, []int{0, 1000, 1001})
	want := Calls{"user/getAllUsers": 3, "project/list": 1, "systemRole/list": 1,
		"projectUser/list": 1 + 1 + 2, "role/list": 6, "user/permissions": 2001}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("ReadBound (-want +got):\n%s", diff)
	}
	if got := ReadBound(1000, nil)["user/getAllUsers"]; got != 2 {
		t.Fatalf("a full last page needs one more call: got %d pages, want 2", got)
	}
}

func attrs(kv ...any) plan.Attrs {
	a := plan.Attrs{}
	for i := 0; i < len(kv); i += 2 {
		a.Set(kv[i].(string), kv[i+1])
	}
	return a
}

func TestWriteBound(t *testing.T) {
	p := &plan.Plan{Changes: []plan.Change{
		{Action: plan.Delete, Kind: youdata.KindUser, Key: "gone@x"},
		{Action: plan.Delete, Kind: youdata.KindMember, Key: "P/gone@x", Before: attrs("user", "gone@x")},
		{Action: plan.Delete, Kind: youdata.KindMember, Key: "P/stays@x", Before: attrs("user", "stays@x")},
		{Action: plan.Delete, Kind: youdata.KindGroup, Key: "P/g1"},
		{Action: plan.Delete, Kind: youdata.KindGroup, Key: "P/g2"},
		// r1 loses a and the leaver, r2 loses b but keeps a: a and b
		// cannot share a call.
		{Action: plan.Update, Kind: youdata.KindRole, Key: "P/F/r1",
			Before: attrs("name", "r1", "folder", "F", "users", []string{"a", "gone@x"}),
			After:  attrs("name", "r1", "folder", "F", "users", []string{})},
		{Action: plan.Update, Kind: youdata.KindRole, Key: "P/F/r2",
			Before: attrs("name", "r2", "folder", "F", "users", []string{"a", "b"}, "user_expires", map[string]string{}),
			After:  attrs("name", "r2", "folder", "F", "users", []string{"a"}, "user_expires", map[string]string{})},
		// r3 only loses c, who is bound to no role of the folder after:
		// it may share the call of r1.
		{Action: plan.Update, Kind: youdata.KindRole, Key: "P/F/r3",
			Before: attrs("name", "r3", "folder", "F", "users", []string{"c"}),
			After:  attrs("name", "r3", "folder", "F", "users", []string{})},
		{Action: plan.Create, Kind: youdata.KindRole, Key: "P/F/r4", After: attrs("name", "r4", "folder", "F")},
		{Action: plan.Update, Kind: youdata.KindUser, Key: "moved@x", After: attrs("orgs", "[]")},
	}}
	got := WriteBound(p, 500)
	want := Calls{"domain/user/delete": 1, "projectUser/delUsersByUniqueIds": 1, "group/dels": 1,
		"user/delRoles": 2, "role/importDataPermissions": 1, "user/batchImport": 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("WriteBound (-want +got):\n%s", diff)
	}
}

// TestApplyMeetsTheBound plans and applies a tiny company's change
// against the simulator: the server converges, and the calls made are
// never fewer than the lower bound (which would make the bound wrong) and
// at most 5% more.
func TestApplyMeetsTheBound(t *testing.T) {
	ctx := context.Background()
	before := Generate(tiny, 3)
	after, _ := Mutate(before, 0.2, 3)
	wantBefore, wantAfter := before.Desired(), after.Desired()
	for _, d := range []*spec.Desired{wantBefore, wantAfter} {
		if err := spec.Validate(d); err != nil {
			t.Fatalf("generated desired state: %v", err)
		}
	}
	sim, err := youdatatest.NewFromOptions(youdatatest.Options{Seed: before.Seed(), Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	sim.Start()
	defer sim.Close()
	client, err := apiclient.New(apiclient.Config{Server: sim.URL(), Credentials: apiclient.Credentials{Token: "t"}, RPS: -1, Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	refs := func(d *spec.Desired) []youdata.ProjectRef {
		var out []youdata.ProjectRef
		for _, p := range d.Projects {
			out = append(out, youdata.ProjectRef{Name: p.Name})
		}
		return out
	}
	ro := youdata.ReadOptions{TokenUser: Admin}
	pl := func(d *spec.Desired, st *state.State) (*plan.Plan, *youdata.Live) {
		t.Helper()
		live, err := youdata.ReadLive(ctx, client, refs(d), ro)
		if err != nil {
			t.Fatal(err)
		}
		p, err := youdata.Compute(d, live, st, youdata.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return p, live
	}
	p0, _ := pl(wantBefore, nil)
	st := state.New()
	for _, c := range p0.Changes {
		c.Record(st)
	}
	if p, _ := pl(wantBefore, st); len(p.Changes) != 0 {
		t.Fatalf("the simulator does not hold the generated before: %d changes, first %+v", len(p.Changes), p.Changes[0])
	}

	sim.ResetCalls()
	p, live := pl(wantAfter, st)
	var members []int
	for _, ref := range refs(wantAfter) {
		members = append(members, len(live.Projects[ref.Name].Members))
	}
	checkBound(t, "plan", sim.Calls(), ReadBound(len(live.Users), members))

	sim.ResetCalls()
	res, err := youdata.Apply(ctx, client, p, st, youdata.ApplyOptions{BatchSize: 500, Concurrency: 8, TokenUser: Admin, ProtectedUsers: []string{Admin}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed()+res.Skipped() > 0 {
		t.Fatalf("%d changes failed, %d skipped", res.Failed(), res.Skipped())
	}
	checkBound(t, "apply", sim.Calls(), WriteBound(p, 500))
	if again, _ := pl(wantAfter, st); len(again.Changes) != 0 {
		t.Fatalf("not converged: %d changes left, first %s %s (%s)", len(again.Changes), again.Changes[0].Kind, again.Changes[0].Key, again.Changes[0].Reason)
	}
}

func checkBound(t *testing.T, what string, calls map[string]int, bound Calls) {
	t.Helper()
	got := Calls(calls)
	if got.Total() < bound.Total() || float64(got.Total()) > 1.05*float64(bound.Total()) {
		t.Errorf("%s: %d calls, lower bound %d\ncalls: %v\nbound: %v", what, got.Total(), bound.Total(), got, bound)
	}
}

// A project whose only member is the admin has no (role, member) pair to
// bind: Mutate still ends.
func TestMutateEndsWithoutFreeBindings(t *testing.T) {
	c := Generate(Shape{Name: "tiny", Users: 8, Departments: 2, Projects: 1, Members: 4, Groups: 1, Roles: 2}, 1)
	var others []string
	for u := range c.Users {
		if u != Admin {
			others = append(others, u)
		}
	}
	sort.Strings(others)
	for _, p := range c.Projects {
		p.Members = map[string]string{Admin: p.Members[Admin]}
		for _, ro := range p.Roles {
			for _, u := range others[:3] {
				ro.Users[u] = ""
			}
		}
	}
	done := make(chan struct{})
	go func() {
		Mutate(c, 0.5, 2)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Mutate did not end on a project whose only member is the admin")
	}
}
