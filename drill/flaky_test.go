package drill

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// setFlaky makes share of the calls to every endpoint fail. Writes fail
// in five ways, evenly: HTTP 503, HTTP 429, code 500, a timeout, a reset;
// on every other write endpoint the server makes the write before the
// answer is lost. Reads fail in the four ways a client retries (a code
// 500 on a read is the server's answer, not a fault of the network).
func setFlaky(sim *youdatatest.Server, share float64) {
	for i, ep := range youdatatest.Endpoints() {
		if readEndpoints[ep] {
			q := share / 4
			sim.SetFaults(ep, youdatatest.Fault{Share5xx: q, Share429: q, ShareTimeout: q, ShareReset: q})
			continue
		}
		q := share / 5
		sim.SetFaults(ep, youdatatest.Fault{Share5xx: q, Share429: q, ShareAPIError: q, ShareTimeout: q, ShareReset: q, AfterApply: i%2 == 0})
	}
}

// TestDrill1FlakyServer: a medium company's change against a server that
// fails 5%, 20% and 50% of the calls. At 5% and 20% the apply converges;
// at 50% it may not, but its report says exactly what was applied and a
// second apply on a healthy server converges. No permission outside the
// server's before and the desired state is ever granted.
func TestDrill1FlakyServer(t *testing.T) {
	c := genCompany(t, medium())
	desired, err := spec.Load([]string{c.desired})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	ctx := context.Background()

	// The reference: the same change on a healthy server.
	ref := newSim(t, c.seed, youdatatest.Options{})
	before := grants(ref.Snapshot())
	refPlanner := &planner{t: t, api: newClient(t, ref, 5*time.Second, nil), desired: desired, user: ref.TokenUser()}
	refPlan, err := refPlanner.plan(ctx, state.New())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := youdata.Apply(ctx, refPlanner.api, refPlan, state.New(), youdata.ApplyOptions{TokenUser: ref.TokenUser(), BatchSize: 10}); err != nil {
		t.Fatal(err)
	}
	want := grants(ref.Snapshot())
	refWrites := 0
	for _, n := range writeCalls(ref) {
		refWrites += n
	}
	t.Logf("company: %d users, %d changes in the plan, %d calls (%d writes) on a healthy server", c.users, len(refPlan.Changes), ref.TotalCalls(), refWrites)

	for _, share := range []float64{0.05, 0.20, 0.50} {
		t.Run(fmt.Sprintf("%.0f%%", share*100), func(t *testing.T) {
			sim := youdatatest.NewUnstarted(youdatatest.Options{Seed: mustSeed(t, c.seed), Rand: int64(share * 1000)})
			watch := &grantWatch{sim: sim, before: before, desired: want, unasked: map[string]int{}}
			ts := httptest.NewServer(watch)
			defer ts.Close()
			setFlaky(sim, share)
			cnt := &counters{}
			api := newClientAt(t, ts.URL, sim.Token(), 300*time.Millisecond, cnt)
			pl := &planner{t: t, api: api, desired: desired, user: sim.TokenUser()}
			st := state.New()

			var p *plan.Plan
			var perr error
			for attempt := 0; attempt < 3 && p == nil; attempt++ {
				// A failed read aborts the plan (never taken for "absent");
				// the operator runs plan again.
				p, perr = pl.plan(ctx, st)
			}
			rounds := 1
			var res *engine.Result
			var aerr error
			if p == nil {
				if share < 0.5 {
					t.Fatalf("no plan could be read in 3 tries: %v", perr)
				}
				t.Logf("no plan could be read in 3 tries (nothing applied): %v", perr)
			} else {
				res, aerr = youdata.Converge(ctx, api, p, st, youdata.ApplyOptions{TokenUser: sim.TokenUser(), BatchSize: 10},
					youdata.ConvergeOptions{
						Replan:  func(ctx context.Context) (*plan.Plan, error) { return pl.plan(ctx, st) },
						OnRound: func(int, *plan.Plan) { rounds++ },
					})
			}
			if unasked := unaskedGrants(grants(sim.Snapshot()), before, want); len(unasked) > 0 {
				t.Errorf("granted outside the desired state under faults:\n  %s", strings.Join(unasked, "\n  "))
			}

			faults := sim.FaultCounts()
			total := 0
			for _, n := range faults {
				total += n
			}
			retries, _ := cnt.get()
			sim.ClearFaults()
			healthy := &planner{t: t, api: newClientAt(t, ts.URL, sim.Token(), 5*time.Second, nil), desired: desired, user: sim.TokenUser()}
			left, err := healthy.plan(ctx, st)
			if err != nil {
				t.Fatalf("plan on the healthy server: %v", err)
			}
			outcome := "converged"
			if len(left.Changes) > 0 {
				outcome = fmt.Sprintf("%d change(s) left", len(left.Changes))
			}
			applied, failed, skipped := 0, 0, 0
			if res != nil {
				applied, failed, skipped = res.Applied(), res.Failed(), res.Skipped()
			}
			t.Logf("faults %.0f%%: %d calls, %d failed by the server (%s), %d retries by the client, %d round(s); %d applied, %d failed, %d skipped; apply error: %v; %s",
				share*100, sim.TotalCalls(), total, fmtCounts(faults), retries, rounds, applied, failed, skipped, aerr, outcome)

			if share < 0.5 {
				if aerr != nil || failed+skipped > 0 {
					for _, cr := range resChanges(res) {
						if cr.Status != engine.StatusApplied {
							t.Logf("%s %s %s %s: %v %s", cr.Status, cr.Change.Action, cr.Change.Kind, cr.Change.Key, cr.Err, cr.Reason)
						}
					}
					t.Errorf("at %.0f%% faults the apply did not converge: %v", share*100, aerr)
				}
				for _, ch := range left.Changes {
					t.Errorf("not converged: %s %s %s", ch.Action, ch.Kind, ch.Key)
				}
			}
			if res != nil {
				checkReport(t, res, left)
			}

			// A second apply on the healthy server converges, with nobody
			// deleting anything by hand: a group whose group/add got no
			// answer is recorded as pending in the state, and this apply
			// deletes it by path before creating it again.
			if len(left.Changes) > 0 {
				n := len(left.Changes)
				if _, err := youdata.Converge(ctx, healthy.api, left, st, youdata.ApplyOptions{TokenUser: sim.TokenUser(), BatchSize: 10},
					youdata.ConvergeOptions{Replan: func(ctx context.Context) (*plan.Plan, error) { return healthy.plan(ctx, st) }}); err != nil {
					t.Fatalf("second apply: %v", err)
				}
				if left, err = healthy.plan(ctx, st); err != nil {
					t.Fatal(err)
				}
				t.Logf("second apply on the healthy server: %d change(s) to apply, %d left", n, len(left.Changes))
				for _, ch := range left.Changes {
					t.Errorf("not converged after a healthy apply: %s %s %s", ch.Action, ch.Kind, ch.Key)
				}
			}
			unasked, checked := watch.report()
			if len(unasked) > 0 {
				t.Errorf("granted outside the desired state at some point of the applies:\n  %s", strings.Join(unasked, "\n  "))
			}
			if checked == 0 {
				t.Error("no write call reached the server: the drill tested nothing")
			}
			t.Logf("grants checked after each of %d write calls: %d outside the desired state", checked, len(unasked))
			if missing := unaskedGrants(want, nil, grants(sim.Snapshot())); len(missing) > 0 {
				t.Errorf("desired grants missing at the end:\n  %s", strings.Join(missing, "\n  "))
			}
		})
	}
}

// checkReport: a change the report calls applied is not left to do on the
// healthy server, and every change left to do is reported not applied.
func checkReport(t *testing.T, res *engine.Result, left *plan.Plan) {
	t.Helper()
	status := map[string]engine.Status{}
	for _, cr := range res.Changes {
		status[string(cr.Change.Kind)+" "+cr.Change.Key] = cr.Status
	}
	for _, ch := range left.Changes {
		id := string(ch.Kind) + " " + ch.Key
		s, ok := status[id]
		if ok && s == engine.StatusApplied {
			t.Errorf("reported applied but not on the server: %s %s", ch.Action, id)
		}
		if !ok && !res.Interrupted {
			t.Errorf("left to do but not in the report: %s %s", ch.Action, id)
		}
	}
}

func fmtCounts(m map[string]int) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// resChanges are the changes of a result (none without one).
func resChanges(res *engine.Result) []engine.ChangeResult {
	if res == nil {
		return nil
	}
	return res.Changes
}
