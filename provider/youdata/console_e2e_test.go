package youdata_test

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/state"
)

// Edits made in the web console between applies, to objects permsync
// knows by the ids its state records: the next apply repairs them, the
// server ends as the files say, and the plan after it is empty.

const sales = "销售分析"

// consoleEnv applies the quickstart once, reading as permsync does (with
// the state), and checks that it converged. setup, if set, changes the
// server before that first apply.
func consoleEnv(t *testing.T, setup func(*youdatatest.State, *youdatatest.IDs)) *env {
	t.Helper()
	dirs := []string{filepath.Join("..", "..", "examples", "quickstart", "desired")}
	e := newEnv(t, dirs, filepath.Join("..", "..", "examples", "quickstart", "server-before.yaml"))
	e.known = true
	if setup != nil {
		e.sim.Edit(setup)
	}
	res, err := e.apply(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	reportFailures(t, res)
	e.converged()
	return e
}

// stateID is the id the state records for an object.
func (e *env) stateID(k plan.Kind, key string) int64 {
	e.t.Helper()
	st, _, err := state.Load(e.statePath)
	if err != nil {
		e.t.Fatal(err)
	}
	o := st.Objects[plan.StateKey(k, key)]
	if o == nil || o.ID == 0 {
		e.t.Fatalf("the state does not know the id of %s %s", k, key)
	}
	return o.ID
}

// planned returns the change of an object in p, or fails.
func planned(t *testing.T, p *plan.Plan, k plan.Kind, key string) plan.Change {
	t.Helper()
	for _, c := range p.Changes {
		if c.Kind == k && c.Key == key {
			return c
		}
	}
	var all []string
	for _, c := range p.Changes {
		all = append(all, string(c.Action)+" "+string(c.Kind)+" "+c.Key)
	}
	t.Fatalf("no change of %s %s; the plan: %v", k, key, all)
	return plan.Change{}
}

// noCreate fails when p creates an object of kind k.
func noCreate(t *testing.T, p *plan.Plan, k plan.Kind) {
	t.Helper()
	for _, c := range p.Changes {
		if c.Kind == k && (c.Action == plan.Create || c.Action == plan.Replace || c.Action == plan.Delete) {
			t.Errorf("%s %s %s (%s): want no create, replace or delete of a %s", c.Action, c.Kind, c.Key, c.Reason, k)
		}
	}
}

// applyPlanned applies the next plan, which must hold no failure, and
// returns it.
func (e *env) applyPlanned() *plan.Plan {
	e.t.Helper()
	p, _ := e.plan(context.Background())
	res, err := e.apply(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	reportFailures(e.t, res)
	return p
}

// A group deleted in the console (with its role bindings, as group/dels
// drops them) is created again, its members join the new one, and the
// roles and data permissions whose groups: list it bind it again. The
// stale id is found by the read's probe and never sent to batchImport.
func TestConsoleGroupDeleted(t *testing.T) {
	e := consoleEnv(t, nil)
	const group = "华东销售组"
	old := e.stateID(youdata.KindGroup, sales+"/"+group)
	e.sim.Edit(func(st *youdatatest.State, _ *youdatatest.IDs) {
		p := st.ProjectByName(sales)
		delete(p.Groups, old)
		for _, r := range p.Roles {
			delete(r.Groups, old)
		}
	})
	e.sim.ResetCalls()
	p := e.applyPlanned()
	c := planned(t, p, youdata.KindGroup, sales+"/"+group)
	if c.Action != plan.Create || !strings.Contains(c.Reason, "deleted on the server") {
		t.Errorf("group: %s (%s), want a create saying it was deleted on the server", c.Action, c.Reason)
	}
	for _, k := range []string{"role " + sales + "/通用/销售报告阅览", "dataPermission " + sales + "/区域/华东数据"} {
		kind, key, _ := strings.Cut(k, " ")
		if rc := planned(t, p, plan.Kind(kind), key); !slices.Contains(rc.After.Strings("groups"), group) {
			t.Errorf("%s does not bind %s again: %s", k, group, rc.After["groups"])
		}
	}
	for _, call := range e.sim.CallLog() {
		if call.Endpoint == "user/batchImport" && strings.Contains(string(call.Body), `"groupIds":[`+strconv.FormatInt(old, 10)+`]`) {
			t.Errorf("the stale group id %d was sent: %s", old, call.Body)
		}
	}
	e.converged()
}

// A group renamed in the console is renamed back by its id, in one call:
// no create, no delete, and its members and bindings stay.
func TestConsoleGroupRenamed(t *testing.T) {
	e := consoleEnv(t, nil)
	const group = "华北销售组"
	id := e.stateID(youdata.KindGroup, sales+"/"+group)
	e.sim.Edit(func(st *youdatatest.State, _ *youdatatest.IDs) {
		st.ProjectByName(sales).Groups[id].Name = "华北组(手改)"
	})
	e.writes.reset()
	p := e.applyPlanned()
	noCreate(t, p, youdata.KindGroup)
	c := planned(t, p, youdata.KindGroup, sales+"/"+group)
	if c.Action != plan.Update || !strings.Contains(c.Reason, `renamed on the server to "华北组(手改)"; renaming back`) {
		t.Errorf("group: %s (%s), want an update renaming it back", c.Action, c.Reason)
	}
	if n := e.writes.count(); n != 1 {
		t.Errorf("%d write calls, want 1 (group/ext/update)", n)
	}
	if g := e.sim.Snapshot().ProjectByName(sales).Groups[id]; g == nil || g.Name != group {
		t.Errorf("group %d after the apply: %+v", id, g)
	}
	e.converged()
}

// A project renamed in the console is renamed back (project/update), with
// everything in it: no empty duplicate is created under the old name.
func TestConsoleProjectRenamed(t *testing.T) {
	// The first apply does not change the project itself: the state learns
	// its id from the changes made in it.
	e := consoleEnv(t, nil)
	id := e.stateID(youdata.KindProject, sales)
	e.sim.Edit(func(st *youdatatest.State, _ *youdatatest.IDs) {
		st.Projects[id].Name = "销售分析(旧)"
	})
	e.writes.reset()
	p := e.applyPlanned()
	noCreate(t, p, youdata.KindProject)
	c := planned(t, p, youdata.KindProject, sales)
	if c.Action != plan.Update || !strings.Contains(c.Reason, `renamed on the server to "销售分析(旧)"; renaming back`) {
		t.Errorf("project: %s (%s), want an update renaming it back", c.Action, c.Reason)
	}
	if len(p.Changes) != 1 {
		t.Errorf("the plan holds %d changes, want only the rename: %v", len(p.Changes), p.Changes)
	}
	if n := e.writes.count(); n != 1 {
		t.Errorf("%d write calls, want 1 (project/update)", n)
	}
	snap := e.sim.Snapshot()
	if len(snap.Projects) != 2 || snap.Projects[id].Name != sales {
		t.Errorf("projects after the apply: %d, project %d named %q", len(snap.Projects), id, snap.Projects[id].Name)
	}
	e.converged()
}

// A custom system role renamed by hand is renamed back (systemRole/update)
// and its members keep it: no duplicate is made.
func TestConsoleSystemRoleRenamed(t *testing.T) {
	e := consoleEnv(t, nil)
	const role = "审计员"
	id := e.stateID(youdata.KindSystemRole, role)
	e.sim.Edit(func(st *youdatatest.State, _ *youdatatest.IDs) {
		st.SystemRoles[id].Name = "审计"
	})
	e.writes.reset()
	p := e.applyPlanned()
	noCreate(t, p, youdata.KindSystemRole)
	c := planned(t, p, youdata.KindSystemRole, role)
	if c.Action != plan.Update || !strings.Contains(c.Reason, `renamed on the server to "审计"; renaming back`) {
		t.Errorf("system role: %s (%s), want an update renaming it back", c.Action, c.Reason)
	}
	if len(p.Changes) != 1 {
		t.Errorf("the plan holds %d changes, want only the rename (members keep the role): %v", len(p.Changes), p.Changes)
	}
	if n := e.writes.count(); n != 1 {
		t.Errorf("%d write calls, want 1 (systemRole/update)", n)
	}
	snap := e.sim.Snapshot()
	if len(snap.SystemRoles) != 1 || snap.SystemRoles[id].Name != role {
		t.Errorf("system roles after the apply: %+v", snap.SystemRoles)
	}
	e.converged()
}

// A group deleted and made again by hand under its name (with a member,
// so the read shows it) is taken with its new id; the roles whose groups:
// list it bind the new group, which holds none of the old one's bindings.
func TestConsoleGroupRecreated(t *testing.T) {
	e := consoleEnv(t, nil)
	const group = "华东销售组"
	old := e.stateID(youdata.KindGroup, sales+"/"+group)
	var fresh int64
	e.sim.Edit(func(st *youdatatest.State, ids *youdatatest.IDs) {
		p := st.ProjectByName(sales)
		g := *p.Groups[old]
		delete(p.Groups, old)
		for _, r := range p.Roles {
			delete(r.Groups, old)
		}
		fresh = ids.Group()
		g.ID, g.Members = fresh, []string{"chen.jing@example.com"}
		p.Groups[fresh] = &g
	})
	p := e.applyPlanned()
	c := planned(t, p, youdata.KindGroup, sales+"/"+group)
	if c.Action != plan.Update || !strings.Contains(c.Reason, "re-created on the server") || c.NewState == nil || c.NewState.ID != fresh {
		t.Errorf("group: %s (%s), new state %+v; want an update to id %d", c.Action, c.Reason, c.NewState, fresh)
	}
	if got := e.stateID(youdata.KindGroup, sales+"/"+group); got != fresh {
		t.Errorf("the state knows id %d, want %d", got, fresh)
	}
	e.converged()
}
