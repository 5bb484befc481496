package youdata_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
)

// What permsync set and the files no longer list is cleared.

// An attribute key removed from the files is cleared on the server.
func TestAttributeRemovedFromFilesIsCleared(t *testing.T) {
	const user = "wang.fang@example.com"
	dir := editedQuickstart(t)
	editFile(t, dir, "people.yaml", "      region: [华北]\n", "      region: [华北]\n      team: [A]\n")
	e := newEnv(t, []string{dir}, filepath.Join("..", "..", "examples", "quickstart", "server-before.yaml"))
	e.known = true
	e.sim.Edit(func(st *youdatatest.State, _ *youdatatest.IDs) { st.Attributes[2] = "team" })
	e.applyPlanned()
	if got := e.sim.Snapshot().Users[user].Attrs["team"]; len(got) != 1 {
		t.Fatalf("team after the first apply: %v", got)
	}
	e.converged()

	editFile(t, dir, "people.yaml", "      team: [A]\n", "")
	e.load(dir)
	p := e.applyPlanned()
	c := planned(t, p, youdata.KindUser, user)
	if got := c.After.Strings("attrs_cleared"); len(got) != 1 || got[0] != "team" {
		t.Errorf("attrs_cleared = %v, want [team] (%s)", got, c.Reason)
	}
	attrs := e.sim.Snapshot().Users[user].Attrs
	if _, ok := attrs["team"]; ok || len(attrs["region"]) != 1 {
		t.Errorf("attributes after the apply: %v, want region only", attrs)
	}
	e.converged()
}

// A resourceMembers entry dropped from the files: the members permsync
// synced there leave.
func TestResourceMembersDroppedAreRemoved(t *testing.T) {
	e := consoleEnv(t, nil)
	key := youdatatest.ResourceKey{Type: "DATA_MODEL", ID: 700288358}
	if n := len(e.sim.Snapshot().ProjectByName(sales).ResourceMembers[key]); n != 2 {
		t.Fatalf("%d direct members after the first apply, want 2", n)
	}
	dir := editedQuickstart(t, `    resourceMembers:
      # The complete list of direct members of the order model.
      - type: DATA_MODEL
        id: 700288358
        members:
          - {user: wu.hao@example.com, permissions: [view, edit, export, share]}
          - {user: li.na@example.com, permissions: [view, export]}
`, "")
	e.load(dir)
	e.writes.reset()
	p := e.applyPlanned()
	c := planned(t, p, youdata.KindResourceMembers, sales+"/DATA_MODEL/700288358")
	if c.Action != plan.Delete || !strings.Contains(c.Reason, "they are removed") {
		t.Errorf("resourceMembers: %s (%s), want a delete", c.Action, c.Reason)
	}
	if got := c.Before.Strings("members"); len(got) != 2 {
		t.Errorf("before members = %v, want the two the state records", got)
	}
	onlyCalls(t, e, 1, "directResourcePerm/syncMembers")
	if n := len(e.sim.Snapshot().ProjectByName(sales).ResourceMembers[key]); n != 0 {
		t.Errorf("%d direct members after the apply, want none", n)
	}
	e.converged()
}
