package engine

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/state"
)

var testRegistry = &plan.Registry{Provider: "test", Phases: []string{"make", "bind", "remove"}}

// fakeExecutor applies each change with one call, failing those named in
// fail, and records the order of the calls.
type fakeExecutor struct {
	x      provider.Exec
	fail   map[string]error
	relyOn map[string]string // change key → key of the change it leaves a removal to
	onCall func(key string)

	mu    sync.Mutex
	order []string
}

func (f *fakeExecutor) RunPhase(ctx context.Context, phase int, idx []int) {
	var calls []provider.Call
	for _, i := range idx {
		c := f.x.Plan().Changes[i]
		if j, ok := f.relyOn[c.Key]; ok {
			for k, d := range f.x.Plan().Changes {
				if d.Key == j {
					f.x.Rely(i, k, "unbinding "+j+" was left to its deletion", nil)
				}
			}
		}
		calls = append(calls, provider.Call{Changes: []int{i}, Run: func(ctx context.Context) error {
			f.mu.Lock()
			f.order = append(f.order, c.Key)
			f.mu.Unlock()
			if f.onCall != nil {
				f.onCall(c.Key)
			}
			if err := f.fail[c.Key]; err != nil {
				return err
			}
			if c.Action == plan.Create {
				f.x.SetCreated(i, 7)
			}
			return nil
		}})
	}
	f.x.RunStep(ctx, calls)
}

func (f *fakeExecutor) Applied(_ int, ns *state.Object) *state.Object { return ns }
func (f *fakeExecutor) Partial(int, provider.Progress, *state.Object) (*state.Object, bool) {
	return nil, false
}
func (f *fakeExecutor) Exists(_ int, p provider.Progress) bool { return p.Created && p.ID != 0 }
func (f *fakeExecutor) Calls() map[string]int                  { return map[string]int{"call": len(f.order)} }

func testPlan() *plan.Plan {
	return &plan.Plan{Provider: "test", Changes: []plan.Change{
		{Action: plan.Create, Kind: "group", Key: "G", Phase: 0, NewState: &state.Object{Created: true}},
		{Action: plan.Update, Kind: "user", Key: "u", Phase: 0, NewState: &state.Object{ID: 3}},
		{Action: plan.Create, Kind: "role", Key: "R", Phase: 1, DependsOn: []string{"group G"}, NewState: &state.Object{Created: true}},
		{Action: plan.Delete, Kind: "user", Key: "gone", Phase: 2},
	}}
}

func run(t *testing.T, ctx context.Context, p *plan.Plan, st *state.State, o Options, f *fakeExecutor) (*Result, error, []*state.State) {
	t.Helper()
	var saves []*state.State
	o.Registry = testRegistry
	o.SaveState = func(s *state.State) error {
		c := *s
		c.Objects = map[string]*state.Object{}
		for k, v := range s.Objects {
			c.Objects[k] = v.Clone()
		}
		saves = append(saves, &c)
		return nil
	}
	res, err := Apply(ctx, p, st, o, func(x provider.Exec) provider.Executor { f.x = x; return f })
	return res, err, saves
}

func statuses(r *Result) map[string]Status {
	out := map[string]Status{}
	for _, c := range r.Changes {
		out[c.Change.Key] = c.Status
	}
	return out
}

func TestApplyPhasesInOrderAndRecords(t *testing.T) {
	st := state.New()
	st.Record("user gone", &state.Object{Created: true})
	f := &fakeExecutor{}
	res, err, saves := run(t, context.Background(), testPlan(), st, Options{}, f)
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied() != 4 {
		t.Fatalf("statuses %v", statuses(res))
	}
	if f.order[2] != "R" || f.order[3] != "gone" {
		t.Errorf("calls in order %v, want the phases in order", f.order)
	}
	if o := st.Objects["group G"]; o == nil || o.ID != 7 || !o.Created {
		t.Errorf("the created group is recorded as %+v, want its id 7", o)
	}
	if _, ok := st.Objects["user gone"]; ok {
		t.Error("the deleted user is still in the state")
	}
	if len(saves) != 3 {
		t.Errorf("%d saves, want one per phase that recorded something", len(saves))
	}
}

func TestApplySkipsWhatDependsOnAFailedCreate(t *testing.T) {
	f := &fakeExecutor{fail: map[string]error{"G": errors.New("refused")}}
	res, err, _ := run(t, context.Background(), testPlan(), state.New(), Options{}, f)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Status{"G": StatusFailed, "u": StatusApplied, "R": StatusSkipped, "gone": StatusApplied}
	if d := cmp.Diff(want, statuses(res)); d != "" {
		t.Errorf("statuses (-want +got):\n%s", d)
	}
	if r := res.Changes[2].Reason; r != "depends on group G, whose create failed" {
		t.Errorf("the skip says %q", r)
	}
}

func TestApplyRelianceOnAFailedChangeFails(t *testing.T) {
	f := &fakeExecutor{fail: map[string]error{"gone": errors.New("refused")}, relyOn: map[string]string{"R": "gone"}}
	res, _, _ := run(t, context.Background(), testPlan(), state.New(), Options{}, f)
	if s := res.Changes[2]; s.Status != StatusFailed || !strings.Contains(s.Err.Error(), "unbinding gone was left to its deletion, which failed") {
		t.Errorf("the change relying on the failed deletion: %s %v", s.Status, s.Err)
	}
}

func TestApplyInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := &fakeExecutor{onCall: func(key string) {
		if key == "u" {
			cancel()
		}
	}}
	res, err, saves := run(t, ctx, testPlan(), state.New(), Options{Concurrency: 1}, f)
	if !errors.Is(err, context.Canceled) || !res.Interrupted {
		t.Fatalf("err %v, interrupted %v", err, res.Interrupted)
	}
	if s := statuses(res); s["u"] != StatusApplied || s["R"] != StatusSkipped || s["gone"] != StatusSkipped {
		t.Errorf("statuses %v: the call in flight finishes, the rest is skipped", s)
	}
	if res.Changes[3].Reason != ReasonInterrupted {
		t.Errorf("reason %q", res.Changes[3].Reason)
	}
	if len(saves) == 0 || saves[len(saves)-1].Objects["user u"] == nil {
		t.Error("the state saved at the end lacks the change applied before the interruption")
	}
}

type fakeGuard struct{}

func (fakeGuard) Removals(c plan.Change) []provider.Removal {
	if c.Action == plan.Delete && c.Kind == "user" {
		return []provider.Removal{{User: c.Key, What: "delete from the domain"}}
	}
	return nil
}
func (fakeGuard) AdminLoss(plan.Change) string { return "" }

func TestGuardRails(t *testing.T) {
	p := testPlan()
	p.Refusals = []plan.Refusal{{Kind: plan.RefuseMaxDeletes, Message: "settings.maxDeletes: too many"}}
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"refused", Options{}, "settings.maxDeletes: too many"},
		{"lifted", Options{AllowMassDelete: true}, ""},
		{"protected", Options{AllowMassDelete: true, ProtectedUsers: []string{"gone"}, Guard: fakeGuard{}}, "delete user gone would delete from the domain protected user gone"},
	} {
		err := CheckGuardRails(p, tc.o)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	p.Refusals = []plan.Refusal{{Kind: plan.RefuseLockout, Message: "project P would be left without an admin"}}
	if err := CheckGuardRails(p, Options{AllowMassDelete: true}); err == nil {
		t.Error("--allow-mass-delete lifted a lockout refusal")
	}
}
