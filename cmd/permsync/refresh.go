package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/service"
	"github.com/permsync/permsync/state"
)

// refreshFlags are --refresh and --sweep-period.
type refreshFlags struct {
	mode  string
	sweep time.Duration
}

// addRefreshFlags registers --refresh (default def) and --sweep-period.
func addRefreshFlags(fs *flag.FlagSet, def engine.RefreshMode) *refreshFlags {
	f := &refreshFlags{}
	fs.StringVar(&f.mode, "refresh", string(def), "what to read of the server: full, or changed (only what the files changed since the state's records of the last reads, those never read, and a slice of the oldest, so that everything is read again within --sweep-period)")
	fs.DurationVar(&f.sweep, "sweep-period", engine.DefaultSweepPeriod, "with --refresh=changed, the longest a member or a listing goes without being read again (the drift sweep)")
	return f
}

// options are the refresh the flags ask for; interval is the longest time
// between two runs (0: a command run once).
func (f *refreshFlags) options(interval time.Duration) (engine.Refresh, error) {
	mode, err := engine.ParseRefresh(f.mode)
	if err != nil {
		return engine.Refresh{}, fmt.Errorf("--refresh: %w", err)
	}
	if f.sweep <= 0 {
		return engine.Refresh{}, fmt.Errorf("--sweep-period must be positive, got %s", f.sweep)
	}
	return engine.Refresh{Mode: mode, SweepPeriod: f.sweep, Interval: interval}, nil
}

// verifyFlag is --verify: changed (also --verify and --verify=true), full
// or false.
type verifyFlag struct{ mode engine.VerifyMode }

func (v *verifyFlag) String() string {
	if v == nil || v.mode == "" {
		return string(engine.VerifyChanged)
	}
	return string(v.mode)
}

func (v *verifyFlag) Set(s string) error {
	m, err := engine.ParseVerify(s)
	if err != nil {
		return err
	}
	v.mode = m
	return nil
}

// IsBoolFlag lets --verify stand alone, as when it was a boolean.
func (v *verifyFlag) IsBoolFlag() bool { return true }

func addVerifyFlag(fs *flag.FlagSet, usage string) *verifyFlag {
	v := &verifyFlag{mode: engine.VerifyChanged}
	fs.Var(v, "verify", usage)
	return v
}

// useReadConcurrency makes the reads of the session keep as many calls in
// flight as --concurrency allows the client.
func (s *session) useReadConcurrency(n int) {
	if n > 0 {
		s.read.Concurrency = n
	}
}

// verify reads again what the apply of approved wrote (or everything) and
// plans again, as plan does, with the same wording of its errors and the
// same annotations.
func (s *session) verify(ctx context.Context, env *cmdEnv, allowMassDelete bool, approved *plan.Plan, mode engine.VerifyMode) (*plan.Plan, error) {
	pipe := s.pipeline(env, allowMassDelete)
	stop := s.startRead(env)
	p, err := pipe.Verify(ctx, approved, mode)
	stop()
	if err == nil {
		if aerr := s.annotations.refusals(env, p.RefusalMessages(), p.Warnings); aerr != nil {
			return nil, aerr
		}
	}
	var se *engine.StageError
	if errors.As(err, &se) {
		if se.Interrupted {
			return nil, fmt.Errorf("interrupted while %s%s: %w", se.Stage, s.nothingChanged(), se.Err)
		}
		return nil, fmt.Errorf("%s%s: %w", se.Stage, s.nothingChanged(), se.Err)
	}
	return p, err
}

// recordReads saves in the state what the reads found matching the files,
// and writes the state whole.
func (s *session) recordReads(w *state.Writer) error {
	s.state.Server = s.serverURL
	if err := w.Save(s.state); err != nil {
		return err
	}
	return w.Compact(s.state)
}

// scheduleInterval is the longest time between two runs of a schedule in
// the coming week, jitter included: what a run's drift sweep must cover
// until the next.
func scheduleInterval(expr string, loc *time.Location, jitter time.Duration) (time.Duration, error) {
	sched, err := service.ParseSchedule(expr)
	if err != nil {
		return 0, err
	}
	now := time.Now().In(loc)
	end := now.Add(7 * 24 * time.Hour)
	var longest time.Duration
	prev := sched.Next(now)
	for i := 0; i < 10000 && !prev.IsZero() && prev.Before(end); i++ {
		next := sched.Next(prev)
		if next.IsZero() {
			break
		}
		longest = max(longest, next.Sub(prev))
		prev = next
	}
	return longest + jitter, nil
}
