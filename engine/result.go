package engine

import (
	"github.com/permsync/permsync/plan"
)

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
	// Err is the failure, with the server's code and message where the
	// server answered.
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
