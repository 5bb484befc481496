package benchgen

import (
	"context"
	"testing"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// planOf plans d against a simulator holding before, with the state an
// apply of before recorded.
func planOf(t *testing.T, before *Company, d *spec.Desired) *plan.Plan {
	t.Helper()
	sim, err := youdatatest.NewFromOptions(youdatatest.Options{Seed: before.Seed(), Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	sim.Start()
	defer sim.Close()
	client, err := apiclient.New(apiclient.Config{Server: sim.URL(), Credentials: apiclient.Credentials{Token: "t"}, RPS: -1})
	if err != nil {
		t.Fatal(err)
	}
	var refs []youdata.ProjectRef
	for _, p := range d.Projects {
		refs = append(refs, youdata.ProjectRef{Name: p.Name})
	}
	live, err := youdata.ReadLive(context.Background(), client, refs, youdata.ReadOptions{TokenUser: Admin})
	if err != nil {
		t.Fatal(err)
	}
	p0, err := youdata.Compute(before.Desired(), live, nil, youdata.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := state.New()
	for _, c := range p0.Changes {
		c.Record(st)
	}
	p, err := youdata.Compute(d, live, st, youdata.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPerObject counts one call per resource made, changed or destroyed,
// and one read per resource in the state and per resource made or
// changed.
func TestPerObject(t *testing.T) {
	p := &plan.Plan{Changes: []plan.Change{
		// a binding added, one removed, one re-dated, the description changed
		{Action: plan.Update, Kind: youdata.KindRole, Key: "P/F/r",
			Before: attrs("users", []string{"a", "b", "c"}, "user_expires", map[string]string{"c": "x"}, "description", "old"),
			After:  attrs("users", []string{"a", "c", "d"}, "user_expires", map[string]string{"c": "y"}, "description", "new")},
		// created with two members: the group and two memberships
		{Action: plan.Create, Kind: youdata.KindGroup, Key: "P/g", After: attrs("members", []string{"a", "b"})},
		// deleted with one member
		{Action: plan.Delete, Kind: youdata.KindGroup, Key: "P/h", Before: attrs("members", []string{"a"})},
		{Action: plan.Delete, Kind: youdata.KindUser, Key: "gone"},
	}}
	got := PerObject(Resources{Users: 3, Members: 2, Groups: 1, Memberships: 4, Roles: 2, Bindings: 5}, p)
	want := PeerCalls{Refresh: 17, Apply: 4 + 3 + 2 + 1, ReadBack: 3 + 3}
	if got != want {
		t.Errorf("PerObject = %+v, want %+v", got, want)
	}
}

// TestScriptWritesAtLeastTheBound: the batching script makes at least the
// fewest calls the change needs, and more where it batches less.
func TestScriptWritesAtLeastTheBound(t *testing.T) {
	before := Generate(tiny, 1)
	after, _ := Mutate(before, 0.2, 3)
	p := planOf(t, before, after.Desired())
	script, bound := ScriptWrites(p, 500), WriteBound(p, 500)
	if script.Total() < bound.Total() {
		t.Errorf("the script makes %d calls, fewer than the bound %d:\nscript %v\nbound  %v", script.Total(), bound.Total(), script, bound)
	}
	if script["user/delRoles"] < bound["user/delRoles"] {
		t.Errorf("user/delRoles: script %d, bound %d", script["user/delRoles"], bound["user/delRoles"])
	}
}

// TestMutateUsers: n users' permissions change, one project each, and the
// files stay valid.
func TestMutateUsers(t *testing.T) {
	before := Generate(tiny, 1)
	after, ch := MutateUsers(before, 10, 5)
	if n := ch.Bound + ch.Unbound + ch.Joined + ch.Left + ch.Promoted; n != 10 {
		t.Fatalf("%+v: %d changes, want 10", ch, n)
	}
	if err := spec.Validate(after.Desired()); err != nil {
		t.Fatal(err)
	}
	p := planOf(t, before, after.Desired())
	if len(p.Changes) == 0 || len(p.Changes) > 10 {
		t.Errorf("%d changes for ten users", len(p.Changes))
	}
	if _, again := MutateUsers(before, 10, 5); again != ch {
		t.Errorf("same seed, other change: %+v, %+v", again, ch)
	}
}
