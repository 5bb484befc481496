package youdata

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/permsync/permsync/internal/canon"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/state"
)

func TestGroupsOfAProjectWhoseNameExtendsAnother(t *testing.T) {
	// Project "P/x" has a group G that permsync created: its state key,
	// "group P/x/G", also starts with "P/". Planning project P must not
	// take it for a group "x/G" of P and delete it.
	st := map[string]*state.Object{
		"group P/x/G": {Created: true, ID: 77, Facets: map[string]state.Facet{"folder": {Hash: canon.Fingerprint(""), Items: []string{""}}}},
		"group P/H":   {Created: true, ID: 78, Facets: map[string]state.Facet{"folder": {Hash: canon.Fingerprint(""), Items: []string{""}}}},
	}
	runScenarios(t, []scenario{
		{
			name: "both projects in the files",
			yaml: `projects: [{name: P, groups: []}, {name: P/x, groups: [{name: G}]}]`,
			live: func(l *Live) {
				l.Projects["P/x"] = &LiveProject{ID: 101, Name: "P/x", Read: true}
			},
			state: st,
			want:  []string{"delete group P/H"},
		},
		{
			name:  "the other project known only from the state",
			yaml:  `projects: [{name: P, groups: []}]`,
			state: map[string]*state.Object{"project P/x": {Created: true, ID: 101}, "group P/x/G": st["group P/x/G"], "group P/H": st["group P/H"]},
			want:  []string{"delete group P/H"},
		},
	})
}

func TestDepartmentsAreNotRecordedAsCreated(t *testing.T) {
	// syncOrg upserts and the server does not show departments: a
	// department not in the state may have been there before permsync.
	d := desired(t, `orgs: {departments: [{code: HQ, name: 总部}, {code: OLD, name: 旧部门, parent: HQ}]}`)
	p := compute(t, d, baseLive(), nil, Options{})
	st := applyAll(nil, p)
	for _, code := range []string{"HQ", "OLD"} {
		o := st.Objects[plan.StateKey(KindDepartment, code)]
		if o == nil || o.Created {
			t.Fatalf("department %s in the state: %+v, want recorded and not created", code, o)
		}
	}
	// OLD leaves the files: left alone without prune.orgs, deleted with it.
	p = compute(t, desired(t, `orgs: {departments: [{code: HQ, name: 总部}]}`), baseLive(), st, Options{})
	if got := summary(p); len(got) != 0 {
		t.Errorf("without prune.orgs: plan %v, want nothing", got)
	}
	p = compute(t, desired(t, `{settings: {prune: {orgs: true}}, orgs: {departments: [{code: HQ, name: 总部}]}}`), baseLive(), st, Options{})
	if diff := cmp.Diff([]string{"delete department OLD"}, summary(p)); diff != "" {
		t.Errorf("with prune.orgs (-want +got):\n%s", diff)
	}
	// A state that records a department as created keeps it so.
	created := state.New()
	created.Objects["department HQ"] = &state.Object{Created: true}
	p = compute(t, d, baseLive(), created, Options{})
	if c := find(t, p, KindDepartment, "HQ"); !c.NewState.Created {
		t.Errorf("HQ new state %+v, want created kept", c.NewState)
	}
}

func TestReplaceWarnsOfBindingsItCannotBringBack(t *testing.T) {
	withRole := func(l *Live) {
		l.Projects["P"].Roles["/R"] = &LiveRole{ID: 200, Name: "R", Type: 0}
	}
	runScenarios(t, []scenario{
		{
			name:  "orgs known neither in the files nor in the state",
			yaml:  `projects: [{name: P, groups: [{name: G1}, {name: G2}], roles: [{name: R, groups: [G1], resources: [{type: NEW_REPORT, id: 7, permissions: [view]}]}]}]`,
			live:  withRole,
			state: map[string]*state.Object{"role P//R": bindingState([]string{"G1", "G2"}, nil, nil, resourcesFacet(report7))},
			want:  []string{"create group P/G1", "create group P/G2", "replace role P//R"},
			check: func(t *testing.T, p *plan.Plan) {
				if !strings.Contains(joined(p.Warnings), "role P//R is re-created: orgs bound to it that neither the files nor the state record are lost") {
					t.Errorf("warnings %q", p.Warnings)
				}
			},
		},
		{
			name: "groups from the state lose their expiries",
			yaml: `projects: [{name: P, roles: [{name: R, orgs: [D1], resources: [{type: NEW_REPORT, id: 7, permissions: [view]}]}]}]`,
			live: withRole,
			state: map[string]*state.Object{"role P//R": bindingState([]string{"G1"}, []string{"D1", "D2"},
				map[string]string{"G1": "2030-01-01 00:00:00"}, resourcesFacet(report7))},
			want: []string{"replace role P//R"},
			check: func(t *testing.T, p *plan.Plan) {
				c := p.Changes[0]
				if got := c.After.Strings("groups"); !cmp.Equal(got, []string{"G1"}) {
					t.Errorf("after groups = %v", got)
				}
				// The state records what the re-create applies: G1
				// without an expiry, so the files' expiry is applied
				// again once they list G1.
				want := state.Facet{Hash: canon.Fingerprint(map[string]any{"groups": []string{"G1"}, "group_expires": map[string]string{}}), Items: []string{"G1"},
					Value: []byte(`{"group_expires":{},"groups":["G1"]}`)}
				if diff := cmp.Diff(want, c.NewState.Facets["groups"]); diff != "" {
					t.Errorf("groups facet (-want +got):\n%s", diff)
				}
				if !strings.Contains(joined(p.Warnings), "role P//R is re-created with the groups the state records (G1) but without their expiries") {
					t.Errorf("warnings %q", p.Warnings)
				}
			},
		},
		{
			name: "group moved to another folder",
			yaml: `projects: [{name: P, groups: [{name: G, folder: B}], roles: [{name: R, groups: [G]}]}]`,
			live: func(l *Live) {
				l.Projects["P"].Groups["G"] = &LiveGroup{ID: 50, Name: "G", Members: []string{"alice"}}
				withRole(l)
			},
			state: map[string]*state.Object{
				"group P/G": {ID: 50, Facets: map[string]state.Facet{"folder": {Hash: canon.Fingerprint("A"), Items: []string{"A"}}}},
				"role P//R": bindingState([]string{"G"}, nil, nil, nil),
			},
			want: []string{"replace group P/G", "update role P//R"},
			check: func(t *testing.T, p *plan.Plan) {
				if !strings.Contains(joined(p.Warnings), "group P/G is re-created: only the roles and data permissions whose groups: list it bind it again (P//R)") {
					t.Errorf("warnings %q", p.Warnings)
				}
			},
		},
	})
}
