package youdata_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/spec"
)

// editFile applies old → new replacements to one file of dir; every
// replacement must match.
func editFile(t *testing.T, dir, rel string, replace ...string) {
	t.Helper()
	path := filepath.Join(dir, rel)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for i := 0; i+1 < len(replace); i += 2 {
		if !strings.Contains(s, replace[i]) {
			t.Fatalf("%s does not contain %q", rel, replace[i])
		}
		s = strings.ReplaceAll(s, replace[i], replace[i+1])
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A user leaving the domain is removed from its role, group and project by
// domain/user/delete alone. When that deletion fails, the changes that
// left their part to it fail too, the user stays bound, and the next plan
// shows the binding again; once the deletion succeeds, all converges.
func TestApplyLeaverWhoseDeletionFails(t *testing.T) {
	const leaver = "zhao.lei@example.com"
	roleLine := "users: [li.na@example.com, wu.hao@example.com]"
	base := editedQuickstart(t, roleLine, "users: [li.na@example.com, wu.hao@example.com, "+leaver+"]")
	editFile(t, base, "settings.yaml", "maxDeletes: 10%", "maxDeletes: 50%")
	e := newEnv(t, []string{base}, filepath.Join("..", "..", "examples", "quickstart", "server-before.yaml"))
	res, err := e.apply(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	reportFailures(t, res)
	role := func() map[string]bool {
		out := map[string]bool{}
		for u := range e.sim.Snapshot().ProjectByName("销售分析").FindRole("", "销售数据编辑").Users {
			out[u] = true
		}
		return out
	}
	if !role()[leaver] {
		t.Fatal("the first apply did not bind the leaver to 销售数据编辑")
	}

	dir := editedQuickstart(t,
		"      - {user: "+leaver+", systemRoles: [viewer]}\n", "",
		"members: [chen.jing@example.com, "+leaver+"]", "members: [chen.jing@example.com]")
	editFile(t, dir, "settings.yaml", "maxDeletes: 10%", "maxDeletes: 50%")
	editFile(t, dir, "people.yaml", `  - uniqueId: zhao.lei@example.com
    email: zhao.lei@example.com
    nick: 赵磊
    department: 华东销售
    position: 销售代表
    allowExternal: false
    orgs:
      - {code: SALES_E}
`, "")
	d, err := spec.Load([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	e.desired = d
	e.sim.FailObject("domain/user/delete", leaver)
	res, err = e.apply(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]engine.Status{}
	for _, c := range res.Changes {
		got[string(c.Change.Kind)+" "+c.Change.Key] = c.Status
	}
	for _, k := range []string{"user " + leaver, "member 销售分析/" + leaver, "group 销售分析/华东销售组", "role 销售分析//销售数据编辑"} {
		if got[k] != engine.StatusFailed {
			t.Errorf("%s: %q, want failed (all: %v)", k, got[k], got)
		}
	}
	if !role()[leaver] {
		t.Fatal("the leaver was unbound though its deletion failed")
	}

	e.sim.ClearFaults()
	p, _ := e.plan(context.Background())
	var found bool
	for _, c := range p.Changes {
		if c.Kind == youdata.KindRole && c.Key == "销售分析//销售数据编辑" {
			found = slices.Contains(c.Before.Strings("users"), leaver) && !slices.Contains(c.After.Strings("users"), leaver)
		}
	}
	if !found {
		t.Errorf("the next plan does not unbind the leaver from 销售数据编辑")
	}
	res, err = e.apply(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	reportFailures(t, res)
	if role()[leaver] {
		t.Error("the leaver is still bound after its deletion")
	}
	e.converged()
}
