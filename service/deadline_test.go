package service

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

const (
	testRunTimeout = 10 * time.Minute
	testStopGrace  = time.Minute
)

// phasedJob is a job whose runs say what they do, and either end when
// their context is cancelled (as the Reconciler does) or ignore it and
// block until released (a read of a FIFO, a lock on a hung mount).
type phasedJob struct {
	phase      string
	obeyCancel bool
	started    chan int
	release    chan *Report
	mu         sync.Mutex
	runs       int
	causes     []error
}

func newPhasedJob(phase string, obeyCancel bool) *phasedJob {
	return &phasedJob{phase: phase, obeyCancel: obeyCancel, started: make(chan int, 16), release: make(chan *Report)}
}

func (j *phasedJob) Phase() string { return j.phase }

func (j *phasedJob) Run(ctx context.Context) *Report {
	j.mu.Lock()
	j.runs++
	n := j.runs
	j.mu.Unlock()
	j.started <- n
	if !j.obeyCancel {
		return <-j.release
	}
	select {
	case rep := <-j.release:
		return rep
	case <-ctx.Done():
		j.mu.Lock()
		j.causes = append(j.causes, context.Cause(ctx))
		j.mu.Unlock()
		return &Report{Mode: ModeApply, Result: ResultInterrupted, Err: errors.New("interrupted while reading the server: " + context.Cause(ctx).Error()), Remaining: -1}
	}
}

func deadlineOptions(o *Options) {
	o.RunTimeout = testRunTimeout
	o.StopGrace = testStopGrace
}

// eventually waits until cond holds; a drill that goes wrong fails at the
// bound instead of hanging. It asserts no timing.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(30 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("never: %s", what)
		}
	}
}

// summaryLines are the "run finished" records of the logs.
func summaryLines(t *testing.T, logs string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		if m["msg"] == "run finished" {
			out = append(out, m)
		}
	}
	return out
}

// TestRunDeadlineCancelsTheRun: at its deadline a run's context is
// cancelled with ErrRunDeadline; the run that then returns is reported
// timed_out (summary line, metric, /readyz), and the next tick runs.
func TestRunDeadlineCancelsTheRun(t *testing.T) {
	job := newPhasedJob(PhasePlan, true)
	h := newHarness(t, job, deadlineOptions)
	handler := h.s.Handler()
	h.start()
	<-job.started
	deadline := h.runTimer(testRunTimeout)
	if code, body := get(t, handler, "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz before the deadline: %d %s", code, body)
	}
	deadline.fire()
	h.waitIdle()

	if len(job.causes) != 1 || !errors.Is(job.causes[0], ErrRunDeadline) {
		t.Errorf("the run's context was cancelled with %v, want ErrRunDeadline", job.causes)
	}
	lines := summaryLines(t, h.logs.String())
	if len(lines) != 1 || lines[0]["result"] != "timed_out" || lines[0]["level"] != "ERROR" ||
		!strings.Contains(lines[0]["error"].(string), "deadline of 10m0s while reading the server and planning") {
		t.Errorf("summary lines %v, want one, timed_out, naming the deadline and the phase", lines)
	}
	if !strings.Contains(h.logs.String(), `"msg":"run deadline passed`) {
		t.Errorf("no log line at the deadline:\n%s", h.logs)
	}
	mfs := scrape(t, handler)
	if got := mustValue(t, mfs, MetricRuns, "result", "timed_out"); got != 1 {
		t.Errorf("runs{timed_out} = %v, want 1", got)
	}
	for _, name := range []string{MetricRunStuck, MetricRunInProgress} {
		if got := mustValue(t, mfs, name); got != 0 {
			t.Errorf("%s = %v after the run returned, want 0", name, got)
		}
	}
	if code, body := get(t, handler, "/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "deadline") {
		t.Errorf("/readyz after a timed-out run: %d %q", code, body)
	}
	if code, body := get(t, handler, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz after a run that returned: %d %q (restarting would not help)", code, body)
	}

	// The service goes on.
	h.tick()
	<-job.started
	h.runTimer(testStopGrace) // the grace timer of run 1, never fired
	h.runTimer(testRunTimeout)
	job.release <- success()
	h.waitIdle()
	if code, body := get(t, handler, "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz after a good run: %d %s", code, body)
	}
	if err := h.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// TestRunStuckPastDeadline: a run that ignores its cancellation makes
// /readyz fail from its deadline on, and /healthz fail once it has not
// returned within the grace (it is then recorded timed_out, abandoned).
// No run overlaps it; when it returns at last, the service runs again.
func TestRunStuckPastDeadline(t *testing.T) {
	job := newPhasedJob(PhaseLoadFiles, false)
	h := newHarness(t, job, deadlineOptions)
	handler := h.s.Handler()
	h.start()
	<-job.started
	h.runTimer(testRunTimeout).fire()
	grace := h.runTimer(testStopGrace) // made once the deadline was handled

	code, body := get(t, handler, "/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "passed its deadline") || !strings.Contains(body, "loading the files") {
		t.Errorf("/readyz while stuck past the deadline: %d %q", code, body)
	}
	if code, body := get(t, handler, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz within the grace: %d %q", code, body)
	}
	if got := mustValue(t, scrape(t, handler), MetricRunStuck); got != 1 {
		t.Errorf("%s = %v while stuck, want 1", MetricRunStuck, got)
	}
	h.tick()

	grace.fire()
	eventually(t, "the run is abandoned", func() bool { ok, _ := h.s.Healthy(); return !ok })
	code, body = get(t, handler, "/healthz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "wedged") || !strings.Contains(body, "loading the files") {
		t.Errorf("/healthz of a wedged run: %d %q", code, body)
	}
	if code, _ := get(t, handler, "/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz of a wedged run: %d", code)
	}
	lines := summaryLines(t, h.logs.String())
	if len(lines) != 1 || lines[0]["result"] != "timed_out" || lines[0]["abandoned"] != true {
		t.Errorf("summary lines %v, want one, timed_out, abandoned", lines)
	}
	h.tick()
	mfs := scrape(t, handler)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{MetricRuns, []string{"result", "timed_out"}, 1},
		{MetricRuns, []string{"result", "skipped_overlap"}, 2},
		{MetricRunInProgress, nil, 1},
		{MetricRunStuck, nil, 1},
	} {
		if got := mustValue(t, mfs, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}

	// The blocked read returns at last: the service is healthy again, and
	// ready after a run that succeeds.
	job.release <- &Report{Mode: ModeApply, Result: ResultSuccess, Remaining: -1,
		Plan: &plan.Plan{Changes: []plan.Change{{Action: plan.Create, Kind: youdata.KindUser, Key: "late"}}}}
	h.waitIdle()
	if ok, err := h.s.Healthy(); !ok {
		t.Errorf("not healthy after the run returned: %v", err)
	}
	if !strings.Contains(h.logs.String(), "the abandoned run returned") {
		t.Errorf("no log line for the late return:\n%s", h.logs)
	}
	mfs = scrape(t, handler)
	if got := mustValue(t, mfs, MetricRuns, "result", "success"); got != 0 {
		t.Errorf("runs{success} = %v: the abandoned run was counted twice", got)
	}
	if got := mustValue(t, mfs, MetricPlanned, "kind", "user", "action", "create"); got != 1 {
		t.Errorf("the late run's planned changes are not counted: %v", got)
	}
	h.tick()
	<-job.started
	h.runTimer(testRunTimeout)
	job.release <- success()
	h.waitIdle()
	if code, body := get(t, handler, "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz after a good run: %d %s", code, body)
	}
	if err := h.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// TestStopAbandonsARunThatDoesNotEnd: a stop gives the run in flight the
// grace, then Run returns an *AbandonedError saying what it was doing;
// without waiting again when the run was already abandoned at its
// deadline.
func TestStopAbandonsARunThatDoesNotEnd(t *testing.T) {
	t.Run("within the grace", func(t *testing.T) {
		job := newPhasedJob(PhaseApply, false)
		h := newHarness(t, job, func(o *Options) { o.StopGrace = testStopGrace })
		h.start()
		<-job.started
		h.cancel()
		grace := h.runTimer(testStopGrace)
		select {
		case err := <-h.done:
			t.Fatalf("Run returned (%v) before the grace passed", err)
		default:
		}
		grace.fire()
		err := h.stop()
		var ae *AbandonedError
		if !errors.As(err, &ae) || ae.Run != 1 || ae.Phase != PhaseApply || ae.Grace != testStopGrace {
			t.Fatalf("Run: %v (%+v), want an AbandonedError of run 1 while applying", err, ae)
		}
		if msg := err.Error(); !strings.Contains(msg, "while applying") || !strings.Contains(msg, "lock") {
			t.Errorf("the error does not say what was abandoned: %s", msg)
		}
		close(job.release)
	})
	t.Run("already abandoned", func(t *testing.T) {
		job := newPhasedJob(PhaseLock, false)
		h := newHarness(t, job, deadlineOptions)
		h.start()
		<-job.started
		h.runTimer(testRunTimeout).fire()
		h.runTimer(testStopGrace).fire()
		eventually(t, "the run is abandoned", func() bool { ok, _ := h.s.Healthy(); return !ok })
		err := h.stop() // no timer is fired: Run must not wait
		var ae *AbandonedError
		if !errors.As(err, &ae) || ae.Phase != PhaseLock {
			t.Fatalf("Run: %v, want an AbandonedError while taking the lock", err)
		}
		close(job.release)
	})
}

// TestReconcilerDoesNotWaitForABlockedFileRead: a read of the files that
// never returns (a FIFO, a hung mount) does not hold the run past its
// context: the run returns, nothing is locked or read from the server,
// and later runs fail at once, without a second read, until it returns.
func TestReconcilerDoesNotWaitForABlockedFileRead(t *testing.T) {
	e := newSimEnv(t, []string{quickstartDesired}, nil)
	unblock := make(chan struct{})
	var mu sync.Mutex
	reads := 0
	e.rec.loadFiles = func(paths []string) (*spec.Desired, error) {
		mu.Lock()
		reads++
		mu.Unlock()
		<-unblock
		return spec.Load(paths)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan *Report, 1)
	go func() { done <- e.rec.Run(ctx) }()
	eventually(t, "the read starts", func() bool { mu.Lock(); defer mu.Unlock(); return reads == 1 })
	if p := e.rec.Phase(); p != PhaseLoadFiles {
		t.Errorf("phase %q, want %q", p, PhaseLoadFiles)
	}
	cancel(ErrRunDeadline)
	rep := <-done
	if rep.Result != ResultInterrupted || !strings.Contains(rep.Err.Error(), "loading the files") || !errors.Is(rep.Err, ErrRunDeadline) {
		t.Fatalf("run: %s: %v", rep.Result, rep.Err)
	}
	if e.sim.TotalCalls() != 0 {
		t.Errorf("%d calls to the server after a read that did not return", e.sim.TotalCalls())
	}

	rep = e.rec.Run(context.Background())
	if rep.Result != ResultFailed || !strings.Contains(rep.Err.Error(), "has not returned") {
		t.Fatalf("run while the read blocks: %s: %v", rep.Result, rep.Err)
	}
	mu.Lock()
	if reads != 1 {
		t.Errorf("%d reads started: a blocked read was started again", reads)
	}
	mu.Unlock()

	close(unblock)
	eventually(t, "the blocked read is forgotten", func() bool {
		e.rec.mu.Lock()
		defer e.rec.mu.Unlock()
		return len(e.rec.blocked) == 0
	})
	if rep := e.rec.Run(context.Background()); rep.Result != ResultSuccess {
		t.Fatalf("run after the read returned: %s: %v", rep.Result, rep.Err)
	}
}

// TestReconcilerDoesNotWaitForABlockedStateRead: the same for the state,
// read under the lock: the lock is released.
func TestReconcilerDoesNotWaitForABlockedStateRead(t *testing.T) {
	e := newSimEnv(t, []string{quickstartDesired}, nil)
	unblock := make(chan struct{})
	defer close(unblock)
	started := make(chan struct{}, 1)
	e.rec.loadStateFile = func() (*state.State, error) {
		started <- struct{}{}
		<-unblock
		return e.rec.loadState()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *Report, 1)
	go func() { done <- e.rec.Run(ctx) }()
	<-started
	cancel()
	rep := <-done
	if rep.Result != ResultInterrupted || !strings.Contains(rep.Err.Error(), "reading the state") {
		t.Fatalf("run: %s: %v", rep.Result, rep.Err)
	}
	if _, err := os.Stat(state.LockPath(e.statePath)); err == nil {
		t.Errorf("the lock is left after the run returned")
	}
}
