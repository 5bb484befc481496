package quickbi_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/quickbi"
)

// TestHalfDoneCreate: a user added whose tag value could not be set is
// recorded in the state as permsync's (its create happened), so the next
// plan only sets the value, and once the files drop the user it is
// removed as permsync's own, prune or not.
func TestHalfDoneCreate(t *testing.T) {
	s := newSim(t, baseSeed(t))
	files := baseFiles(t, map[string]string{"users.yaml": usersWithDave})
	p := s.pipeline(desiredFrom(t, files), nil)
	s.FailObject("UpdateUserTagValue", "南")
	pl := mustPlan(t, p)
	res, err := p.Apply(context.Background(), pl, engine.ApplyOptions{MaxRounds: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() != 1 {
		t.Fatalf("%d failed, want the create of a:dave", res.Failed())
	}
	o := p.State.Objects[plan.StateKey(quickbi.KindUser, "a:dave")]
	if o == nil || !o.Created {
		t.Fatalf("the state's record of a:dave: %+v", o)
	}
	s.ClearFaults()
	if got := strings.Join(changeIDs(mustPlan(t, p)), ";"); got != "update user a:dave" {
		t.Errorf("the next plan: %s", got)
	}
	applyAll(t, p)
	if v := s.Snapshot().User("a:dave").Tags["region"]; v != "南" {
		t.Errorf("a:dave's region: %q", v)
	}
	p.Desired = desiredFrom(t, baseFiles(t, map[string]string{"settings.yaml": `version: 1
provider: quickbi
settings:
  maxDeletes: 5
`}))
	if got := strings.Join(changeIDs(mustPlan(t, p)), ";"); got != "delete user a:dave" {
		t.Errorf("the plan once the files drop a:dave: %s", got)
	}
}

// TestBatchesAtScale: 1100 new users into a new group and a workspace:
// the group takes them in two AddUserGroupMember calls and the workspace
// in two AddWorkspaceUsers calls (1000 a call), and the apply makes
// exactly WriteBound's calls.
func TestBatchesAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("1100 users")
	}
	const n = 1100
	var users, members, groupMembers strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&users, "  - {account: \"b:u%04d\", nick: U%04d, type: viewer}\n", i, i)
		fmt.Fprintf(&members, "      - {user: \"b:u%04d\", roles: [viewer]}\n", i)
		fmt.Fprintf(&groupMembers, "\"b:u%04d\", ", i)
	}
	files := baseFiles(t, map[string]string{
		"users.yaml": usersWithDave + users.String(),
		"groups.yaml": `version: 1
provider: quickbi
groups:
  - {id: hq, name: 总部}
  - {id: sales, name: 销售, parent: hq, members: ["a:alice"]}
  - {id: crowd, name: 人群, members: [` + strings.TrimSuffix(groupMembers.String(), ", ") + `]}
`,
		"workspaces.yaml": strings.Replace(baseFiles(t, nil)["workspaces.yaml"], `      - {user: "a:bob", roles: [analyst]}
`, `      - {user: "a:bob", roles: [analyst]}
`+members.String(), 1),
	})
	s := newSim(t, baseSeed(t))
	p := s.pipeline(desiredFrom(t, files), nil)
	pl, res := applyAll(t, p)
	calls := quickbi.Calls(res.Calls)
	if calls["AddUserGroupMember"] != 2 || calls["AddWorkspaceUsers"] != 2 || calls["AddUser"] != n+1 {
		t.Errorf("calls %v", calls)
	}
	if got, want := calls.Merged(), quickbi.WriteBound(pl); got.String() != want.String() {
		t.Errorf("writes %v, WriteBound %v", got, want)
	}
	expectEmpty(t, p)
}
