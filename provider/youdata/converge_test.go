package youdata_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/state"
)

// converge plans and applies with Converge, replanning through the env.
func (e *env) converge(ctx context.Context, onRound func(int, *plan.Plan)) (*plan.Plan, *engine.Result, error) {
	e.t.Helper()
	p, st := e.plan(ctx)
	res, err := youdata.Converge(ctx, e.api, p, st, youdata.ApplyOptions{
		BatchSize:      500,
		ProtectedUsers: e.desired.Settings.ProtectedUsers,
		TokenUser:      e.sim.TokenUser(),
		SaveState:      func(st *state.State) error { return state.Save(e.statePath, st) },
	}, youdata.ConvergeOptions{
		Replan: func(ctx context.Context) (*plan.Plan, error) {
			np, _ := e.planWith(ctx, st)
			return np, nil
		},
		OnRound: onRound,
	})
	return p, res, err
}

// planWith plans against st as it is in memory.
func (e *env) planWith(ctx context.Context, st *state.State) (*plan.Plan, *state.State) {
	e.t.Helper()
	live, err := youdata.ReadLive(ctx, e.api, projectRefs(e.desired), youdata.ReadOptions{TokenUser: e.sim.TokenUser()})
	if err != nil {
		e.t.Fatalf("read live: %v", err)
	}
	p, err := youdata.Compute(e.desired, live, st, youdata.Options{})
	if err != nil {
		e.t.Fatalf("plan: %v", err)
	}
	return p, st
}

// TestConvergeAfterLostAnswers: every write is made but its answer is
// lost (a gateway timeout, which the client does not retry). The next
// round reads the server, finds most of it done and applies the rest; the
// report counts every change applied.
func TestConvergeAfterLostAnswers(t *testing.T) {
	e := quickstart(t)
	e.sim.SetFaults("*", youdatatest.Fault{FailNext: 0, ShareTimeout: 1, Hold: time.Millisecond, AfterApply: true})
	for _, ep := range []string{"user/getAllUsers", "project/list", "projectUser/list", "role/list", "user/permissions", "systemRole/list"} {
		e.sim.SetFaults(ep, youdatatest.Fault{Latency: time.Nanosecond})
	}
	var rounds, left []int
	p, res, err := e.converge(context.Background(), func(n int, next *plan.Plan) {
		rounds = append(rounds, n)
		left = append(left, len(next.Changes))
		e.sim.ClearFaults()
	})
	if err != nil {
		t.Fatalf("converge: %v", err)
	}
	if len(rounds) == 0 {
		t.Fatal("no second round although every answer was lost")
	}
	if left[0] >= len(p.Changes) {
		t.Errorf("round 2 has %d of %d changes: the lost answers' writes were not seen", left[0], len(p.Changes))
	}
	if res.Applied() != len(p.Changes) || len(res.Changes) != len(p.Changes) {
		reportFailures(t, res)
		t.Fatalf("applied %d of %d changes", res.Applied(), len(p.Changes))
	}
	e.converged()
}

// TestConvergeStopsOnPersistentFailure: a failure that does not pass is
// tried once more after a fresh read, then reported; nothing loops.
func TestConvergeStopsOnPersistentFailure(t *testing.T) {
	e := quickstart(t)
	e.sim.SetFaults("role/importDataPermissions", youdatatest.Fault{Permanent: true})
	_, res, err := e.converge(context.Background(), nil)
	if err != nil {
		t.Fatalf("converge: %v", err)
	}
	if res.Failed() == 0 {
		t.Fatal("no failure reported")
	}
	// Round 1 and at most two more rounds without progress: every failed
	// role was tried at most three times.
	if got, max := e.sim.Calls()["role/importDataPermissions"], 3*res.Failed()+2; got > max {
		t.Errorf("%d importDataPermissions calls for %d failed changes: looping", got, res.Failed())
	}
	for _, c := range res.Changes {
		if c.Status == engine.StatusFailed && c.Err == nil {
			t.Errorf("%s %s failed without its error", c.Change.Kind, c.Change.Key)
		}
	}
	e.sim.ClearFaults()
	if _, res, err = e.converge(context.Background(), nil); err != nil || res.Failed() != 0 {
		t.Fatalf("after the fault: %v", err)
	}
	e.converged()
}

// TestConvergeGoesOnWhileFailuresChange: rounds that apply nothing but
// fail otherwise than the round before (an internal error, then a 503,
// then a rate limit) are not taken for persistent failures: the rounds go
// on until the server recovers, within MaxRounds.
func TestConvergeGoesOnWhileFailuresChange(t *testing.T) {
	e := quickstart(t)
	const ep = "role/importDataPermissions"
	e.sim.SetFaults(ep, youdatatest.Fault{ShareAPIError: 1})
	var rounds []int
	_, res, err := e.converge(context.Background(), func(n int, _ *plan.Plan) {
		rounds = append(rounds, n)
		switch n {
		case 2:
			e.sim.SetFaults(ep, youdatatest.Fault{Share5xx: 1})
		case 3:
			e.sim.SetFaults(ep, youdatatest.Fault{Share429: 1})
		default:
			e.sim.ClearFaults()
		}
	})
	if err != nil {
		t.Fatalf("converge: %v", err)
	}
	if res.Failed() != 0 {
		reportFailures(t, res)
		t.Fatalf("rounds %v: %d changes failed, want the apply to get through once the faults pass", rounds, res.Failed())
	}
	if len(rounds) != 3 || rounds[2] != 4 {
		t.Errorf("rounds after the first = %v, want [2 3 4]", rounds)
	}
	e.converged()
}

// TestConvergeRefusesChangesOutsidePlan: a change the approved plan does
// not hold stops the next round before it writes.
func TestConvergeRefusesChangesOutsidePlan(t *testing.T) {
	e := quickstart(t)
	p, st := e.plan(context.Background())
	e.sim.SetFaults("user/batchImport", youdatatest.Fault{Permanent: true})
	extra := plan.Change{Action: plan.Delete, Kind: youdata.KindUser, Key: "someone@example.com"}
	res, err := youdata.Converge(context.Background(), e.api, p, st, youdata.ApplyOptions{TokenUser: e.sim.TokenUser()},
		youdata.ConvergeOptions{Replan: func(ctx context.Context) (*plan.Plan, error) {
			// What a server changed by someone else would call for.
			np, _ := e.planWith(ctx, st)
			np.Changes = append(np.Changes, extra)
			return np, nil
		}})
	if !errors.Is(err, engine.ErrOutsidePlan) {
		t.Fatalf("err = %v, want ErrOutsidePlan", err)
	}
	if res == nil || res.Failed() == 0 {
		t.Fatal("the first round's failures are not reported")
	}
	if !strings.Contains(err.Error(), "delete user someone@example.com") {
		t.Errorf("the error does not name the change: %v", err)
	}
	if n := e.sim.Calls()["domain/user/delete"]; n != 0 {
		t.Errorf("%d domain/user/delete calls: a change outside the plan was sent", n)
	}
}

// TestConvergeKeepsBindingsAddedBetweenRounds: the approved plan binds
// zhang.wei to a role; the bind fails and, before the next round, someone
// binds zhou.min to the same role by hand. The fresh plan makes the role
// match the files, which unbinds zhou.min: a removal the reviewed plan did
// not show, so the round is refused and zhou.min keeps the role.
func TestConvergeKeepsBindingsAddedBetweenRounds(t *testing.T) {
	const key, byHand = "财务分析//财务报表阅览", "zhou.min@example.com"
	e := quickstart(t)
	p, st := e.plan(context.Background())
	var approved *plan.Change
	for i, c := range p.Changes {
		if c.Kind == youdata.KindRole && c.Key == key {
			approved = &p.Changes[i]
		}
	}
	if approved == nil || approved.Action != plan.Update || slices.Contains(approved.Before.Strings("users"), byHand) {
		t.Fatalf("the quickstart plan no longer updates %s without %s: %+v", key, byHand, approved)
	}
	e.sim.FailObject("role/importDataPermissions", "财务报表阅览")
	delRoles := -1
	res, err := youdata.Converge(context.Background(), e.api, p, st, youdata.ApplyOptions{TokenUser: e.sim.TokenUser()},
		youdata.ConvergeOptions{Replan: func(ctx context.Context) (*plan.Plan, error) {
			e.sim.ClearFaults()
			// A person binds zhou.min to the role in the console.
			if _, err := e.api.ImportDataPermissions(ctx, apiclient.ImportDataPermissionsRequest{
				ProjectID: approved.After.Int("project_id"), RoleName: "财务报表阅览", Path: []string{}, Type: 0,
				UniqueIDs: []string{byHand},
			}); err != nil {
				t.Fatalf("binding by hand: %v", err)
			}
			delRoles = e.sim.Calls()["user/delRoles"]
			np, _ := e.planWith(ctx, st)
			return np, nil
		}})
	if delRoles < 0 {
		t.Fatal("no second round: the failed bind was not retried")
	}
	if !errors.Is(err, engine.ErrOutsidePlan) {
		t.Fatalf("err = %v, want ErrOutsidePlan", err)
	}
	if !strings.Contains(err.Error(), "update role "+key) || !strings.Contains(err.Error(), byHand) {
		t.Errorf("the error does not name the change and the user: %v", err)
	}
	if n := e.sim.Calls()["user/delRoles"]; n != delRoles {
		t.Errorf("%d user/delRoles calls after the binding by hand", n-delRoles)
	}
	for _, c := range res.Changes {
		if c.Change.Kind == youdata.KindRole && c.Change.Key == key && c.Status == engine.StatusApplied {
			t.Errorf("%s reported applied", key)
		}
	}
	np, _ := e.planWith(context.Background(), st)
	for _, c := range np.Changes {
		if c.Kind == youdata.KindRole && c.Key == key && !slices.Contains(c.Before.Strings("users"), byHand) {
			t.Errorf("%s lost the binding made by hand: users %v", byHand, c.Before.Strings("users"))
		}
	}
}

// TestConvergeRefusesAnotherObjectOfTheSameName: the approved plan
// removes old.staff (user id 9) from a project; the removal fails, and by
// the next round the member of that name is another user (another id:
// the user was deleted and made again). Removing that one is not what
// the plan showed.
func TestConvergeRefusesAnotherObjectOfTheSameName(t *testing.T) {
	const key = "销售分析/old.staff@example.com"
	e := quickstart(t)
	p, st := e.plan(context.Background())
	e.sim.FailObject("projectUser/delUsersByUniqueIds", "old.staff@example.com")
	replanned := false
	res, err := youdata.Converge(context.Background(), e.api, p, st, youdata.ApplyOptions{TokenUser: e.sim.TokenUser()},
		youdata.ConvergeOptions{Replan: func(ctx context.Context) (*plan.Plan, error) {
			replanned = true
			e.sim.ClearFaults()
			np, _ := e.planWith(ctx, st)
			for i, c := range np.Changes {
				if c.Kind == youdata.KindMember && c.Key == key {
					if c.Action != plan.Delete || c.Before.Int("id") == 0 {
						t.Fatalf("the quickstart plan no longer deletes member %s by id: %+v", key, c)
					}
					before := plan.Attrs{}
					for k, v := range c.Before {
						before[k] = v
					}
					before.Set("id", c.Before.Int("id")+1000)
					np.Changes[i].Before = before
				}
			}
			return np, nil
		}})
	if !replanned {
		t.Fatal("no second round: the failed removal was not retried")
	}
	if !errors.Is(err, engine.ErrOutsidePlan) || !strings.Contains(err.Error(), "delete member "+key) {
		t.Fatalf("err = %v, want ErrOutsidePlan naming delete member %s", err, key)
	}
	if res == nil || res.Failed() == 0 {
		t.Fatal("the first round's failure is not reported")
	}
}
