package reconcile

import (
	"time"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/state"
)

// ApplyOptions tune Apply. The zero value is usable except for SaveState,
// without which nothing is recorded.
type ApplyOptions struct {
	// BatchSize is the most users in one user/batchImport call; default 500.
	BatchSize int
	// Concurrency of independent calls within a phase; default 4. The
	// client's own limits apply on top.
	Concurrency int
	// ProtectedUsers and TokenUser are checked once more right before the
	// first write: a plan that would remove or unbind them is refused.
	ProtectedUsers []string
	TokenUser      string
	// AllowMassDelete lifts the plan's maxDeletes refusals; other refusals
	// always stop the apply.
	AllowMassDelete bool
	// SaveState is called with the state after every phase that wrote
	// something, and once more at the end, also after failures and
	// interruptions.
	SaveState func(*state.State) error
	// Progress, if set, is told of every change as it ends.
	Progress func(ChangeResult)
	// InterruptGrace is how long the calls in flight when the context is
	// cancelled may still take before they are cancelled too; default 30s.
	InterruptGrace time.Duration
}

// Status is what became of one change.
type Status string

// Statuses of a change.
const (
	StatusApplied Status = "applied"
	StatusFailed  Status = "failed"
	StatusSkipped Status = "skipped" // a change it depends on failed, or the apply was interrupted
)

// ChangeResult is what became of one change of the plan.
type ChangeResult struct {
	Change plan.Change
	Status Status
	// Err is the failure, with the server's code and message (an
	// *apiclient.APIError where the server answered).
	Err error
	// Reason says why a change was skipped.
	Reason string
}

// Result is the report of an apply: every change of the plan, in plan
// order, and the write calls made per endpoint.
type Result struct {
	Changes []ChangeResult
	Calls   map[string]int
	// Interrupted is true when the context was cancelled: the calls in
	// flight were finished and recorded, the rest skipped.
	Interrupted bool
}

func (r *Result) count(s Status) int {
	n := 0
	for _, c := range r.Changes {
		if c.Status == s {
			n++
		}
	}
	return n
}

// Applied counts the changes applied.
func (r *Result) Applied() int { return r.count(StatusApplied) }

// Failed counts the changes that failed.
func (r *Result) Failed() int { return r.count(StatusFailed) }

// Skipped counts the changes skipped.
func (r *Result) Skipped() int { return r.count(StatusSkipped) }
