package youdata

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/permsync/permsync/plan"
)

// A plan that takes users out of something says so when it cannot protect
// the user behind the token, and only then.
func TestUnknownTokenUserWarning(t *testing.T) {
	// Project P's members are exact: bob leaves it.
	d := desired(t, `
projects:
  - name: P
    members:
      - {user: alice, systemRoles: [viewer]}
`)
	hasWarning := func(p *plan.Plan) bool {
		for _, w := range p.Warnings {
			if strings.Contains(w, "PERMSYNC_TOKEN_USER") {
				return true
			}
		}
		return false
	}

	known := fullLive(t)
	if p := compute(t, d, known, convergedState(t), Options{}); hasWarning(p) {
		t.Errorf("warning with a known token user: %v", p.Warnings)
	}

	unknown := fullLive(t)
	unknown.TokenUser = ""
	p := compute(t, d, unknown, convergedState(t), Options{})
	if find(t, p, KindMember, "P/bob").Action != plan.Delete {
		t.Fatal("the case does not remove bob")
	}
	if !hasWarning(p) {
		t.Errorf("no warning with an unknown token user: %v", p.Warnings)
	}

	// Nothing removed: no warning.
	keep := desired(t, `
projects:
  - name: P
    members:
      - {user: alice, systemRoles: [viewer]}
      - {user: bob, systemRoles: [editor, auditor]}
`)
	if p := compute(t, keep, unknown, convergedState(t), Options{}); hasWarning(p) {
		t.Errorf("warning on a plan that removes nobody: %v", p.Warnings)
	}
}

func TestRemovesUsers(t *testing.T) {
	var before, after plan.Attrs
	before.Set("users", []string{"a", "b"})
	after.Set("users", []string{"a", "b", "c"})
	if removesUsers([]plan.Change{{Action: plan.Update, Kind: KindRole, Before: before, After: after}}) {
		t.Error("adding a user counts as removing one")
	}
	if !removesUsers([]plan.Change{{Action: plan.Update, Kind: KindRole, Before: after, After: before}}) {
		t.Error("unbinding c from a role does not count")
	}
	var gb, ga plan.Attrs
	gb.Set("members", []string{"x"})
	ga.Set("members", []string{})
	if !removesUsers([]plan.Change{{Action: plan.Update, Kind: KindGroup, Before: gb, After: ga}}) {
		t.Error("emptying a group does not count")
	}
	if !removesUsers([]plan.Change{{Action: plan.Delete, Kind: KindUser, Key: "u"}}) {
		t.Error("deleting a user does not count")
	}
}

// adminLive is a server with project P administered by alice and bob, and
// project Q by carol alone; dave is a viewer of both.
func adminLive(tokenUser string) *Live {
	l := baseLive()
	l.TokenUser = tokenUser
	l.Users["dave"] = LiveUser{ID: 5, UniqueID: "dave"}
	l.Projects["P"].Members = map[string]LiveMember{
		"alice": {UserID: 1, Category: "admin", SystemRoleIDs: []int64{1}},
		"bob":   {UserID: 2, Category: "admin", SystemRoleIDs: []int64{1}},
		"dave":  {UserID: 5, Category: "viewer", SystemRoleIDs: []int64{3}},
	}
	l.Projects["Q"] = &LiveProject{ID: 101, Name: "Q", Read: true,
		Members: map[string]LiveMember{
			"carol": {UserID: 3, Category: "admin", SystemRoleIDs: []int64{1}},
			"dave":  {UserID: 5, Category: "viewer", SystemRoleIDs: []int64{3}},
		},
		Roles: map[string]*LiveRole{}, DataPermissions: map[string]*LiveRole{}, Groups: map[string]*LiveGroup{}}
	return l
}

func refusalsWith(p *plan.Plan, s string) []string {
	var out []string
	for _, r := range p.RefusalMessages() {
		if strings.Contains(r, s) {
			out = append(out, r)
		}
	}
	return out
}

// When the user behind the token is not known, a change that takes the
// admin role from a member or removes an admin may lock that user out of
// the project: it is refused, with how to name the token's user.
func TestUnknownTokenUserCannotDemoteAdmins(t *testing.T) {
	const demote = `
projects:
  - name: P
    members:
      - {user: alice, systemRoles: [viewer]}
      - {user: bob, systemRoles: [admin]}
      - {user: dave, systemRoles: [viewer]}
`
	const remove = `
projects:
  - name: P
    members:
      - {user: bob, systemRoles: [admin]}
      - {user: dave, systemRoles: [viewer]}
`
	const prune = `
settings: {prune: {users: true}}
users: [{uniqueId: bob}, {uniqueId: carol}, {uniqueId: dave}, {uniqueId: root}]
projects: [{name: P}]
`
	for _, tc := range []struct {
		name, yaml, change, refusal string
	}{
		{"demoted", demote, "update member P/alice", "update member P/alice takes the admin system role from alice, and the user behind the token is not known"},
		{"removed from the project", remove, "delete member P/alice", "delete member P/alice removes admin alice from the project, and the user behind the token is not known"},
		{"deleted from the domain", prune, "delete user alice", "delete user alice deletes from the domain an admin of project P, and the user behind the token is not known"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := desired(t, tc.yaml)
			p := compute(t, d, adminLive(""), nil, Options{AllowMassDelete: true})
			if !slices.Contains(summary(p), tc.change) {
				t.Fatalf("the case does not plan %q: %v", tc.change, summary(p))
			}
			got := refusalsWith(p, tc.refusal)
			if len(got) != 1 || !strings.Contains(got[0], "set PERMSYNC_TOKEN_USER (or --token-user)") {
				t.Errorf("refusals %q, want one starting %q naming PERMSYNC_TOKEN_USER", p.Refusals, tc.refusal)
			}
			// A token user that names nobody on the server is no better.
			p = compute(t, d, adminLive("nobody@example.com"), nil, Options{})
			if got := refusalsWith(p, `the token's user "nobody@example.com" is neither the uniqueId nor the email of exactly one user of the server`); len(got) != 1 {
				t.Errorf("token user not on the server: refusals %q", p.Refusals)
			}
			// Known, the token's user is protected and others may go.
			p = compute(t, d, adminLive("root"), nil, Options{})
			if len(p.Refusals) != 0 {
				t.Errorf("known token user: refusals %q", p.Refusals)
			}
		})
	}

	// Changes that take no admin away pass without a token user.
	keep := desired(t, `
projects:
  - name: P
    members:
      - {user: alice, systemRoles: [admin]}
      - {user: bob, systemRoles: [admin, editor]}
`)
	p := compute(t, keep, adminLive(""), nil, Options{})
	if !slices.Contains(summary(p), "delete member P/dave") || len(p.Refusals) != 0 {
		t.Errorf("plan %v refusals %q, want dave removed and no refusal", summary(p), p.Refusals)
	}
}

// A plan never leaves a project without an admin, whoever the token's
// user is and whatever --allow-mass-delete says.
func TestNoProjectLeftWithoutAdmin(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, refusal string
	}{
		{"every admin demoted", `
projects:
  - name: P
    members:
      - {user: alice, systemRoles: [viewer]}
      - {user: bob, systemRoles: [editor]}
      - {user: dave, systemRoles: [viewer]}
`, "project P would be left without an admin: update member P/alice takes the admin system role from alice; update member P/bob takes the admin system role from bob; keep at least one member with systemRoles: [admin] (desired.yaml:1)"},
		{"the only admin removed", `
projects:
  - name: Q
    members:
      - {user: dave, systemRoles: [viewer]}
`, "project Q would be left without an admin: delete member Q/carol removes admin carol from the project; keep at least one member with systemRoles: [admin] (desired.yaml:1)"},
		{"the only admin deleted from the domain", `
settings: {prune: {users: true}}
users: [{uniqueId: alice}, {uniqueId: bob}, {uniqueId: dave}, {uniqueId: root}]
projects: [{name: Q}]
`, "project Q would be left without an admin: delete user carol deletes admin carol from the domain; keep at least one member with systemRoles: [admin] (desired.yaml:5)"},
		{"a new project with no admin", `
projects:
  - name: NEW
    members:
      - {user: alice, systemRoles: [viewer]}
      - {user: bob, systemRoles: [editor]}
`, "project NEW would be created without an admin: none of its members has systemRoles: [admin]; give at least one member systemRoles: [admin] (desired.yaml:1)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := compute(t, desired(t, tc.yaml), adminLive("root"), nil, Options{AllowMassDelete: true})
			if diff := cmp.Diff([]string{tc.refusal}, p.RefusalMessages()); diff != "" {
				t.Errorf("refusals (-want +got):\n%s\nplan: %v", diff, summary(p))
			}
		})
	}

	// One admin kept is enough; so is a new project with one.
	for _, doc := range []string{`
projects:
  - name: P
    members:
      - {user: alice, systemRoles: [viewer]}
      - {user: bob, systemRoles: [admin]}
`, `
projects:
  - name: NEW
    members:
      - {user: alice, systemRoles: [admin]}
      - {user: bob, systemRoles: [editor]}
`, `projects: [{name: NEW}]`} {
		p := compute(t, desired(t, doc), adminLive("root"), nil, Options{})
		if len(p.Refusals) != 0 {
			t.Errorf("%s\nrefusals %q", doc, p.Refusals)
		}
	}
	// Without members: and without a token user, a new project would have
	// no member at all.
	p := compute(t, desired(t, `projects: [{name: NEW}]`), adminLive(""), nil, Options{})
	want := []string{"project NEW would be created without an admin: it has no members: in the files and the user behind the token is not known; list its members, at least one with systemRoles: [admin] (desired.yaml:1)"}
	if diff := cmp.Diff(want, p.RefusalMessages()); diff != "" {
		t.Errorf("new project, no members, no token user: refusals (-want +got):\n%s", diff)
	}
}
