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
	// Logger receives one summary line per run (default: discard).
	Logger *slog.Logger
}

// Scheduler starts runs on a cron schedule, one at a time.
type Scheduler struct {
	o     Options
	sched cron.Schedule

	// now and newTimer are the clock; tests replace them.
	now      func() time.Time
	newTimer func(d time.Duration) (<-chan time.Time, func() bool)
	// randJitter draws a jitter in [0, n).
	randJitter func(n time.Duration) time.Duration
	// onIdle, when set, is called after each run has ended and the
	// scheduler is ready to start another (tests).
	onIdle func()

	mu      sync.Mutex
	running bool
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
	if o.Logger == nil {
		o.Logger = slog.New(discardHandler{})
	}
	return &Scheduler{
		o:     o,
		sched: sched,
		now:   time.Now,
		newTimer: func(d time.Duration) (<-chan time.Time, func() bool) {
			t := time.NewTimer(d)
			return t.C, t.Stop
		},
		randJitter: func(n time.Duration) time.Duration { return time.Duration(rand.Int64N(int64(n))) },
	}, nil
}

// Metrics are the scheduler's metrics.
func (s *Scheduler) Metrics() *Metrics { return s.o.Metrics }

// Next is the time of the first scheduled run after t.
func (s *Scheduler) Next(t time.Time) time.Time { return s.sched.Next(t.In(s.o.Location)) }

// Ready reports whether the last run finished without error (true before
// the first run has ended), and that error otherwise.
func (s *Scheduler) Ready() (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr == nil, s.lastErr
}

// Run runs the job at once, then at every tick of the schedule, until ctx
// is cancelled. A tick that comes while a run is going is skipped and
// counted. When ctx is cancelled, no run is started any more, the run in
// flight sees its context cancelled, and Run returns once it has ended.
func (s *Scheduler) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
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
			return nil
		}
		c, stop := s.newTimer(next.Sub(s.now()))
		select {
		case <-ctx.Done():
			stop()
			s.o.Logger.Info("stopping: no new run will start; waiting for the run in flight", "running", s.isRunning())
			return nil
		case <-c:
		}
		now := s.now()
		if !s.trySetRunning() {
			s.o.Metrics.skipped(ResultSkippedOverlap)
			s.o.Logger.Warn("run skipped: the previous run is still going", "result", string(ResultSkippedOverlap))
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

// runOnce runs the job, records it and writes its summary line.
func (s *Scheduler) runOnce(ctx context.Context) {
	m := s.o.Metrics
	m.inProgress.Set(1)
	calls0 := m.callCount()
	t0 := s.now()
	rep := s.o.Job.Run(ctx)
	end := s.now()
	d := end.Sub(t0)
	if rep == nil {
		rep = &Report{Result: ResultFailed, Err: errors.New("the run reported nothing"), Remaining: -1}
	}
	if rep.Mode == "" {
		rep.Mode = s.o.Mode
	}
	m.record(rep, d, end)
	m.inProgress.Set(0)

	s.mu.Lock()
	s.runs++
	n := s.runs
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

	s.o.Logger.LogAttrs(context.Background(), levelOf(rep.Result), "run finished", summaryAttrs(n, rep, d, m.callCount()-calls0)...)
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
		attrs = append(attrs, slog.Any("refusal_reasons", rep.Plan.Refusals))
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
