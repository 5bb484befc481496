package youdata

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/permsync/permsync/internal/canon"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/state"
)

// A role that only loses groups the plan deletes is an update: group/dels
// drops those bindings. When the kept groups' expiries are those last
// applied, Before says so and the executor binds none of them again;
// when one changed, Before leaves them out, so every kept group is bound
// again with its expiry. The next plan after the apply is empty.
func TestRoleLosingOnlyDeletedGroupsIsAnUpdate(t *testing.T) {
	const t1, t2 = "2030-02-01 00:00:00", "2031-02-01 00:00:00"
	for _, tc := range []struct {
		name, expiry string
		bindsAgain   bool
	}{
		{"expiries unchanged", t1, false},
		{"expiry of a kept group changes", t2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := desired(t, `projects: [{name: P, groups: [{name: G1}], roles: [{name: R, groups: [G1], expires: {G1: "`+tc.expiry+`"}}]}]`)
			live := baseLive()
			lp := live.Projects["P"]
			lp.Roles["/R"] = &LiveRole{ID: 200, Name: "R"}
			lp.Groups["G1"] = &LiveGroup{ID: 31, Name: "G1", Members: []string{}}
			lp.Groups["G2"] = &LiveGroup{ID: 32, Name: "G2", Members: []string{}}
			st := state.New()
			st.Objects["role P//R"] = bindingState([]string{"G1", "G2"}, nil, map[string]string{"G1": t1}, nil)
			st.Objects["group P/G1"] = &state.Object{Created: true, ID: 31, Facets: map[string]state.Facet{"folder": {Hash: canon.Fingerprint(""), Items: []string{""}}}}
			st.Objects["group P/G2"] = &state.Object{Created: true, ID: 32}

			p := compute(t, d, live, st, Options{})
			if g := find(t, p, KindGroup, "P/G2"); g.Action != plan.Delete {
				t.Fatalf("group P/G2: %s, want delete", g.Action)
			}
			c := find(t, p, KindRole, "P//R")
			if c.Action != plan.Update {
				t.Fatalf("role P//R: %s (%s), want update", c.Action, c.Reason)
			}
			if got := c.Before.Strings("groups"); !cmp.Equal(got, []string{"G1", "G2"}) {
				t.Errorf("before groups = %v", got)
			}
			if got := c.After.Strings("groups"); !cmp.Equal(got, []string{"G1"}) {
				t.Errorf("after groups = %v", got)
			}
			var after map[string]string
			if err := c.After.Decode("group_expires", &after); err != nil || !cmp.Equal(after, map[string]string{"G1": tc.expiry}) {
				t.Errorf("after group_expires = %v (%v)", after, err)
			}
			if tc.bindsAgain == c.Before.Has("group_expires") {
				t.Errorf("before has group_expires: %v, want %v (before %s)", c.Before.Has("group_expires"), !tc.bindsAgain, c.Before["group_expires"])
			}
			if !tc.bindsAgain && string(c.Before["group_expires"]) != string(c.After["group_expires"]) {
				t.Errorf("group_expires before %s, after %s", c.Before["group_expires"], c.After["group_expires"])
			}

			// Applied: G2 and its binding are gone; nothing is left to do.
			delete(lp.Groups, "G2")
			if next := compute(t, d, live, applyAll(st, p), Options{}); len(next.Changes) != 0 {
				t.Errorf("next plan: %v", summary(next))
			}
		})
	}
}
