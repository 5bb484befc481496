package youdata

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/permsync/permsync/internal/canon"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

func TestConvergedGivesNoChanges(t *testing.T) {
	d := desired(t, fullYAML)
	st := convergedState(t)
	p := compute(t, d, fullLive(t), st, Options{})
	if len(p.Changes) != 0 {
		t.Fatalf("converged input planned changes:\n%s", joined(summary(p)))
	}
	if len(p.Warnings) != 0 || len(p.Refusals) != 0 {
		t.Errorf("warnings %v refusals %v, want none", p.Warnings, p.Refusals)
	}
	want := map[plan.Kind]int{KindSystemRole: 1, KindCompany: 1, KindDepartment: 2, KindUser: 2, KindProject: 1,
		KindMember: 2, KindGroup: 1, KindRole: 1, KindDataPermission: 1, KindResourceMembers: 1}
	if diff := cmp.Diff(want, p.NoOps); diff != "" {
		t.Errorf("NoOps (-want +got):\n%s", diff)
	}
}

func TestLostStateReappliesWriteOnlyFacetsOnly(t *testing.T) {
	d := desired(t, fullYAML)
	d.Settings.MaxDeletes = &spec.MaxDeletes{Share: 100, Percent: true}
	live := fullLive(t)
	// Objects on the server that the files do not name: without a state
	// nothing says permsync created them, so none may be deleted.
	live.Users["carol"] = LiveUser{ID: 4, UniqueID: "carol"}
	live.SystemRoles["old"] = LiveSystemRole{ID: 11, Name: "old"}
	live.Projects["P"].Roles["/other"] = &LiveRole{ID: 201, Name: "other"}
	live.Projects["P"].Groups["H"] = &LiveGroup{ID: 51, Name: "H", Members: []string{"bob"}}
	for _, st := range []*state.State{nil, state.New()} {
		p := compute(t, d, live, st, Options{})
		want := []string{
			"update company company",
			"create department D1",
			"create department D2",
			"update user alice",
			"update group P/G",
			"update role P/F/R",
			"create resourceMembers P/DATA_MODEL/5",
		}
		if diff := cmp.Diff(want, summary(p)); diff != "" {
			t.Fatalf("plan (-want +got):\n%s", diff)
		}
		alice := find(t, p, KindUser, "alice")
		if alice.Reason != "not in state: attrs, department, orgs" {
			t.Errorf("alice reason = %q", alice.Reason)
		}
		if got := alice.Changed(); !cmp.Equal(got, []string{"attrs", "department", "orgs"}) {
			t.Errorf("alice changed facets = %v", got)
		}
		role := find(t, p, KindRole, "P/F/R")
		if role.Reason != "not in state: groups, orgs, resources" {
			t.Errorf("role reason = %q", role.Reason)
		}
		if role.Before.Int("id") != 200 || role.After.Int("project_id") != 100 {
			t.Errorf("role ids: before %s", role.Before)
		}
	}
}

func TestDriftOnReadableFacetsDespiteState(t *testing.T) {
	d := desired(t, fullYAML)
	st := convergedState(t)
	live := fullLive(t)
	live.Users["alice"] = LiveUser{ID: 1, UniqueID: "alice", Nick: sp("Al"), Email: sp("alice@example.com"), CustomInfo: json.RawMessage(`{"a":"x","b":1}`)}
	live.Projects["P"].Groups["G"].Members = []string{"alice", "bob"}
	live.Projects["P"].Members["bob"] = LiveMember{UserID: 2, SystemRoleIDs: []int64{2}}
	live.Projects["P"].Roles["F/R"].Description = "by hand"
	p := compute(t, d, live, st, Options{})
	want := []string{"update user alice", "update member P/bob", "update group P/G", "update role P/F/R"}
	if diff := cmp.Diff(want, summary(p)); diff != "" {
		t.Fatalf("plan (-want +got):\n%s", diff)
	}
	alice := find(t, p, KindUser, "alice")
	if alice.Reason != `the server has nick "Al"` {
		t.Errorf("reason = %q", alice.Reason)
	}
	if got := alice.Changed(); !cmp.Equal(got, []string{"nick"}) {
		t.Errorf("changed = %v", got)
	}
	bob := find(t, p, KindMember, "P/bob")
	if got := bob.After.Strings("systemRoles"); !cmp.Equal(got, []string{"auditor", "editor"}) {
		t.Errorf("bob systemRoles after = %v", got)
	}
	var ids map[string]int64
	if err := bob.After.Decode("system_role_ids", &ids); err != nil || ids["auditor"] != 10 || ids["editor"] != 2 {
		t.Errorf("system_role_ids = %v, %v", ids, err)
	}
	g := find(t, p, KindGroup, "P/G")
	if got := g.Before.Strings("members"); !cmp.Equal(got, []string{"alice", "bob"}) {
		t.Errorf("group before members = %v", got)
	}
	// The state of an updated object keeps its facets.
	if g.NewState == nil || g.NewState.ID != 50 || g.NewState.Facets["description"].Hash == "" {
		t.Errorf("group new state = %+v", g.NewState)
	}
}

// The files' names and text are trimmed; the server's nick, email and phone
// are compared trimmed as well, or an export of a nick typed with spaces in
// the web console would never plan empty.
func TestUserTextComparedTrimmed(t *testing.T) {
	d := desired(t, fullYAML)
	st := convergedState(t)
	live := fullLive(t)
	live.Users["alice"] = LiveUser{ID: 1, UniqueID: "alice", Nick: sp("  Alice\u3000"), Email: sp(" alice@example.com"), CustomInfo: json.RawMessage(`{"a":"x","b":1}`)}
	if p := compute(t, d, live, st, Options{}); len(p.Changes) != 0 {
		t.Fatalf("whitespace around the server's text planned changes:\n%s", joined(summary(p)))
	}
	live.Users["alice"] = LiveUser{ID: 1, UniqueID: "alice", Nick: sp(" Al "), Email: sp("alice@example.com"), CustomInfo: json.RawMessage(`{"a":"x","b":1}`)}
	p := compute(t, d, live, st, Options{})
	alice := find(t, p, KindUser, "alice")
	if got := alice.Changed(); !cmp.Equal(got, []string{"nick"}) {
		t.Errorf("changed = %v, want [nick]", got)
	}
}

func TestChangedSinceLastApply(t *testing.T) {
	st := convergedState(t)
	d := desired(t, strings.Replace(fullYAML, "department: Sales", "department: Support", 1))
	p := compute(t, d, fullLive(t), st, Options{})
	c := find(t, p, KindUser, "alice")
	if c.Action != plan.Update || c.Reason != "changed since last apply: department" {
		t.Fatalf("change = %s %q", c.Action, c.Reason)
	}
	if c.Before.Has("department") || c.After.String("department") != "Support" {
		t.Errorf("before %s after %s", c.Before, c.After)
	}
	if c.NewState.Facets["department"].Hash != canon.Fingerprint(map[string]any{"department": "Support"}) {
		t.Errorf("new state department facet = %+v", c.NewState.Facets["department"])
	}
	if len(p.Changes) != 1 {
		t.Errorf("plan = %v", summary(p))
	}
}

func TestUserAttrsNullAndEmptyDiffer(t *testing.T) {
	st := convergedState(t)
	d := desired(t, strings.Replace(fullYAML, "tags: []", "tags: null", 1))
	p := compute(t, d, fullLive(t), st, Options{})
	c := find(t, p, KindUser, "alice")
	if c.Reason != "changed since last apply: attrs" {
		t.Fatalf("reason = %q", c.Reason)
	}
	var attrs map[string]json.RawMessage
	if err := c.After.Decode("attrs", &attrs); err != nil {
		t.Fatal(err)
	}
	if string(attrs["tags"]) != "null" || string(attrs["level"]) != "null" || string(attrs["region"]) != `["east","north"]` {
		t.Errorf("attrs = %s", c.After["attrs"])
	}
}

// scenario is one table case: a desired state, a server and a state.
type scenario struct {
	name  string
	yaml  string
	live  func(*Live)
	state map[string]*state.Object
	opts  Options
	want  []string
	check func(t *testing.T, p *plan.Plan)
}

func baseLive() *Live {
	return &Live{
		TokenUser: "root",
		Users: map[string]LiveUser{
			"alice": {ID: 1, UniqueID: "alice"},
			"bob":   {ID: 2, UniqueID: "bob"},
			"carol": {ID: 3, UniqueID: "carol"},
			"root":  {ID: 4, UniqueID: "root"},
		},
		SystemRoles: map[string]LiveSystemRole{},
		Projects: map[string]*LiveProject{
			"P": {ID: 100, Name: "P", Read: true, Members: map[string]LiveMember{},
				Roles: map[string]*LiveRole{}, DataPermissions: map[string]*LiveRole{}, Groups: map[string]*LiveGroup{}},
		},
	}
}

func runScenarios(t *testing.T, cases []scenario) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			live := baseLive()
			if tc.live != nil {
				tc.live(live)
			}
			st := state.New()
			for k, v := range tc.state {
				st.Objects[k] = v
			}
			p := compute(t, desired(t, tc.yaml), live, st, tc.opts)
			if diff := cmp.Diff(tc.want, summary(p)); diff != "" {
				t.Fatalf("plan (-want +got):\n%s\nwarnings: %v\nrefusals: %v", diff, p.Warnings, p.Refusals)
			}
			if tc.check != nil {
				tc.check(t, p)
			}
		})
	}
}

func created(id int64) *state.Object { return &state.Object{Created: true, ID: id} }

func TestSystemRolesAndDomain(t *testing.T) {
	runScenarios(t, []scenario{
		{
			name: "system role create",
			yaml: `systemRoles: [{name: auditor, description: Audits}]`,
			want: []string{"create systemRole auditor"},
			check: func(t *testing.T, p *plan.Plan) {
				c := p.Changes[0]
				if c.Before != nil || c.After.String("description") != "Audits" || !c.NewState.Created {
					t.Errorf("change = %+v", c)
				}
			},
		},
		{
			name: "system role description drift",
			yaml: `systemRoles: [{name: auditor, description: Audits}]`,
			live: func(l *Live) { l.SystemRoles["auditor"] = LiveSystemRole{ID: 10, Name: "auditor", Description: "x"} },
			want: []string{"update systemRole auditor"},
			check: func(t *testing.T, p *plan.Plan) {
				if p.Changes[0].Before.Int("id") != 10 {
					t.Errorf("before = %s", p.Changes[0].Before)
				}
			},
		},
		{
			name: "system roles: delete the created, keep the others",
			yaml: `systemRoles: []`,
			live: func(l *Live) {
				l.SystemRoles["mine"] = LiveSystemRole{ID: 10, Name: "mine"}
				l.SystemRoles["theirs"] = LiveSystemRole{ID: 11, Name: "theirs"}
			},
			state: map[string]*state.Object{"systemRole mine": created(10)},
			want:  []string{"delete systemRole mine"},
			check: func(t *testing.T, p *plan.Plan) {
				if c := p.Changes[0]; c.Before.Int("id") != 10 || c.NewState != nil || c.After != nil {
					t.Errorf("change = %+v", c)
				}
			},
		},
		{
			name: "system roles: prune",
			yaml: `{settings: {prune: {systemRoles: true}, maxDeletes: 5}, systemRoles: []}`,
			live: func(l *Live) {
				l.SystemRoles["a"] = LiveSystemRole{ID: 10, Name: "a"}
				l.SystemRoles["b"] = LiveSystemRole{ID: 11, Name: "b"}
			},
			want: []string{"delete systemRole a", "delete systemRole b"},
		},
		{
			// No file declares systemRoles: they are not managed, prune
			// or not, and the plan says what it leaves alone.
			name: "system roles: prune, none declared",
			yaml: `{settings: {prune: {systemRoles: true}, maxDeletes: 5}}`,
			live: func(l *Live) {
				l.SystemRoles["a"] = LiveSystemRole{ID: 10, Name: "a"}
				l.SystemRoles["b"] = LiveSystemRole{ID: 11, Name: "b"}
			},
			want: []string{},
			check: func(t *testing.T, p *plan.Plan) {
				if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], `no file declares systemRoles:`) || !strings.Contains(p.Warnings[0], "2 systemRole(s)") || !strings.Contains(p.Warnings[0], "(a, b)") {
					t.Errorf("warnings = %v", p.Warnings)
				}
			},
		},
		{
			name: "company not in state, then applied",
			yaml: `orgs: {company: ACME}`,
			want: []string{"update company company"},
			check: func(t *testing.T, p *plan.Plan) {
				c := p.Changes[0]
				if c.Reason != "not in state: name" || c.After.String("name") != "ACME" {
					t.Errorf("change = %+v", c)
				}
			},
		},
		{
			name:  "company unchanged",
			yaml:  `orgs: {company: ACME}`,
			state: map[string]*state.Object{"company company": {Facets: map[string]state.Facet{"name": {Hash: canon.Fingerprint(map[string]any{"name": "ACME"})}}}},
			want:  []string{},
		},
		{
			name: "departments created parents first",
			yaml: `orgs: {departments: [{code: A, name: leaf, parent: M}, {code: M, name: mid, parent: Z}, {code: Z, name: root}]}`,
			want: []string{"create department Z", "create department M", "create department A"},
			check: func(t *testing.T, p *plan.Plan) {
				c := p.Changes[2]
				if !strings.HasPrefix(c.Reason, "not in state") || c.After.String("parent") != "M" || c.NewState.Facets["parent"].Items[0] != "M" {
					t.Errorf("change = %+v", c)
				}
			},
		},
		{
			name: "department renamed",
			yaml: `orgs: {departments: [{code: A, name: New}]}`,
			state: map[string]*state.Object{"department A": {Created: true, Facets: map[string]state.Facet{
				"department": {Hash: canon.Fingerprint(map[string]any{"name": "Old", "parent": "", "admins": []string{}, "description": ""})}}}},
			want: []string{"update department A"},
			check: func(t *testing.T, p *plan.Plan) {
				c := p.Changes[0]
				if c.Reason != "changed since last apply: department" || !c.NewState.Created {
					t.Errorf("change = %+v", c)
				}
			},
		},
		{
			name: "departments deleted leaves first, only those known",
			yaml: `{settings: {maxDeletes: 10}, orgs: {departments: []}}`,
			state: map[string]*state.Object{
				"department TOP":  {Created: true},
				"department MID":  {Created: true, Facets: map[string]state.Facet{"parent": {Hash: "x", Items: []string{"TOP"}}}},
				"department LEAF": {Created: true, Facets: map[string]state.Facet{"parent": {Hash: "x", Items: []string{"MID"}}}},
				"department HAND": {},
			},
			want: []string{"delete department LEAF", "delete department MID", "delete department TOP"},
		},
		{
			name: "users: create, update, leave the referenced and the unknown alone",
			yaml: `
users:
  - {uniqueId: dave, nick: Dave, left: false, allowExternal: true, orgs: [{code: D1, role: leader}, {code: A0}]}
  - {uniqueId: alice, nick: Alice, phone: "123"}
projects: [{name: P, members: [{user: bob}]}]`,
			live: func(l *Live) {
				l.Users["alice"] = LiveUser{ID: 1, UniqueID: "alice", Nick: sp("Alice"), Phone: sp("999")}
			},
			want: []string{"update user alice", "create user dave", "create member P/bob"},
			check: func(t *testing.T, p *plan.Plan) {
				dave := find(t, p, KindUser, "dave")
				if got := string(dave.After["orgs"]); got != `[{"code":"A0","role":"normal"},{"code":"D1","role":"leader"}]` {
					t.Errorf("orgs = %s", got)
				}
				if !dave.NewState.Created || len(dave.NewState.Facets) != 3 {
					t.Errorf("dave state = %+v", dave.NewState)
				}
				if r := find(t, p, KindUser, "alice").Reason; r != `the server has phone "999"` {
					t.Errorf("alice reason = %q", r)
				}
			},
		},
		{
			name: "users: delete created unreferenced, never the protected or token user",
			yaml: `{settings: {protectedUsers: [carol], maxDeletes: "100%"}, users: [{uniqueId: alice}]}`,
			state: map[string]*state.Object{
				"user bob": created(2), "user carol": created(3), "user root": created(4),
			},
			want: []string{"delete user bob"},
			check: func(t *testing.T, p *plan.Plan) {
				if len(p.Warnings) != 2 || !strings.Contains(p.Warnings[0], "carol") || !strings.Contains(p.Warnings[1], "root") {
					t.Errorf("warnings = %v", p.Warnings)
				}
			},
		},
		{
			name:  "users: prune spares the referenced",
			yaml:  `{settings: {prune: {users: true}, maxDeletes: 10}, users: [], projects: [{name: P, roles: [{name: R, users: [bob]}]}]}`,
			state: map[string]*state.Object{},
			want:  []string{"create role P//R", "delete user alice", "delete user carol"},
			check: func(t *testing.T, p *plan.Plan) {
				if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "root") {
					t.Errorf("warnings = %v", p.Warnings)
				}
			},
		},
	})
}

func TestProjectsMembersGroups(t *testing.T) {
	runScenarios(t, []scenario{
		{
			name: "project create with receivers, contents created",
			yaml: `projects: [{name: NP, description: d, members: [{user: alice, systemRoles: [admin]}, {user: bob}], groups: [{name: G, members: [bob]}]}]`,
			want: []string{"create project NP", "create member NP/alice", "create member NP/bob", "create group NP/G"},
			check: func(t *testing.T, p *plan.Plan) {
				c := find(t, p, KindProject, "NP")
				if got := c.After.Strings("receivers"); !cmp.Equal(got, []string{"alice"}) {
					t.Errorf("receivers = %v", got)
				}
				if find(t, p, KindGroup, "NP/G").After.Has("project_id") {
					t.Errorf("a project to create has no id yet")
				}
			},
		},
		{
			name: "pinned id renames",
			yaml: `projects: [{name: New, id: 100}]`,
			want: []string{"update project New"},
			check: func(t *testing.T, p *plan.Plan) {
				c := p.Changes[0]
				if c.Before.String("name") != "P" || c.After.String("name") != "New" || c.After.Int("id") != 100 {
					t.Errorf("change = %+v", c)
				}
				if !cmp.Equal(c.Changed(), []string{"name"}) {
					t.Errorf("changed = %v", c.Changed())
				}
			},
		},
		{
			name: "pinned id: a server name with spaces around it is not renamed",
			yaml: `projects: [{name: P, id: 100}]`,
			live: func(l *Live) {
				lp := l.Projects["P"]
				delete(l.Projects, "P")
				lp.Name = "P "
				l.Projects["P "] = lp
			},
			want: []string{},
		},
		{
			name: "project description drift; created project left the files",
			yaml: `projects: [{name: P, description: new}]`,
			live: func(l *Live) {
				l.Projects["P"].Description = "old"
				l.Projects["Gone"] = &LiveProject{ID: 101, Name: "Gone"}
				l.Projects["Hand"] = &LiveProject{ID: 102, Name: "Hand"}
			},
			state: map[string]*state.Object{"project Gone": created(101)},
			want:  []string{"update project P", "delete project Gone"},
		},
		{
			name: "members: create, update, delete; protected keeps admin and stays",
			yaml: `
settings: {protectedUsers: [carol], maxDeletes: 10}
systemRoles: [{name: auditor}]
projects: [{name: P, members: [{user: alice, systemRoles: [viewer, auditor]}, {user: root, systemRoles: [viewer]}, {user: dave}]}]
users: [{uniqueId: dave}]`,
			live: func(l *Live) {
				l.SystemRoles["auditor"] = LiveSystemRole{ID: 10, Name: "auditor"}
				l.Projects["P"].Members = map[string]LiveMember{
					"alice": {UserID: 1, SystemRoleIDs: []int64{3}},
					"bob":   {UserID: 2, SystemRoleIDs: []int64{2}},
					"carol": {UserID: 3, SystemRoleIDs: []int64{1}},
					"root":  {UserID: 4, SystemRoleIDs: []int64{1}},
				}
			},
			want: []string{"create user dave", "update member P/alice", "create member P/dave", "update member P/root", "delete member P/bob"},
			check: func(t *testing.T, p *plan.Plan) {
				want := []string{
					"user carol is protected (settings.protectedUsers or the token's user): not removed from project P",
					"user root is protected (settings.protectedUsers or the token's user): keeps the admin system role in project P",
				}
				if diff := cmp.Diff(want, p.Warnings); diff != "" {
					t.Errorf("warnings (-want +got):\n%s", diff)
				}
				c := find(t, p, KindMember, "P/alice")
				if got := c.Before.Strings("systemRoles"); !cmp.Equal(got, []string{"viewer"}) {
					t.Errorf("before = %v", got)
				}
			},
		},
		{
			name: "members absent: not managed",
			yaml: `projects: [{name: P, roles: [{name: R, users: [bob]}]}]`,
			live: func(l *Live) {
				l.Projects["P"].Members = map[string]LiveMember{"alice": {UserID: 1}}
			},
			want: []string{"create role P//R"},
		},
		{
			name: "groups: invisible group known by its state id, members and description",
			yaml: `projects: [{name: P, groups: [{name: E, members: [], description: d}, {name: G, members: [alice]}, {name: NG, folder: F}]}]`,
			live: func(l *Live) {
				l.Projects["P"].Groups["G"] = &LiveGroup{ID: 51, Name: "G", Members: []string{"alice", "bob"}}
			},
			state: map[string]*state.Object{"group P/E": {Created: true, ID: 50, Facets: map[string]state.Facet{
				"description": {Hash: canon.Fingerprint(map[string]any{"description": "old"})},
				"folder":      {Hash: canon.Fingerprint(""), Items: []string{""}}}}},
			want: []string{"update group P/E", "update group P/G", "create group P/NG"},
			check: func(t *testing.T, p *plan.Plan) {
				e := find(t, p, KindGroup, "P/E")
				if e.Before.Int("id") != 50 || e.Reason != "changed since last apply: description" {
					t.Errorf("E = %+v", e)
				}
				g := find(t, p, KindGroup, "P/G")
				if g.Reason != `the server has members ["alice","bob"]` {
					t.Errorf("G reason = %q", g.Reason)
				}
				if n := find(t, p, KindGroup, "P/NG"); n.NewState.Facets["folder"].Items[0] != "F" {
					t.Errorf("N state = %+v", n.NewState)
				}
			},
		},
		{
			name: "groups: moved folder is a replace, and roles bind the group again",
			yaml: `projects: [{name: P, groups: [{name: G, folder: B}], roles: [{name: R, groups: [G]}]}]`,
			live: func(l *Live) {
				l.Projects["P"].Groups["G"] = &LiveGroup{ID: 51, Name: "G", Members: []string{"alice"}}
				l.Projects["P"].Roles["/R"] = &LiveRole{ID: 200, Name: "R"}
			},
			state: map[string]*state.Object{
				"group P/G": {Created: true, ID: 51, Facets: map[string]state.Facet{"folder": {Hash: canon.Fingerprint("A"), Items: []string{"A"}}}},
				"role P//R": bindingState([]string{"G"}, nil, nil, nil),
			},
			want: []string{"replace group P/G", "update role P//R"},
			check: func(t *testing.T, p *plan.Plan) {
				g := p.Changes[0]
				if got := g.After.Strings("members"); !cmp.Equal(got, []string{"alice"}) || g.Before.String("folder") != "A" {
					t.Errorf("group = %+v", g)
				}
				r := p.Changes[1]
				if r.Reason != "group G is re-created: bind it again" || !cmp.Equal(r.Changed(), []string{"group_expires", "groups"}) {
					t.Errorf("role = %q %v", r.Reason, r.Changed())
				}
			},
		},
		{
			name: "groups: delete created or pruned, only in projects of the files",
			yaml: `{settings: {maxDeletes: 10}, projects: [{name: P}]}`,
			live: func(l *Live) {
				l.Projects["P"].Groups["Mine"] = &LiveGroup{ID: 51, Name: "Mine", Members: []string{"a"}}
				l.Projects["P"].Groups["Theirs"] = &LiveGroup{ID: 52, Name: "Theirs", Members: []string{"a"}}
				l.Projects["Q"] = &LiveProject{ID: 101, Name: "Q", Read: true, Groups: map[string]*LiveGroup{"X": {ID: 53, Name: "X"}}}
			},
			state: map[string]*state.Object{
				"group P/Mine":      created(51),
				"group P/Invisible": {Created: true, ID: 54, Facets: map[string]state.Facet{"folder": {Hash: "h", Items: []string{"F"}}}},
				"group Q/X":         created(53),
			},
			want: []string{"delete group P/Invisible", "delete group P/Mine"},
			check: func(t *testing.T, p *plan.Plan) {
				c := find(t, p, KindGroup, "P/Invisible")
				if c.Before.Int("id") != 54 || c.Before.String("folder") != "F" || c.Before.Int("project_id") != 100 {
					t.Errorf("before = %s", c.Before)
				}
			},
		},
		{
			name: "resource members: create, update, unchanged",
			yaml: `projects: [{name: P, resourceMembers: [
  {type: DATA_MODEL, id: 1, members: [{user: bob, permissions: [view, edit]}, {user: alice, permissions: [view]}]},
  {type: NEW_REPORT, id: 2, members: []},
  {type: NEW_REPORT, id: 3, members: [{user: bob, permissions: [view]}]}]}]`,
			state: map[string]*state.Object{
				"resourceMembers P/NEW_REPORT/2": {Created: true, Facets: map[string]state.Facet{"members": {Hash: "old"}}},
				"resourceMembers P/NEW_REPORT/3": {Created: true, Facets: map[string]state.Facet{"members": {Hash: canon.Fingerprint(map[string]any{
					"members": []resourceMember{{User: "bob", Permissions: []string{"view"}}}})}}},
			},
			want: []string{"create resourceMembers P/DATA_MODEL/1", "update resourceMembers P/NEW_REPORT/2"},
			check: func(t *testing.T, p *plan.Plan) {
				c := p.Changes[0]
				if got := string(c.After["members"]); got != `[{"permissions":["view"],"user":"alice"},{"permissions":["edit","view"],"user":"bob"}]` {
					t.Errorf("members = %s", got)
				}
				if !strings.HasPrefix(c.Reason, "not in state") || c.After.Int("resource_id") != 1 || c.After.Int("project_id") != 100 {
					t.Errorf("change = %+v", c)
				}
				if p.NoOps[KindResourceMembers] != 1 {
					t.Errorf("noops = %v", p.NoOps)
				}
			},
		},
	})
}

func TestErrorsListEveryUnknownUser(t *testing.T) {
	d := desired(t, `
users: [{uniqueId: known}]
orgs: {departments: [{code: D, name: D, admins: [ghost]}]}
projects:
  - name: P
    members: [{user: ghost}, {user: known, systemRoles: [nosuch]}]
    groups: [{name: G, members: [phantom, alice]}]
    roles: [{name: R, users: [ghost, known]}]
`)
	_, err := Compute(d, baseLive(), nil, Options{})
	var pe *PlanError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a *PlanError", err)
	}
	want := []string{
		`system role "nosuch" of member P/known is neither under systemRoles: nor on the server (desired.yaml:6)`,
		`user "ghost" is referenced but is neither under users: nor on the server: desired.yaml:2, desired.yaml:5, desired.yaml:8`,
		`user "phantom" is referenced but is neither under users: nor on the server: desired.yaml:7`,
	}
	if diff := cmp.Diff(want, pe.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if !strings.Contains(err.Error(), "3 problems") {
		t.Errorf("message = %q", err.Error())
	}
	strict := desired(t, `{settings: {strictUsers: true}, projects: [{name: P, roles: [{name: R, users: [bob]}]}]}`)
	_, err = Compute(strict, baseLive(), nil, Options{})
	if !errors.As(err, &pe) || len(pe.Problems) != 1 || !strings.Contains(pe.Problems[0], `"bob" is referenced but not under users: (settings.strictUsers): desired.yaml:2`) {
		t.Errorf("strict users: %v", err)
	}
}

func TestMaxDeletes(t *testing.T) {
	live := baseLive()
	for i := 0; i < 20; i++ {
		u := "u" + string(rune('a'+i))
		live.Users[u] = LiveUser{ID: int64(100 + i), UniqueID: u}
	}
	cases := []struct {
		name      string
		yaml      string
		opts      Options
		deletes   int
		refused   bool
		refusalIn string
	}{
		// 24 users: the default allows 2; pruning would delete 23.
		{name: "default refuses", yaml: `{settings: {prune: {users: true}}, users: []}`, deletes: 23, refused: true, refusalIn: "23 user deletions exceed the limit of 2 (default 10%, 24 existing)"},
		{name: "override", yaml: `{settings: {prune: {users: true}}, users: []}`, opts: Options{AllowMassDelete: true}, deletes: 23},
		{name: "count", yaml: `{settings: {prune: {users: true}, maxDeletes: 23}, users: []}`, deletes: 23},
		{name: "count exceeded", yaml: `{settings: {prune: {users: true}, maxDeletes: 22}, users: []}`, deletes: 23, refused: true, refusalIn: "limit of 22"},
		{name: "share", yaml: `{settings: {prune: {users: true}, maxDeletes: "96%"}, users: []}`, deletes: 23},
		{name: "share exceeded", yaml: `{settings: {prune: {users: true}, maxDeletes: "50%"}, users: []}`, deletes: 23, refused: true, refusalIn: "limit of 12 (50%"},
		{name: "at least one", yaml: `{settings: {maxDeletes: "1%"}, users: [{uniqueId: alice}]}`, deletes: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := compute(t, desired(t, tc.yaml), live, nil, tc.opts)
			n := 0
			for _, c := range p.Changes {
				if c.Action == plan.Delete {
					n++
				}
			}
			if n != tc.deletes {
				t.Errorf("deletes = %d, want %d", n, tc.deletes)
			}
			if got := len(p.Refusals) > 0; got != tc.refused {
				t.Fatalf("refusals = %v, want refused %v", p.Refusals, tc.refused)
			}
			if tc.refused {
				if !strings.Contains(p.Refusals[0].Message, tc.refusalIn) || !strings.Contains(p.Refusals[0].Message, "alice, bob, carol, ua") {
					t.Errorf("refusal = %q", p.Refusals[0])
				}
			}
			if tc.opts.AllowMassDelete && len(p.Warnings) == 0 {
				t.Errorf("an override leaves a warning")
			}
		})
	}
	// One deletion out of a few is within the default minimum of 1.
	small := baseLive()
	p := compute(t, desired(t, `{settings: {prune: {users: true}}, users: [{uniqueId: alice}, {uniqueId: bob}]}`), small, nil, Options{})
	if diff := cmp.Diff([]string{"delete user carol"}, summary(p)); diff != "" || len(p.Refusals) != 0 {
		t.Errorf("plan %v refusals %v", summary(p), p.Refusals)
	}
}

func TestPhasesOrder(t *testing.T) {
	d := desired(t, `
settings: {maxDeletes: 100}
systemRoles: [{name: s}]
orgs: {departments: [{code: D, name: D}]}
users: [{uniqueId: dave}]
projects:
  - name: P
    members: [{user: dave}]
    groups: [{name: G}]
    roles: [{name: R}]
    dataPermissions: [{name: DP}]
    resourceMembers: [{type: DATA_MODEL, id: 1, members: []}]
`)
	live := baseLive()
	live.SystemRoles["old"] = LiveSystemRole{ID: 9, Name: "old"}
	live.Projects["P"].Members["alice"] = LiveMember{UserID: 1}
	live.Projects["P"].Roles["/oldrole"] = &LiveRole{ID: 5, Name: "oldrole"}
	live.Projects["P"].DataPermissions["/olddp"] = &LiveRole{ID: 6, Name: "olddp", Type: 2}
	live.Projects["P"].Groups["oldgroup"] = &LiveGroup{ID: 7, Name: "oldgroup"}
	st := state.New()
	for _, k := range []string{"systemRole old", "role P//oldrole", "dataPermission P//olddp", "group P/oldgroup", "user carol", "department OLD"} {
		st.Objects[k] = created(1)
	}
	// The id the server shows; in another folder than the new group G,
	// so that G is not taken for oldgroup renamed in the files.
	st.Objects["group P/oldgroup"] = &state.Object{Created: true, ID: 7, Facets: map[string]state.Facet{"folder": {Hash: canon.Fingerprint("F"), Items: []string{"F"}}}}
	p := compute(t, d, live, st, Options{})
	want := []string{
		"create systemRole s",
		"create department D",
		"create user dave",
		"create member P/dave",
		"create group P/G",
		"create role P//R",
		"create dataPermission P//DP",
		"create resourceMembers P/DATA_MODEL/1",
		"delete role P//oldrole",
		"delete dataPermission P//olddp",
		"delete group P/oldgroup",
		"delete member P/alice",
		"delete user carol", // before departments: one with members cannot go
		"delete department OLD",
		"delete systemRole old",
	}
	if diff := cmp.Diff(want, summary(p)); diff != "" {
		t.Fatalf("order (-want +got):\n%s", diff)
	}
	last := -1
	for _, c := range p.Changes {
		ph := Phase(c)
		if ph < last {
			t.Errorf("phase of %s %s goes back", c.Kind, c.Key)
		}
		last = ph
		if PhaseNames[ph] == "" {
			t.Errorf("phase %d has no name", ph)
		}
	}
}
