package youdata

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/permsync/permsync/internal/canon"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/state"
)

// capsLive is a server with project P: root its admin and u1..u9 viewers;
// roles R1..R3 and row permission D each bound to u1..u5; groups G1 and
// G2 of u1..u4 each. Projects P0..P9, when n > 0, have root as admin and
// u1..u9 as viewers, and nothing else.
func capsLive(n int) *Live {
	l := baseLive()
	users := func() map[string]*string {
		m := map[string]*string{}
		for i := 1; i <= 5; i++ {
			m[fmt.Sprintf("u%d", i)] = nil
		}
		return m
	}
	members := func() map[string]LiveMember {
		m := map[string]LiveMember{"root": {UserID: 4, Category: "admin", SystemRoleIDs: []int64{1}}}
		for i := 1; i <= 9; i++ {
			m[fmt.Sprintf("u%d", i)] = LiveMember{UserID: int64(10 + i), Category: "viewer", SystemRoleIDs: []int64{3}}
		}
		return m
	}
	for i := 1; i <= 9; i++ {
		u := fmt.Sprintf("u%d", i)
		l.Users[u] = LiveUser{ID: int64(10 + i), UniqueID: u}
	}
	pr := l.Projects["P"]
	pr.Members = members()
	for _, r := range []string{"R1", "R2", "R3"} {
		pr.Roles["/"+r] = &LiveRole{ID: int64(len(pr.Roles) + 200), Name: r, Users: users()}
	}
	pr.DataPermissions["/D"] = &LiveRole{ID: 300, Name: "D", Type: 2, Users: users()}
	for i, g := range []string{"G1", "G2"} {
		pr.Groups[g] = &LiveGroup{ID: int64(50 + i), Name: g, Members: []string{"u1", "u2", "u3", "u4"}}
	}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("P%d", i)
		l.Projects[name] = &LiveProject{ID: int64(110 + i), Name: name, Read: true, Members: members(),
			Roles: map[string]*LiveRole{}, DataPermissions: map[string]*LiveRole{}, Groups: map[string]*LiveGroup{}}
	}
	return l
}

// capsProject is project P as capsLive has it, with its lists given:
// roles, data permission, groups and members, each a YAML flow list or ""
// for the server's.
func capsProject(roleUsers, dpUsers, groupMembers, memberRoles string) string {
	or := func(s, def string) string {
		if s == "" {
			return def
		}
		return s
	}
	var b strings.Builder
	b.WriteString("  - name: P\n    members:\n      - {user: root, systemRoles: [admin]}\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "      - {user: u%d, systemRoles: %s}\n", i, or(memberRoles, "[viewer]"))
	}
	b.WriteString("    roles:\n")
	for _, r := range []string{"R1", "R2", "R3"} {
		fmt.Fprintf(&b, "      - {name: %s, users: %s}\n", r, or(roleUsers, "[u1, u2, u3, u4, u5]"))
	}
	fmt.Fprintf(&b, "    dataPermissions:\n      - {name: D, users: %s}\n", or(dpUsers, "[u1, u2, u3, u4, u5]"))
	b.WriteString("    groups:\n")
	for _, g := range []string{"G1", "G2"} {
		fmt.Fprintf(&b, "      - {name: %s, members: %s}\n", g, or(groupMembers, "[u1, u2, u3, u4]"))
	}
	return b.String()
}

// Lists emptied in the files are removals settings.maxDeletes caps, per
// project and per kind, counted against the bindings of that kind in the
// project.
func TestMaxDeletesCountsBindingsPerProject(t *testing.T) {
	const users5 = "(u1, u2, u3, u4, u5)"
	for _, tc := range []struct {
		name     string
		settings string
		project  string
		want     []string // refusals
	}{
		{name: "nothing removed", project: capsProject("", "", "", "")},
		{name: "one binding removed", project: capsProject("", "[u2, u3, u4, u5]", "", "")},
		{name: "users: [] on every role", project: capsProject("[]", "", "", ""), want: []string{
			"settings.maxDeletes: project P: 15 role user bindings removed exceed the limit of 1 (default 10%, 15 existing in the project): P//R1 " + users5 + ", P//R2 " + users5 + ", P//R3 " + users5 + "; --allow-mass-delete overrides",
		}},
		{name: "users: [] on the data permission", project: capsProject("", "[]", "", ""), want: []string{
			"settings.maxDeletes: project P: 5 dataPermission user bindings removed exceed the limit of 1 (default 10%, 5 existing in the project): P//D " + users5 + "; --allow-mass-delete overrides",
		}},
		{name: "members: [] on every group", project: capsProject("", "", "[]", ""), want: []string{
			"settings.maxDeletes: project P: 8 group memberships removed exceed the limit of 1 (default 10%, 8 existing in the project): P/G1 (u1, u2, u3, u4), P/G2 (u1, u2, u3, u4); --allow-mass-delete overrides",
		}},
		{name: "systemRoles: [] on every viewer", project: capsProject("", "", "", "[]"), want: []string{
			"settings.maxDeletes: project P: 9 member system role bindings removed exceed the limit of 1 (default 10%, 10 existing in the project): P/u1 (viewer), P/u2 (viewer), P/u3 (viewer), P/u4 (viewer), P/u5 (viewer), P/u6 (viewer), P/u7 (viewer), P/u8 (viewer), P/u9 (viewer); --allow-mass-delete overrides",
		}},
		{name: "every viewer made an editor", project: capsProject("", "", "", "[editor]")},
		{name: "a count allows them", settings: "maxDeletes: 15", project: capsProject("[]", "", "", "")},
		{name: "a count refuses them", settings: "maxDeletes: 14", project: capsProject("[]", "", "", ""), want: []string{
			"settings.maxDeletes: project P: 15 role user bindings removed exceed the limit of 14 (settings.maxDeletes, 15 existing in the project): P//R1 " + users5 + ", P//R2 " + users5 + ", P//R3 " + users5 + "; --allow-mass-delete overrides",
		}},
		{name: "a share refuses them", settings: `maxDeletes: "50%"`, project: capsProject("[]", "[]", "", ""), want: []string{
			"settings.maxDeletes: project P: 15 role user bindings removed exceed the limit of 7 (50%, 15 existing in the project): P//R1 " + users5 + ", P//R2 " + users5 + ", P//R3 " + users5 + "; --allow-mass-delete overrides",
			"settings.maxDeletes: project P: 5 dataPermission user bindings removed exceed the limit of 2 (50%, 5 existing in the project): P//D " + users5 + "; --allow-mass-delete overrides",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := "settings: {" + tc.settings + "}\nprojects:\n" + tc.project
			d := desired(t, doc)
			p := compute(t, d, capsLive(0), nil, Options{})
			if len(p.Changes) == 0 && tc.name != "nothing removed" {
				t.Fatalf("the case plans nothing")
			}
			if diff := cmp.Diff(tc.want, p.RefusalMessages()); diff != "" {
				t.Errorf("refusals (-want +got):\n%s", diff)
			}
			// --allow-mass-delete lifts them, with a warning each.
			p = compute(t, d, capsLive(0), nil, Options{AllowMassDelete: true})
			if len(p.Refusals) != 0 {
				t.Errorf("--allow-mass-delete: refusals %q", p.Refusals)
			}
			for _, r := range tc.want {
				msg := strings.TrimSuffix(r, "; --allow-mass-delete overrides") + "; allowed by --allow-mass-delete"
				if !slices.Contains(p.Warnings, msg) {
					t.Errorf("--allow-mass-delete: no warning %q in %q", msg, p.Warnings)
				}
			}
		})
	}
}

// Wiping one project's membership is refused however many projects there
// are: each project's members are counted on their own.
func TestMaxDeletesMembersPerProject(t *testing.T) {
	live := capsLive(10)
	var b strings.Builder
	b.WriteString("projects:\n  - name: P0\n    members: [{user: root, systemRoles: [admin]}]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "  - name: P%d\n", i)
	}
	p := compute(t, desired(t, b.String()), live, nil, Options{})
	n := 0
	for _, c := range p.Changes {
		if c.Action == plan.Delete && c.Kind == KindMember {
			n++
		}
	}
	if n != 9 {
		t.Fatalf("%d member deletions planned, want 9: %v", n, summary(p))
	}
	want := []string{"settings.maxDeletes: project P0: 9 member deletions exceed the limit of 1 (default 10%, 10 existing in the project): P0/u1, P0/u2, P0/u3, P0/u4, P0/u5, P0/u6, P0/u7, P0/u8, P0/u9; --allow-mass-delete overrides"}
	if diff := cmp.Diff(want, p.RefusalMessages()); diff != "" {
		t.Errorf("refusals (-want +got):\n%s", diff)
	}
}

// A role's groups and departments can only be unbound by re-creating the
// role; groups: [] on every role is capped like users: [].
func TestMaxDeletesCountsRoleGroupBindings(t *testing.T) {
	live := capsLive(0)
	st := state.New()
	var b strings.Builder
	b.WriteString("projects:\n  - name: P\n    groups: [{name: G1}, {name: G2}]\n    roles:\n")
	for _, r := range []string{"R1", "R2", "R3"} {
		st.Objects["role P//"+r] = bindingState([]string{"G1", "G2"}, nil, nil, resourcesFacet(report7))
		fmt.Fprintf(&b, "      - {name: %s, groups: [], resources: [{type: NEW_REPORT, id: 7, permissions: [view]}]}\n", r)
	}
	p := compute(t, desired(t, b.String()), live, st, Options{})
	for _, r := range []string{"R1", "R2", "R3"} {
		if c := find(t, p, KindRole, "P//"+r); c.Action != plan.Replace {
			t.Fatalf("role %s: %s, want replace", r, c.Action)
		}
	}
	want := []string{"settings.maxDeletes: project P: 6 role group bindings removed exceed the limit of 1 (default 10%, 6 existing in the project): P//R1 (G1, G2), P//R2 (G1, G2), P//R3 (G1, G2); --allow-mass-delete overrides"}
	if diff := cmp.Diff(want, p.RefusalMessages()); diff != "" {
		t.Errorf("refusals (-want +got):\n%s", diff)
	}
}

// The server does not show a resource's direct members: members: [] on a
// resource is one emptied list, capped among the resources the state
// records in the project.
func TestMaxDeletesCountsEmptiedResourceMembers(t *testing.T) {
	st := state.New()
	var b strings.Builder
	b.WriteString("projects:\n  - name: P\n    resourceMembers:\n")
	for id := 1; id <= 3; id++ {
		st.Objects[fmt.Sprintf("resourceMembers P/DATA_MODEL/%d", id)] = &state.Object{Facets: map[string]state.Facet{
			"members": {Hash: canon.Fingerprint(map[string]any{"members": ([]resourceMember{{User: "u1", Permissions: []string{"view"}}})})}}}
		fmt.Fprintf(&b, "      - {type: DATA_MODEL, id: %d, members: []}\n", id)
	}
	p := compute(t, desired(t, b.String()), capsLive(0), st, Options{})
	want := []string{"settings.maxDeletes: project P: 3 resourceMembers lists emptied exceed the limit of 1 (default 10%, 3 existing in the project): P/DATA_MODEL/1 (members: []), P/DATA_MODEL/2 (members: []), P/DATA_MODEL/3 (members: []); --allow-mass-delete overrides"}
	if diff := cmp.Diff(want, p.RefusalMessages()); diff != "" {
		t.Errorf("refusals (-want +got):\n%s\nplan %v", diff, summary(p))
	}
}
