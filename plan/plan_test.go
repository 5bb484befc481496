package plan

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRefusalJSON(t *testing.T) {
	// Plan files written before refusals had kinds hold bare messages.
	var p Plan
	if err := json.Unmarshal([]byte(`{"changes":[],"refusals":["settings.maxDeletes: 3 user deletions exceed the limit of 1","role P//R must be replaced"]}`), &p); err != nil {
		t.Fatal(err)
	}
	want := []Refusal{
		{Kind: RefuseMaxDeletes, Message: "settings.maxDeletes: 3 user deletions exceed the limit of 1"},
		{Kind: RefuseOther, Message: "role P//R must be replaced"},
	}
	if d := cmp.Diff(want, p.Refusals); d != "" {
		t.Errorf("old refusals (-want +got):\n%s", d)
	}
	if !p.Refusals[0].Liftable() || p.Refusals[1].Liftable() {
		t.Error("only a maxDeletes refusal is liftable")
	}
	b, err := json.Marshal(Plan{Refusals: []Refusal{{Kind: RefuseLockout, Message: "m"}}})
	if err != nil {
		t.Fatal(err)
	}
	var back Plan
	if err := json.Unmarshal(b, &back); err != nil || back.Refusals[0] != (Refusal{Kind: RefuseLockout, Message: "m"}) {
		t.Errorf("round trip of %s: %+v %v", b, back.Refusals, err)
	}
	if got := back.RefusalMessages(); len(got) != 1 || got[0] != "m" {
		t.Errorf("RefusalMessages = %v", got)
	}
	if err := json.Unmarshal([]byte(`{"refusals":[7]}`), &back); err == nil {
		t.Error("a refusal that is a number was read")
	}
}

func TestAddress(t *testing.T) {
	role := Addr("role", "a/b", "通用", "报告/阅览")
	if role.Key() != "a/b/通用/报告/阅览" || role.String() != "role a/b/通用/报告/阅览" || role.Name() != "报告/阅览" {
		t.Errorf("role address %q %q %q", role.Key(), role.String(), role.Name())
	}
	// A project's name may hold "/": the longest known scope wins.
	got, err := ParseKey("role", Shape{Scoped: true, Parts: 2}, role.Key(), []string{"a", "a/b"})
	if err != nil || !got.Equal(role) {
		t.Errorf("ParseKey = %+v, %v; want %+v", got, err, role)
	}
	root, err := ParseKey("role", Shape{Scoped: true, Parts: 2}, "P//R", nil)
	if err != nil || root.Scope != "P" || root.Path[0] != "" || root.Name() != "R" {
		t.Errorf("a role at the root: %+v %v", root, err)
	}
	user, err := ParseKey("user", Shape{Parts: 1}, "x/y@corp.com", nil)
	if err != nil || user.Scope != "" || user.Name() != "x/y@corp.com" {
		t.Errorf("an unscoped key: %+v %v", user, err)
	}
	if _, err := ParseKey("member", Shape{Scoped: true, Parts: 1}, "noscope", nil); err == nil {
		t.Error("a scoped key without a scope parsed")
	}
	if _, err := ParseKey("role", Shape{Scoped: true, Parts: 2}, "P/onlyname", nil); err == nil {
		t.Error("a role key of too few parts parsed")
	}
	if role.Equal(role.In("group", "报告/阅览")) {
		t.Error("addresses of two kinds are equal")
	}
}

func TestRegistry(t *testing.T) {
	r := &Registry{Provider: "test", Phases: []string{"make", "remove"}, Kinds: []KindInfo{
		{Kind: "a", Phase: 0, DeletePhase: 1, Facets: []Facet{{Name: "x", Access: Readable}}},
		{Kind: "b", Phase: 0, DeletePhase: 1},
	}}
	if r.KindIndex("b") != 1 || r.KindIndex("zz") != 2 {
		t.Error("KindIndex")
	}
	if r.Phase(Change{Kind: "a", Action: Delete}) != 1 || r.Phase(Change{Kind: "a", Action: Create}) != 0 || r.Phase(Change{Kind: "zz"}) != -1 {
		t.Error("Phase")
	}
	if r.PhaseName(1) != "remove" || r.PhaseName(9) != "phase 9" {
		t.Error("PhaseName")
	}
	if r.FacetAccess("a", "x") != Readable {
		t.Error("FacetAccess")
	}
	for _, tc := range []struct{ kind, facet string }{{"a", "y"}, {"zz", "x"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("FacetAccess(%s, %s) did not panic", tc.kind, tc.facet)
				}
			}()
			r.FacetAccess(Kind(tc.kind), tc.facet)
		}()
	}
}

func TestChangeAddress(t *testing.T) {
	reg := &Registry{Kinds: []KindInfo{
		{Kind: "role", Shape: Shape{Scoped: true, Parts: 2}},
		{Kind: "member", Shape: Shape{Scoped: true, Parts: 1}},
	}}
	role := Change{Kind: "role", Key: "a/b/通用/报告", Scope: "a/b"}.Address(reg)
	if !role.Equal(Addr("role", "a/b", "通用", "报告")) {
		t.Errorf("role %+v", role)
	}
	// Made by hand, without a scope: the key up to its first "/".
	m := Change{Kind: "member", Key: "P/alice@corp.com"}.Address(reg)
	if m.Scope != "P" || m.Name() != "alice@corp.com" {
		t.Errorf("member %+v", m)
	}
	if u := (Change{Kind: "user", Key: "x/y"}).Address(reg); u.Scope != "" || u.Name() != "x/y" {
		t.Errorf("a kind the registry does not name: %+v", u)
	}
}
