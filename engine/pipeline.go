package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// Pipeline is the one way from files to a server that plan, apply, run and
// the benchmark share: read what the files cover, plan, and (Apply) check
// the guard rails, apply phase by phase, read again and apply what is
// still missing after failures that may pass, within the approved plan.
type Pipeline struct {
	Provider provider.Provider
	Desired  *spec.Desired
	// State is what permsync last applied; Apply records into it.
	State *state.State
	// TokenUser is the user behind the credentials as given (flag,
	// environment or login), if at all; Plan resolves it through the read.
	TokenUser string
	// AllowMassDelete lifts settings.maxDeletes (--allow-mass-delete).
	AllowMassDelete bool
	// AllSpaces reads every project or workspace (export).
	AllSpaces bool
	// Targets limit every plan of the pipeline, and so what Apply may
	// write and what a verify checks, to these objects and what they
	// depend on (--target).
	Targets []plan.Target
	// LastLive is what the last successful read of Plan found (the
	// verify's, after an apply), for what else a run makes of it (the
	// access report). After a narrowed read it holds only what was read:
	// see provider.CompletedLive.
	LastLive provider.Live

	// Refresh says what Plan reads: everything (the zero value), or what
	// changed since the state's records of the last reads and the drift
	// sweep.
	Refresh Refresh

	// last is what the last plan's read read, for the state's records.
	last *readLog
	// fps are the provider's fingerprints of fpsOf's units.
	fps   map[string]string
	fpsOf *spec.Desired
}

// Stage says where a pipeline failed: "reading the server" or "planning".
type Stage string

// Stages of a plan.
const (
	StageRead Stage = "reading the server"
	StagePlan Stage = "planning"
)

// StageError is an error of one stage of Plan.
type StageError struct {
	Stage Stage
	// Interrupted is set when the context was cancelled during the stage.
	Interrupted bool
	Err         error
}

func (e *StageError) Error() string {
	if e.Interrupted {
		return "interrupted while " + string(e.Stage) + ": " + e.Err.Error()
	}
	return string(e.Stage) + ": " + e.Err.Error()
}

func (e *StageError) Unwrap() error { return e.Err }

// Read reads what the files cover, in full. The token's user, as the
// read resolves it, is kept for the guard rails of Apply, and what it read
// for RecordReads.
func (p *Pipeline) Read(ctx context.Context) (provider.Live, error) {
	live, at, err := p.readScope(ctx, nil)
	if err != nil {
		return nil, err
	}
	p.last = nil
	if rl, ok := live.(provider.RefreshedLive); ok {
		p.last = &readLog{at: at, live: rl}
	}
	return live, nil
}

// Plan reads the server and computes the plan. With Refresh.Mode
// RefreshChanged and a provider that implements provider.Refresher, it
// reads only the units whose desired state changed since the state's
// records of the last reads, those of which the state has no record, and
// the drift sweep; a plan whose deletions or re-creates stand on a unit it
// did not read is made again with that unit read. The plan then says in a
// warning what it read and how old the oldest data it assumed is.
func (p *Pipeline) Plan(ctx context.Context) (*plan.Plan, error) {
	if rf, ok := p.Provider.(provider.Refresher); ok && p.Refresh.Mode == RefreshChanged && !p.AllSpaces && p.State != nil {
		return p.planChanged(ctx, rf)
	}
	live, at, err := p.readScope(ctx, nil)
	if err != nil {
		return nil, err
	}
	pl, err := p.planLive(live, at, nil)
	if err != nil {
		return nil, err
	}
	if p.Refresh.Mode == RefreshChanged {
		if _, ok := p.Provider.(provider.Refresher); !ok {
			pl.Warnings = append(pl.Warnings, fmt.Sprintf("refresh=changed: the %s provider reads only in full; this plan read everything", p.Provider.Name()))
		}
	}
	return pl, nil
}

// ApplyOptions tune Pipeline.Apply.
type ApplyOptions struct {
	// Concurrency of independent calls within a phase; default 4.
	Concurrency int
	// SaveState records the state (after every phase and at the end).
	SaveState func(*state.State) error
	// Progress, if set, is told of every change as it ends.
	Progress func(ChangeResult)
	// InterruptGrace bounds the calls in flight after an interruption.
	InterruptGrace time.Duration
	// OnRound, if set, is told before every round after the first.
	OnRound func(round int, next *plan.Plan)
	// MaxRounds bounds the rounds; default DefaultMaxRounds. 1: no round
	// after the first.
	MaxRounds int
}

// Apply applies the approved plan pl: the guard rails, then Converge,
// re-planning through the pipeline between rounds.
func (p *Pipeline) Apply(ctx context.Context, pl *plan.Plan, o ApplyOptions) (*Result, error) {
	if pl == nil {
		return nil, errors.New("apply: no plan")
	}
	if pl.Provider != "" && pl.Provider != p.Provider.Name() {
		return nil, fmt.Errorf("apply: the plan was made for %s, not %s; nothing was written", pl.Provider, p.Provider.Name())
	}
	protected := p.Desired.Settings.ProtectedUsers
	if q := p.Desired.QuickBI; q != nil {
		// Quick BI's files keep their settings in their own part.
		protected = append(append([]string(nil), protected...), q.Settings.ProtectedUsers...)
	}
	eo := Options{
		Registry:        p.Provider.Registry(),
		Concurrency:     o.Concurrency,
		ProtectedUsers:  protected,
		TokenUser:       p.TokenUser,
		Guard:           p.Provider,
		AllowMassDelete: p.AllowMassDelete,
		SaveState:       o.SaveState,
		Progress:        o.Progress,
		InterruptGrace:  o.InterruptGrace,
	}
	co := ConvergeOptions{
		MaxRounds: o.MaxRounds,
		OnRound:   o.OnRound,
		MayPass:   func(err error) bool { return p.Provider.Classify(err) == provider.Retryable },
		AllowsLater: func(a, c plan.Change, st *state.State) bool {
			return p.Provider.AllowsLater(a, c, st)
		},
	}
	if o.MaxRounds != 1 {
		co.Replan = p.Plan
	}
	if p.State == nil {
		p.State = state.New()
	}
	// The units the plan writes lose their records: a later round, or the
	// next plan, reads them, until a verify finds them matching.
	p.forgetWritten(pl)
	return Converge(ctx, pl, p.State, eo, co, p.Provider.NewExecutor)
}
