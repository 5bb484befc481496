package youdata_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// Renames in the files of objects the state knows by id are renamed on the
// server, by their id, and everything the state knows of them follows the
// new name: nothing is deleted and created.

// renameEnv applies the quickstart: the state then knows the ids.
func renameEnv(t *testing.T) *env {
	t.Helper()
	return consoleEnv(t, nil)
}

func (e *env) load(dir string) {
	e.t.Helper()
	d, err := spec.Load([]string{dir})
	if err != nil {
		e.t.Fatal(err)
	}
	e.desired = d
}

// onlyCalls fails unless the last apply's writes were exactly want.
func onlyCalls(t *testing.T, e *env, want int, what string) {
	t.Helper()
	if n := e.writes.count(); n != want {
		t.Errorf("%d write calls, want %d (%s)", n, want, what)
	}
}

func TestRenameProjectInFiles(t *testing.T) {
	e := renameEnv(t)
	id := e.stateID(youdata.KindProject, sales)
	e.load(editedQuickstart(t, "  - name: 销售分析\n", "  - name: 销售分析2\n"))
	e.writes.reset()
	p := e.applyPlanned()
	noCreate(t, p, youdata.KindProject)
	c := planned(t, p, youdata.KindProject, "销售分析2")
	if c.Action != plan.Update || !strings.Contains(c.Reason, `renamed in the files from "销售分析"`) || c.After.String("moved_from") != sales {
		t.Errorf("project: %s (%s) %s, want an update renaming it", c.Action, c.Reason, c.After)
	}
	if len(p.Changes) != 1 {
		t.Errorf("the plan holds %d changes, want only the rename: %v", len(p.Changes), p.Changes)
	}
	onlyCalls(t, e, 1, "project/update")
	if got := e.sim.Snapshot().Projects[id]; got == nil || got.Name != "销售分析2" {
		t.Fatalf("project %d after the apply: %+v", id, got)
	}
	st, _, _ := state.Load(e.statePath)
	for key := range st.Objects {
		if strings.Contains(key, " 销售分析/") || strings.HasSuffix(key, " 销售分析") {
			t.Errorf("the state still records %s under the old name", key)
		}
	}
	if o := st.Objects["group 销售分析2/华东销售组"]; o == nil || !o.Created {
		t.Errorf("the group permsync created is not recorded under the new name as its own: %+v", o)
	}
	e.converged()
}

func TestRenameGroupInFiles(t *testing.T) {
	e := renameEnv(t)
	id := e.stateID(youdata.KindGroup, sales+"/华北销售组")
	e.load(editedQuickstart(t, "华北销售组", "华北组"))
	e.writes.reset()
	p := e.applyPlanned()
	noCreate(t, p, youdata.KindGroup)
	c := planned(t, p, youdata.KindGroup, sales+"/华北组")
	if c.Action != plan.Update || !strings.Contains(c.Reason, `renamed in the files from "华北销售组"`) {
		t.Errorf("group: %s (%s), want an update renaming it", c.Action, c.Reason)
	}
	for _, ch := range p.Changes {
		if ch.Action == plan.Replace {
			t.Errorf("%s %s %s (%s): the rename replaces a role", ch.Action, ch.Kind, ch.Key, ch.Reason)
		}
	}
	onlyCalls(t, e, 1, "group/ext/update")
	if g := e.sim.Snapshot().ProjectByName(sales).Groups[id]; g == nil || g.Name != "华北组" {
		t.Fatalf("group %d after the apply: %+v", id, g)
	}
	e.converged()
}

func TestRenameSystemRoleInFiles(t *testing.T) {
	e := renameEnv(t)
	id := e.stateID(youdata.KindSystemRole, "审计员")
	dir := editedQuickstart(t, "审计员", "审计")
	editFile(t, dir, "system-roles.yaml", "审计员", "审计")
	editFile(t, dir, filepath.Join("projects", "finance.yaml"), "审计员", "审计")
	e.load(dir)
	e.writes.reset()
	p := e.applyPlanned()
	noCreate(t, p, youdata.KindSystemRole)
	c := planned(t, p, youdata.KindSystemRole, "审计")
	if c.Action != plan.Update || !strings.Contains(c.Reason, `renamed in the files from "审计员"`) {
		t.Errorf("system role: %s (%s), want an update renaming it", c.Action, c.Reason)
	}
	if len(p.Changes) != 1 {
		t.Errorf("the plan holds %d changes, want only the rename (members keep the role): %v", len(p.Changes), p.Changes)
	}
	onlyCalls(t, e, 1, "systemRole/update")
	if r := e.sim.Snapshot().SystemRoles[id]; r == nil || r.Name != "审计" {
		t.Fatalf("system role %d after the apply: %+v", id, r)
	}
	e.converged()
}

// A project permsync created that leaves the files is deleted only when the
// files confirm it (settings.deleteProjects); otherwise the plan is refused,
// saying how to confirm.
func TestDeleteProjectNeedsConfirmation(t *testing.T) {
	dir := filepath.Join("testdata", "apply", "new-project")
	e := newEnv(t, []string{filepath.Join(dir, "desired")}, filepath.Join(dir, "seed.yaml"))
	e.known = true
	res, err := e.apply(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	reportFailures(t, res)
	var name string
	for _, c := range res.Changes {
		if c.Change.Kind == youdata.KindProject && c.Change.Action == plan.Create {
			name = c.Change.Key
		}
	}
	if name == "" {
		t.Fatal("the case creates no project")
	}
	var kept []spec.Project
	for _, pr := range e.desired.Projects {
		if pr.Name != name {
			kept = append(kept, pr)
		}
	}
	e.desired.Projects = kept
	p, _ := e.plan(context.Background())
	if len(p.Refusals) != 1 || p.Refusals[0].Kind != plan.RefuseDataLoss || !strings.Contains(p.Refusals[0].Message, "settings.deleteProjects") {
		t.Fatalf("refusals %v, want one dataLoss saying how to confirm", p.Refusals)
	}
	e.desired.Settings.DeleteProjects = []string{name}
	e.desired.Settings.MaxDeletes = &spec.MaxDeletes{Count: 100}
	p, _ = e.plan(context.Background())
	if len(p.Refusals) != 0 || planned(t, p, youdata.KindProject, name).Action != plan.Delete {
		t.Fatalf("confirmed: refusals %v", p.Refusals)
	}
	res, err = e.apply(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	reportFailures(t, res)
	if e.sim.Snapshot().ProjectByName(name) != nil {
		t.Errorf("project %s is still on the server", name)
	}
}
