package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/permsync/permsync/notify"
)

// Sender sends one notification (notify.Webhook).
type Sender interface {
	Notify(ctx context.Context, e notify.Event) error
}

var _ Sender = (*notify.Webhook)(nil)

// Notifier tells a webhook of the runs worth a person's attention: one
// notification per run that found drift (repaired in apply mode), whose
// plan was refused, or that failed — the first of failure, refusal and
// drift that applies. A run that found nothing to change is not told.
type Notifier struct {
	Sender Sender
	// On are the kinds to send (default: every kind).
	On []notify.Kind
	// Server names the server in the notifications (no credentials).
	Server string
	// Attempts bounds the tries of one notification (default 3), Backoff
	// the wait after the first failed one, doubled after each (default
	// 2 s); each try has Timeout (default 10 s).
	Attempts int
	Backoff  time.Duration
	Timeout  time.Duration
	// Logger is told of notifications that could not be sent.
	Logger *slog.Logger
}

var _ Observer = (*Notifier)(nil)

// EventOf is the notification of a finished run, and false when the run
// is not worth one.
func EventOf(r RunRecord, server string) (notify.Event, bool) {
	rep := r.Report
	e := notify.Event{RunID: r.ID, Time: r.Ended.UTC(), Server: server, Mode: string(rep.Mode), Result: string(rep.Result),
		Planned: map[string]int{}, Refusals: []string{}}
	if rep.Plan != nil {
		for _, c := range rep.Plan.Changes {
			e.Planned[string(c.Kind)+" "+string(c.Action)]++
		}
		e.Refusals = append(e.Refusals, rep.Plan.RefusalMessages()...)
	}
	if rep.Apply != nil {
		e.Applied, e.Failed = rep.Apply.Applied(), rep.Apply.Failed()
	}
	if rep.Err != nil {
		e.Error = rep.Err.Error()
	}
	switch {
	case rep.Result == ResultSuccess && len(e.Planned) > 0:
		e.Kind = notify.Drift
	case rep.Result == ResultRefused:
		e.Kind = notify.Refusal
	case rep.Result == ResultFailed, rep.Result == ResultTimedOut, rep.Result == ResultInterrupted:
		e.Kind = notify.Failure
	default:
		// Success with nothing to change, or a run skipped for the lock.
		return e, false
	}
	return e, true
}

// RunFinished sends the run's notification, if it has one.
func (n *Notifier) RunFinished(ctx context.Context, r RunRecord) {
	e, ok := EventOf(r, n.Server)
	if !ok || !n.wants(e.Kind) {
		return
	}
	attempts, backoff, timeout := n.Attempts, n.Backoff, n.Timeout
	if attempts <= 0 {
		attempts = 3
	}
	if backoff <= 0 {
		backoff = 2 * time.Second
	}
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	var err error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff *= 2
		}
		tctx, cancel := context.WithTimeout(ctx, timeout)
		err = n.Sender.Notify(tctx, e)
		cancel()
		if err == nil {
			return
		}
	}
	if n.Logger != nil {
		n.Logger.Error("notification not sent", "run_id", r.ID, "kind", string(e.Kind), "attempts", attempts, "error", err.Error())
	}
}

func (n *Notifier) wants(k notify.Kind) bool {
	if len(n.On) == 0 {
		return true
	}
	for _, o := range n.On {
		if o == k {
			return true
		}
	}
	return false
}
