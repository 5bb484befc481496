package quickbi_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/quickbi"
	"github.com/permsync/permsync/provider/quickbi/apiclient"
	"github.com/permsync/permsync/provider/quickbi/quickbitest"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// Edits made in the web console between applies. Each case converges the
// organization with the files, changes the server by hand (through the
// API, or the simulator's console for what the API cannot do), applies
// again, and checks that the apply succeeded, that the server is as the
// files say (as it was before the edit, but for the ids the server
// chose), and that the next plan is empty.

// consoleFiles are the converged case's files with a group permsync
// creates (ops, under hq, with carol) that a rule names, and carol a
// viewer of the workspace: the first apply creates the group, and makes
// changes in the workspace, so the state knows both.
func consoleFiles(t *testing.T, changes map[string]string) *spec.Desired {
	t.Helper()
	files := map[string]string{
		"groups.yaml": `version: 1
provider: quickbi
groups:
  - {id: hq, name: 总部}
  - {id: sales, name: 销售, parent: hq, members: ["a:alice"]}
  - {id: ops, name: 运维, parent: hq, description: 值班, members: ["a:carol", "a:bob"]}
`,
		"workspaces.yaml": consoleWorkspaces,
	}
	for k, v := range changes {
		files[k] = v
	}
	return desiredFrom(t, baseFiles(t, files))
}

const consoleWorkspaces = `version: 1
provider: quickbi
workspaces:
  - name: 分析
    members:
      - {user: admin, roles: [admin]}
      - {user: "a:alice", roles: [developer]}
      - {user: "a:bob", roles: [analyst]}
      - {user: "a:carol", roles: [viewer]}
    datasets:
      - name: 订单
        rowLevel:
          enabled: true
          rules:
            - {name: 北区, users: ["a:bob"], groups: [sales, ops], content: {field: region, value: 北}}
`

// console is one case: the simulator, the pipeline and its state, and
// the server's image once the files were first applied.
type console struct {
	t     *testing.T
	s     *sim
	p     *engine.Pipeline
	st    *state.State
	image []string
}

func newConsole(t *testing.T, d *spec.Desired) *console {
	t.Helper()
	s := newSim(t, baseSeed(t))
	st := state.New()
	c := &console{t: t, s: s, st: st, p: s.pipeline(d, st)}
	applyAll(t, c.p)
	expectEmpty(t, c.p)
	c.image = image(s.Snapshot())
	s.ResetCalls()
	return c
}

// repair applies after the console's edits and checks the apply, the
// server and the next plan; it returns the repairing plan.
func (c *console) repair() *plan.Plan {
	c.t.Helper()
	pl, res := applyAll(c.t, c.p)
	if len(pl.Changes) == 0 {
		c.t.Errorf("the plan after the console's edits is empty")
	}
	if got, want := quickbi.Calls(res.Calls).Merged(), quickbi.WriteBound(pl); got.String() != want.String() {
		c.t.Errorf("the repair's writes %v, WriteBound %v", got, want)
	}
	expectEmpty(c.t, c.p)
	noRefusedCalls(c.t, c.s)
	return pl
}

// expectImage fails unless the server holds what it held after the
// first apply, each line of that image rewritten by rewrite (if set).
func (c *console) expectImage(rewrite func(string) string) {
	c.t.Helper()
	want := make([]string, 0, len(c.image))
	for _, l := range c.image {
		if rewrite != nil {
			l = rewrite(l)
		}
		want = append(want, l)
	}
	slices.Sort(want)
	got := image(c.s.Snapshot())
	for _, l := range want {
		if !slices.Contains(got, l) {
			c.t.Errorf("the server lacks: %s", l)
		}
	}
	for _, l := range got {
		if !slices.Contains(want, l) {
			c.t.Errorf("the server has, besides: %s", l)
		}
	}
}

// reasonOf is the reason of the plan's change of (kind, key), or "".
func reasonOf(pl *plan.Plan, k plan.Kind, key string) (plan.Action, string) {
	for _, c := range pl.Changes {
		if c.Kind == k && c.Key == key {
			return c.Action, c.Reason
		}
	}
	return "", ""
}

func ctx() context.Context { return context.Background() }

// TestConsoleGroupDeleted: a group permsync created, deleted in the
// console, is created again with its id, under its parent, with its
// members; the rule naming it names it again; the state still says
// permsync created it, so it is deleted once it leaves the files.
func TestConsoleGroupDeleted(t *testing.T) {
	c := newConsole(t, consoleFiles(t, nil))
	if o := c.st.Objects[plan.StateKey(quickbi.KindGroup, "ops")]; o == nil || !o.Created {
		t.Fatalf("the state's record of ops after its create: %+v", o)
	}
	if err := c.s.client.DeleteUserGroup(ctx(), "ops"); err != nil {
		t.Fatal(err)
	}
	pl := c.repair()
	if a, why := reasonOf(pl, quickbi.KindGroup, "ops"); a != plan.Create || !strings.Contains(why, "deleted on the server") {
		t.Errorf("ops: %s (%s), want a create saying it was deleted on the server", a, why)
	}
	c.expectImage(nil)
	if o := c.st.Objects[plan.StateKey(quickbi.KindGroup, "ops")]; o == nil || !o.Created {
		t.Errorf("the state's record of ops after its re-create: %+v", o)
	}
	// Permsync's own: it goes when it leaves the files (no prune).
	c.p.Desired = consoleFiles(t, map[string]string{
		"groups.yaml": `version: 1
provider: quickbi
groups:
  - {id: hq, name: 总部}
  - {id: sales, name: 销售, parent: hq, members: ["a:alice"]}
`,
		"workspaces.yaml": strings.Replace(consoleWorkspaces, "groups: [sales, ops]", "groups: [sales]", 1),
	})
	pl, _ = applyAll(t, c.p)
	if a, _ := reasonOf(pl, quickbi.KindGroup, "ops"); a != plan.Delete {
		t.Errorf("ops left the files: %s, want a delete", a)
	}
	if g := c.s.Snapshot().Group("ops"); g != nil {
		t.Errorf("ops is still on the server: %+v", g)
	}
}

// TestConsoleGroupRenamed: a group renamed in the console is found by its
// UserGroupId and renamed back, keeping its members and the rules that
// name it; once the files take the console's name, nothing changes.
func TestConsoleGroupRenamed(t *testing.T) {
	c := newConsole(t, consoleFiles(t, nil))
	if err := c.s.client.UpdateUserGroup(ctx(), apiclient.UpdateUserGroupRequest{UserGroupID: "ops", UserGroupName: "运维二组"}); err != nil {
		t.Fatal(err)
	}
	pl := c.repair()
	if a, why := reasonOf(pl, quickbi.KindGroup, "ops"); a != plan.Update || !strings.Contains(why, `renamed on the server to "运维二组"; renaming back`) {
		t.Errorf("ops: %s (%s), want an update renaming it back", a, why)
	}
	if n := c.s.Calls()["UpdateUserGroup"]; n != 2 { // the console's and permsync's
		t.Errorf("UpdateUserGroup calls: %d, want 2", n)
	}
	c.expectImage(nil)
	// The console's name taken into the files: nothing to do.
	if err := c.s.client.UpdateUserGroup(ctx(), apiclient.UpdateUserGroupRequest{UserGroupID: "ops", UserGroupName: "运维二组"}); err != nil {
		t.Fatal(err)
	}
	c.p.Desired = consoleFiles(t, map[string]string{"groups.yaml": strings.Replace(`version: 1
provider: quickbi
groups:
  - {id: hq, name: 总部}
  - {id: sales, name: 销售, parent: hq, members: ["a:alice"]}
  - {id: ops, name: 运维, parent: hq, description: 值班, members: ["a:carol", "a:bob"]}
`, "name: 运维,", "name: 运维二组,", 1)})
	expectEmpty(t, c.p)
}

// TestConsoleGroupRecreatedByHand: a group permsync created, deleted in
// the console and made again there under its name (with an id the server
// chose), is taken for the files' group: no second group, no clash of
// names; its members and the rules naming it are set on it.
func TestConsoleGroupRecreatedByHand(t *testing.T) {
	c := newConsole(t, consoleFiles(t, nil))
	if err := c.s.client.DeleteUserGroup(ctx(), "ops"); err != nil {
		t.Fatal(err)
	}
	id, err := c.s.client.CreateUserGroup(ctx(), apiclient.CreateUserGroupRequest{UserGroupName: "运维", ParentUserGroupID: "hq"})
	if err != nil {
		t.Fatal(err)
	}
	pl := c.repair()
	if a, why := reasonOf(pl, quickbi.KindGroup, "ops"); a != plan.Update || !strings.Contains(why, "re-created on the server") {
		t.Errorf("ops: %s (%s), want an update of the group made by hand", a, why)
	}
	snap := c.s.Snapshot()
	if g := snap.Group("ops"); g != nil {
		t.Errorf("a group with id ops was made again: %+v", g)
	}
	g := snap.Group(id)
	if g == nil || g.Name != "运维" || g.Description != "值班" || g.Parent != "hq" || strings.Join(snap.Accounts(g.Members), ",") != "a:bob,a:carol" {
		t.Fatalf("the group made by hand: %+v", g)
	}
	rule := snap.Workspace("分析").Dataset("订单").Row.Rule("北区")
	if !slices.Contains(rule.Groups, id) || slices.Contains(rule.Groups, "ops") {
		t.Errorf("the rule names groups %v, want %s and not ops", rule.Groups, id)
	}
	if o := c.st.Objects[plan.StateKey(quickbi.KindGroup, "ops")]; o == nil || !o.Created || o.Facets[quickbi.FacetGroupID].Items[0] != id {
		t.Errorf("the state's record of ops: %+v, want permsync's, with id %s", o, id)
	}
	// Renamed in the console once more: found by the id the state keeps.
	if err := c.s.client.UpdateUserGroup(ctx(), apiclient.UpdateUserGroupRequest{UserGroupID: id, UserGroupName: "运维X"}); err != nil {
		t.Fatal(err)
	}
	pl = c.repair()
	if a, why := reasonOf(pl, quickbi.KindGroup, "ops"); a != plan.Update || !strings.Contains(why, "renaming back") {
		t.Errorf("ops renamed again: %s (%s), want it renamed back", a, why)
	}
	// Out of the files, it goes, with the state's record of it.
	c.p.Desired = consoleFiles(t, map[string]string{
		"groups.yaml": `version: 1
provider: quickbi
groups:
  - {id: hq, name: 总部}
  - {id: sales, name: 销售, parent: hq, members: ["a:alice"]}
`,
		"workspaces.yaml": strings.Replace(consoleWorkspaces, "groups: [sales, ops]", "groups: [sales]", 1),
	})
	pl, _ = applyAll(t, c.p)
	if a, _ := reasonOf(pl, quickbi.KindGroup, "ops"); a != plan.Delete {
		t.Errorf("ops left the files: %s, want a delete (changes %v)", a, changeIDs(pl))
	}
	if g := c.s.Snapshot().Group(id); g != nil {
		t.Errorf("the group made by hand is still on the server: %+v", g)
	}
	if o := c.st.Objects[plan.StateKey(quickbi.KindGroup, "ops")]; o != nil {
		t.Errorf("the state still records ops: %+v", o)
	}
	expectEmpty(t, c.p)
}

// TestConsoleWorkspaceRenamed: a workspace renamed in the console is
// found by the id the state learned; what was changed in it by hand is
// put back, and the plan says permsync cannot rename it.
func TestConsoleWorkspaceRenamed(t *testing.T) {
	c := newConsole(t, consoleFiles(t, nil))
	ws := c.s.Snapshot().Workspace("分析")
	if err := c.s.RenameWorkspace(ws.ID, "分析(旧)"); err != nil {
		t.Fatal(err)
	}
	carol := c.s.Snapshot().User("a:carol")
	if err := c.s.client.DeleteUserFromWorkspace(ctx(), ws.ID, carol.UserID); err != nil {
		t.Fatal(err)
	}
	pl := c.repair()
	if !slices.ContainsFunc(pl.Warnings, func(w string) bool { return strings.Contains(w, `"分析(旧)"`) }) {
		t.Errorf("no warning names the workspace's name on the server: %v", pl.Warnings)
	}
	c.expectImage(func(l string) string {
		return strings.Replace(strings.Replace(l, " 分析/", " 分析(旧)/", 1), "workspace 分析 ", "workspace 分析(旧) ", 1)
	})
	if o := c.st.Objects[plan.StateKey(quickbi.KindWorkspace, "分析")]; o == nil || o.Facets[quickbi.FacetWorkspaceID].Items[0] != ws.ID {
		t.Errorf("the state's record of the workspace: %+v", o)
	}
}

// TestConsoleUserDeleted: a member deleted in the console is added again,
// and given back its groups, workspace roles, tag values and its place in
// the rules (the deleted member's id is dropped from them).
func TestConsoleUserDeleted(t *testing.T) {
	c := newConsole(t, consoleFiles(t, nil))
	bob := c.s.Snapshot().User("a:bob")
	if err := c.s.client.DeleteUser(ctx(), bob.UserID, ""); err != nil {
		t.Fatal(err)
	}
	pl := c.repair()
	if a, _ := reasonOf(pl, quickbi.KindUser, "a:bob"); a != plan.Create {
		t.Errorf("a:bob: %s, want a create", a)
	}
	c.expectImage(nil)
}

// TestConsoleUserReaddedAtApply: members the plan adds again that someone
// adds by hand between the plan and the apply: AddUser is no upsert and
// fails, each member is found by its account, and the apply gives it what
// the files say. The state keeps who added it first: bob, there before
// permsync, is not permsync's own; dave, whom permsync added, still is.
func TestConsoleUserReaddedAtApply(t *testing.T) {
	c := newConsole(t, consoleFiles(t, map[string]string{"users.yaml": usersWithDave}))
	if o := c.st.Objects[plan.StateKey(quickbi.KindUser, "a:dave")]; o == nil || !o.Created {
		t.Fatalf("dave's record after its add: %+v", o)
	}
	for _, account := range []string{"a:bob", "a:dave"} {
		if err := c.s.client.DeleteUser(ctx(), c.s.Snapshot().User(account).UserID, ""); err != nil {
			t.Fatal(err)
		}
	}
	pl := mustPlan(t, c.p)
	for _, u := range []apiclient.AddUserRequest{
		{NickName: "Bob", UserType: apiclient.UserTypeViewer, AccountName: "a:bob"},
		{NickName: "戴夫", UserType: apiclient.UserTypeViewer, AccountName: "a:dave"},
	} {
		if _, err := c.s.client.AddUser(ctx(), u); err != nil {
			t.Fatal(err)
		}
	}
	res, err := c.p.Apply(ctx(), pl, engine.ApplyOptions{})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	for _, ch := range res.Changes {
		if ch.Status != engine.StatusApplied {
			t.Errorf("%s %s %s: %s %v", ch.Change.Action, ch.Change.Kind, ch.Change.Key, ch.Status, ch.Err)
		}
	}
	expectEmpty(t, c.p)
	c.expectImage(nil)
	noRefusedCalls(t, c.s, quickbitest.CodeNickNameTaken, quickbitest.CodeInvalidParamError)
	for account, want := range map[string]bool{"a:bob": false, "a:dave": true} {
		if o := c.st.Objects[plan.StateKey(quickbi.KindUser, account)]; o == nil || o.Created != want {
			t.Errorf("%s's record: %+v, want created %v", account, o, want)
		}
	}
}

// TestConsoleUserEdits: tag values, a nickname, a user type and workspace
// roles changed in the console are put back.
func TestConsoleUserEdits(t *testing.T) {
	c := newConsole(t, consoleFiles(t, nil))
	snap := c.s.Snapshot()
	alice, bob := snap.User("a:alice"), snap.User("a:bob")
	ws := snap.Workspace("分析")
	if err := c.s.client.UpdateUserTagValue(ctx(), alice.UserID, snap.Tag("region").ID, "南,西"); err != nil {
		t.Fatal(err)
	}
	if err := c.s.client.UpdateWorkspaceUserRole(ctx(), ws.ID, bob.UserID, []int64{apiclient.WorkspaceRoleViewer}); err != nil {
		t.Fatal(err)
	}
	carol := snap.User("a:carol")
	if err := c.s.client.UpdateUser(ctx(), apiclient.UpdateUserRequest{UserID: carol.UserID, NickName: "卡罗", UserType: apiclient.UserTypeAnalyst}); err != nil {
		t.Fatal(err)
	}
	c.repair()
	c.expectImage(nil)
}

// TestConsoleRuleEdits: a rule whose people and content were edited in
// the console, and one deleted there, are put back.
func TestConsoleRuleEdits(t *testing.T) {
	files := consoleFiles(t, map[string]string{"workspaces.yaml": consoleWorkspaces +
		"            - {name: 南区, users: [\"a:carol\"], content: {field: region, value: 南}}\n"})
	c := newConsole(t, files)
	snap := c.s.Snapshot()
	ds := snap.Workspace("分析").Dataset("订单")
	north, south := ds.Row.Rule("北区"), ds.Row.Rule("南区")
	edited := apiclient.RuleModel{RuleID: north.ID, CubeID: ds.ID, RuleName: "北区", RuleLevelType: north.Type, RuleTargetScope: north.Scope,
		RuleUsersModel:   apiclient.RuleUsers{Users: []string{snap.User("a:alice").UserID}, UserGroups: []string{}},
		RuleContentModel: apiclient.RuleContent{RuleContentType: north.ContentType, RuleContentJSON: `{"field":"region","value":"东"}`}}
	if _, err := c.s.client.SetDataLevelPermissionRuleConfig(ctx(), edited); err != nil {
		t.Fatal(err)
	}
	if err := c.s.client.DeleteDataLevelRuleConfig(ctx(), ds.ID, south.ID); err != nil {
		t.Fatal(err)
	}
	c.repair()
	c.expectImage(nil)
}

// TestConsoleGroupTreeDeleted: a whole branch of groups deleted in the
// console, bottom-up as Quick BI allows, is created again top-down with
// the files' ids and members; the rule naming them names them again.
func TestConsoleGroupTreeDeleted(t *testing.T) {
	c := newConsole(t, consoleFiles(t, nil))
	for _, id := range []string{"ops", "sales", "hq"} {
		if err := c.s.client.DeleteUserGroup(ctx(), id); err != nil {
			t.Fatal(err)
		}
	}
	pl := c.repair()
	for _, id := range []string{"hq", "sales", "ops"} {
		if a, _ := reasonOf(pl, quickbi.KindGroup, id); a != plan.Create {
			t.Errorf("%s: %s, want a create", id, a)
		}
	}
	c.expectImage(nil)
}

// TestConsoleGroupRecreatedElsewhere: a group made again by hand under
// the name of the files' one, but under another parent, is not taken for
// it (that would be a move of a group permsync does not know): the plan
// says what to do, and changes nothing.
func TestConsoleGroupRecreatedElsewhere(t *testing.T) {
	c := newConsole(t, consoleFiles(t, nil))
	if err := c.s.client.DeleteUserGroup(ctx(), "ops"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.s.client.CreateUserGroup(ctx(), apiclient.CreateUserGroupRequest{UserGroupName: "运维", ParentUserGroupID: apiclient.RootUserGroupID}); err != nil {
		t.Fatal(err)
	}
	_, err := c.p.Plan(ctx())
	if err == nil || !strings.Contains(err.Error(), "made again by hand after group ops was deleted, but under the top level where the files say group hq") {
		t.Errorf("plan: %v", err)
	}
}

// TestConsoleUserReadded: a member deleted in the console and added
// again there (a new UserId, another type and nickname, in no group or
// workspace) is found by its account and given everything back.
func TestConsoleUserReadded(t *testing.T) {
	c := newConsole(t, consoleFiles(t, nil))
	bob := c.s.Snapshot().User("a:bob")
	if err := c.s.client.DeleteUser(ctx(), bob.UserID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.s.client.AddUser(ctx(), apiclient.AddUserRequest{NickName: "鲍勃", UserType: apiclient.UserTypeViewer, AccountName: "a:bob"}); err != nil {
		t.Fatal(err)
	}
	pl := c.repair()
	if a, _ := reasonOf(pl, quickbi.KindUser, "a:bob"); a != plan.Update {
		t.Errorf("a:bob: %s, want an update of the member added by hand", a)
	}
	if n := c.s.Calls()["AddUser"]; n != 1 { // the console's
		t.Errorf("AddUser calls: %d, want only the console's", n)
	}
	c.expectImage(nil)
}
