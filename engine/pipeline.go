package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/permsync/permsync/diff"
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

// Read reads what the files cover. The token's user, as the read resolves
// it, is kept for the guard rails of Apply.
func (p *Pipeline) Read(ctx context.Context) (provider.Live, error) {
	if want := p.Desired.Provider; want != "" && want != p.Provider.Name() {
		return nil, &StageError{Stage: StageRead, Err: fmt.Errorf("the files target %s, not %s", want, p.Provider.Name())}
	}
	s := p.Provider.Scope(p.Desired)
	s.TokenUser, s.AllSpaces = p.TokenUser, p.AllSpaces
	live, err := readScope(ctx, p.Provider, s, p.State)
	if err != nil {
		if ctx.Err() != nil {
			// Ctrl-C: say so, rather than which read it happened to cut.
			return nil, &StageError{Stage: StageRead, Interrupted: true, Err: context.Cause(ctx)}
		}
		return nil, &StageError{Stage: StageRead, Err: err}
	}
	if u := live.Principal(); u != "" {
		p.TokenUser = u
	}
	return live, nil
}

// Plan reads the server and computes the plan.
func (p *Pipeline) Plan(ctx context.Context) (*plan.Plan, error) {
	live, err := p.Read(ctx)
	if err != nil {
		return nil, err
	}
	pl, err := p.Provider.Plan(p.Desired, live, p.State, diff.Options{AllowMassDelete: p.AllowMassDelete})
	if err != nil {
		return nil, &StageError{Stage: StagePlan, Err: err}
	}
	return pl.Targeted(p.Targets), nil
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
	return Converge(ctx, pl, p.State, eo, co, p.Provider.NewExecutor)
}
