package service

import (
	"context"
	"time"
)

// RunRecord is a finished run as observers see it.
type RunRecord struct {
	// N counts the runs of this process from 1; ID names the run in the
	// audit log, the kept runs and notifications.
	N  int
	ID string
	// Started and Ended bound the run.
	Started, Ended time.Time
	// Calls counts the API calls the run made.
	Calls int64
	// Report is what the run reported; never nil.
	Report *Report
	// Abandoned is set for a run recorded as timed out that has not
	// returned (it may still write).
	Abandoned bool
}

// Observer is told of every run that finished: the kept runs
// (RunKeeper), notifications (Notifier). It runs on the scheduler's
// goroutine, before the next run may start: it must return promptly and
// bound its own I/O.
type Observer interface {
	RunFinished(ctx context.Context, r RunRecord)
}

type runIDKey struct{}

// WithRunID returns ctx carrying the id of the run it belongs to.
func WithRunID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, runIDKey{}, id)
}

// RunID is the id of the run ctx belongs to ("" outside one).
func RunID(ctx context.Context) string {
	id, _ := ctx.Value(runIDKey{}).(string)
	return id
}
