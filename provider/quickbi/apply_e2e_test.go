package quickbi_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/quickbi"
	"github.com/permsync/permsync/provider/quickbi/apiclient"
	"github.com/permsync/permsync/provider/quickbi/quickbitest"
)

// The end-to-end cases start from the golden cases' organization
// (testdata/plan/converged) and change some of its files.
var convergedCase = filepath.Join("testdata", "plan", "converged")

func baseSeed(t testing.TB) *quickbitest.Seed {
	return loadSeed(t, filepath.Join(convergedCase, "live.yaml"))
}

// baseFiles are the converged case's files, by name, with changes.
func baseFiles(t testing.TB, changes map[string]string) map[string]string {
	t.Helper()
	out := map[string]string{}
	dir := filepath.Join(convergedCase, "desired")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	for k, v := range changes {
		out[k] = v
	}
	return out
}

const usersWithDave = `version: 1
provider: quickbi
tags:
  - {name: region, description: 区域}
users:
  - {account: admin, nick: 管理员, type: developer, roles: [admin]}
  - {account: "a:alice", nick: Alice, type: developer, tags: {region: [北]}}
  - {account: "a:bob", nick: Bob, type: analyst}
  - {account: "a:carol", nick: Carol, type: viewer}
  - {account: "a:dave", nick: Dave, type: analyst, tags: {region: [南]}}
`

// noRefusedCalls fails when the simulator refused a request as malformed
// (a parameter missing, unknown, of the wrong form, or a signature): every
// request permsync sends must be one the API accepts. Business answers
// the test expects are passed as allowed codes.
func noRefusedCalls(t *testing.T, s *sim, allowed ...string) {
	t.Helper()
	for _, c := range s.CallLog() {
		if c.Status < 400 || slices.Contains(allowed, c.Code) {
			continue
		}
		t.Errorf("the simulator refused %s %s: HTTP %d %s (query %s)", c.Method, c.Action, c.Status, c.Code, c.Query)
	}
}

// TestNicknameTakenAtApply: a member who takes a nickname between the
// plan and the apply makes AddUser fail with the server's code; the other
// changes are applied, and the next plan says the clash plainly.
func TestNicknameTakenAtApply(t *testing.T) {
	s := newSim(t, baseSeed(t))
	d := desiredFrom(t, baseFiles(t, map[string]string{"users.yaml": usersWithDave}))
	p := s.pipeline(d, nil)
	pl := mustPlan(t, p)
	// Someone adds a member named Dave by hand.
	if _, err := s.client.AddUser(context.Background(), apiclient.AddUserRequest{NickName: "Dave", UserType: apiclient.UserTypeViewer, AccountName: "z:intruder"}); err != nil {
		t.Fatal(err)
	}
	res, err := p.Apply(context.Background(), pl, engine.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, c := range res.Changes {
		if c.Status == engine.StatusFailed {
			failed = append(failed, c.Change.Key)
			var ae *apiclient.APIError
			if !errors.As(c.Err, &ae) || ae.Code != quickbitest.CodeNickNameTaken {
				t.Errorf("%s failed with %v, want %s", c.Change.Key, c.Err, quickbitest.CodeNickNameTaken)
			}
		}
	}
	if strings.Join(failed, ",") != "a:dave" {
		t.Errorf("failed: %v, want only a:dave", failed)
	}
	_, err = p.Plan(context.Background())
	if err == nil || !strings.Contains(err.Error(), `nick "Dave" is taken by member z:intruder`) {
		t.Errorf("the next plan: %v", err)
	}
	noRefusedCalls(t, s, quickbitest.CodeNickNameTaken)
}

// TestSeatQuota: AddUser beyond a user type's seats fails with the
// server's code for that type only; the rest is applied, and a later
// apply with a seat freed converges.
func TestSeatQuota(t *testing.T) {
	seed := baseSeed(t)
	s := newSim(t, seed, func(o *quickbitest.Options) { o.Seats = &quickbitest.Seats{Analysts: 1} })
	files := baseFiles(t, map[string]string{"users.yaml": usersWithDave + `  - {account: "a:erin", nick: Erin, type: viewer}
`})
	p := s.pipeline(desiredFrom(t, files), nil)
	pl := mustPlan(t, p)
	res, err := p.Apply(context.Background(), pl, engine.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Changes {
		switch c.Change.Key {
		case "a:dave":
			if c.Status != engine.StatusFailed || !strings.Contains(fmt.Sprint(c.Err), quickbitest.CodeAnalystsFull) {
				t.Errorf("a:dave: %s %v, want %s", c.Status, c.Err, quickbitest.CodeAnalystsFull)
			}
		default:
			if c.Status != engine.StatusApplied {
				t.Errorf("%s: %s %v", c.Change.Key, c.Status, c.Err)
			}
		}
	}
	if s.Snapshot().User("a:erin") == nil {
		t.Error("a:erin (a viewer, seats free) was not added")
	}
	if got := changeIDs(mustPlan(t, p)); strings.Join(got, ";") != "create user a:dave" {
		t.Errorf("the next plan: %v", got)
	}
	// Bob leaves the analysts: a seat is free.
	bob := s.Snapshot().User("a:bob")
	if err := s.client.UpdateUser(context.Background(), apiclient.UpdateUserRequest{UserID: bob.UserID, UserType: apiclient.UserTypeViewer}); err != nil {
		t.Fatal(err)
	}
	files["users.yaml"] = strings.Replace(files["users.yaml"], `{account: "a:bob", nick: Bob, type: analyst}`, `{account: "a:bob", nick: Bob, type: viewer}`, 1)
	files["workspaces.yaml"] = strings.Replace(files["workspaces.yaml"], `{user: "a:bob", roles: [analyst]}`, `{user: "a:bob", roles: [viewer]}`, 1)
	p = s.pipeline(desiredFrom(t, files), p.State)
	applyAll(t, p)
	expectEmpty(t, p)
	noRefusedCalls(t, s, quickbitest.CodeAnalystsFull, quickbitest.CodeRoleTypeValid)
}

// TestGroupTreeReadOneLevelPerCall reads a tree five levels deep: every
// group is found with its parent, the children of a group are listed by
// one call for that group, and a leaf whose members the files name is not
// listed again.
func TestGroupTreeReadOneLevelPerCall(t *testing.T) {
	seed := parseSeed(t, `
organization: {admin: {account: admin, nick: 管理员}}
users: [{account: "a:u", nick: U, type: viewer}]
groups:
  - {id: g1, name: 一}
  - {id: g2, name: 二, parent: g1}
  - {id: g3, name: 三, parent: g2, members: ["a:u"]}
  - {id: g4, name: 四, parent: g3}
  - {id: g5, name: 五, parent: g4, members: ["a:u"]}
  - {id: side, name: 旁, parent: g1}
  - {id: other, name: 另}
`)
	s := newSim(t, seed)
	s.ResetCalls()
	live, err := quickbi.ReadLive(context.Background(), s.client, quickbi.ReadScope{Groups: true, MemberGroups: []string{"g3", "g5"}}, "", quickbi.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"g1": "-1", "g2": "g1", "g3": "g2", "g4": "g3", "g5": "g4", "side": "g1", "other": "-1"}
	for id, parent := range want {
		g := live.Groups[id]
		if g == nil || g.Parent != parent {
			t.Errorf("group %s: %+v, want parent %s", id, g, parent)
		}
	}
	if len(live.Groups) != len(want) {
		t.Errorf("%d groups read, want %d", len(live.Groups), len(want))
	}
	if g := live.Groups["g5"]; !g.MembersRead || len(g.Members) != 1 {
		t.Errorf("g5's members: %+v", g)
	}
	calls := s.Calls()
	// The root, then one listing per group but g5 (a leaf, seen empty of
	// child groups by QueryUserGroupMember).
	if got := calls["QueryUserGroupListByParentId"]; got != 7 {
		t.Errorf("QueryUserGroupListByParentId: %d calls, want 7", got)
	}
	if got := calls["QueryUserGroupMember"]; got != 2 {
		t.Errorf("QueryUserGroupMember: %d calls, want 2", got)
	}
	if b := quickbi.ReadBound(live, quickbi.ReadScope{Groups: true, MemberGroups: []string{"g3", "g5"}}); b.Total() != s.TotalCalls() {
		t.Errorf("ReadBound %v (%d), the read made %d calls: %v", b, b.Total(), s.TotalCalls(), calls)
	}
}

// TestPartialSuccess: AddWorkspaceUsers answers Success with failures
// per user. The change of a user the server refused fails with the
// server's reason; a user already a member (AE0150010001) is a member now
// and gets the role the files say; the others are applied.
func TestPartialSuccess(t *testing.T) {
	s := newSim(t, baseSeed(t))
	files := baseFiles(t, map[string]string{"users.yaml": usersWithDave + `  - {account: "a:erin", nick: Erin, type: viewer}
`, "workspaces.yaml": strings.Replace(baseFiles(t, nil)["workspaces.yaml"], `      - {user: "a:bob", roles: [analyst]}
`, `      - {user: "a:bob", roles: [analyst]}
      - {user: "a:carol", roles: [viewer]}
      - {user: "a:dave", roles: [viewer]}
      - {user: "a:erin", roles: [viewer]}
`, 1)})
	p := s.pipeline(desiredFrom(t, files), nil)
	pl := mustPlan(t, p)
	ctx := context.Background()
	ws := s.Snapshot().Workspace("分析")
	carol := s.Snapshot().User("a:carol")
	// Carol joins by hand, with another role: the batch finds her there.
	if err := s.client.AddUserToWorkspace(ctx, ws.ID, carol.UserID, apiclient.WorkspaceRoleAnalyst); err != nil {
		t.Fatal(err)
	}
	// Erin leaves the organization right before the batch that adds her.
	prov := quickbi.New(quickbi.Config{API: &deleteBefore{API: s.client, account: "a:erin", sim: s}})
	p.Provider = prov
	res, err := p.Apply(ctx, pl, engine.ApplyOptions{MaxRounds: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Changes {
		switch c.Change.Key {
		case "分析/a:erin":
			if c.Status != engine.StatusFailed || !strings.Contains(fmt.Sprint(c.Err), "AddWorkspaceUsers: 分析/a:erin: ") {
				t.Errorf("erin: %s %v", c.Status, c.Err)
			}
		default:
			if c.Status != engine.StatusApplied {
				t.Errorf("%s: %s %v", c.Change.Key, c.Status, c.Err)
			}
		}
	}
	st := s.Snapshot()
	w := st.Workspace("分析")
	for _, acct := range []string{"a:carol", "a:dave"} {
		if m := w.Member(st.User(acct).UserID); m == nil || fmt.Sprint(m.Roles) != "[30]" {
			t.Errorf("%s in 分析: %+v", acct, m)
		}
	}
	if s.Calls()["AddWorkspaceUsers"] != 1 {
		t.Errorf("AddWorkspaceUsers: %d calls, want one for the three viewers", s.Calls()["AddWorkspaceUsers"])
	}
	if s.Calls()["UpdateWorkspaceUsersRole"] != 1 {
		t.Errorf("UpdateWorkspaceUsersRole: %d calls, want one for the member found there", s.Calls()["UpdateWorkspaceUsersRole"])
	}
}

// deleteBefore removes a user from the organization right before the
// first AddWorkspaceUsers, as someone might between a plan and its apply.
type deleteBefore struct {
	apiclient.API
	account string
	sim     *sim
	done    bool
}

func (d *deleteBefore) AddWorkspaceUsers(ctx context.Context, ws string, ids []string, role int64) (*apiclient.BatchResult, error) {
	if !d.done {
		d.done = true
		if u := d.sim.Snapshot().User(d.account); u != nil {
			if err := d.sim.client.DeleteUser(ctx, u.UserID, ""); err != nil {
				return nil, err
			}
		}
	}
	return d.API.AddWorkspaceUsers(ctx, ws, ids, role)
}

// TestThrottling: an organization that throttles every action to a few
// requests a second answers Throttling.User; the client waits as the
// answer says and the apply converges.
func TestThrottling(t *testing.T) {
	s := newSim(t, loadSeed(t, exampleSeed), func(o *quickbitest.Options) { o.Throttle, o.RateLimit = true, 5 })
	s.client = newClient(t, s.URL(), s.Server, func(c *apiclient.Config) {
		c.Retry = apiclient.RetryPolicy{MaxAttempts: 10, BaseDelay: 20e6, MaxDelay: 1e9}
	})
	p := s.pipeline(loadDesired(t, exampleDesired), nil)
	applyAll(t, p)
	expectEmpty(t, p)
	throttled := 0
	for _, c := range s.CallLog() {
		if c.Code == quickbitest.CodeThrottlingUser {
			throttled++
		}
	}
	if throttled == 0 {
		t.Error("nothing was throttled: the test tests nothing")
	}
	noRefusedCalls(t, s, quickbitest.CodeThrottlingUser)
}

// TestGroupMoveOrder: a move creates the copy, fills it, and only then
// deletes the old group, so no member is out of the group at any time;
// the old group's name is freed first for the copy.
func TestGroupMoveOrder(t *testing.T) {
	s := newSim(t, baseSeed(t))
	files := baseFiles(t, map[string]string{"groups.yaml": `version: 1
provider: quickbi
groups:
  - {id: hq, name: 总部}
  - {id: sales, name: 销售}
`})
	p := s.pipeline(desiredFrom(t, files), nil)
	s.ResetCalls()
	applyAll(t, p)
	var order []string
	for _, c := range s.CallLog() {
		switch c.Action {
		case "UpdateUserGroup", "CreateUserGroup", "AddUserGroupMember", "AddUserGroupMembers", "DeleteUserGroup":
			order = append(order, c.Action)
		}
	}
	if want := "UpdateUserGroup,CreateUserGroup,AddUserGroupMember,DeleteUserGroup"; strings.Join(order, ",") != want {
		t.Errorf("calls %v, want %s", order, want)
	}
	st := s.Snapshot()
	if st.Group("sales") != nil {
		t.Error("the old group is still there")
	}
	g := st.Group("sales--moved")
	if g == nil || g.Parent != quickbitest.RootGroupID || g.Name != "销售" || strings.Join(st.Accounts(g.Members), ",") != "a:alice" {
		t.Errorf("the copy: %+v", g)
	}
	rule := st.Workspace("分析").Dataset("订单").Row.Rule("北区")
	if fmt.Sprint(rule.Groups) != "[sales--moved]" {
		t.Errorf("the rule names groups %v, want the copy", rule.Groups)
	}
	expectEmpty(t, p)
	// And back: the copy takes the files' id again.
	p.Desired = desiredFrom(t, baseFiles(t, nil))
	applyAll(t, p)
	if g := s.Snapshot().Group("sales"); g == nil || g.Parent != "hq" {
		t.Errorf("moved back: %+v", g)
	}
	expectEmpty(t, p)
	noRefusedCalls(t, s)
}

// TestGroupMoveInterrupted: a move whose old group cannot be deleted
// leaves the copy with the members and the old group; the next apply
// finishes the move.
func TestGroupMoveInterrupted(t *testing.T) {
	s := newSim(t, baseSeed(t))
	files := baseFiles(t, map[string]string{"groups.yaml": `version: 1
provider: quickbi
groups:
  - {id: hq, name: 总部}
  - {id: sales, name: 销售, parent: hq}
  - {id: north, name: 北区组, parent: sales, members: ["a:bob"]}
`})
	p := s.pipeline(desiredFrom(t, files), nil)
	applyAll(t, p)
	// Move sales (and north with it) to the top; the deletion of the old
	// sales fails.
	files["groups.yaml"] = strings.Replace(files["groups.yaml"], "{id: sales, name: 销售, parent: hq}", "{id: sales, name: 销售}", 1)
	p.Desired = desiredFrom(t, files)
	s.FailObject("DeleteUserGroup", "sales")
	pl := mustPlan(t, p)
	res, err := p.Apply(context.Background(), pl, engine.ApplyOptions{MaxRounds: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() != 1 {
		t.Errorf("%d failed, want the move of sales", res.Failed())
	}
	st := s.Snapshot()
	if st.Group("sales") == nil || st.Group("sales--moved") == nil || st.Group("north--moved") == nil || st.Group("north") != nil {
		t.Fatalf("after the failed deletion: sales %v, sales--moved %v, north %v, north--moved %v", st.Group("sales"), st.Group("sales--moved"), st.Group("north"), st.Group("north--moved"))
	}
	if a := st.Accounts(st.Group("sales--moved").Members); strings.Join(a, ",") != "a:alice" {
		t.Errorf("the copy's members: %v", a)
	}
	s.ClearFaults()
	next := mustPlan(t, p)
	if got := strings.Join(changeIDs(next), ";"); got != "replace group sales" {
		t.Errorf("the plan after the failure: %s", got)
	}
	applyAll(t, p)
	st = s.Snapshot()
	if st.Group("sales") != nil || st.Group("sales--moved") == nil {
		t.Error("the move was not finished")
	}
	expectEmpty(t, p)
}

// TestBottomUpDelete: groups are deleted leaves first.
func TestBottomUpDelete(t *testing.T) {
	s := newSim(t, loadSeed(t, filepath.Join("testdata", "plan", "groups-prune", "live.yaml")))
	p := s.pipeline(loadDesired(t, filepath.Join("testdata", "plan", "groups-prune", "desired")), nil)
	s.ResetCalls()
	applyAll(t, p)
	var deleted []string
	for _, c := range s.CallLog() {
		if c.Action == "DeleteUserGroup" {
			deleted = append(deleted, strings.TrimPrefix(c.Query[strings.Index(c.Query, "UserGroupId="):], "UserGroupId="))
		}
	}
	if strings.Join(deleted, ",") != "old-sub,old-team,old" {
		t.Errorf("deleted %v, want leaves first", deleted)
	}
	expectEmpty(t, p)
	noRefusedCalls(t, s)
}

// TestTransferTo: a removed member's works and datasets go to
// settings.transferTo, who joins the workspace they are in.
func TestTransferTo(t *testing.T) {
	seed := parseSeed(t, `
organization: {admin: {account: admin, nick: 管理员}}
users:
  - {account: "a:alice", nick: Alice, type: developer}
  - {account: "a:leaver", nick: Leaver, type: developer}
workspaces:
  - name: 分析
    members:
      - {user: "a:alice", roles: [developer]}
      - {user: "a:leaver", roles: [developer]}
    works:
      - {id: 2a3b4c5d-6e7f-4081-92a3-b4c5d6e7f809, name: 看板, type: PAGE, owner: "a:leaver"}
`)
	s := newSim(t, seed)
	d := desiredFrom(t, map[string]string{"all.yaml": `version: 1
provider: quickbi
settings:
  prune: {users: true}
  maxDeletes: 1
  transferTo: "a:alice"
users:
  - {account: admin}
  - {account: "a:alice"}
workspaces:
  - name: 分析
    members:
      - {user: admin, roles: [admin]}
      - {user: "a:alice", roles: [developer]}
`})
	p := s.pipeline(d, nil)
	pl, _ := applyAll(t, p)
	var reason string
	for _, c := range pl.Changes {
		if c.Key == "a:leaver" {
			reason = c.Reason
		}
	}
	if !strings.Contains(reason, "its works go to a:alice (settings.transferTo)") {
		t.Errorf("the plan does not say who gets the works: %q", reason)
	}
	st := s.Snapshot()
	if st.User("a:leaver") != nil {
		t.Error("a:leaver is still a member")
	}
	if w := st.Workspace("分析").Works[0]; w.Owner != st.User("a:alice").UserID {
		t.Errorf("the work's owner is %s, want a:alice", w.Owner)
	}
	if n := s.Calls()["DeleteUserFromWorkspace"]; n != 0 {
		t.Errorf("%d DeleteUserFromWorkspace: the member leaves with DeleteUser", n)
	}
	expectEmpty(t, p)
	noRefusedCalls(t, s)
}

// TestConvergeLearnsIDs: a round that adds a user and a group but fails
// to fill the group is followed by one that fills it with the user's new
// UserId: a change the approved plan holds but for the ids it knows.
func TestConvergeLearnsIDs(t *testing.T) {
	s := newSim(t, baseSeed(t))
	files := baseFiles(t, map[string]string{"users.yaml": usersWithDave, "groups.yaml": `version: 1
provider: quickbi
groups:
  - {id: hq, name: 总部}
  - {id: sales, name: 销售, parent: hq, members: ["a:alice"]}
  - {id: south, name: 南区组, members: ["a:dave"]}
`})
	p := s.pipeline(desiredFrom(t, files), nil)
	s.SetFaults("AddUserGroupMember", quickbitest.Fault{FailNext: 3})
	s.SetFaults("AddUserGroupMembers", quickbitest.Fault{FailNext: 3})
	pl := mustPlan(t, p)
	var rounds int
	res, err := p.Apply(context.Background(), pl, engine.ApplyOptions{OnRound: func(int, *plan.Plan) { rounds++ }})
	if err != nil {
		t.Fatal(err)
	}
	if rounds == 0 {
		t.Error("no second round: the test tests nothing")
	}
	for _, c := range res.Changes {
		if c.Status != engine.StatusApplied {
			t.Errorf("%s %s: %s %v", c.Change.Kind, c.Change.Key, c.Status, c.Err)
		}
	}
	st := s.Snapshot()
	if g := st.Group("south"); g == nil || strings.Join(st.Accounts(g.Members), ",") != "a:dave" {
		t.Errorf("south: %+v", g)
	}
	expectEmpty(t, p)
}

// TestTypeLowered: a developer made an analyst while it holds the
// developer role in a workspace: its roles change first, then its type
// (Quick BI refuses the type while it holds a role the type may not).
func TestTypeLowered(t *testing.T) {
	s := newSim(t, baseSeed(t))
	files := baseFiles(t, map[string]string{
		"users.yaml":      strings.Replace(baseFiles(t, nil)["users.yaml"], `{account: "a:alice", nick: Alice, type: developer`, `{account: "a:alice", nick: Alice, type: analyst`, 1),
		"workspaces.yaml": strings.Replace(baseFiles(t, nil)["workspaces.yaml"], `{user: "a:alice", roles: [developer]}`, `{user: "a:alice", roles: [analyst]}`, 1),
	})
	p := s.pipeline(desiredFrom(t, files), nil)
	pl, _ := applyAll(t, p)
	for _, c := range pl.Changes {
		if c.Kind == quickbi.KindUser && c.Phase != quickbi.PhaseLoweredUsers {
			t.Errorf("%s %s in phase %d", c.Action, c.Key, c.Phase)
		}
	}
	if u := s.Snapshot().User("a:alice"); u.UserType != apiclient.UserTypeAnalyst {
		t.Errorf("a:alice is of type %d", u.UserType)
	}
	expectEmpty(t, p)
	noRefusedCalls(t, s)
}
