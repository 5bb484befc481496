package benchgen

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permsync/permsync/spec"
)

var tiny = Shape{Name: "T", Users: 120, Groups: 40, Workspaces: 3, Members: 30, Datasets: 2, Rules: 4, ColumnRules: 1}

func seedJSON(t *testing.T, c *Company) string {
	t.Helper()
	data, err := json.Marshal(c.Seed())
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, b := Generate(tiny, 7), Generate(tiny, 7)
	if diff := cmp.Diff(seedJSON(t, a), seedJSON(t, b)); diff != "" {
		t.Fatalf("same seed, different companies (-a +b):\n%s", diff)
	}
	if seedJSON(t, a) == seedJSON(t, Generate(tiny, 8)) {
		t.Fatal("seeds 7 and 8 gave the same company")
	}
	ma, mutA := Mutate(a, 0.2, 7)
	mb, mutB := Mutate(b, 0.2, 7)
	if diff := cmp.Diff(seedJSON(t, ma), seedJSON(t, mb)); diff != "" {
		t.Fatalf("same seed, different mutations (-a +b):\n%s", diff)
	}
	if mutA != mutB {
		t.Fatalf("mutation counts differ: %+v, %+v", mutA, mutB)
	}
	if seedJSON(t, a) != seedJSON(t, b) {
		t.Fatal("Mutate changed its input")
	}
}

func TestShapeAndMutationCounts(t *testing.T) {
	c := Generate(tiny, 1)
	// The admin besides the generated members.
	if len(c.Users) != tiny.Users+1 || len(c.Groups) != tiny.Groups || len(c.Workspaces) != tiny.Workspaces {
		t.Fatalf("users %d, groups %d, workspaces %d", len(c.Users), len(c.Groups), len(c.Workspaces))
	}
	inGroups := 0
	for _, g := range c.Groups {
		inGroups += len(g.Members)
	}
	if inGroups != tiny.Users {
		t.Fatalf("%d group memberships, want one per member (%d)", inGroups, tiny.Users)
	}
	for _, ws := range c.Workspaces {
		if len(ws.Members) != tiny.Members+1 || len(ws.Datasets) != tiny.Datasets {
			t.Fatalf("workspace %s: %d members, %d datasets", ws.Name, len(ws.Members), len(ws.Datasets))
		}
		for a, role := range ws.Members {
			if typeRole(c.Users[a].Type, role) != role {
				t.Errorf("workspace %s: %s, a %s, is %s", ws.Name, a, c.Users[a].Type, role)
			}
		}
		if n := len(ws.Datasets[0].Row.Rules); n != tiny.Rules || ws.Datasets[0].Column == nil || len(ws.Datasets[0].Column.Rules) != tiny.ColumnRules {
			t.Fatalf("workspace %s: %d row rules, column level %+v", ws.Name, n, ws.Datasets[0].Column)
		}
	}
	after, m := Mutate(c, 0.3, 1)
	third := 12 // round(120 × 0.3 / 3)
	if m.NewUsers != third || m.Leavers != third || m.Moved != third {
		t.Fatalf("mutation %+v: want %d new members, leavers and moved", m, third)
	}
	if len(after.Users) != len(c.Users) {
		t.Fatalf("after: %d users, want %d (as many join as leave)", len(after.Users), len(c.Users))
	}
	// 36 leaves (groups 4..39 of a tree of 40), 15% of them: 5 deleted
	// and 5 renamed; 24 row rules, 15%: 4 replaced and 4 changed.
	if m.GroupsRemoved != 5 || m.GroupsAdded != 5 || m.GroupsRenamed != 5 || m.RulesRemoved != 4 || m.RulesAdded != 4 || m.RulesChanged != 4 {
		t.Fatalf("mutation %+v", m)
	}
	if len(after.Groups) != len(c.Groups) {
		t.Fatalf("after: %d groups, want %d", len(after.Groups), len(c.Groups))
	}
	for _, ws := range after.Workspaces {
		for a := range ws.Members {
			if after.Users[a] == nil {
				t.Errorf("workspace %s keeps %s, who left", ws.Name, a)
			}
		}
	}
}

func TestDesiredIsValid(t *testing.T) {
	c := Generate(tiny, 2)
	after, _ := Mutate(c, 0.2, 2)
	for _, d := range []*spec.Desired{c.Desired(), after.Desired()} {
		if err := spec.Validate(d); err != nil {
			t.Fatal(err)
		}
	}
}
