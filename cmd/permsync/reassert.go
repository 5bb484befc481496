package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/permsync/permsync/diff"
	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// Re-assertion of the facets a server cannot show: apply --reassert, and
// run --reassert-every. The provider marks them in the state the plan is
// made against (diff.MarkReassert); the plan then sends each again, as an
// update whose reason says "reassert: ...", and the state records when.

// reasserter is a provider that can mark a state for re-assertion.
type reasserter interface {
	MarkReassert(st *state.State, at time.Time) int
}

// markReassert marks st for re-assertion of pr's facets at now, and
// reports how many facets it marked.
func markReassert(pr provider.Provider, st *state.State, now time.Time) (int, error) {
	r, ok := pr.(reasserter)
	if !ok {
		return 0, fmt.Errorf("the %s provider cannot re-assert what its server does not show", pr.Name())
	}
	return r.MarkReassert(st, now), nil
}

// reassertingProvider is a provider whose plans re-assert every write-only
// facet when the last re-assertion the state records is older than every
// (or there is none). The time is recorded in the state the plan is made
// against, so the verify plan and later rounds of the same apply do not
// re-assert again; a facet whose re-assertion failed stays marked and is
// sent again by the next plan.
type reassertingProvider struct {
	provider.Provider
	every  time.Duration
	now    func() time.Time
	logger *slog.Logger
}

var _ engine.StateReader = (*reassertingProvider)(nil)

// ReadKnown reads as the wrapped provider does.
func (r *reassertingProvider) ReadKnown(ctx context.Context, s provider.Scope, st *state.State) (provider.Live, error) {
	if sr, ok := r.Provider.(engine.StateReader); ok {
		return sr.ReadKnown(ctx, s, st)
	}
	return r.Provider.Read(ctx, s)
}

// reassertingRefresher is a reassertingProvider over a provider that can
// narrow its reads: plans that refresh only what changed keep doing so.
type reassertingRefresher struct {
	*reassertingProvider
	provider.Refresher
}

// reasserting returns r, and one that also narrows its reads when the
// wrapped provider can.
func reasserting(r *reassertingProvider) provider.Provider {
	if rf, ok := r.Provider.(provider.Refresher); ok {
		return reassertingRefresher{r, rf}
	}
	return r
}

// Plan marks st for re-assertion when one is due, then plans.
func (r *reassertingProvider) Plan(d *spec.Desired, live provider.Live, st *state.State, o diff.Options) (*plan.Plan, error) {
	if st != nil {
		if due, last := diff.ReassertDue(st, r.Name(), r.every, r.now()); due {
			n, err := markReassert(r.Provider, st, r.now())
			if err != nil {
				return nil, err
			}
			if r.logger != nil {
				r.logger.Info("re-asserting the facets the server cannot show", "facets", n, "every", r.every.String(), "previous", last)
			}
		}
	}
	return r.Provider.Plan(d, live, st, o)
}
