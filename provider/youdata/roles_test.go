package youdata

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/permsync/permsync/internal/canon"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

func bindingState(groups, orgs []string, groupExp map[string]string, extra map[string]state.Facet) *state.Object {
	if groupExp == nil {
		groupExp = map[string]string{}
	}
	f := map[string]state.Facet{}
	if groups != nil {
		f["groups"] = state.Facet{Hash: canon.Fingerprint(map[string]any{"groups": groups, "group_expires": groupExp}), Items: groups}
	}
	if orgs != nil {
		f["orgs"] = state.Facet{Hash: canon.Fingerprint(map[string]any{"orgs": orgs, "org_expires": map[string]string{}}), Items: orgs}
	}
	for k, v := range extra {
		f[k] = v
	}
	return &state.Object{Created: true, ID: 200, Facets: f}
}

func resourcesFacet(rs ...spec.Resource) map[string]state.Facet {
	return map[string]state.Facet{"resources": {Hash: canon.Fingerprint(map[string]any{"resources": normResources(rs)})}}
}

var report7 = spec.Resource{Type: "NEW_REPORT", ID: 7, Permissions: []string{"view"}}

func TestRolesAndDataPermissions(t *testing.T) {
	withRole := func(lr *LiveRole) func(*Live) {
		return func(l *Live) { l.Projects["P"].Roles[lr.Folder+"/"+lr.Name] = lr }
	}
	runScenarios(t, []scenario{
		{
			name: "role create with everything",
			yaml: `projects: [{name: P, roles: [{name: R, folder: F, level: 2, description: d, users: [bob, alice], groups: [G], orgs: [D],
  expires: {alice: "2030-01-01 08:00:00", G: "2030-02-01 00:00:00", D: "2030-03-01 00:00:00"},
  resources: [{type: NEW_REPORT, id: 7, permissions: [view, edit]}]}]}]`,
			want: []string{"create role P/F/R"},
			check: func(t *testing.T, p *plan.Plan) {
				c := p.Changes[0]
				want := map[string]string{
					"name": `"R"`, "folder": `"F"`, "type": `3`, "level": `2`, "description": `"d"`, "project_id": `100`,
					"users": `["alice","bob"]`, "user_expires": `{"alice":"2030-01-01 08:00:00"}`,
					"groups": `["G"]`, "group_expires": `{"G":"2030-02-01 00:00:00"}`,
					"orgs": `["D"]`, "org_expires": `{"D":"2030-03-01 00:00:00"}`,
					"resources": `[{"id":7,"permissions":["edit","view"],"type":"NEW_REPORT"}]`,
				}
				got := map[string]string{}
				for k, v := range c.After {
					got[k] = string(v)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("after (-want +got):\n%s", diff)
				}
				if !c.NewState.Created || c.NewState.Facets["groups"].Items[0] != "G" || len(c.NewState.Facets) != 3 {
					t.Errorf("new state = %+v", c.NewState)
				}
			},
		},
		{
			name: "bind and unbind users is an update; expiry compared across formats",
			yaml: `projects: [{name: P, roles: [{name: R, users: [alice, bob], expires: {alice: "2025-07-25 00:00:00", bob: "2026-01-01 00:00:00"}}]}]`,
			live: withRole(&LiveRole{ID: 200, Name: "R", Users: map[string]*string{
				"alice": sp("2025-07-24T16:00:00.000Z"), "bob": sp("2025-12-31T16:00:00.000Z"), "carol": nil}}),
			want: []string{"update role P//R"},
			check: func(t *testing.T, p *plan.Plan) {
				c := p.Changes[0]
				if !cmp.Equal(c.Changed(), []string{"users"}) {
					t.Errorf("changed = %v (%s)", c.Changed(), c.Reason)
				}
				if got := c.Before.Strings("users"); !cmp.Equal(got, []string{"alice", "bob", "carol"}) {
					t.Errorf("before users = %v", got)
				}
			},
		},
		{
			name: "expiry change is an update of user_expires",
			yaml: `projects: [{name: P, roles: [{name: R, users: [alice], expires: {alice: "2025-08-01 00:00:00"}}]}]`,
			live: withRole(&LiveRole{ID: 200, Name: "R", Users: map[string]*string{"alice": sp("2025-07-24T16:00:00.000Z")}}),
			want: []string{"update role P//R"},
			check: func(t *testing.T, p *plan.Plan) {
				c := p.Changes[0]
				if c.Reason != `the server has user_expires {"alice":"2025-07-25 00:00:00"}` {
					t.Errorf("reason = %q", c.Reason)
				}
			},
		},
		{
			name: "protected and token users are not unbound",
			yaml: `settings: {protectedUsers: [carol]}
projects: [{name: P, roles: [{name: R, users: [alice]}]}]`,
			live: withRole(&LiveRole{ID: 200, Name: "R", Users: map[string]*string{"alice": nil, "carol": nil, "root": sp("2030-01-01T00:00:00.000Z")}}),
			want: []string{},
			check: func(t *testing.T, p *plan.Plan) {
				if len(p.Warnings) != 2 || !strings.Contains(p.Warnings[0], "carol") || !strings.Contains(p.Warnings[1], "root is protected") {
					t.Errorf("warnings = %v", p.Warnings)
				}
			},
		},
		{
			name:  "group unbinding is a replace with the full desired bindings",
			yaml:  `projects: [{name: P, roles: [{name: R, groups: [G1], orgs: [D], resources: [{type: NEW_REPORT, id: 7, permissions: [view]}]}]}]`,
			live:  withRole(&LiveRole{ID: 200, Name: "R", Description: "kept", Users: map[string]*string{"alice": sp("2030-01-01T00:00:00.000Z")}}),
			state: map[string]*state.Object{"role P//R": bindingState([]string{"G1", "G2"}, []string{"D"}, nil, resourcesFacet(report7))},
			want:  []string{"replace role P//R"},
			check: func(t *testing.T, p *plan.Plan) {
				c := p.Changes[0]
				if c.Reason != "the API cannot unbind group G2 from a role: delete it and create it again with the desired bindings; changed since last apply: groups" {
					t.Errorf("reason = %q", c.Reason)
				}
				if c.Before.Int("id") != 200 || c.NewState.ID != 0 || !c.NewState.Created {
					t.Errorf("ids: before %s new state %+v", c.Before, c.NewState)
				}
				if got := c.Before.Strings("groups"); !cmp.Equal(got, []string{"G1", "G2"}) {
					t.Errorf("before groups = %v", got)
				}
				// What the files do not manage is brought back.
				if got := string(c.After["user_expires"]); got != `{"alice":"2030-01-01 08:00:00"}` || c.After.String("description") != "kept" {
					t.Errorf("after = %s", c.After)
				}
			},
		},
		{
			name:  "org unbinding is a replace",
			yaml:  `projects: [{name: P, roles: [{name: R, orgs: [], resources: [{type: NEW_REPORT, id: 7, permissions: [view]}]}]}]`,
			live:  withRole(&LiveRole{ID: 200, Name: "R"}),
			state: map[string]*state.Object{"role P//R": bindingState(nil, []string{"D1", "D2"}, nil, resourcesFacet(report7))},
			want:  []string{"replace role P//R"},
			check: func(t *testing.T, p *plan.Plan) {
				if r := p.Changes[0].Reason; !strings.HasPrefix(r, "the API cannot unbind department D1, D2 from a role") {
					t.Errorf("reason = %q", r)
				}
			},
		},
		{
			name:  "a group expiry change is an update, not a replace",
			yaml:  `projects: [{name: P, roles: [{name: R, groups: [G], expires: {G: "2031-01-01 00:00:00"}}]}]`,
			live:  withRole(&LiveRole{ID: 200, Name: "R"}),
			state: map[string]*state.Object{"role P//R": bindingState([]string{"G"}, nil, nil, nil)},
			want:  []string{"update role P//R"},
			check: func(t *testing.T, p *plan.Plan) {
				if got := p.Changes[0].Changed(); !cmp.Equal(got, []string{"group_expires"}) {
					t.Errorf("changed = %v", got)
				}
			},
		},
		{
			name:  "a replace that would lose unreadable resources is refused",
			yaml:  `projects: [{name: P, roles: [{name: R, groups: []}]}]`,
			live:  withRole(&LiveRole{ID: 200, Name: "R"}),
			state: map[string]*state.Object{"role P//R": bindingState([]string{"G"}, nil, nil, nil)},
			want:  []string{"replace role P//R"},
			check: func(t *testing.T, p *plan.Plan) {
				if len(p.Refusals) != 1 || !strings.Contains(p.Refusals[0].Message, "its resources are not in the files") {
					t.Errorf("refusals = %v", p.Refusals)
				}
			},
		},
		{
			name: "level change is a replace",
			yaml: `projects: [{name: P, roles: [{name: R, level: 2, resources: []}]}]`,
			live: withRole(&LiveRole{ID: 200, Name: "R", Type: 0}),
			want: []string{"replace role P//R"},
		},
		{
			name: "roles deleted when created or pruned, only in projects of the files",
			yaml: `{settings: {prune: {dataPermissions: true}, maxDeletes: 10}, projects: [{name: P}]}`,
			live: func(l *Live) {
				l.Projects["P"].Roles["/mine"] = &LiveRole{ID: 1, Name: "mine"}
				l.Projects["P"].Roles["F/theirs"] = &LiveRole{ID: 2, Name: "theirs", Folder: "F"}
				l.Projects["P"].DataPermissions["F/dp"] = &LiveRole{ID: 3, Name: "dp", Folder: "F", Type: 2}
				l.Projects["Q"] = &LiveProject{ID: 101, Name: "Q", Read: true, Roles: map[string]*LiveRole{"/x": {ID: 4, Name: "x"}}}
			},
			state: map[string]*state.Object{"role P//mine": created(1), "role Q//x": created(4)},
			want:  []string{"delete role P//mine", "delete dataPermission P/F/dp"},
			check: func(t *testing.T, p *plan.Plan) {
				c := find(t, p, KindDataPermission, "P/F/dp")
				if c.Before.Int("id") != 3 || c.Before.String("folder") != "F" || c.Before.Int("type") != 2 || c.Reason != "not in the files; prune.dataPermissions is on" {
					t.Errorf("change = %+v", c)
				}
			},
		},
		{
			name: "rules compared with the server when it shows them",
			yaml: `projects: [{name: P, dataPermissions: [{name: DP, rules: [{connection: 11, details: [{tableName: T, filterType: listFilter, selectType: select, filter: {dim: {field: r, dataType: String}, select: [a, b]}}]}]}]}]`,
			live: func(l *Live) {
				l.Projects["P"].DataPermissions["/DP"] = &LiveRole{ID: 3, Name: "DP", Type: 2, RulesKnown: true, Rules: []apiclient.DataPermissionRead{{
					ResourceID: 11, Type: "row", Mode: "fixed", Rule: "or",
					Details: []json.RawMessage{json.RawMessage(`{"tableName":"T","filterType":"listFilter","selectType":"select","filter":{"dim":{"field":"r","dataType":"String"},"select":["a"]}}`)},
				}}}
			},
			want: []string{"update dataPermission P//DP"},
			check: func(t *testing.T, p *plan.Plan) {
				c := p.Changes[0]
				if !strings.HasPrefix(c.Reason, "the server has different rules") || c.NewState.Facets["rules"].Hash == "" {
					t.Errorf("change = %+v", c)
				}
			},
		},
		{
			name: "a changed rule shows only what changed, not what the server adds",
			yaml: `projects: [{name: P, dataPermissions: [{name: DP, rules: [{connection: 11, details: [{type: row, tableName: T, filterType: listFilter, selectType: select, filter: {dim: {field: r, dataType: String}, select: [a]}}]}]}]}]`,
			live: func(l *Live) {
				l.Projects["P"].DataPermissions["/DP"] = &LiveRole{ID: 3, Name: "DP", Type: 2, RulesKnown: true, Rules: []apiclient.DataPermissionRead{{
					ResourceID: 11, Type: "row", Mode: "fixed", Rule: "or",
					Details: []json.RawMessage{json.RawMessage(`{"type":"row","model":"manual","tableName":"T","tableAlias":"T","filterType":"listFilter","selectType":"select","filter":{"dim":{"field":"r","dataType":"String"},"select":["a","b"]}}`)},
				}}}
			},
			want: []string{"update dataPermission P//DP"},
			check: func(t *testing.T, p *plan.Plan) {
				c := p.Changes[0]
				before := strings.Replace(string(c.Before["rules"]), `"select":["a","b"]`, `"select":["a"]`, 1)
				if before != string(c.After["rules"]) {
					t.Errorf("rules differ beyond the select list:\nbefore %s\nafter  %s", c.Before["rules"], c.After["rules"])
				}
			},
		},
		{
			name: "rules from the state when the server cannot show them",
			yaml: `projects: [{name: P, dataPermissions: [{name: DP, rules: [{connection: 11, details: []}]}]}]`,
			live: func(l *Live) {
				l.Projects["P"].DataPermissions["/DP"] = &LiveRole{ID: 3, Name: "DP", Type: 2}
			},
			state: map[string]*state.Object{"dataPermission P//DP": {Facets: map[string]state.Facet{"rules": {Hash: "old"}}}},
			want:  []string{"update dataPermission P//DP"},
			check: func(t *testing.T, p *plan.Plan) {
				c := p.Changes[0]
				if c.Reason != "changed since last apply: rules" || string(c.After["rules"]) != `[{"connection":11,"details":[],"mode":"fixed","rule":"or","type":"row"}]` {
					t.Errorf("change = %+v", c)
				}
			},
		},
	})
}

func TestRuleNormalisation(t *testing.T) {
	want := []spec.Rule{{Connection: 11, Details: []spec.Detail{
		{TableName: "T", FilterType: "listFilter", SelectType: "select",
			Filter: &spec.Filter{Dim: &spec.Field{Field: "r", DataType: "String"}, Select: []string{"b", "a"}}},
		{TableName: "T", Type: "dataLevel", DataMasks: []spec.DataMask{{Field: "y", DataType: "String", ApplyRange: []string{"view", "export"}}, {Field: "x", DataType: "Whole"}}},
	}}, {Connection: 11, Type: "table", Details: []spec.Detail{{Produced: "Original", SelectType: "select", Select: []string{"t2", "t1"}, Mode: "manual"}}}}
	cases := []struct {
		name  string
		live  string
		equal bool
	}{
		{"server decorations and other order", `[
 {"type":"table","mode":"fixed","rule":"and","resourceId":11,"resourceCategory":3,"roleId":1,"details":[{"produced":"Original","selectType":"select","select":["t1","t2"],"mode":"manual"}]},
 {"type":"row","mode":"fixed","rule":"or","resourceId":11,"details":[
   {"tableName":"T","tableAlias":"T","type":"dataLevel","dataMasks":[{"field":"x","dataType":"Whole","applyRange":[]},{"field":"y","dataType":"String","applyRange":["export","view"]}]},
   {"tableName":"T","tableAlias":"T","model":"manual","type":"row","filterType":"listFilter","selectType":"select","filter":{"dim":{"field":"r","dataType":"String"},"select":["a","b"],"extra":1}}]}]`, true},
		{"null and [] in details", `[
 {"type":"table","mode":"fixed","rule":"and","resourceId":11,"details":[{"produced":"Original","selectType":"select","select":["t1","t2"],"mode":"manual"}]},
 {"type":"row","mode":"fixed","rule":"or","resourceId":11,"details":[
   {"tableName":"T","type":"dataLevel","dataMasks":[{"field":"x","dataType":"Whole","applyRange":null},{"field":"y","dataType":"String","applyRange":["export","view"]}]},
   {"tableName":"T","filterType":"listFilter","selectType":"select","filter":{"dim":{"field":"r","dataType":"String"},"select":["a","b"],"or":null}}]}]`, true},
		{"another value", `[
 {"type":"table","mode":"fixed","rule":"and","resourceId":11,"details":[{"produced":"Original","selectType":"select","select":["t1"],"mode":"manual"}]},
 {"type":"row","mode":"fixed","rule":"or","resourceId":11,"details":[
   {"tableName":"T","type":"dataLevel","dataMasks":[{"field":"x","dataType":"Whole"},{"field":"y","dataType":"String","applyRange":["export","view"]}]},
   {"tableName":"T","filterType":"listFilter","selectType":"select","filter":{"dim":{"field":"r","dataType":"String"},"select":["a","b"]}}]}]`, false},
		{"another rule operator", `[
 {"type":"table","mode":"fixed","rule":"and","resourceId":11,"details":[{"produced":"Original","selectType":"select","select":["t1","t2"],"mode":"manual"}]},
 {"type":"row","mode":"fixed","rule":"and","resourceId":11,"details":[
   {"tableName":"T","type":"dataLevel","dataMasks":[{"field":"x","dataType":"Whole"},{"field":"y","dataType":"String","applyRange":["export","view"]}]},
   {"tableName":"T","filterType":"listFilter","selectType":"select","filter":{"dim":{"field":"r","dataType":"String"},"select":["a","b"]}}]}]`, false},
		{"a model the files did not set is ignored, a different table is not", `[
 {"type":"table","mode":"fixed","rule":"and","resourceId":11,"details":[{"produced":"Original","selectType":"select","select":["t1","t2"],"mode":"manual"}]},
 {"type":"row","mode":"fixed","rule":"or","resourceId":11,"details":[
   {"tableName":"T","type":"dataLevel","dataMasks":[{"field":"x","dataType":"Whole"},{"field":"y","dataType":"String","applyRange":["export","view"]}]},
   {"tableName":"U","model":"list","filterType":"listFilter","selectType":"select","filter":{"dim":{"field":"r","dataType":"String"},"select":["a","b"]}}]}]`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var raw []apiclient.DataPermissionRead
			if err := json.Unmarshal([]byte(tc.live), &raw); err != nil {
				t.Fatal(err)
			}
			lr, err := decodeLiveRules(raw)
			if err != nil {
				t.Fatal(err)
			}
			d := normRules(want)
			l := alignLiveRules(d, normRules(lr))
			if got := string(canon.JSON(d)) == string(canon.JSON(l)); got != tc.equal {
				t.Errorf("equal = %v, want %v\ndesired %s\nlive    %s", got, tc.equal, canon.JSON(d), canon.JSON(l))
			}
		})
	}
}

func TestNormalizeTime(t *testing.T) {
	for in, want := range map[string]string{
		"2025-07-24T16:00:00.000Z":  "2025-07-25 00:00:00",
		"2025-07-24T16:00:00Z":      "2025-07-25 00:00:00",
		"2025-07-25T00:00:00+08:00": "2025-07-25 00:00:00",
		"2025-07-25 00:00:00":       "2025-07-25 00:00:00",
		" 2025-07-25 00:00:00 ":     "2025-07-25 00:00:00",
		"soon":                      "soon",
	} {
		if got := NormalizeTime(in); got != want {
			t.Errorf("NormalizeTime(%q) = %q, want %q", in, got, want)
		}
	}
	if got := ServerTime("2025-07-25 00:00:00"); got != "2025-07-24T16:00:00.000Z" {
		t.Errorf("ServerTime = %q", got)
	}
}
