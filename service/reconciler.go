package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/permsync/permsync/audit"
	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// Mode is what a run does with the drift it finds.
type Mode string

// Modes.
const (
	// ModeApply applies the plan (within the guard rails) and records the
	// state.
	ModeApply Mode = "apply"
	// ModePlan only reports the drift; nothing is written, no lock taken.
	ModePlan Mode = "plan"
)

// ParseMode reads a mode name.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeApply, ModePlan:
		return m, nil
	}
	return "", fmt.Errorf("mode %q: want apply or plan", s)
}

// Result is how a run ended; it is the "result" label of the runs metric.
type Result string

// Results of a run.
const (
	// ResultSuccess: planned, and in apply mode every change was applied
	// (and the verify plan found the server in sync).
	ResultSuccess Result = "success"
	// ResultFailed: invalid files, a server error, a change that failed,
	// or drift left after the apply. Nothing is applied after invalid
	// files or a failed read.
	ResultFailed Result = "failed"
	// ResultRefused: the plan has refusals (maxDeletes exceeded, ...);
	// nothing was applied. A person applies such a plan.
	ResultRefused Result = "refused"
	// ResultLocked: the state's lock is held (an apply is running, or one
	// was killed); the run did nothing.
	ResultLocked Result = "locked"
	// ResultInterrupted: the service was stopped during the run; the calls
	// in flight were finished and recorded.
	ResultInterrupted Result = "interrupted"
	// ResultTimedOut: the run passed its deadline (Options.RunTimeout) and
	// was cancelled, or has not returned since (the summary line then says
	// "abandoned").
	ResultTimedOut Result = "timed_out"
	// ResultSkippedOverlap: a tick came while a run was still going; no
	// run was started.
	ResultSkippedOverlap Result = "skipped_overlap"
)

// Results lists every result.
var Results = []Result{ResultSuccess, ResultFailed, ResultRefused, ResultLocked, ResultInterrupted, ResultTimedOut, ResultSkippedOverlap}

// Report is what one run did.
type Report struct {
	Mode   Mode
	Result Result
	// Err says why the run did not succeed (nil on success and, with the
	// refusals in Plan, on refused).
	Err error
	// Plan is the plan the run computed (nil when it failed before).
	Plan *plan.Plan
	// Apply is the apply's report (nil when nothing was applied).
	Apply *engine.Result
	// Remaining counts the changes the verify plan still found after the
	// apply (-1: no verify plan was made).
	Remaining int
}

// Job is one reconciliation run. Run must return when ctx is cancelled,
// after finishing and recording what is in flight.
type Job interface {
	Run(ctx context.Context) *Report
}

// JobFunc adapts a function to Job.
type JobFunc func(ctx context.Context) *Report

// Run calls f.
func (f JobFunc) Run(ctx context.Context) *Report { return f(ctx) }

var (
	_ Job = JobFunc(nil)
	_ Job = (*Reconciler)(nil)
)

// ReconcilerOptions configure a Reconciler.
type ReconcilerOptions struct {
	// Paths are the YAML files and directories, re-read at every run.
	Paths []string
	// StatePath is the state file, re-read at every run.
	StatePath string
	// Provider is the server's provider, over its client, shared by
	// every run.
	Provider provider.Provider
	// ServerURL names the server in the state (no credentials).
	ServerURL string
	// CheckServer refuses a state recorded for another server than
	// ServerURL.
	CheckServer bool
	// TokenUser is the uniqueId (or email) of the user behind the token,
	// never removed or unbound.
	TokenUser string
	Mode      Mode
	// Verify plans again after an apply that changed something.
	Verify bool
	// VerifyMode says what Verify reads again: the units the apply wrote
	// (engine.VerifyChanged, the default) or everything.
	VerifyMode engine.VerifyMode
	// Refresh says what a run's plan reads (default: everything).
	Refresh engine.Refresh
	// Logger receives the details of a run (refusals, failed changes);
	// default: discard.
	Logger *slog.Logger
	// InterruptGrace is how long the calls in flight when a run is
	// cancelled (its deadline, the service stopping) may still take
	// (default: apply's, 30 s). Keep it below the scheduler's StopGrace,
	// so that the run can record them.
	InterruptGrace time.Duration
	// Audit, if set, records every change an apply writes or tries to
	// write, under the run's id (RunID of the run's context).
	Audit *audit.Log
	// AfterRead, if set, is given the files and the latest read of the
	// server of every run that read it (after an apply and its verify,
	// the verify's read), when the run ends: the access report of
	// --access-report. It runs on the run's goroutine.
	AfterRead func(ctx context.Context, d *spec.Desired, live provider.Live)
}

// Reconciler runs reconciliations against one server.
type Reconciler struct {
	o ReconcilerOptions
	// phase is what the run in progress is doing, for Phase.
	phase atomic.Pointer[string]

	// loadFiles and loadStateFile read the files and the state; tests
	// replace them with reads that block.
	loadFiles     func(paths []string) (*spec.Desired, error)
	loadStateFile func() (*state.State, error)

	mu sync.Mutex
	// blocked holds the file reads a run gave up waiting for (what →
	// since): one that never returns (a FIFO, a hung mount) is not
	// started again until it does.
	blocked map[string]time.Time
}

// Phase says what the run in progress is doing ("" between runs).
func (r *Reconciler) Phase() string {
	if p := r.phase.Load(); p != nil {
		return *p
	}
	return ""
}

func (r *Reconciler) setPhase(p string) { r.phase.Store(&p) }

var _ Phaser = (*Reconciler)(nil)

// Phases of a run, as Phase names them.
const (
	PhaseLoadFiles = "loading the files"
	PhaseLock      = "taking the state's lock"
	PhaseLoadState = "reading the state"
	PhasePlan      = "reading the server and planning"
	PhaseApply     = "applying"
	PhaseVerify    = "verifying"
)

// readFiles runs read, a read of local files that takes no context,
// until it returns or ctx ends. A read cannot be interrupted (the open of
// a FIFO, a file on a hung network mount): when ctx ends first, the run
// goes on without it (the read has no effect to undo) and the read is
// remembered, so that later runs fail at once rather than pile up reads
// that block, until it returns.
func (r *Reconciler) readFiles(ctx context.Context, what string, read func()) error {
	r.mu.Lock()
	since, stuck := r.blocked[what]
	r.mu.Unlock()
	if stuck {
		return fmt.Errorf("%s: the read that a run began at %s has not returned: a file blocks (a FIFO or a device, a hung network mount?)", what, since.Format(time.RFC3339))
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		read()
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	select {
	case <-done:
		return nil
	default:
	}
	r.mu.Lock()
	if r.blocked == nil {
		r.blocked = map[string]time.Time{}
	}
	r.blocked[what] = time.Now()
	r.mu.Unlock()
	go func() {
		<-done
		r.mu.Lock()
		delete(r.blocked, what)
		r.mu.Unlock()
	}()
	return fmt.Errorf("%s: interrupted, the read has not returned (a file that blocks?): %w", what, context.Cause(ctx))
}

// NewReconciler checks the options and makes a Reconciler.
func NewReconciler(o ReconcilerOptions) (*Reconciler, error) {
	if len(o.Paths) == 0 {
		return nil, errors.New("reconciler: no files")
	}
	if o.StatePath == "" {
		return nil, errors.New("reconciler: no state path")
	}
	if o.Provider == nil {
		return nil, errors.New("reconciler: no provider")
	}
	if o.Mode == "" {
		o.Mode = ModeApply
	}
	if _, err := ParseMode(string(o.Mode)); err != nil {
		return nil, fmt.Errorf("reconciler: %w", err)
	}
	if o.InterruptGrace < 0 {
		return nil, fmt.Errorf("reconciler: negative interrupt grace %s", o.InterruptGrace)
	}
	o.Logger = safeLogger(o.Logger)
	r := &Reconciler{o: o, loadFiles: spec.Load}
	r.loadStateFile = r.loadState
	return r, nil
}

// acquireLock takes the state's lock. A stale lock (its holder was a
// process of this host that no longer runs: the service killed mid-apply
// and restarted, in the same pod or one with the same host name) is
// removed with a warning: nobody is left to remove it in an unattended
// service, and the run that follows reads the server afresh. A lock whose
// holder runs, or runs on another host, is left alone.
func (r *Reconciler) acquireLock() (*state.Lock, error) {
	lock, err := state.AcquireLock(r.o.StatePath)
	var le *state.LockedError
	if !errors.As(err, &le) || !le.Stale {
		return lock, err
	}
	if _, ferr := state.ForceUnlock(r.o.StatePath); ferr != nil {
		return nil, err
	}
	r.o.Logger.Warn("removed a stale state lock: the process that held it is gone; its apply may have stopped half-way, this run reads the server afresh",
		"lock", le.Path, "pid", le.Holder.PID, "host", le.Holder.Host, "since", le.Holder.Created)
	return state.AcquireLock(r.o.StatePath)
}

// Run does one run: load the files, (in apply mode) take the lock, load
// the state, read the server, plan, and in apply mode apply and verify.
// A plan is never applied with its refusals lifted.
func (r *Reconciler) Run(ctx context.Context) *Report {
	defer r.setPhase("")
	rep := &Report{Mode: r.o.Mode, Remaining: -1}
	fail := func(res Result, err error) *Report {
		rep.Result, rep.Err = res, err
		if ctx.Err() != nil && res == ResultFailed {
			rep.Result = ResultInterrupted
		}
		return rep
	}

	r.setPhase(PhaseLoadFiles)
	var desired *spec.Desired
	var loadErr error
	if err := r.readFiles(ctx, PhaseLoadFiles, func() { desired, loadErr = r.loadFiles(r.o.Paths) }); err != nil {
		return fail(ResultFailed, fmt.Errorf("%w (nothing was changed)", err))
	}
	if loadErr != nil {
		return fail(ResultFailed, fmt.Errorf("loading the files (nothing was changed): %w", loadErr))
	}
	for _, w := range desired.Warnings {
		r.o.Logger.Warn("files warning", "warning", w.Error())
	}
	if r.o.Mode == ModeApply {
		r.setPhase(PhaseLock)
		lock, err := r.acquireLock()
		if err != nil {
			if errors.Is(err, state.ErrLocked) {
				return fail(ResultLocked, fmt.Errorf("run skipped, nothing was changed: %w", err))
			}
			return fail(ResultFailed, err)
		}
		defer func() {
			if err := lock.Release(); err != nil {
				r.o.Logger.Error("releasing the state lock", "error", err.Error())
			}
		}()
	}
	r.setPhase(PhaseLoadState)
	var st *state.State
	var stErr error
	if err := r.readFiles(ctx, PhaseLoadState, func() { st, stErr = r.loadStateFile() }); err != nil {
		return fail(ResultFailed, fmt.Errorf("%w (nothing was changed)", err))
	}
	if stErr != nil {
		return fail(ResultFailed, stErr)
	}

	r.setPhase(PhasePlan)
	pipe := &engine.Pipeline{Provider: r.o.Provider, Desired: desired, State: st, TokenUser: r.o.TokenUser, Refresh: r.o.Refresh}
	if r.o.AfterRead != nil {
		defer func() {
			if live := pipe.LastLive; live != nil {
				if c, ok := live.(provider.CompletedLive); ok {
					// What a narrowed read did not read, as last read.
					live = c.Completed(desired, st)
				}
				r.o.AfterRead(ctx, desired, live)
			}
		}()
	}
	stateFile := state.NewWriter(r.o.StatePath)
	defer stateFile.Close()
	saveReads := func() error {
		// What the run's reads found matching the files: the next run's
		// plan reads what changed since, and the drift sweep moves on.
		st.Server = r.o.ServerURL
		if err := stateFile.Save(st); err != nil {
			return err
		}
		return stateFile.Compact(st)
	}
	p, err := pipe.Plan(ctx)
	if err != nil {
		return fail(ResultFailed, fmt.Errorf("%w (nothing was changed)", err))
	}
	rep.Plan = p
	for _, w := range p.Warnings {
		r.o.Logger.Warn("plan warning", "warning", w)
	}
	if len(p.Refusals) > 0 && r.o.Mode == ModeApply && len(p.Changes) > 0 {
		// The summary line lists the refusals.
		rep.Result = ResultRefused
		return rep
	}
	if r.o.Mode == ModePlan || len(p.Changes) == 0 {
		if r.o.Mode == ModeApply && r.o.Refresh.Mode == engine.RefreshChanged && pipe.RecordsReads() {
			pipe.RecordReads(p)
			if err := saveReads(); err != nil {
				return fail(ResultFailed, err)
			}
		}
		rep.Result = ResultSuccess
		return rep
	}

	// As apply does: after failures that may pass, read the server again
	// and apply what is still missing, within this run's plan.
	r.setPhase(PhaseApply)
	missed0, _ := r.o.Audit.Missed()
	res, applyErr := pipe.Apply(ctx, p, engine.ApplyOptions{
		InterruptGrace: r.o.InterruptGrace,
		SaveState: func(s *state.State) error {
			s.Server = r.o.ServerURL
			return stateFile.Save(s)
		},
		OnRound: func(round int, next *plan.Plan) {
			r.o.Logger.Info("some changes failed; read the server again", "round", round, "changes", len(next.Changes))
		},
		Progress: func(cr engine.ChangeResult) { r.o.Audit.Change(RunID(ctx), cr) },
	})
	if missed, err := r.o.Audit.Missed(); missed > missed0 {
		r.o.Logger.Error("the audit log misses changes of this run", "records", missed-missed0, "error", err.Error())
	}
	rep.Apply = res
	if res != nil {
		for _, cr := range res.Changes {
			if cr.Status == engine.StatusFailed {
				r.o.Logger.Warn("change failed", "action", string(cr.Change.Action), "kind", string(cr.Change.Kind), "key", cr.Change.Key, "error", errString(cr.Err))
			}
		}
	}
	switch {
	case applyErr != nil && res != nil && res.Interrupted:
		return fail(ResultInterrupted, fmt.Errorf("applying: %w", applyErr))
	case applyErr != nil:
		return fail(ResultFailed, fmt.Errorf("applying: %w", applyErr))
	case res.Interrupted:
		return fail(ResultInterrupted, errors.New("interrupted: the calls in flight were finished and recorded, the rest was not started"))
	case res.Failed() > 0:
		return fail(ResultFailed, fmt.Errorf("%d change(s) failed; the state records what was applied", res.Failed()))
	}
	if !r.o.Verify || r.o.VerifyMode == engine.VerifyOff || ctx.Err() != nil {
		pipe.RecordReads(p)
		if err := saveReads(); err != nil {
			return fail(ResultFailed, err)
		}
	} else {
		r.setPhase(PhaseVerify)
		mode := r.o.VerifyMode
		if mode == "" {
			mode = engine.VerifyChanged
		}
		again, err := pipe.Verify(ctx, p, mode)
		if err != nil {
			return fail(ResultFailed, fmt.Errorf("verify: %w", err))
		}
		if err := saveReads(); err != nil {
			return fail(ResultFailed, err)
		}
		rep.Remaining = len(again.Changes)
		if len(again.Changes) > 0 {
			return fail(ResultFailed, fmt.Errorf("verify: the server still differs from the files after the apply (%d change(s)): someone may be changing it at the same time", len(again.Changes)))
		}
	}
	rep.Result = ResultSuccess
	return rep
}

// loadState reads the state and checks that it belongs to this server.
func (r *Reconciler) loadState() (*state.State, error) {
	st, exists, err := state.Load(r.o.StatePath)
	if err != nil {
		return nil, err
	}
	if exists && r.o.CheckServer && st.Server != "" && st.Server != r.o.ServerURL {
		return nil, fmt.Errorf("state %s belongs to server %s, not %s: use --state to name the state of this server", r.o.StatePath, st.Server, r.o.ServerURL)
	}
	return st, nil
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
