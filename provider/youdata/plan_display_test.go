package youdata

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/permsync/permsync/internal/canon"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/state"
)

// A replace brings back what the files leave alone; Before holds the same
// live values, so the plan does not show them as being added.
func TestReplaceShowsUnmanagedReadableFacetsUnchanged(t *testing.T) {
	runScenarios(t, []scenario{{
		name: "users and description not in the files",
		yaml: `projects: [{name: P, roles: [{name: R, groups: [G1], resources: [{type: NEW_REPORT, id: 7, permissions: [view]}]}]}]`,
		live: func(l *Live) {
			l.Projects["P"].Roles["/R"] = &LiveRole{ID: 200, Name: "R", Description: "kept",
				Users: map[string]*string{"alice": sp("2030-01-01T00:00:00.000Z"), "bob": nil}}
		},
		state: map[string]*state.Object{"role P//R": bindingState([]string{"G1", "G2"}, nil, nil, resourcesFacet(report7))},
		want:  []string{"replace role P//R"},
		check: func(t *testing.T, p *plan.Plan) {
			c := p.Changes[0]
			if got := c.Changed(); !cmp.Equal(got, []string{"group_expires", "groups"}) {
				t.Errorf("changed = %v, want only the group binding", got)
			}
			for _, name := range []string{"users", "user_expires", "description"} {
				if string(c.Before[name]) != string(c.After[name]) || c.After[name] == nil {
					t.Errorf("%s: before %s, after %s", name, c.Before[name], c.After[name])
				}
			}
			if got := c.After.Strings("users"); !cmp.Equal(got, []string{"alice", "bob"}) {
				t.Errorf("after users = %v", got)
			}
		},
	}})
}

// A deleted role that nobody holds lists its users as [], not null.
func TestDeletedRoleWithoutUsersHasEmptyList(t *testing.T) {
	runScenarios(t, []scenario{{
		name: "created by permsync, held by nobody",
		yaml: `projects: [{name: P}]`,
		live: func(l *Live) {
			l.Projects["P"].Roles["F/R"] = &LiveRole{ID: 1, Name: "R", Folder: "F", Users: map[string]*string{}}
		},
		state: map[string]*state.Object{"role P/F/R": {Created: true}},
		want:  []string{"delete role P/F/R"},
		check: func(t *testing.T, p *plan.Plan) {
			if got := string(p.Changes[0].Before["users"]); got != "[]" {
				t.Errorf("before users = %s, want []", got)
			}
		},
	}})
}

// The sources of an unknown user are in line order, not string order.
func TestUnknownUserSourcesInLineOrder(t *testing.T) {
	d := desired(t, `projects: [{name: P, roles: [{name: A, users: [ghost]}, {name: B}, {name: C}, {name: D}, {name: E},
  {name: F}, {name: G}, {name: H}, {name: I}, {name: J, users: [ghost]}]}]`)
	_, err := Compute(d, baseLive(), nil, Options{})
	if err == nil {
		t.Fatal("no error")
	}
	want := `plan: user "ghost" is referenced but is neither under users: nor on the server: desired.yaml:2, desired.yaml:11`
	if err.Error() != want {
		t.Errorf("error = %q\nwant    %q", err, want)
	}
}

// When a live rule differs from every desired one, what the server adds
// by default (model "manual", tableAlias = tableName, a row detail's type)
// is not shown as part of the difference.
func TestDifferingLiveRuleHidesServerDefaults(t *testing.T) {
	runScenarios(t, []scenario{{
		name: "select differs",
		yaml: `projects: [{name: P, dataPermissions: [{name: DP, rules: [{connection: 11, details: [{tableName: T, filterType: listFilter, selectType: select, filter: {dim: {field: r, dataType: String}, select: [a]}}]}]}]}]`,
		live: func(l *Live) {
			l.Projects["P"].DataPermissions["/DP"] = &LiveRole{ID: 3, Name: "DP", Type: 2, RulesKnown: true, Users: map[string]*string{},
				Rules: []apiclient.DataPermissionRead{{ResourceID: 11, Type: "row", Mode: "fixed", Rule: "or",
					Details: []json.RawMessage{json.RawMessage(`{"type":"row","model":"manual","tableAlias":"T","tableName":"T","filterType":"listFilter","selectType":"select","filter":{"dim":{"field":"r","dataType":"String"},"select":["b","a"]},"resourceId":11,"roleId":3}`)},
				}}}
		},
		want: []string{"update dataPermission P//DP"},
		check: func(t *testing.T, p *plan.Plan) {
			before := string(p.Changes[0].Before["rules"])
			want := `[{"connection":11,"details":[{"filter":{"dim":{"dataType":"String","field":"r"},"select":["a","b"]},"filterType":"listFilter","selectType":"select","tableName":"T"}],"mode":"fixed","rule":"or","type":"row"}]`
			if before != want {
				t.Errorf("before rules = %s\nwant           %s", before, want)
			}
			if strings.Contains(p.Changes[0].Reason, "manual") {
				t.Errorf("reason shows the server's defaults: %s", p.Changes[0].Reason)
			}
		},
	}})
}

// A group re-created in another folder keeps its members, shown unchanged.
func TestReplacedGroupKeepsMembersUnchanged(t *testing.T) {
	runScenarios(t, []scenario{{
		name: "members not in the files",
		yaml: `projects: [{name: P, groups: [{name: G, folder: New}]}]`,
		live: func(l *Live) {
			l.Projects["P"].Groups["G"] = &LiveGroup{ID: 50, Name: "G", Members: []string{"bob", "alice"}}
		},
		state: map[string]*state.Object{"group P/G": {Facets: map[string]state.Facet{"folder": {Hash: canon.Fingerprint("Old"), Items: []string{"Old"}}}}},
		want:  []string{"replace group P/G"},
		check: func(t *testing.T, p *plan.Plan) {
			c := p.Changes[0]
			if got := c.Changed(); !cmp.Equal(got, []string{"folder"}) {
				t.Errorf("changed = %v, want only folder", got)
			}
			if got := c.After.Strings("members"); !cmp.Equal(got, []string{"alice", "bob"}) {
				t.Errorf("after members = %v", got)
			}
		},
	}})
}
