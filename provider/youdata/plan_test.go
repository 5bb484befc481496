package youdata

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/permsync/permsync/internal/canon"
	"github.com/permsync/permsync/internal/sets"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// rebuild copies a live state into fresh maps, inserting keys in a
// shuffled order.
func rebuild(l *Live, rng *rand.Rand) *Live {
	shuffled := func(keys []string) []string {
		out := append([]string(nil), keys...)
		rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
		return out
	}
	out := &Live{TokenUser: l.TokenUser, Users: map[string]LiveUser{}, SystemRoles: map[string]LiveSystemRole{}, Projects: map[string]*LiveProject{}}
	for _, k := range shuffled(sets.SortedKeys(l.Users)) {
		out.Users[k] = l.Users[k]
	}
	for _, k := range shuffled(sets.SortedKeys(l.SystemRoles)) {
		out.SystemRoles[k] = l.SystemRoles[k]
	}
	for _, k := range shuffled(sets.SortedKeys(l.Projects)) {
		lp := *l.Projects[k]
		members, roles, dps, groups := lp.Members, lp.Roles, lp.DataPermissions, lp.Groups
		lp.Members, lp.Roles, lp.DataPermissions, lp.Groups = map[string]LiveMember{}, map[string]*LiveRole{}, map[string]*LiveRole{}, map[string]*LiveGroup{}
		for _, m := range shuffled(sets.SortedKeys(members)) {
			lp.Members[m] = members[m]
		}
		for _, r := range shuffled(sets.SortedKeys(roles)) {
			lp.Roles[r] = roles[r]
		}
		for _, r := range shuffled(sets.SortedKeys(dps)) {
			lp.DataPermissions[r] = dps[r]
		}
		for _, g := range shuffled(sets.SortedKeys(groups)) {
			lp.Groups[g] = groups[g]
		}
		out.Projects[k] = &lp
	}
	return out
}

func shuffleDesired(d *spec.Desired, rng *rand.Rand) {
	rng.Shuffle(len(d.Users), func(i, j int) { d.Users[i], d.Users[j] = d.Users[j], d.Users[i] })
	if d.Orgs != nil {
		deps := d.Orgs.Departments
		rng.Shuffle(len(deps), func(i, j int) { deps[i], deps[j] = deps[j], deps[i] })
	}
	for i := range d.Projects {
		m := d.Projects[i].Members
		rng.Shuffle(len(m), func(i, j int) { m[i], m[j] = m[j], m[i] })
		for j := range d.Projects[i].Roles {
			u := d.Projects[i].Roles[j].Users
			rng.Shuffle(len(u), func(i, j int) { u[i], u[j] = u[j], u[i] })
		}
	}
}

func TestDeterministic(t *testing.T) {
	doc := fullYAML + `
  - name: Q
    members: [{user: bob}, {user: alice}, {user: root}]
    roles:
      - {name: R1, users: [bob, alice, root]}
      - {name: R2, folder: X, users: [root, alice]}
`
	live := fullLive(t)
	for i := 0; i < 30; i++ {
		u := fmt.Sprintf("user%02d", i)
		live.Users[u] = LiveUser{ID: int64(50 + i), UniqueID: u}
		live.Projects["P"].Members[u] = LiveMember{UserID: int64(50 + i)}
	}
	live.Projects["P"].Roles["F/R"].Description = "drift"
	var first []byte
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 10; i++ {
		d := desired(t, doc)
		d.Settings.Prune.Users = true
		shuffleDesired(d, rng)
		p := compute(t, d, rebuild(live, rng), nil, Options{})
		raw, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = raw
			if len(p.Changes) < 10 || len(p.Refusals) == 0 {
				t.Fatalf("the input should plan many changes and a refusal: %v %v", summary(p), p.Refusals)
			}
			continue
		}
		if string(raw) != string(first) {
			t.Fatalf("run %d differs:\n%s\n%s", i, first, raw)
		}
	}
}

func TestStateApplyAndConvergence(t *testing.T) {
	d := desired(t, fullYAML)
	live := fullLive(t)
	p := compute(t, d, live, nil, Options{})
	st := state.New()
	for _, c := range p.Changes {
		c.Record(st)
	}
	if len(st.Objects) != len(p.Changes) {
		t.Errorf("state has %d objects after %d changes", len(st.Objects), len(p.Changes))
	}
	// The state holds copies: changing the plan afterwards leaves it alone.
	p.Changes[0].NewState.Facets["name"] = state.Facet{Hash: "tampered"}
	if st.Objects["company company"].Facets["name"].Hash == "tampered" {
		t.Errorf("Apply did not copy the new state")
	}
	// A delete removes the object.
	plan.Change{Action: plan.Delete, Kind: KindCompany, Key: "company"}.Record(st)
	if _, ok := st.Objects["company company"]; ok {
		t.Errorf("delete left the object in the state")
	}
	// A no-op leaves it.
	plan.Change{Action: plan.NoOp, Kind: KindUser, Key: "alice"}.Record(st)
	if _, ok := st.Objects["user alice"]; !ok {
		t.Errorf("no-op removed the object")
	}
	var nilObjects state.State
	plan.Change{Action: plan.Create, Kind: KindUser, Key: "x", NewState: &state.Object{Created: true}}.Record(&nilObjects)
	if !nilObjects.Objects["user x"].Created {
		t.Errorf("Apply on an empty state")
	}
}

func TestAttrsAccessors(t *testing.T) {
	var a plan.Attrs
	a.Set("list", []string{"b", "a"})
	a.Set("s", "x<y")
	a.Set("n", int64(9007199254740993))
	a.Set("m", map[string]any{"z": 1, "a": nil})
	if got := a.Strings("list"); !cmp.Equal(got, []string{"b", "a"}) {
		t.Errorf("Strings = %v", got)
	}
	if a.String("s") != "x<y" || string(a["s"]) != `"x<y"` {
		t.Errorf("String = %q raw %s", a.String("s"), a["s"])
	}
	if a.Int("n") != 9007199254740993 {
		t.Errorf("Int = %d", a.Int("n"))
	}
	if string(a["m"]) != `{"a":null,"z":1}` {
		t.Errorf("map = %s", a["m"])
	}
	if a.Strings("absent") != nil || a.String("n") != "" || a.Int("s") != 0 {
		t.Errorf("absent or mistyped attributes give zero values")
	}
	var v map[string]any
	if err := a.Decode("absent", &v); err == nil {
		t.Errorf("Decode of an absent attribute succeeded")
	}
	if canon.Fingerprint(map[string]int{"a": 1, "b": 2}) != canon.Fingerprint(json.RawMessage(`{ "b":2, "a":1 }`)) {
		t.Errorf("Fingerprint depends on key order or spacing")
	}
	if canon.Fingerprint([]string{"a"}) == canon.Fingerprint([]string{}) || canon.Fingerprint(nil) == canon.Fingerprint([]string{}) {
		t.Errorf("Fingerprint confuses values")
	}
	for _, v := range []any{"x<y&z", []string{"b", "a"}, map[string]string{"b": "1", "a": "<"}, true, int64(-3), nil} {
		raw, _ := json.Marshal(v)
		if canon.Fingerprint(v) != canon.Fingerprint(json.RawMessage(raw)) {
			t.Errorf("canon.Fingerprint(%v) differs from the fingerprint of its JSON", v)
		}
	}
	if !strings.HasPrefix(canon.Fingerprint(1), "sha256:") {
		t.Errorf("Fingerprint = %s", canon.Fingerprint(1))
	}
}

func TestEqualAndDiff(t *testing.T) {
	d := desired(t, fullYAML)
	a := compute(t, d, fullLive(t), nil, Options{})
	b := compute(t, d, fullLive(t), nil, Options{})
	for i := range b.Changes {
		b.Changes[i].Reason = "another reason"
		b.Changes[i].Source = "elsewhere:1"
	}
	if !plan.Equal(a, b) {
		t.Fatalf("plans differing only in reasons and sources are not Equal: %v", plan.Diff(a, b))
	}
	live := fullLive(t)
	live.Users["alice"] = LiveUser{ID: 1, UniqueID: "alice", Nick: sp("Al"), Email: sp("alice@example.com"), CustomInfo: json.RawMessage(`{"a":"x","b":1}`)}
	delete(live.Projects["P"].Groups, "G")
	c := compute(t, d, live, nil, Options{})
	if plan.Equal(a, c) {
		t.Fatalf("different plans are Equal")
	}
	want := []string{
		`group P/G: action update becomes create`,
		`group P/G: before.folder "F" is gone`,
		`group P/G: before.id 50 is gone`,
		`group P/G: before.members ["alice"] is gone`,
		`group P/G: before.name "G" is gone`,
		`group P/G: before.project_id 100 is gone`,
		`group P/G: after.id 50 is gone`,
		"group P/G: new state",
		`user alice: before.nick "Alice" becomes "Al"`,
	}
	got := plan.Diff(a, c)
	// The new-state line is checked by its start.
	for i := range got {
		if strings.HasPrefix(got[i], `group P/G: new state {"facets":`) && strings.Contains(got[i], `"created":true`) {
			got[i] = "group P/G: new state"
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Diff (-want +got):\n%s", diff)
	}
	if got := plan.Diff(a, &plan.Plan{}); len(got) != len(a.Changes) || !strings.HasSuffix(got[0], "is no longer planned") {
		t.Errorf("Diff against an empty plan = %v", got)
	}
}

// BenchmarkCompute plans 5,000 users and 200 roles in one project.
func BenchmarkCompute(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("users:\n")
	live := &Live{TokenUser: "root", Users: map[string]LiveUser{}, SystemRoles: map[string]LiveSystemRole{},
		Projects: map[string]*LiveProject{"P": {ID: 1, Name: "P", Read: true, Members: map[string]LiveMember{},
			Roles: map[string]*LiveRole{}, DataPermissions: map[string]*LiveRole{}, Groups: map[string]*LiveGroup{}}}}
	for i := 0; i < 5000; i++ {
		u := fmt.Sprintf("u%04d", i)
		fmt.Fprintf(&sb, "  - {uniqueId: %s, nick: N%d, department: D%d, orgs: [{code: D%d}], attrs: {region: [r%d]}}\n", u, i, i%50, i%50, i%7)
		live.Users[u] = LiveUser{ID: int64(i + 10), UniqueID: u, Nick: sp(fmt.Sprintf("N%d", i))}
		live.Projects["P"].Members[u] = LiveMember{UserID: int64(i + 10), SystemRoleIDs: []int64{3}}
	}
	sb.WriteString("projects:\n  - name: P\n    members:\n")
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&sb, "      - {user: u%04d, systemRoles: [viewer]}\n", i)
	}
	sb.WriteString("    roles:\n")
	for r := 0; r < 200; r++ {
		fmt.Fprintf(&sb, "      - {name: R%d, folder: F%d, groups: [G%d], resources: [{type: NEW_REPORT, id: %d, permissions: [view]}], users: [", r, r%10, r%20, r)
		users := map[string]*string{}
		for k := 0; k < 25; k++ {
			u := fmt.Sprintf("u%04d", (r*25+k)%5000)
			if k > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(u)
			users[u] = nil
		}
		sb.WriteString("]}\n")
		live.Projects["P"].Roles[fmt.Sprintf("F%d/R%d", r%10, r)] = &LiveRole{ID: int64(1000 + r), Name: fmt.Sprintf("R%d", r), Folder: fmt.Sprintf("F%d", r%10), Users: users}
	}
	d := desired(b, sb.String())
	first := compute(b, d, live, nil, Options{})
	st := applyAll(nil, first)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p, err := Compute(d, live, st, Options{})
		if err != nil || len(p.Changes) != 0 {
			b.Fatalf("err %v, %d changes", err, len(p.Changes))
		}
	}
}
