package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/permsync/permsync/audit"
	"github.com/permsync/permsync/internal/textsafe"
)

// Options configure a Scheduler.
type Options struct {
	// Schedule is a cron expression: five standard fields, or a descriptor
	// (@hourly, @every 10m). A leading CRON_TZ=Area/City sets its zone.
	Schedule string
	// Location is the zone of the schedule when it names none (default
	// time.Local).
	Location *time.Location
	// Jitter delays every scheduled run by a random duration in
	// [0, Jitter), so that many instances do not hit the server at once.
	// The first run, at start-up, is not delayed. 0 disables.
	Jitter time.Duration
	// Job is what a run does.
	Job Job
	// Mode is reported in the summary line.
	Mode Mode
	// Metrics record the runs (default: a fresh set).
	Metrics *Metrics
	// Logger receives one summary line per run (default: discard). Its
	// records are made safe for a terminal and a CI log (textsafe).
	Logger *slog.Logger
	// RunTimeout is a run's deadline: when it passes, the run's context
	// is cancelled, and the run ends as timed_out. 0: no deadline.
	RunTimeout time.Duration
	// StopGrace is how long a cancelled run (at its deadline, or because
	// the service stops) may still take to finish its calls in flight and
	// record the state. A run that has not returned by then is abandoned:
	// after a deadline, /healthz fails; when stopping, Run returns an
	// *AbandonedError. Default DefaultStopGrace.
	StopGrace time.Duration
	// Observers are told of every finished run, in order.
	Observers []Observer
	// NewRunID names a run from its start (default audit.NewRunID).
	NewRunID func(time.Time) string
}

// DefaultStopGrace is the default of Options.StopGrace: the 30 s apply
// gives the calls in flight at an interruption, and time to record them.
const DefaultStopGrace = 40 * time.Second

// ErrRunDeadline is the cause of the context of a run cancelled at its
// deadline (context.Cause).
var ErrRunDeadline = errors.New("the run's deadline passed")

// Phaser is a Job that tells what its run is doing ("loading the files",
// "applying"), for the messages about a run that passes its deadline or
// does not return.
type Phaser interface {
	Phase() string
}

// runState is the run in progress.
type runState struct {
	n       int
	id      string
	started time.Time
	// cancelled is when the run's deadline passed and its context was
	// cancelled (zero: not yet); phase is what it was doing then.
	cancelled time.Time
	phase     string
	// abandoned is set when it had not returned StopGrace after its
	// deadline: it was recorded as timed_out, and the process is wedged
	// until it returns.
	abandoned bool
}

// AbandonedError is what Run returns when the run in flight did not end
// within StopGrace of the service being stopped.
type AbandonedError struct {
	Run   int
	Mode  Mode
	Phase string
	// Grace is how long the run was given; 0 when it had already been
	// abandoned at its deadline.
	Grace time.Duration
}

func (e *AbandonedError) Error() string {
	var b strings.Builder
	if e.Grace > 0 {
		fmt.Fprintf(&b, "run %d did not end within the shutdown grace of %s and was abandoned", e.Run, e.Grace)
	} else {
		fmt.Fprintf(&b, "run %d was stuck past its deadline and was abandoned", e.Run)
	}
	if e.Phase != "" {
		fmt.Fprintf(&b, " while %s", e.Phase)
	}
	if e.Mode == ModePlan {
		b.WriteString(" (plan mode: it wrote nothing)")
	} else {
		b.WriteString(": the state may lack the calls that were in flight, and the state's lock may be left (the next start on this host removes a lock whose process is gone; elsewhere, 'permsync apply --force-unlock')")
	}
	return b.String()
}

// Scheduler starts runs on a cron schedule, one at a time.
type Scheduler struct {
	o     Options
	sched cron.Schedule

	// now and newTimer are the clock; tests replace them. runTimer
	// times a run's deadline and the grace periods.
	now      func() time.Time
	newTimer func(d time.Duration) (<-chan time.Time, func() bool)
	runTimer func(d time.Duration) (<-chan time.Time, func() bool)
	// randJitter draws a jitter in [0, n).
	randJitter func(n time.Duration) time.Duration
	// onIdle, when set, is called after each run has ended and the
	// scheduler is ready to start another (tests).
	onIdle func()

	mu      sync.Mutex
	running bool
	// cur is the run in progress (nil: none).
	cur *runState
	// lastErr is the error of the last run that ran (nil: it succeeded,
	// or none has run yet).
	lastErr error
	runs    int
}

// ParseSchedule parses a cron expression as Options.Schedule describes.
func ParseSchedule(expr string) (cron.Schedule, error) {
	s, err := cron.ParseStandard(strings.TrimSpace(expr))
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", expr, err)
	}
	return s, nil
}

// New checks the options and makes a Scheduler.
func New(o Options) (*Scheduler, error) {
	if o.Job == nil {
		return nil, errors.New("service: no job")
	}
	if o.Jitter < 0 {
		return nil, fmt.Errorf("service: negative jitter %s", o.Jitter)
	}
	if o.RunTimeout < 0 {
		return nil, fmt.Errorf("service: negative run timeout %s", o.RunTimeout)
	}
	if o.StopGrace < 0 {
		return nil, fmt.Errorf("service: negative stop grace %s", o.StopGrace)
	}
	if o.StopGrace == 0 {
		o.StopGrace = DefaultStopGrace
	}
	sched, err := ParseSchedule(o.Schedule)
	if err != nil {
		return nil, err
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics()
	}
	o.Logger = safeLogger(o.Logger)
	return &Scheduler{
		o:          o,
		sched:      sched,
		now:        time.Now,
		newTimer:   realTimer,
		runTimer:   realTimer,
		randJitter: func(n time.Duration) time.Duration { return time.Duration(rand.Int64N(int64(n))) },
	}, nil
}

func realTimer(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}

// safeLogger is l (discard when nil) with its records made safe for a
// terminal and a CI log: they quote the server's errors and names.
func safeLogger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(discardHandler{})
	}
	return slog.New(textsafe.NewHandler(l.Handler()))
}

// Metrics are the scheduler's metrics.
func (s *Scheduler) Metrics() *Metrics { return s.o.Metrics }

// Next is the time of the first scheduled run after t.
func (s *Scheduler) Next(t time.Time) time.Time { return s.sched.Next(t.In(s.o.Location)) }

// Ready reports whether the service is ready: no run is stuck past its
// deadline, and the last run finished without error (true before the
// first run has ended). The error says why not.
func (s *Scheduler) Ready() (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.cur; c != nil && !c.cancelled.IsZero() {
		return false, fmt.Errorf("run %d passed its deadline of %s%s, was cancelled %s ago and has not returned",
			c.n, s.o.RunTimeout, while(c.phase), s.now().Sub(c.cancelled).Round(time.Second))
	}
	if s.lastErr != nil {
		return false, fmt.Errorf("the last run failed: %w", s.lastErr)
	}
	return true, nil
}

// Healthy reports whether the process can still make progress: false
// once a run has passed its deadline and not returned within StopGrace
// of being cancelled. Such a run is blocked where cancelling cannot reach
// (a file read that never ends, a lock on a hung mount), no run can start
// until it returns, and only a restart clears it. A run that fails, or a
// server that is down, leaves the process healthy: a restart would not
// help, and would lose the metrics.
func (s *Scheduler) Healthy() (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.cur; c != nil && c.abandoned {
		return false, fmt.Errorf("wedged: run %d passed its deadline of %s%s and has not returned %s after being cancelled; no run can start until it does: restart the process",
			c.n, s.o.RunTimeout, while(c.phase), s.now().Sub(c.cancelled).Round(time.Second))
	}
	return true, nil
}

func while(phase string) string {
	if phase == "" {
		return ""
	}
	return " while " + phase
}

// phase asks the job what its run is doing.
func (s *Scheduler) phase() string {
	if p, ok := s.o.Job.(Phaser); ok {
		return p.Phase()
	}
	return ""
}

// Run runs the job at once, then at every tick of the schedule, until ctx
// is cancelled. A tick that comes while a run is going is skipped and
// counted. When ctx is cancelled, no run is started any more, the run in
// flight sees its context cancelled, and Run returns once it has ended,
// or with an *AbandonedError when it has not StopGrace later.
func (s *Scheduler) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	start := func(delay time.Duration) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				s.setRunning(false)
				if s.onIdle != nil {
					s.onIdle()
				}
			}()
			if delay > 0 {
				c, stop := s.newTimer(delay)
				select {
				case <-c:
				case <-ctx.Done():
					stop()
					return
				}
			}
			s.runOnce(ctx)
		}()
	}

	if ctx.Err() != nil {
		return nil // stopped before the first run
	}

	s.setRunning(true)
	start(0)
	next := s.Next(s.now())
	s.o.Logger.Info("scheduler started", "schedule", s.o.Schedule, "mode", string(s.o.Mode), "next_run", next.Format(time.RFC3339))
	if after := s.Next(next); s.o.Jitter > 0 && !after.IsZero() && s.o.Jitter >= after.Sub(next) {
		s.o.Logger.Warn("the jitter is not shorter than the time between runs: some ticks will be skipped", "jitter", s.o.Jitter.String(), "interval", after.Sub(next).String())
	}
	for {
		if next.IsZero() {
			// A schedule that never fires again: wait for the end.
			<-ctx.Done()
			return s.stop(&wg)
		}
		c, stop := s.newTimer(next.Sub(s.now()))
		select {
		case <-ctx.Done():
			stop()
			return s.stop(&wg)
		case <-c:
		}
		now := s.now()
		if !s.trySetRunning() {
			s.o.Metrics.skipped(ResultSkippedOverlap)
			attrs := []any{"result", string(ResultSkippedOverlap)}
			if prev, stuck := s.current(); prev > 0 {
				attrs = append(attrs, "running_run", prev, "past_deadline", stuck)
			}
			s.o.Logger.Warn("run skipped: the previous run is still going", attrs...)
		} else {
			var delay time.Duration
			if s.o.Jitter > 0 {
				delay = s.randJitter(s.o.Jitter)
			}
			start(delay)
		}
		// The next tick after this one; a late wake-up skips what it
		// missed rather than run several times in a row.
		next = s.Next(now)
	}
}

// stop waits for the run in flight (its context is cancelled) at most
// StopGrace; a run already abandoned at its deadline is not waited for.
func (s *Scheduler) stop(wg *sync.WaitGroup) error {
	ended := make(chan struct{})
	go func() {
		wg.Wait()
		close(ended)
	}()
	s.mu.Lock()
	var abandoned *AbandonedError
	if c := s.cur; c != nil && c.abandoned {
		abandoned = &AbandonedError{Run: c.n, Mode: s.o.Mode, Phase: c.phase}
	}
	s.mu.Unlock()
	if abandoned != nil {
		s.o.Logger.Error("stopping: the run in flight was abandoned at its deadline; exiting without it", "error", abandoned.Error())
		return abandoned
	}
	s.o.Logger.Info("stopping: no new run will start; waiting for the run in flight", "running", s.isRunning(), "grace", s.o.StopGrace.String())
	c, stopTimer := s.runTimer(s.o.StopGrace)
	defer stopTimer()
	select {
	case <-ended:
		return nil
	case <-c:
	}
	err := &AbandonedError{Mode: s.o.Mode, Grace: s.o.StopGrace, Phase: s.phase()}
	s.mu.Lock()
	if s.cur != nil {
		err.Run = s.cur.n
	}
	s.mu.Unlock()
	s.o.Logger.Error("stopping: the run in flight did not end within the grace; exiting without it", "error", err.Error())
	return err
}

// current is the number of the run in progress (0: none) and whether it
// has passed its deadline.
func (s *Scheduler) current() (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil {
		return 0, false
	}
	return s.cur.n, !s.cur.cancelled.IsZero()
}

func (s *Scheduler) setRunning(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.running = v
}

func (s *Scheduler) isRunning() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running
}

// trySetRunning marks a run as going unless one is.
func (s *Scheduler) trySetRunning() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return false
	}
	s.running = true
	return true
}

// runOnce runs the job within its deadline, records it and writes its
// summary line.
func (s *Scheduler) runOnce(ctx context.Context) {
	m := s.o.Metrics
	m.inProgress.Set(1)
	calls0 := m.callCount()
	s.mu.Lock()
	s.runs++
	cur := &runState{n: s.runs, started: s.now()}
	cur.id = s.newRunID(cur.started)
	s.cur = cur
	s.mu.Unlock()

	runCtx, cancel := context.WithCancelCause(WithRunID(ctx, cur.id))
	defer cancel(nil)
	done := make(chan *Report, 1)
	go func() { done <- s.o.Job.Run(runCtx) }()

	var deadline, grace <-chan time.Time
	if s.o.RunTimeout > 0 {
		c, stop := s.runTimer(s.o.RunTimeout)
		defer stop()
		deadline = c
	}
	for {
		select {
		case rep := <-done:
			if s.isAbandoned(cur) {
				s.lateReturn(cur, rep)
				return
			}
			s.finish(cur, rep, errors.Is(context.Cause(runCtx), ErrRunDeadline), calls0)
			return
		case <-deadline:
			deadline = nil
			cancel(ErrRunDeadline)
			phase := s.phase()
			s.mu.Lock()
			cur.cancelled, cur.phase = s.now(), phase
			s.mu.Unlock()
			m.stuck.Set(1)
			s.o.Logger.Warn("run deadline passed: the run is cancelled; the calls in flight may finish and be recorded",
				"run", cur.n, "deadline", s.o.RunTimeout.String(), "phase", phase, "grace", s.o.StopGrace.String())
			c, stop := s.runTimer(s.o.StopGrace)
			defer stop()
			grace = c
		case <-grace:
			grace = nil
			s.abandon(cur, calls0)
		}
	}
}

func (s *Scheduler) isAbandoned(cur *runState) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cur.abandoned
}

// finish records a run that returned. A run cancelled at its deadline
// that did not succeed ended because of it: timed_out.
func (s *Scheduler) finish(cur *runState, rep *Report, deadlinePassed bool, calls0 int64) {
	m := s.o.Metrics
	end := s.now()
	d := end.Sub(cur.started)
	if rep == nil {
		rep = &Report{Result: ResultFailed, Err: errors.New("the run reported nothing"), Remaining: -1}
	}
	if rep.Mode == "" {
		rep.Mode = s.o.Mode
	}
	if deadlinePassed && (rep.Result == ResultInterrupted || rep.Result == ResultFailed) {
		rep.Result = ResultTimedOut
		cause := "no error reported"
		if rep.Err != nil {
			cause = rep.Err.Error()
		}
		rep.Err = fmt.Errorf("the run passed its deadline of %s%s and was cancelled: %s", s.o.RunTimeout, while(cur.phase), cause)
	}
	m.record(rep, d, end)
	m.inProgress.Set(0)
	m.stuck.Set(0)

	s.mu.Lock()
	s.cur = nil
	switch rep.Result {
	case ResultSuccess, ResultRefused:
		// A refused plan waits for a person; the service itself is fine.
		s.lastErr = nil
	default:
		s.lastErr = rep.Err
		if s.lastErr == nil {
			s.lastErr = fmt.Errorf("run %s", rep.Result)
		}
	}
	s.mu.Unlock()

	calls := m.callCount() - calls0
	s.o.Logger.LogAttrs(context.Background(), levelOf(rep.Result), "run finished", append(summaryAttrs(cur.n, rep, d, calls), slog.String("run_id", cur.id))...)
	s.observe(RunRecord{N: cur.n, ID: cur.id, Started: cur.started, Ended: end, Calls: calls, Report: rep})
}

// observe tells the observers of a finished run.
func (s *Scheduler) observe(r RunRecord) {
	for _, o := range s.o.Observers {
		o.RunFinished(context.Background(), r)
	}
}

func (s *Scheduler) newRunID(t time.Time) string {
	if s.o.NewRunID != nil {
		return s.o.NewRunID(t)
	}
	return audit.NewRunID(t)
}

// abandon records a run that has not returned StopGrace after its
// deadline as timed_out. It stays the run in progress: no other starts
// while it may still write, and /healthz fails.
func (s *Scheduler) abandon(cur *runState, calls0 int64) {
	m := s.o.Metrics
	end := s.now()
	d := end.Sub(cur.started)
	rep := &Report{Mode: s.o.Mode, Result: ResultTimedOut, Remaining: -1,
		Err: fmt.Errorf("the run passed its deadline of %s%s, was cancelled, and has not returned %s later: it is blocked where cancelling cannot reach (a file that blocks, a lock on a hung mount); no run starts until it returns, and /healthz fails so that the process is restarted",
			s.o.RunTimeout, while(cur.phase), s.o.StopGrace)}
	m.record(rep, d, end)
	s.mu.Lock()
	cur.abandoned = true
	s.lastErr = rep.Err
	s.mu.Unlock()
	calls := m.callCount() - calls0
	attrs := append(summaryAttrs(cur.n, rep, d, calls), slog.String("run_id", cur.id), slog.Bool("abandoned", true))
	s.o.Logger.LogAttrs(context.Background(), slog.LevelError, "run finished", attrs...)
	s.observe(RunRecord{N: cur.n, ID: cur.id, Started: cur.started, Ended: end, Calls: calls, Report: rep, Abandoned: true})
}

// lateReturn notes that an abandoned run returned at last: the scheduler
// can start runs again. The run was counted when it was abandoned; its
// changes are counted now.
func (s *Scheduler) lateReturn(cur *runState, rep *Report) {
	m := s.o.Metrics
	if rep != nil {
		m.recordChanges(rep)
	}
	m.inProgress.Set(0)
	m.stuck.Set(0)
	s.mu.Lock()
	s.cur = nil
	s.mu.Unlock()
	attrs := []any{"run", cur.n, "after_seconds", s.now().Sub(cur.started).Round(time.Millisecond).Seconds()}
	if rep != nil {
		attrs = append(attrs, "result", string(rep.Result))
		if rep.Err != nil {
			attrs = append(attrs, "error", rep.Err.Error())
		}
	}
	s.o.Logger.Warn("the abandoned run returned; runs start again at the next tick", attrs...)
}

func levelOf(r Result) slog.Level {
	switch r {
	case ResultSuccess:
		return slog.LevelInfo
	case ResultRefused, ResultInterrupted, ResultLocked:
		return slog.LevelWarn
	}
	return slog.LevelError
}

// summaryAttrs are the attributes of a run's summary line.
func summaryAttrs(n int, rep *Report, d time.Duration, calls int64) []slog.Attr {
	attrs := []slog.Attr{
		slog.Int("run", n),
		slog.String("mode", string(rep.Mode)),
		slog.String("result", string(rep.Result)),
		slog.Float64("duration_seconds", d.Round(time.Millisecond).Seconds()),
	}
	planned, refusals := -1, 0
	if rep.Plan != nil {
		planned, refusals = len(rep.Plan.Changes), len(rep.Plan.Refusals)
	}
	attrs = append(attrs, slog.Int("changes_planned", planned))
	if rep.Plan != nil && len(rep.Plan.Changes) > 0 {
		attrs = append(attrs, slog.String("planned_by_kind", formatCounts(countByKind(rep.Plan.Changes))))
	}
	applied, failed, skipped := 0, 0, 0
	if rep.Apply != nil {
		applied, failed, skipped = rep.Apply.Applied(), rep.Apply.Failed(), rep.Apply.Skipped()
	}
	attrs = append(attrs,
		slog.Int("changes_applied", applied),
		slog.Int("changes_failed", failed),
		slog.Int("changes_skipped", skipped),
		slog.Int("refusals", refusals),
		slog.Int64("calls", calls),
	)
	if refusals > 0 {
		attrs = append(attrs, slog.Any("refusal_reasons", rep.Plan.RefusalMessages()))
		if rep.Result == ResultRefused {
			attrs = append(attrs, slog.String("hint", "nothing was applied: a plan with refusals is never applied unattended; review it and run 'permsync apply' by hand"))
		}
	}
	if rep.Remaining >= 0 {
		attrs = append(attrs, slog.Int("remaining_after_verify", rep.Remaining))
	}
	if rep.Err != nil {
		attrs = append(attrs, slog.String("error", rep.Err.Error()))
	}
	return attrs
}

// formatCounts writes counts as "kind action=n, ..." in sorted order.
func formatCounts(n map[string]int) string {
	keys := make([]string, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, n[k])
	}
	return strings.Join(parts, ", ")
}

// discardHandler drops every record.
type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (d discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discardHandler) WithGroup(string) slog.Handler           { return d }

var _ slog.Handler = discardHandler{}
