package youdata_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/provider/youdata/benchgen"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

var refreshShape = benchgen.Shape{Name: "T", Users: 120, Departments: 12, Projects: 3, Members: 40, Groups: 6, Roles: 20, DataPermissions: 6}

// countingServer serves the simulator, counts the calls per endpoint and
// answers the writes to the endpoints in drop with success without making
// them.
type countingServer struct {
	sim *youdatatest.Server

	mu    sync.Mutex
	calls map[string]int
	drop  map[string]bool
}

func (c *countingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ep := strings.TrimPrefix(r.URL.Path, youdatatest.PathPrefix)
	c.mu.Lock()
	c.calls[ep]++
	drop := c.drop[ep]
	c.mu.Unlock()
	if drop {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"code":200,"result":true}`))
		return
	}
	c.sim.Handler().ServeHTTP(w, r)
}

func (c *countingServer) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.calls
	c.calls = map[string]int{}
	delete(out, "util/genToken")
	return out
}

type refreshFixture struct {
	srv    *countingServer
	pipe   *engine.Pipeline
	before *benchgen.Company
	prov   *youdata.Provider
}

// newRefreshFixture seeds a simulator with a generated company (desired
// changes the files of "before" first) and gives a pipeline whose state is
// what an apply of them and its verify recorded: every unit read.
func newRefreshFixture(t *testing.T, desired func(*spec.Desired)) *refreshFixture {
	t.Helper()
	before := benchgen.Generate(refreshShape, 1)
	sim := youdatatest.NewUnstarted(youdatatest.Options{Seed: before.Seed(), Token: "t"})
	srv := &countingServer{sim: sim, calls: map[string]int{}, drop: map[string]bool{}}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	client, err := apiclient.New(apiclient.Config{Server: ts.URL, Credentials: apiclient.Credentials{Token: "t"}, RPS: -1, Concurrency: 8,
		Retry: apiclient.RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	prov := youdata.New(youdata.Config{API: client, BatchSize: 500})
	d := before.Desired()
	if desired != nil {
		desired(d)
	}
	pipe := &engine.Pipeline{Provider: prov, Desired: d, State: state.New(), TokenUser: benchgen.Admin}
	ctx := context.Background()
	p0, err := pipe.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p0.Changes {
		c.Record(pipe.State)
	}
	p0, err = pipe.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(p0.Changes) != 0 {
		t.Fatalf("the simulator does not hold the generated company: %d changes, first %s %s", len(p0.Changes), p0.Changes[0].Kind, p0.Changes[0].Key)
	}
	pipe.RecordReads(p0)
	srv.take()
	return &refreshFixture{srv: srv, pipe: pipe, before: before, prov: prov}
}

// fullPlan plans what the pipeline's files and state call for, reading
// everything.
func (f *refreshFixture) fullPlan(t *testing.T) *plan.Plan {
	t.Helper()
	full := &engine.Pipeline{Provider: f.prov, Desired: f.pipe.Desired, State: f.pipe.State, TokenUser: benchgen.Admin}
	p, err := full.Plan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f.srv.take()
	return p
}

// writtenMembers are the member units the changes of p write.
func writtenMembers(prov *youdata.Provider, p *plan.Plan) map[string]bool {
	out := map[string]bool{}
	for _, c := range p.Changes {
		for _, u := range prov.Writes(c) {
			if strings.HasPrefix(u, "member ") {
				out[u] = true
			}
		}
	}
	return out
}

func projectsOf(units map[string]bool) map[string]bool {
	out := map[string]bool{}
	for u := range units {
		rest := strings.TrimPrefix(u, "member ")
		out[rest[:strings.IndexByte(rest, '/')]] = true
	}
	return out
}

// TestRefreshChangedReadsOnlyWhatChanged: after a change of five users'
// permissions, a plan that refreshes what changed reads only their
// permissions, and the listings and role trees of their projects, and
// plans what a full read plans; the verify reads again only the members
// the apply wrote; the plan after it reads nothing and is empty.
func TestRefreshChangedReadsOnlyWhatChanged(t *testing.T) {
	ctx := context.Background()
	f := newRefreshFixture(t, nil)
	after, _ := benchgen.MutateUsers(f.before, 5, 7)
	f.pipe.Desired = after.Desired()
	f.pipe.Refresh = engine.Refresh{Mode: engine.RefreshChanged}

	pl, err := f.pipe.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	calls := f.srv.take()
	written := writtenMembers(f.prov, pl)
	if len(pl.Changes) == 0 || len(written) != 5 {
		t.Fatalf("%d changes writing %d members, want the five users' changes", len(pl.Changes), len(written))
	}
	projects := len(projectsOf(written))
	// A group the state has no id of (made before permsync) shows it only
	// in its members' permissions: a group joined needs one member more.
	idless := 0
	for _, c := range pl.Changes {
		if o := f.pipe.State.Objects[state.Key(string(c.Kind), c.Key)]; c.Kind == youdata.KindGroup && (o == nil || o.ID == 0) {
			if len(c.Before.Strings("members")) < len(c.After.Strings("members")) {
				idless++
			}
		}
	}
	if calls["user/permissions"] != 5+idless || calls["projectUser/list"] != projects || calls["role/list"] != 2*projects ||
		calls["user/getAllUsers"] != 0 || calls["project/list"] != 1 {
		t.Errorf("the plan's calls %v: want %d user/permissions (%d of groups whose id is not known), and the listing and the role trees of %d projects",
			calls, 5+idless, idless, projects)
	}
	if full := f.fullPlan(t); !plan.Equal(full, pl) {
		t.Errorf("the plan differs from a full plan's:\n%s", strings.Join(plan.Diff(full, pl), "\n"))
	}
	if len(pl.Warnings) == 0 || !strings.Contains(pl.Warnings[len(pl.Warnings)-1], "refresh=changed: ") {
		t.Errorf("warnings %q: the plan does not say which refresh it used", pl.Warnings)
	}

	res, err := f.pipe.Apply(ctx, pl, engine.ApplyOptions{MaxRounds: 1})
	if err != nil || res.Failed()+res.Skipped() > 0 {
		t.Fatalf("apply: %v, %d failed, %d skipped", err, res.Failed(), res.Skipped())
	}
	f.srv.take()
	again, err := f.pipe.Verify(ctx, pl, engine.VerifyChanged)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Changes) != 0 {
		t.Fatalf("verify: %d changes left", len(again.Changes))
	}
	calls = f.srv.take()
	// The verify reads again the members written, and the listing and
	// role trees of a project only where the apply changed them (a
	// member's system roles here); the rest the plan's read holds.
	listed := map[string]bool{}
	for _, c := range pl.Changes {
		for _, u := range f.prov.Writes(c) {
			if strings.HasPrefix(u, "project ") {
				listed[u] = true
			}
		}
	}
	listings := len(listed)
	if listings == 0 || listings == projects {
		t.Fatalf("%d listings written: the change does not tell a narrowed verify apart", listings)
	}
	want := map[string]int{"user/permissions": len(written), "projectUser/list": listings, "role/list": 2 * listings}
	if d := cmp.Diff(want, calls); d != "" {
		t.Errorf("the verify's calls (-want +got):\n%s", d)
	}

	next, err := f.pipe.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if calls := f.srv.take(); len(next.Changes) != 0 || calls["user/permissions"] != 0 || calls["projectUser/list"] != 0 {
		t.Errorf("the next plan: %d changes, calls %v; want none and no member read", len(next.Changes), calls)
	}
	if full := f.fullPlan(t); len(full.Changes) != 0 {
		t.Errorf("the full plan after the verify has %d changes", len(full.Changes))
	}
}

// TestVerifyChangedCatchesAWriteThatDidNotLand: an unbinding the server
// answers without making it is found by the verify, which reads again
// only what the apply wrote; the member keeps no record, so the next plan
// reads it again.
func TestVerifyChangedCatchesAWriteThatDidNotLand(t *testing.T) {
	ctx := context.Background()
	f := newRefreshFixture(t, nil)
	after, ch := benchgen.MutateUsers(f.before, 2, 7)
	if ch.Unbound != 1 {
		t.Fatalf("the change %+v unbinds nobody", ch)
	}
	f.pipe.Desired = after.Desired()
	f.pipe.Refresh = engine.Refresh{Mode: engine.RefreshChanged}
	pl, err := f.pipe.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.srv.mu.Lock()
	f.srv.drop["user/delRoles"] = true
	f.srv.mu.Unlock()
	res, err := f.pipe.Apply(ctx, pl, engine.ApplyOptions{MaxRounds: 1})
	if err != nil || res.Failed() > 0 {
		t.Fatalf("apply: %v, %d failed", err, res.Failed())
	}
	calls := f.srv.take()
	if calls["user/delRoles"] != 1 {
		t.Fatalf("apply calls %v: want one user/delRoles", calls)
	}
	again, err := f.pipe.Verify(ctx, pl, engine.VerifyChanged)
	if err != nil {
		t.Fatal(err)
	}
	if n := f.srv.take()["user/permissions"]; n != len(writtenMembers(f.prov, pl)) {
		t.Errorf("the verify read %d members, want the %d written", n, len(writtenMembers(f.prov, pl)))
	}
	var unbound *plan.Change
	for i, c := range again.Changes {
		if c.Kind == youdata.KindRole && len(c.Before.Strings("users")) > len(c.After.Strings("users")) {
			unbound = &again.Changes[i]
		}
	}
	if unbound == nil || len(again.Changes) != 1 {
		t.Fatalf("verify: %d changes %v, want the unbinding that did not land", len(again.Changes), again.Changes)
	}
	gone := ""
	for _, u := range unbound.Before.Strings("users") {
		found := false
		for _, v := range unbound.After.Strings("users") {
			found = found || u == v
		}
		if !found {
			gone = u
		}
	}
	unit := "member " + unbound.Scope + "/" + gone
	if r := f.pipe.State.Reads[unit]; r != nil {
		t.Errorf("%s keeps the record %+v after a verify that found it differs", unit, r)
	}
}

// TestRefreshChangedSweepsTheOldest: with no change in the files, a plan
// reads the members whose records are older than the sweep period, and
// nothing else of their projects but the listing and the role trees.
func TestRefreshChangedSweepsTheOldest(t *testing.T) {
	ctx := context.Background()
	f := newRefreshFixture(t, nil)
	now := time.Now().UTC()
	var units []string
	for u := range f.pipe.State.Reads {
		if strings.HasPrefix(u, "member ") {
			units = append(units, u)
		}
	}
	sort.Strings(units)
	old := units[:3]
	for _, u := range old {
		r := *f.pipe.State.Reads[u]
		r.At = now.Add(-25 * time.Hour)
		f.pipe.State.SetRead(u, &r)
	}
	f.pipe.Refresh = engine.Refresh{Mode: engine.RefreshChanged, SweepPeriod: 24 * time.Hour}
	pl, err := f.pipe.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	calls := f.srv.take()
	if len(pl.Changes) != 0 || calls["user/permissions"] != 3 || calls["user/getAllUsers"] != 0 {
		t.Errorf("%d changes, calls %v: want the 3 oldest members read", len(pl.Changes), calls)
	}
	f.pipe.RecordReads(pl)
	for _, u := range old {
		if r := f.pipe.State.Reads[u]; r == nil || now.Sub(r.At) > time.Hour {
			t.Errorf("%s: record %+v, want it read now", u, r)
		}
	}
}

// TestRefreshChangedRereadsForAReplace: a role whose users the files leave
// alone, re-created because it loses a group, comes back with the users
// the server binds to it: the plan that first took its members as last
// read reads them all, and plans what a full read plans.
func TestRefreshChangedRereadsForAReplace(t *testing.T) {
	ctx := context.Background()
	var roleKey string
	f := newRefreshFixture(t, func(d *spec.Desired) {
		pr := &d.Projects[0]
		for i := range pr.Roles {
			if r := &pr.Roles[i]; len(r.Users) >= 2 && len(r.Groups) == 1 && roleKey == "" {
				r.Users, r.Expires = nil, nil // the server's users, whoever they are
				roleKey = pr.Name + "/" + r.Folder + "/" + r.Name
			}
		}
	})
	if roleKey == "" {
		t.Fatal("no role with users and a group")
	}
	d := f.before.Desired()
	for i := range d.Projects[0].Roles {
		if r := &d.Projects[0].Roles[i]; d.Projects[0].Name+"/"+r.Folder+"/"+r.Name == roleKey {
			r.Users, r.Expires, r.Groups = nil, nil, []string{} // loses its group: re-created
		}
	}
	f.pipe.Desired = d
	f.pipe.Refresh = engine.Refresh{Mode: engine.RefreshChanged}
	pl, err := f.pipe.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	calls := f.srv.take()
	var re *plan.Change
	for i, c := range pl.Changes {
		if c.Kind == youdata.KindRole && c.Key == roleKey {
			re = &pl.Changes[i]
		}
	}
	if re == nil || re.Action != plan.Replace {
		t.Fatalf("changes %v: want the replace of %s", pl.Changes, roleKey)
	}
	if len(re.After.Strings("users")) < 2 {
		t.Errorf("the replace re-creates %s with users %v: the server's are lost", roleKey, re.After.Strings("users"))
	}
	if members := len(f.before.Projects[0].Members); calls["user/permissions"] != members {
		t.Errorf("read %d members, want all %d of the project", calls["user/permissions"], members)
	}
	if full := f.fullPlan(t); !plan.Equal(full, pl) {
		t.Errorf("the plan differs from a full plan's:\n%s", strings.Join(plan.Diff(full, pl), "\n"))
	}
	if w := pl.Warnings[len(pl.Warnings)-1]; !strings.Contains(w, "that deletions or re-creates stand on") {
		t.Errorf("warning %q", w)
	}
}

// recordGroupIDs records in the fixture's state every project and group
// of the server with its id, as an apply that created them would have,
// and checks that a full plan is still empty; it returns the groups.
func (f *refreshFixture) recordGroupIDs(t *testing.T) int {
	t.Helper()
	full := &engine.Pipeline{Provider: f.prov, Desired: f.pipe.Desired, State: f.pipe.State, TokenUser: benchgen.Admin}
	live, err := full.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for pname, lp := range live.(*youdata.Live).Projects {
		if lp.Read {
			key := plan.StateKey(youdata.KindProject, pname)
			o := f.pipe.State.Objects[key]
			if o == nil {
				o = &state.Object{}
			}
			cp := *o
			cp.ID = lp.ID
			f.pipe.State.Record(key, &cp)
		}
		for gname, lg := range lp.Groups {
			key := plan.StateKey(youdata.KindGroup, pname+"/"+gname)
			o := f.pipe.State.Objects[key]
			if o == nil {
				o = &state.Object{}
			}
			cp := *o
			cp.ID = lg.ID
			f.pipe.State.Record(key, &cp)
			n++
		}
	}
	if p := f.fullPlan(t); len(p.Changes) != 0 {
		t.Fatalf("with the groups' ids recorded, a full plan has %d changes, first %s %s", len(p.Changes), p.Changes[0].Kind, p.Changes[0].Key)
	}
	return n
}

// TestRefreshChangedProbesOnlyTheGroupsItReads: with every group recorded
// by its id (permsync created them), a plan that refreshes what changed
// and its verify probe no group that none of the members they read is in:
// such a group shows in no permission they read, and is taken as last
// read. A group one of them is in and that the read does not show is
// probed, and found deleted.
func TestRefreshChangedProbesOnlyTheGroupsItReads(t *testing.T) {
	ctx := context.Background()
	f := newRefreshFixture(t, nil)
	if n := f.recordGroupIDs(t); n < 2*refreshShape.Groups {
		t.Fatalf("%d groups recorded", n)
	}
	after, _ := benchgen.MutateUsers(f.before, 5, 7)
	f.pipe.Desired = after.Desired()
	f.pipe.Refresh = engine.Refresh{Mode: engine.RefreshChanged}
	pl, err := f.pipe.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := f.srv.take()["group/ext/update"]; n != 0 {
		t.Errorf("the plan probed %d groups, want none: every group its members are in shows in their permissions", n)
	}
	res, err := f.pipe.Apply(ctx, pl, engine.ApplyOptions{MaxRounds: 1})
	if err != nil || res.Failed()+res.Skipped() > 0 {
		t.Fatalf("apply: %v, %d failed, %d skipped", err, res.Failed(), res.Skipped())
	}
	f.srv.take()
	again, err := f.pipe.Verify(ctx, pl, engine.VerifyChanged)
	if err != nil {
		t.Fatal(err)
	}
	if n := f.srv.take()["group/ext/update"]; len(again.Changes) != 0 || n != 0 {
		t.Errorf("verify: %d changes, %d groups probed; want none", len(again.Changes), n)
	}
	if full := f.fullPlan(t); len(full.Changes) != 0 {
		t.Errorf("the full plan after the verify has %d changes", len(full.Changes))
	}
}

// TestRefreshChangedFindsAGroupDeletedOnTheServer: a group deleted in the
// web console shows when the sweep reads one of its members: the read
// probes it, and the plan creates it again, as a full plan does.
func TestRefreshChangedFindsAGroupDeletedOnTheServer(t *testing.T) {
	ctx := context.Background()
	f := newRefreshFixture(t, nil)
	f.recordGroupIDs(t)
	pr := f.pipe.Desired.Projects[0]
	var group, member string
	for _, g := range pr.Groups {
		if len(g.Members) >= 2 {
			group, member = g.Name, g.Members[0]
			break
		}
	}
	if group == "" {
		t.Fatal("no group with two members")
	}
	id := f.pipe.State.Objects[plan.StateKey(youdata.KindGroup, pr.Name+"/"+group)].ID
	f.srv.sim.Edit(func(st *youdatatest.State, _ *youdatatest.IDs) {
		p := st.ProjectByName(pr.Name)
		delete(p.Groups, id)
		for _, r := range p.Roles {
			delete(r.Groups, id)
		}
	})
	unit := "member " + pr.Name + "/" + member
	r := *f.pipe.State.Reads[unit]
	r.At = time.Now().UTC().Add(-25 * time.Hour)
	f.pipe.State.SetRead(unit, &r)
	f.pipe.Refresh = engine.Refresh{Mode: engine.RefreshChanged, SweepPeriod: 24 * time.Hour}
	pl, err := f.pipe.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	calls := f.srv.take()
	if calls["group/ext/update"] != 1 || calls["user/permissions"] != 1 {
		t.Errorf("calls %v: want the swept member read and its group probed", calls)
	}
	var re *plan.Change
	for i, c := range pl.Changes {
		if c.Kind == youdata.KindGroup && c.Key == pr.Name+"/"+group {
			re = &pl.Changes[i]
		}
	}
	if re == nil || re.Action != plan.Create || !strings.Contains(re.Reason, "deleted on the server") {
		t.Fatalf("changes %v: want %s created again", pl.Changes, group)
	}
	if full := f.fullPlan(t); !plan.Equal(full, pl) {
		t.Errorf("the plan differs from a full plan's:\n%s", strings.Join(plan.Diff(full, pl), "\n"))
	}
}

// TestRefreshChangedRenamesBackAProjectRenamedOnTheServer: a project
// renamed in the web console, which no unit's record shows, is found by
// the id the state records and renamed back, as a full plan does; no
// empty duplicate is created under the files' name.
func TestRefreshChangedRenamesBackAProjectRenamedOnTheServer(t *testing.T) {
	ctx := context.Background()
	f := newRefreshFixture(t, nil)
	f.recordGroupIDs(t)
	name := f.pipe.Desired.Projects[0].Name
	f.srv.sim.Edit(func(st *youdatatest.State, _ *youdatatest.IDs) {
		st.ProjectByName(name).Name = name + "(手改)"
	})
	f.pipe.Refresh = engine.Refresh{Mode: engine.RefreshChanged}
	pl, err := f.pipe.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.srv.take()
	if len(pl.Changes) != 1 || pl.Changes[0].Kind != youdata.KindProject || pl.Changes[0].Action != plan.Update {
		t.Errorf("%d changes, first %v: want the project renamed back", len(pl.Changes), pl.Changes[0])
	}
	if full := f.fullPlan(t); !plan.Equal(full, pl) {
		t.Errorf("the plan differs from a full plan's:\n%s", strings.Join(plan.Diff(full, pl), "\n"))
	}
}
