package provider

import (
	"context"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/state"
)

// Call is one write call serving one or more changes of the plan, by
// index. Run makes the call; an error fails every change of Changes. Run
// may itself fail some of them (Exec.SetFailed) for partial failures.
type Call struct {
	Changes []int
	Run     func(ctx context.Context) error
}

// Progress is what a change has done on the server so far: the id it
// learned, whether the object of its create or replace exists now, and
// whether its replace deleted the old one.
type Progress struct {
	ID               int64
	Created, Deleted bool
}

// Exec is what the engine offers a provider's executor while it applies a
// plan: the plan, the status of every change, concurrent calls with the
// apply's limits and interruption, and the state under its lock. It is
// safe for concurrent use.
type Exec interface {
	// Plan is the plan being applied.
	Plan() *plan.Plan
	// Pending reports whether change i may still be applied; Filter keeps
	// the pending changes of idx.
	Pending(i int) bool
	Filter(idx []int) []int
	// RunStep makes calls, at most the apply's concurrency at a time; once
	// the apply is interrupted no call starts and their changes are
	// skipped.
	RunStep(ctx context.Context, calls []Call)
	// SetFailed and SetSkipped end change i (the first word wins).
	SetFailed(i int, err error)
	SetSkipped(i int, reason string)
	// SetID records the server id change i learned; SetCreated that the
	// object of its create or replace exists now (with its id when known);
	// SetDeleted that its replace deleted the old object.
	SetID(i int, id int64)
	SetCreated(i int, id int64)
	SetDeleted(i int)
	// Progress is what change i did so far; Outcome how it ended ("" while
	// pending, else "applied", "failed" or "skipped").
	Progress(i int) Progress
	Outcome(i int) string
	// Broken marks an object (by state key) whose create did not happen;
	// SkipDependents skips the changes of idx that depend on a broken one.
	Broken(key, what string)
	SkipDependents(idx []int)
	// Rely notes that change i leaves a removal to change j (what says
	// which): if j is not applied, i fails, and fix, if set, corrects the
	// state i recorded.
	Rely(i, j int, what string, fix func(st *state.State) bool)
	// UpdateState runs fn on the state under the apply's lock; fn reports
	// whether it changed it.
	UpdateState(fn func(st *state.State) bool)
	// Checkpoint records what the changes of idx did so far and saves the
	// state; Save saves it.
	Checkpoint(idx []int)
	Save() error
}

// Executor applies one plan on one server: it turns the changes of each
// phase into batched calls.
type Executor interface {
	// RunPhase makes the calls of one phase for the pending changes idx.
	RunPhase(ctx context.Context, phase int, idx []int)
	// Applied returns what the state records for change i once applied,
	// from its NewState with the learned id set.
	Applied(i int, ns *state.Object) *state.Object
	// Partial says what change i, not (yet) applied, left on the server
	// for the state to record (nil: the object is gone), and false when
	// it left nothing to record; cur is the state's record now.
	Partial(i int, p Progress, cur *state.Object) (*state.Object, bool)
	// Exists reports whether the object of create or replace i is on the
	// server, where the changes that depend on it find it.
	Exists(i int, p Progress) bool
	// Calls counts the write calls made, per endpoint.
	Calls() map[string]int
}

// Removal is a user a change takes out of somewhere ("delete from the
// domain", "unbind from the role").
type Removal struct {
	User, What string
}

// Guard tells the engine, change by change, what a plan takes from users,
// for the guard rails checked right before the first write.
type Guard interface {
	// Removals are the users change c removes or unbinds.
	Removals(c plan.Change) []Removal
	// AdminLoss says what change c does to an admin it demotes or removes
	// ("" when it does neither): refused while the token's user is not
	// known, since it may be that user.
	AdminLoss(c plan.Change) string
}
