package youdata_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/benchgen"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/state"
)

// Console edits to every write-only facet are invisible to a plan; a
// re-assertion sends each facet the files manage again, in the fewest calls
// the API allows (within 5% of benchgen.ReassertBound), the server ends as
// the files say, and the state's ownership records are kept.
func TestReassertRestoresWriteOnlyFacets(t *testing.T) {
	dir := editedQuickstart(t, "      - name: 华北销售组\n        folder: 区域组\n", "      - name: 华北销售组\n        folder: 区域组\n        description: 华北区域的销售\n")
	e := newEnv(t, []string{dir}, filepath.Join("..", "..", "examples", "quickstart", "server-before.yaml"))
	e.known = true
	e.applyPlanned()
	e.converged()
	ownership := e.stateOwnership()

	e.sim.Edit(func(st *youdatatest.State, _ *youdatatest.IDs) {
		st.Company = "手改公司"
		st.Orgs["SALES_N"].Name, st.Orgs["SALES_N"].Description = "手改部门", "手改"
		u := st.Users["wang.fang@example.com"]
		u.Department, u.Position = strp("手改"), strp("手改")
		u.Orgs = nil // no longer the leader of SALES_N
		u.Attrs["region"] = []string{"东北"}
		st.Users["zhang.wei@example.com"].Company = strp("手改")
		no := true
		st.Users["zhao.lei@example.com"].AllowExternal = &no
		p := st.ProjectByName(sales)
		p.GroupByName("华北销售组").Description = "手改"
		read := p.FindRole("通用", "销售报告阅览")
		read.Resources = nil
		for id := range read.Groups {
			delete(read.Groups, id) // both groups unbound
		}
		mgr := p.FindRole("", "区域经理")
		delete(mgr.Orgs, "SALES_E")
		rm := p.ResourceMembers[youdatatest.ResourceKey{Type: "DATA_MODEL", ID: 700288358}]
		rm["wu.hao@example.com"] = []string{"view"}
		delete(rm, "li.na@example.com")
	})
	if p, _ := e.plan(context.Background()); len(p.Changes) != 0 {
		t.Fatalf("a plan sees the console edits to write-only facets: %d changes", len(p.Changes))
	}

	e.reassert = true
	p, st := e.plan(context.Background())
	live, err := youdata.ReadKnownLive(context.Background(), e.api, projectRefs(e.desired), st, youdata.ReadOptions{TokenUser: e.sim.TokenUser()})
	if err != nil {
		t.Fatal(err)
	}
	bound := benchgen.ReassertBound(e.desired, live, st, 500)
	for _, c := range p.Changes {
		if c.Action != plan.Update || !strings.Contains(c.Reason, "reassert: ") {
			t.Errorf("%s %s %s (%s): want an update that re-asserts", c.Action, c.Kind, c.Key, c.Reason)
		}
	}
	for _, k := range []string{"company company", "department SALES_N", "user wang.fang@example.com", "user zhao.lei@example.com",
		"group 销售分析/华北销售组", "role 销售分析/通用/销售报告阅览", "role 销售分析//区域经理", "resourceMembers 销售分析/DATA_MODEL/700288358"} {
		kind, key, _ := strings.Cut(k, " ")
		planned(t, p, plan.Kind(kind), key)
	}
	e.writes.reset()
	e.applyPlanned()
	e.reassert = false
	got := e.writes.count()
	if got < bound.Total() || float64(got) > 1.05*float64(bound.Total()) {
		t.Errorf("%d write calls, lower bound %d (%v)", got, bound.Total(), bound)
	}
	t.Logf("re-assertion of the quickstart: %d calls, lower bound %d", got, bound.Total())
	sameOwnership(t, ownership, e.stateOwnership())
	e.converged()
}

// stateOwnership is what the state says permsync created and the ids it
// knows, by object.
func (e *env) stateOwnership() map[string]state.Object {
	e.t.Helper()
	st, _, err := state.Load(e.statePath)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]state.Object{}
	for key, o := range st.Objects {
		if !strings.HasPrefix(key, "reassert ") {
			out[key] = state.Object{Created: o.Created, ID: o.ID}
		}
	}
	return out
}

// sameOwnership fails unless after keeps every object of before, with its
// created mark, and every id before knew.
func sameOwnership(t *testing.T, before, after map[string]state.Object) {
	t.Helper()
	for key, b := range before {
		a, ok := after[key]
		switch {
		case !ok:
			t.Errorf("%s left the state", key)
		case a.Created != b.Created:
			t.Errorf("%s: created %v, was %v", key, a.Created, b.Created)
		case b.ID != 0 && a.ID != b.ID:
			t.Errorf("%s: id %d, was %d", key, a.ID, b.ID)
		}
	}
}

func strp(s string) *string { return &s }

// A re-assertion whose call fails leaves that facet marked: the next plan,
// without --reassert, sends it again, and only it.
func TestReassertFailedIsSentAgain(t *testing.T) {
	e := consoleEnv(t, nil)
	e.sim.Edit(func(st *youdatatest.State, _ *youdatatest.IDs) {
		st.ProjectByName(sales).ResourceMembers[youdatatest.ResourceKey{Type: "DATA_MODEL", ID: 700288358}] = map[string][]string{}
	})
	e.sim.FailObject("directResourcePerm/syncMembers", "wu.hao@example.com")
	e.reassert = true
	p, st := e.plan(context.Background())
	e.reassert = false
	res, err := youdata.Apply(context.Background(), e.api, p, st, youdata.ApplyOptions{
		BatchSize: 500, TokenUser: e.sim.TokenUser(), ProtectedUsers: e.desired.Settings.ProtectedUsers,
		SaveState: func(st *state.State) error { return state.Save(e.statePath, st) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() != 1 {
		t.Fatalf("%d changes failed, want the resource members' sync", res.Failed())
	}
	e.sim.ClearFaults()
	next, _ := e.plan(context.Background())
	if len(next.Changes) != 1 || next.Changes[0].Kind != youdata.KindResourceMembers || !strings.Contains(next.Changes[0].Reason, "reassert: members") {
		t.Fatalf("next plan: %v, want only the failed re-assertion", next.Changes)
	}
	e.applyPlanned()
	e.converged()
}
