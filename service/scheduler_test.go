package service

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata"
)

// countingJob counts its runs and the most that were in flight at once;
// each run takes its report from next (blocking until one is given).
type countingJob struct {
	started  chan int
	next     chan *Report
	runs     atomic.Int32
	inFlight atomic.Int32
	maxMu    sync.Mutex
	max      int32
}

func newCountingJob() *countingJob {
	return &countingJob{started: make(chan int, 16), next: make(chan *Report)}
}

func (j *countingJob) Run(ctx context.Context) *Report {
	n := j.inFlight.Add(1)
	defer j.inFlight.Add(-1)
	j.maxMu.Lock()
	j.max = max(j.max, n)
	j.maxMu.Unlock()
	j.started <- int(j.runs.Add(1))
	select {
	case rep := <-j.next:
		return rep
	case <-ctx.Done():
		return &Report{Mode: ModeApply, Result: ResultInterrupted, Err: ctx.Err(), Remaining: -1}
	}
}

func success() *Report { return &Report{Mode: ModeApply, Result: ResultSuccess, Remaining: -1} }

func TestFirstRunAtStartUpThenOnTicks(t *testing.T) {
	job := newCountingJob()
	h := newHarness(t, job, nil)
	h.start()

	// No tick fired yet: the first run is the start-up one.
	if n := <-job.started; n != 1 {
		t.Fatalf("first run is run %d", n)
	}
	job.next <- success()
	h.waitIdle()

	for want := 2; want <= 3; want++ {
		h.tick()
		if n := <-job.started; n != want {
			t.Fatalf("run after tick %d is run %d", want-1, n)
		}
		job.next <- success()
		h.waitIdle()
	}
	if err := h.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	mfs := scrape(t, h.s.Handler())
	if got := mustValue(t, mfs, MetricRuns, "result", "success"); got != 3 {
		t.Errorf("runs{success} = %v, want 3", got)
	}
	if got := mustValue(t, mfs, MetricRunDuration); got != 3 {
		t.Errorf("run duration samples = %v, want 3", got)
	}
	if got := mustValue(t, mfs, MetricRuns, "result", "skipped_overlap"); got != 0 {
		t.Errorf("runs{skipped_overlap} = %v, want 0", got)
	}
}

func TestRunsNeverOverlap(t *testing.T) {
	job := newCountingJob()
	h := newHarness(t, job, nil)
	h.start()
	<-job.started // run 1 blocks until it is given a report

	for i := 0; i < 3; i++ {
		h.tick()
	}
	mfs := scrape(t, h.s.Handler())
	if got := mustValue(t, mfs, MetricRuns, "result", "skipped_overlap"); got != 3 {
		t.Errorf("runs{skipped_overlap} = %v, want 3", got)
	}
	if got := mustValue(t, mfs, MetricRunInProgress); got != 1 {
		t.Errorf("run_in_progress = %v, want 1", got)
	}
	if n := job.runs.Load(); n != 1 {
		t.Fatalf("%d runs started while the first was going", n-1)
	}
	job.next <- success()
	h.waitIdle()

	// The next tick starts a run again.
	h.tick()
	if n := <-job.started; n != 2 {
		t.Fatalf("run after the overlap is run %d", n)
	}
	job.next <- success()
	h.waitIdle()
	if err := h.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if job.max != 1 {
		t.Errorf("%d runs were in flight at once", job.max)
	}
	if !strings.Contains(h.logs.String(), `"result":"skipped_overlap"`) {
		t.Errorf("no log line for the skipped tick:\n%s", h.logs)
	}
}

func TestFailedRunKeepsServiceGoingAndReadiness(t *testing.T) {
	job := newCountingJob()
	h := newHarness(t, job, nil)
	handler := h.s.Handler()
	h.start()

	<-job.started
	// No run has ended yet: ready.
	if code, body := get(t, handler, "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz before the first run ended: %d %s", code, body)
	}
	job.next <- &Report{Mode: ModeApply, Result: ResultFailed, Err: errors.New("loading the files (nothing was changed): people.yaml:3: unknown field"), Remaining: -1}
	h.waitIdle()

	code, body := get(t, handler, "/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "people.yaml:3") {
		t.Errorf("/readyz after a failed run: %d %q, want 503 with the error", code, body)
	}
	if code, _ := get(t, handler, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz after a failed run: %d, want 200", code)
	}

	// The service goes on: the next tick runs again, and a good run makes
	// it ready.
	h.tick()
	<-job.started
	job.next <- success()
	h.waitIdle()
	if code, body := get(t, handler, "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz after a good run: %d %s", code, body)
	}

	mfs := scrape(t, handler)
	if got := mustValue(t, mfs, MetricRuns, "result", "failed"); got != 1 {
		t.Errorf("runs{failed} = %v, want 1", got)
	}
	if got := mustValue(t, mfs, MetricRuns, "result", "success"); got != 1 {
		t.Errorf("runs{success} = %v, want 1", got)
	}
	if got := mustValue(t, mfs, MetricLastSuccess); got <= 0 {
		t.Errorf("last success = %v, want a time", got)
	}
	if err := h.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func TestRefusedRunIsCountedAndStaysReady(t *testing.T) {
	job := newCountingJob()
	h := newHarness(t, job, nil)
	h.start()
	<-job.started
	pl := &plan.Plan{
		Changes:  []plan.Change{{Action: plan.Delete, Kind: youdata.KindUser, Key: "a"}, {Action: plan.Delete, Kind: youdata.KindUser, Key: "b"}},
		Refusals: refusals("2 deletions exceed settings.maxDeletes (1)"),
	}
	job.next <- &Report{Mode: ModeApply, Result: ResultRefused, Plan: pl, Remaining: -1}
	h.waitIdle()
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	mfs := scrape(t, h.s.Handler())
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{MetricRuns, []string{"result", "refused"}, 1},
		{MetricRefusals, nil, 1},
		{MetricDrift, nil, 2},
		{MetricPlanned, []string{"kind", "user", "action", "delete"}, 2},
		{MetricLastSuccess, nil, 0},
	} {
		if got := mustValue(t, mfs, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if ready, err := h.s.Ready(); !ready {
		t.Errorf("not ready after a refused run: %v", err)
	}
}

// TestStopWaitsForTheRunInFlight: cancelling stops the scheduling, the run
// in flight sees its context cancelled, and Run returns only after it.
func TestStopWaitsForTheRunInFlight(t *testing.T) {
	var ended atomic.Bool
	started := make(chan struct{})
	release := make(chan struct{})
	var sawCancel atomic.Bool
	job := JobFunc(func(ctx context.Context) *Report {
		close(started)
		<-ctx.Done()
		sawCancel.Store(true)
		<-release // the calls in flight finish and the state is recorded
		ended.Store(true)
		return &Report{Mode: ModeApply, Result: ResultInterrupted, Err: ctx.Err(), Remaining: -1}
	})
	h := newHarness(t, job, nil)
	h.start()
	<-started
	h.cancel()
	select {
	case err := <-h.done:
		h.done <- err // for stop
		t.Fatalf("Run returned (%v) while the run was in flight", err)
	default:
	}
	close(release)
	if err := h.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !sawCancel.Load() || !ended.Load() {
		t.Errorf("Run returned before the run ended (saw cancel %v, ended %v)", sawCancel.Load(), ended.Load())
	}
	mfs := scrape(t, h.s.Handler())
	if got := mustValue(t, mfs, MetricRuns, "result", "interrupted"); got != 1 {
		t.Errorf("runs{interrupted} = %v, want 1", got)
	}
}

func TestJitterDelaysScheduledRunsOnly(t *testing.T) {
	job := newCountingJob()
	h := newHarness(t, job, func(o *Options) { o.Jitter = 10 * time.Second })
	h.s.randJitter = func(n time.Duration) time.Duration {
		if n != 10*time.Second {
			t.Errorf("jitter drawn in [0, %s), want [0, 10s)", n)
		}
		return 7 * time.Second
	}
	h.start()
	<-job.started // the start-up run is not delayed
	job.next <- success()
	h.waitIdle()

	h.scheduleTimer().fire()
	// The scheduler now makes two timers: the run's jitter and the next
	// tick, in either order.
	var jitter *fakeTimer
	for i := 0; i < 2; i++ {
		ft := <-h.timers
		if ft.d < 30*time.Minute {
			jitter = &ft
		}
	}
	if jitter == nil || jitter.d != 7*time.Second {
		t.Fatalf("no jitter timer of 7s (got %+v)", jitter)
	}
	select {
	case n := <-job.started:
		t.Fatalf("run %d started before its jitter elapsed", n)
	default:
	}
	jitter.fire()
	if n := <-job.started; n != 2 {
		t.Fatalf("run after the jitter is run %d", n)
	}
	job.next <- success()
	h.waitIdle()
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
}

func TestSummaryLine(t *testing.T) {
	job := newCountingJob()
	h := newHarness(t, job, nil)
	h.start()
	<-job.started
	h.s.Metrics().ObserveCall(callInfo("user/getAllUsers", "ok"))
	h.s.Metrics().ObserveCall(callInfo("role/importDataPermissions", "api_error"))
	pl := &plan.Plan{Changes: []plan.Change{
		{Action: plan.Update, Kind: youdata.KindRole, Key: "p//r"},
		{Action: plan.Create, Kind: youdata.KindGroup, Key: "p/g"},
	}}
	res := &engine.Result{Changes: []engine.ChangeResult{
		{Change: pl.Changes[0], Status: engine.StatusApplied},
		{Change: pl.Changes[1], Status: engine.StatusFailed, Err: errors.New("code 500")},
	}}
	job.next <- &Report{Mode: ModeApply, Result: ResultFailed, Err: errors.New("1 change(s) failed"), Plan: pl, Apply: res, Remaining: -1}
	h.waitIdle()
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(h.logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		if m["msg"] == "run finished" {
			if line != nil {
				t.Fatalf("two summary lines for one run:\n%s", h.logs)
			}
			line = m
		}
	}
	if line == nil {
		t.Fatalf("no summary line:\n%s", h.logs)
	}
	want := map[string]any{
		"level": "ERROR", "run": 1.0, "mode": "apply", "result": "failed",
		"changes_planned": 2.0, "changes_applied": 1.0, "changes_failed": 1.0, "changes_skipped": 0.0,
		"refusals": 0.0, "calls": 2.0, "error": "1 change(s) failed",
		"planned_by_kind": "group create=1, role update=1",
	}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("summary %s = %v, want %v", k, line[k], v)
		}
	}
	if _, ok := line["duration_seconds"].(float64); !ok {
		t.Errorf("summary has no duration: %v", line)
	}

	mfs := scrape(t, h.s.Handler())
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{MetricApplied, []string{"kind", "role", "action", "update"}, 1},
		{MetricFailed, []string{"kind", "group", "action", "create"}, 1},
		{MetricPlanned, []string{"kind", "group", "action", "create"}, 1},
		{MetricAPICalls, []string{"endpoint", "user/getAllUsers", "result", "ok"}, 1},
		{MetricAPICalls, []string{"endpoint", "role/importDataPermissions", "result", "api_error"}, 1},
		{MetricDrift, nil, 2},
	} {
		if got := mustValue(t, mfs, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if _, ok := value(mfs, MetricApplied, "kind", "group", "action", "create"); ok {
		t.Errorf("a failed change is counted as applied")
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	job := newCountingJob()
	for name, o := range map[string]Options{
		"no job":       {Schedule: "@every 1m"},
		"bad schedule": {Schedule: "*/15 * * *", Job: job},
		"bad zone":     {Schedule: "CRON_TZ=Nowhere/Town 0 * * * *", Job: job},
		"jitter":       {Schedule: "@every 1m", Job: job, Jitter: -time.Second},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestScheduleZones(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Skipf("no time zone database: %v", err)
	}
	job := newCountingJob()
	at := time.Date(2025, 7, 24, 0, 30, 0, 0, time.UTC) // 08:30 in Shanghai
	for _, c := range []struct {
		schedule string
		loc      *time.Location
		want     time.Time
	}{
		{"0 9 * * *", shanghai, time.Date(2025, 7, 24, 1, 0, 0, 0, time.UTC)},
		{"0 9 * * *", time.UTC, time.Date(2025, 7, 24, 9, 0, 0, 0, time.UTC)},
		{"CRON_TZ=Asia/Shanghai 0 9 * * *", time.UTC, time.Date(2025, 7, 24, 1, 0, 0, 0, time.UTC)},
		{"@every 10m", shanghai, at.Add(10 * time.Minute)},
	} {
		s, err := New(Options{Schedule: c.schedule, Location: c.loc, Job: job})
		if err != nil {
			t.Fatalf("%s: %v", c.schedule, err)
		}
		if got := s.Next(at); !got.Equal(c.want) {
			t.Errorf("%s in %s: next after %s = %s, want %s", c.schedule, c.loc, at, got.UTC(), c.want)
		}
	}
}

// refusals makes refusals of the messages, of no kind in particular.
func refusals(msgs ...string) []plan.Refusal {
	out := make([]plan.Refusal, len(msgs))
	for i, m := range msgs {
		out[i] = plan.Refusal{Kind: plan.RefuseOther, Message: m}
	}
	return out
}
