// Package engine runs the one pipeline every command uses: read the
// server, plan, check the guard rails, apply phase by phase through a
// provider's executor, converge after failures that may pass, and verify.
// It knows no server: a provider turns each phase's changes into calls.
package engine

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/state"
)

// ReasonInterrupted is the reason of the changes skipped because the apply
// was interrupted.
const ReasonInterrupted = "interrupted"

// DefaultInterruptGrace is how long the calls in flight at an
// interruption may still take.
const DefaultInterruptGrace = 30 * time.Second

// ErrStateNotSaved is wrapped by the error Apply returns when the state
// could not be saved: the saved state then lacks changes the Result
// reports applied.
var ErrStateNotSaved = errors.New("the state could not be saved")

// Options tune Apply. The zero value is usable except for SaveState,
// without which nothing is recorded.
type Options struct {
	// Registry names the provider's phases.
	Registry *plan.Registry
	// Concurrency of independent calls within a phase; default 4. The
	// client's own limits apply on top.
	Concurrency int
	// ProtectedUsers and TokenUser are checked once more right before the
	// first write: a plan that would remove or unbind them is refused.
	ProtectedUsers []string
	TokenUser      string
	// Guard says what the plan's changes take from users.
	Guard provider.Guard
	// AllowMassDelete lifts the plan's maxDeletes refusals; other refusals
	// always stop the apply.
	AllowMassDelete bool
	// SaveState is called with the state after every phase that recorded
	// something, and once more at the end, also after failures and
	// interruptions.
	SaveState func(*state.State) error
	// Progress, if set, is told of every change as it ends.
	Progress func(ChangeResult)
	// InterruptGrace is how long the calls in flight when the context is
	// cancelled may still take before they are cancelled too; default 30s.
	InterruptGrace time.Duration
}

// NewExecutor makes the provider's executor of one apply, given what the
// engine offers it.
type NewExecutor func(x provider.Exec) provider.Executor

// Apply executes the plan p: phase by phase in the order of the changes'
// phases, the provider's executor making the calls of each phase, the
// independent calls of a phase running concurrently. It never decides
// what to change: it works only from the changes of p.
//
// A change whose call fails is reported failed with the server's error;
// the changes that depend on it are skipped; the others go on. Every
// applied change is recorded in st, which is saved through o.SaveState
// after every phase that recorded something and at the end.
//
// When ctx is cancelled, the calls in flight finish and are recorded, no
// new call starts, the rest is skipped, the state is saved, and Apply
// returns the Result with an error wrapping ctx.Err(). A plan with
// refusals, or one that would remove o.ProtectedUsers or o.TokenUser, is
// refused before anything is written (nil Result).
func Apply(ctx context.Context, p *plan.Plan, st *state.State, o Options, newExecutor NewExecutor) (*Result, error) {
	if p == nil {
		return nil, errors.New("apply: no plan")
	}
	if st == nil {
		st = state.New()
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.InterruptGrace <= 0 {
		o.InterruptGrace = DefaultInterruptGrace
	}
	if err := CheckGuardRails(p, o); err != nil {
		return nil, err
	}
	a := &applier{
		plan:   p,
		st:     st,
		o:      o,
		res:    &Result{Changes: make([]ChangeResult, len(p.Changes))},
		cs:     make([]changeStatus, len(p.Changes)),
		done:   make([]bool, len(p.Changes)),
		broken: map[string]string{},
		relies: map[int][]reliance{},
	}
	a.ex = newExecutor(a)
	err := a.run(ctx)
	a.res.Calls = a.ex.Calls()
	return a.res, err
}

// changeStatus is what is known of a change while the apply runs.
type changeStatus struct {
	status Status // "" while pending
	err    error
	reason string
	provider.Progress
}

// reliance is a removal change i leaves to change j.
type reliance struct {
	j    int
	what string
	fix  func(*state.State) bool
}

// applier runs one apply; it is the provider.Exec of its executor.
type applier struct {
	plan *plan.Plan
	st   *state.State
	o    Options
	res  *Result
	ex   provider.Executor

	mu   sync.Mutex
	cs   []changeStatus
	done []bool // reported and recorded
	// broken names the objects whose create (or replace) failed or was
	// skipped, by state key, with what became of them.
	broken map[string]string
	relies map[int][]reliance
	// stateDirty is true when the state changed since it was last saved.
	stateDirty bool
}

var _ provider.Exec = (*applier)(nil)

// run executes the phases in order.
func (a *applier) run(ctx context.Context) error {
	n := 0
	for _, c := range a.plan.Changes {
		if c.Phase+1 > n {
			n = c.Phase + 1
		}
	}
	byPhase := make([][]int, n)
	for i, c := range a.plan.Changes {
		if c.Phase < 0 {
			a.SetFailed(i, fmt.Errorf("no phase for %s %s", c.Kind, c.Action))
			a.record([]int{i})
			continue
		}
		byPhase[c.Phase] = append(byPhase[c.Phase], i)
	}
	for ph, idx := range byPhase {
		if len(idx) == 0 {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		a.SkipDependents(idx)
		if idx := a.Filter(idx); len(idx) > 0 {
			a.ex.RunPhase(ctx, ph, idx)
		}
		a.record(idx)
		// Saved whenever the phase recorded something, calls or not: an
		// object recorded with its id before a later phase may make it
		// invisible to every read stays known.
		if err := a.Save(); err != nil {
			a.skipRest(fmt.Sprintf("not started: the state could not be saved after phase %q", a.o.Registry.PhaseName(ph)))
			a.checkRelied()
			return err
		}
	}
	interrupted := ctx.Err() != nil
	if interrupted {
		a.res.Interrupted = true
		a.skipRest(ReasonInterrupted)
	}
	// After skipRest: a deletion skipped by an interruption fails the
	// changes that relied on it too.
	a.checkRelied()
	if err := a.Save(); err != nil {
		return err
	}
	if interrupted {
		return fmt.Errorf("apply interrupted: %w", ctx.Err())
	}
	return nil
}

// Plan is the plan being applied.
func (a *applier) Plan() *plan.Plan { return a.plan }

// Rely notes that change i leaves a removal to change j.
func (a *applier) Rely(i, j int, what string, fix func(*state.State) bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.relies[i] = append(a.relies[i], reliance{j: j, what: what, fix: fix})
}

// checkRelied fails the changes reported applied that left a removal to a
// change that was not applied: the removal did not happen.
func (a *applier) checkRelied() {
	a.mu.Lock()
	defer a.mu.Unlock()
	idx := make([]int, 0, len(a.relies))
	for i := range a.relies {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	for _, i := range idx {
		if a.res.Changes[i].Status != StatusApplied {
			continue
		}
		c := a.plan.Changes[i]
		var err error
		for _, r := range a.relies[i] {
			if !a.done[r.j] || a.cs[r.j].status == StatusApplied {
				continue
			}
			if r.fix != nil && r.fix(a.st) {
				a.stateDirty = true
			}
			how := "failed"
			if a.cs[r.j].status == StatusSkipped {
				how = "was skipped"
			}
			if err == nil {
				err = fmt.Errorf("%s %s: %s, which %s: the binding is still on the server", c.Kind, c.Key, r.what, how)
			}
		}
		if err != nil {
			a.res.Changes[i].Status = StatusFailed
			a.res.Changes[i].Err = err
		}
	}
}

// Save saves the state when it changed since it was last saved.
func (a *applier) Save() error {
	a.mu.Lock()
	dirty := a.stateDirty
	a.mu.Unlock()
	if a.o.SaveState == nil || !dirty {
		// Nothing new to record: writing a large state costs CPU between
		// phases while no call runs.
		return nil
	}
	if err := a.o.SaveState(a.st); err != nil {
		return fmt.Errorf("apply: %w: %w", ErrStateNotSaved, err)
	}
	a.mu.Lock()
	a.stateDirty = false
	a.mu.Unlock()
	return nil
}

// UpdateState runs fn on the state under the lock.
func (a *applier) UpdateState(fn func(st *state.State) bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if fn(a.st) {
		a.stateDirty = true
	}
}

// recordLocked records obj (nil: the object leaves the state) for the
// object of change c and notes whether that changed the state.
func (a *applier) recordLocked(c plan.Change, obj *state.Object) {
	key := plan.StateKey(c.Kind, c.Key)
	before := a.st.Objects[key]
	a.st.Record(key, obj)
	if !reflect.DeepEqual(before, a.st.Objects[key]) {
		a.stateDirty = true
	}
}

// record reports the changes of a phase and records the applied ones in
// the state, in plan order. A change still pending made all its calls.
func (a *applier) record(idx []int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, i := range idx {
		a.finishLocked(i)
	}
}

func (a *applier) finishLocked(i int) {
	if a.done[i] {
		return
	}
	a.done[i] = true
	c := a.plan.Changes[i]
	s := &a.cs[i]
	if s.status == "" {
		s.status = StatusApplied
		if c.Action != plan.NoOp {
			var ns *state.Object
			if c.NewState != nil {
				cp := *c.NewState
				if s.ID != 0 {
					cp.ID = s.ID
				}
				ns = a.ex.Applied(i, &cp)
			}
			a.recordLocked(c, ns)
		}
	}
	if s.status != StatusApplied {
		if obj, ok := a.ex.Partial(i, s.Progress, a.st.Objects[plan.StateKey(c.Kind, c.Key)]); ok {
			a.recordLocked(c, obj)
		}
	}
	if s.status != StatusApplied && (c.Action == plan.Create || c.Action == plan.Replace) && !a.ex.Exists(i, s.Progress) {
		a.broken[plan.StateKey(c.Kind, c.Key)] = string(c.Action) + " " + string(s.status)
	}
	cr := ChangeResult{Change: a.plan.Changes[i], Status: s.status, Err: s.err, Reason: s.reason}
	a.res.Changes[i] = cr
	if a.o.Progress != nil {
		a.o.Progress(cr)
	}
}

// Checkpoint records in the state what the changes of idx not yet
// reported did so far, and saves it. A failed save is not reported here:
// the save at the end of the phase reports it.
func (a *applier) Checkpoint(idx []int) {
	a.mu.Lock()
	n := 0
	for _, i := range idx {
		if a.done[i] {
			continue
		}
		c := a.plan.Changes[i]
		if obj, ok := a.ex.Partial(i, a.cs[i].Progress, a.st.Objects[plan.StateKey(c.Kind, c.Key)]); ok {
			a.recordLocked(c, obj)
			n++
		}
	}
	a.mu.Unlock()
	if n > 0 {
		_ = a.Save()
	}
}

// skipRest skips every change not yet reported.
func (a *applier) skipRest(reason string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range a.plan.Changes {
		if a.done[i] {
			continue
		}
		if a.cs[i].status == "" {
			a.cs[i].status, a.cs[i].reason = StatusSkipped, reason
		}
		a.finishLocked(i)
	}
}

// SetFailed fails change i, unless it ended already.
func (a *applier) SetFailed(i int, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cs[i].status == "" {
		a.cs[i].status = StatusFailed
		a.cs[i].err = err
	}
}

// SetSkipped skips change i, unless it ended already.
func (a *applier) SetSkipped(i int, reason string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cs[i].status == "" {
		a.cs[i].status = StatusSkipped
		a.cs[i].reason = reason
	}
}

// SetID records the id change i learned.
func (a *applier) SetID(i int, id int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cs[i].ID = id
}

// SetCreated notes that the object of change i now exists on the server,
// with its id when known.
func (a *applier) SetCreated(i int, id int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cs[i].Created = true
	if id != 0 {
		a.cs[i].ID = id
	}
}

// SetDeleted notes that a replace removed the old object of change i.
func (a *applier) SetDeleted(i int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cs[i].Deleted = true
}

// Progress is what change i did so far.
func (a *applier) Progress(i int) provider.Progress {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cs[i].Progress
}

// Outcome is how change i ended, "" while it is pending.
func (a *applier) Outcome(i int) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return string(a.cs[i].status)
}

// Pending reports whether change i may still be applied.
func (a *applier) Pending(i int) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cs[i].status == "" && !a.done[i]
}

// Filter keeps the pending changes of idx.
func (a *applier) Filter(idx []int) []int {
	var out []int
	for _, i := range idx {
		if a.Pending(i) {
			out = append(out, i)
		}
	}
	return out
}

// RunStep makes the calls of one step, at most o.Concurrency at a time.
// Once ctx is cancelled no call starts; the changes of the calls not
// started are skipped as interrupted.
func (a *applier) RunStep(ctx context.Context, calls []provider.Call) {
	var g errgroup.Group
	g.SetLimit(a.o.Concurrency)
	for _, c := range calls {
		if len(c.Changes) == 0 {
			continue
		}
		if ctx.Err() != nil {
			a.skipAll(c.Changes, ReasonInterrupted)
			continue
		}
		g.Go(func() error {
			if ctx.Err() != nil {
				a.skipAll(c.Changes, ReasonInterrupted)
				return nil
			}
			cctx, cancel := a.callContext(ctx)
			err := c.Run(cctx)
			cancel()
			if err != nil {
				for _, i := range c.Changes {
					a.SetFailed(i, err)
				}
			}
			return nil
		})
	}
	_ = g.Wait()
}

func (a *applier) skipAll(idx []int, reason string) {
	for _, i := range idx {
		a.SetSkipped(i, reason)
	}
}

// callContext is the context of one call: it is not cancelled with ctx,
// so a call in flight at an interruption finishes, but it is cancelled
// o.InterruptGrace after ctx is.
func (a *applier) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var tmu sync.Mutex
	var timer *time.Timer
	stop := context.AfterFunc(ctx, func() {
		tmu.Lock()
		timer = time.AfterFunc(a.o.InterruptGrace, cancel)
		tmu.Unlock()
	})
	return cctx, func() {
		stop()
		tmu.Lock()
		if timer != nil {
			timer.Stop()
		}
		tmu.Unlock()
		cancel()
	}
}

// Broken marks an object whose create did not happen.
func (a *applier) Broken(key, what string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.broken[key] = what
}

// SkipDependents skips the changes of idx that depend on an object whose
// create failed or was skipped.
func (a *applier) SkipDependents(idx []int) {
	for _, i := range idx {
		c := a.plan.Changes[i]
		a.mu.Lock()
		reason := ""
		for _, dep := range c.DependsOn {
			if what, ok := a.broken[dep]; ok {
				reason = fmt.Sprintf("depends on %s, whose %s", dep, what)
				break
			}
		}
		a.mu.Unlock()
		if reason != "" {
			a.SetSkipped(i, reason)
		}
	}
}

// CheckGuardRails refuses a plan with refusals (maxDeletes ones are lifted
// by AllowMassDelete), one that removes or unbinds a protected user, and,
// when the user behind the token is not known, one that takes the admin
// role from a member or removes an admin from a project: that member may
// be the token's user. The plan refuses them already; this is the check
// right before the first write.
func CheckGuardRails(p *plan.Plan, o Options) error {
	var problems []string
	for _, r := range p.Refusals {
		if o.AllowMassDelete && r.Liftable() {
			continue
		}
		problems = append(problems, r.Message)
	}
	protected := map[string]bool{}
	for _, u := range o.ProtectedUsers {
		protected[u] = true
	}
	if o.TokenUser != "" {
		protected[o.TokenUser] = true
	}
	if o.Guard != nil {
		for _, c := range p.Changes {
			for _, r := range o.Guard.Removals(c) {
				if protected[r.User] {
					problems = append(problems, fmt.Sprintf("%s %s %s would %s protected user %s", c.Action, c.Kind, c.Key, r.What, r.User))
				}
			}
			if o.TokenUser == "" {
				if what := o.Guard.AdminLoss(c); what != "" {
					problems = append(problems, fmt.Sprintf("%s %s %s would %s, and the user behind the token is not known, so it may be that user: set PERMSYNC_TOKEN_USER (or --token-user) to the uniqueId of the token's user", c.Action, c.Kind, c.Key, what))
				}
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	return fmt.Errorf("apply refused, nothing was written:\n  - %s", strings.Join(problems, "\n  - "))
}
