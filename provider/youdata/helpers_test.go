package youdata

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
	"sigs.k8s.io/yaml"
)

// desired decodes a YAML literal into a desired state and gives every
// object a source "desired.yaml:<n>" (n counts objects in file order).
func desired(t testing.TB, doc string) *spec.Desired {
	t.Helper()
	var d spec.Desired
	if err := yaml.UnmarshalStrict([]byte(doc), &d); err != nil {
		t.Fatalf("decode desired: %v", err)
	}
	line := 0
	src := func(path string) spec.Source {
		line++
		return spec.Source{File: "desired.yaml", Line: line, Path: path}
	}
	if d.Orgs != nil {
		d.Orgs.Src = src("orgs")
		for i := range d.Orgs.Departments {
			d.Orgs.Departments[i].Src = src("orgs.departments")
		}
	}
	for i := range d.Users {
		d.Users[i].Src = src("users")
	}
	for i := range d.SystemRoles {
		d.SystemRoles[i].Src = src("systemRoles")
	}
	for i := range d.Projects {
		pr := &d.Projects[i]
		pr.Src = src("projects")
		for j := range pr.Members {
			pr.Members[j].Src = src("members")
		}
		for j := range pr.Groups {
			pr.Groups[j].Src = src("groups")
		}
		for j := range pr.Roles {
			pr.Roles[j].Src = src("roles")
		}
		for j := range pr.DataPermissions {
			pr.DataPermissions[j].Src = src("dataPermissions")
		}
		for j := range pr.ResourceMembers {
			pr.ResourceMembers[j].Src = src("resourceMembers")
		}
	}
	return &d
}

func sp(s string) *string { return &s }

// compute runs Compute and fails the test on an error.
func compute(t testing.TB, d *spec.Desired, live *Live, st *state.State, opts Options) *plan.Plan {
	t.Helper()
	p, err := Compute(d, live, st, opts)
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	return p
}

// summary is "action kind key" per change, in plan order.
func summary(p *plan.Plan) []string {
	out := []string{}
	for _, c := range p.Changes {
		out = append(out, string(c.Action)+" "+string(c.Kind)+" "+c.Key)
	}
	return out
}

// find returns the change of an object, failing when there is none.
func find(t testing.TB, p *plan.Plan, k plan.Kind, key string) plan.Change {
	t.Helper()
	for _, c := range p.Changes {
		if c.Kind == k && c.Key == key {
			return c
		}
	}
	t.Fatalf("no change for %s %s in %v", k, key, summary(p))
	return plan.Change{}
}

// applyAll records every change of a plan in a copy of st, as the executor
// does, giving created objects an id.
func applyAll(st *state.State, p *plan.Plan) *state.State {
	out := state.New()
	if st != nil {
		raw, _ := json.Marshal(st)
		_ = json.Unmarshal(raw, out)
	}
	for i, c := range p.Changes {
		if c.NewState != nil && c.NewState.ID == 0 {
			ns := *c.NewState
			ns.ID = int64(9000 + i)
			c.NewState = &ns
		}
		c.Record(out)
	}
	return out
}

func detailJSON(t testing.TB, s string) json.RawMessage {
	t.Helper()
	if !json.Valid([]byte(s)) {
		t.Fatalf("invalid JSON: %s", s)
	}
	return json.RawMessage(s)
}

// fullYAML manages every kind.
const fullYAML = `
settings:
  protectedUsers: [root]
orgs:
  company: ACME
  departments:
    - {code: D1, name: Sales}
    - {code: D2, name: East, parent: D1, admins: [alice]}
users:
  - uniqueId: alice
    nick: Alice
    email: alice@example.com
    department: Sales
    orgs: [{code: D2}]
    attrs: {region: [north, east], level: null, tags: []}
    customInfo: {b: 1, a: "x"}
  - uniqueId: bob
    nick: Bob
systemRoles:
  - name: auditor
    description: Audits
projects:
  - name: P
    description: Project P
    members:
      - {user: alice, systemRoles: [viewer]}
      - {user: bob, systemRoles: [editor, auditor]}
    groups:
      - name: G
        folder: F
        description: group G
        members: [alice]
    roles:
      - name: R
        folder: F
        description: role R
        users: [alice]
        groups: [G]
        orgs: [D1]
        expires: {alice: "2025-07-25 00:00:00", G: "2026-01-01 00:00:00"}
        resources:
          - {type: NEW_REPORT, id: 7, permissions: [view, edit]}
    dataPermissions:
      - name: DP
        description: rows
        users: [bob]
        rules:
          - connection: 11
            details:
              - tableName: T
                filterType: listFilter
                selectType: select
                filter: {dim: {field: region, dataType: String}, select: [north, east]}
    resourceMembers:
      - type: DATA_MODEL
        id: 5
        members: [{user: alice, permissions: [view]}]
`

// fullLive is a server that matches fullYAML in everything it can show.
func fullLive(t testing.TB) *Live {
	return &Live{
		TokenUser: "root",
		Users: map[string]LiveUser{
			"alice": {ID: 1, UniqueID: "alice", Nick: sp("Alice"), Email: sp("alice@example.com"), CustomInfo: json.RawMessage(`{"a":"x","b":1}`)},
			"bob":   {ID: 2, UniqueID: "bob", Nick: sp("Bob")},
			"root":  {ID: 3, UniqueID: "root", Nick: sp("Root")},
		},
		SystemRoles: map[string]LiveSystemRole{"auditor": {ID: 10, Name: "auditor", Description: "Audits"}},
		Projects: map[string]*LiveProject{
			"P": {
				ID: 100, Name: "P", Description: "Project P", Read: true,
				Members: map[string]LiveMember{
					"alice": {UserID: 1, SystemRoleIDs: []int64{3}},
					"bob":   {UserID: 2, SystemRoleIDs: []int64{2, 10}},
				},
				Roles: map[string]*LiveRole{
					"F/R": {ID: 200, Name: "R", Folder: "F", Type: 0, Description: "role R",
						Users: map[string]*string{"alice": sp("2025-07-24T16:00:00.000Z")}},
				},
				DataPermissions: map[string]*LiveRole{
					"/DP": {ID: 300, Name: "DP", Type: 2, Description: "rows",
						Users:      map[string]*string{"bob": nil},
						RulesKnown: true,
						Rules: []apiclient.DataPermissionRead{{
							Details: []json.RawMessage{detailJSON(t, `{"tableAlias":"T","tableName":"T","selectType":"select","model":"manual","filterType":"listFilter","filter":{"dim":{"field":"region","dataType":"String"},"select":["east","north"]}}`)},
							Mode:    "fixed", Rule: "or", Type: "row", ResourceID: 11, ResourceCategory: 3, RoleID: 300,
						}},
					},
				},
				Groups: map[string]*LiveGroup{"G": {ID: 50, Name: "G", Members: []string{"alice"}}},
			},
		},
	}
}

// convergedState is the state after applying fullYAML to fullLive.
func convergedState(t testing.TB) *state.State {
	t.Helper()
	d := desired(t, fullYAML)
	p := compute(t, d, fullLive(t), nil, Options{})
	return applyAll(nil, p)
}

func joined(ss []string) string { return strings.Join(ss, "\n") }
