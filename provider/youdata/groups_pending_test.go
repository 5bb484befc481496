package youdata

import (
	"strings"
	"testing"

	"github.com/permsync/permsync/internal/canon"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/state"
)

// A group whose create permsync sent without recording the answer (the
// state marks it pending) and which no read shows is planned as a
// replace: the plan shows that what that create left, by the path it
// named, may be deleted. Its role binds it again.
func TestPendingGroupIsPlannedAsReplace(t *testing.T) {
	for _, tc := range []struct {
		name, pendingFolder string
	}{
		{"same folder", "F"},
		{"another folder", "Old"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := desired(t, `projects: [{name: P, groups: [{name: G, folder: F, description: d, members: [alice]}], roles: [{name: R, groups: [G]}]}]`)
			live := baseLive()
			live.Projects["P"].Roles["/R"] = &LiveRole{ID: 200, Name: "R"}
			st := state.New()
			st.Objects["group P/G"] = &state.Object{Created: true, Pending: true, Facets: map[string]state.Facet{
				"folder": {Hash: canon.Fingerprint(tc.pendingFolder), Items: []string{tc.pendingFolder}}}}
			st.Objects["role P//R"] = bindingState([]string{"G"}, nil, nil, nil)

			p := compute(t, d, live, st, Options{})
			c := find(t, p, KindGroup, "P/G")
			if c.Action != plan.Replace {
				t.Fatalf("group P/G: %s (%s), want replace", c.Action, c.Reason)
			}
			if !strings.Contains(c.Reason, "lost its answer") || !strings.Contains(c.Reason, "deleted by its path") || !strings.Contains(c.Reason, `"`+tc.pendingFolder+`"`) {
				t.Errorf("reason %q does not say what the replace deletes, and where", c.Reason)
			}
			if c.Before.Has("id") || c.Before.String("folder") != tc.pendingFolder || c.After.String("folder") != "F" {
				t.Errorf("before %v, after %v: want the folder the lost create named before, no id", c.Before, c.After)
			}
			if c.NewState == nil || c.NewState.Pending || !c.NewState.Created {
				t.Errorf("new state %+v, want created, not pending", c.NewState)
			}
			if r := find(t, p, KindRole, "P//R"); !strings.Contains(r.Reason, "re-created") {
				t.Errorf("role P//R (%s %s) does not bind the re-created group again", r.Action, r.Reason)
			}
			if !hasWarning(p, "group P/G is re-created") {
				t.Errorf("no warning of the re-created group: %v", p.Warnings)
			}
		})
	}
}

// A group the state marks pending that the server shows (it has members)
// exists: it is recorded with its id, and never replaced.
func TestPendingGroupSeenOnServerIsRecorded(t *testing.T) {
	d := desired(t, `projects: [{name: P, groups: [{name: G, members: [alice]}]}]`)
	live := baseLive()
	live.Projects["P"].Groups["G"] = &LiveGroup{ID: 77, Name: "G", Members: []string{"alice"}}
	st := state.New()
	st.Objects["group P/G"] = &state.Object{Created: true, Pending: true, Facets: map[string]state.Facet{"folder": {Hash: canon.Fingerprint(""), Items: []string{""}}}}
	p := compute(t, d, live, st, Options{})
	c := find(t, p, KindGroup, "P/G")
	if c.Action != plan.Update || c.NewState == nil || c.NewState.ID != 77 || c.NewState.Pending {
		t.Fatalf("group P/G: %s (%s), new state %+v; want an update recording id 77", c.Action, c.Reason, c.NewState)
	}
	if next := compute(t, d, live, applyAll(st, p), Options{}); len(next.Changes) != 0 {
		t.Errorf("next plan: %v", summary(next))
	}
}

// A group the state knows (not pending) and no read shows exists: it is
// neither created nor replaced, whatever its members.
func TestKnownInvisibleGroupIsNotCreated(t *testing.T) {
	d := desired(t, `projects: [{name: P, groups: [{name: G, members: [alice]}]}]`)
	live := baseLive()
	st := state.New()
	st.Objects["group P/G"] = &state.Object{}
	p := compute(t, d, live, st, Options{})
	c := find(t, p, KindGroup, "P/G")
	if c.Action != plan.Update || c.Before.Has("id") {
		t.Fatalf("group P/G: %s (%s), before %v; want an update without id", c.Action, c.Reason, c.Before)
	}
}

func hasWarning(p *plan.Plan, prefix string) bool {
	for _, w := range p.Warnings {
		if strings.HasPrefix(w, prefix) {
			return true
		}
	}
	return false
}
