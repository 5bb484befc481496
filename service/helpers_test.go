package service

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/permsync/permsync/provider/youdata/apiclient"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// fakeTimer is a timer the test fires by hand.
type fakeTimer struct {
	d time.Duration
	c chan time.Time
}

func (ft fakeTimer) fire() { ft.c <- time.Now() }

// harness runs a Scheduler whose timers are fired by the test: every
// timer the scheduler makes is sent on timers, and runs end on idle.
type harness struct {
	t      *testing.T
	s      *Scheduler
	timers chan fakeTimer
	// runTimers receives the timers of run deadlines and grace periods.
	runTimers chan fakeTimer
	idle      chan struct{}
	logs      *syncBuffer
	cancel    context.CancelFunc
	done      chan error

	stopOnce sync.Once
	err      error
}

// newHarness makes a scheduler on "@every 1h" with fake timers. Run is
// not started yet.
func newHarness(t *testing.T, job Job, edit func(*Options)) *harness {
	t.Helper()
	h := &harness{
		t:         t,
		timers:    make(chan fakeTimer, 16),
		runTimers: make(chan fakeTimer, 16),
		idle:      make(chan struct{}, 16),
		logs:      &syncBuffer{},
	}
	o := Options{
		Schedule: "@every 1h",
		Job:      job,
		Mode:     ModeApply,
		Logger:   slog.New(slog.NewJSONHandler(h.logs, nil)),
	}
	if edit != nil {
		edit(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	s.newTimer = func(d time.Duration) (<-chan time.Time, func() bool) {
		ft := fakeTimer{d: d, c: make(chan time.Time, 1)}
		h.timers <- ft
		return ft.c, func() bool { return true }
	}
	s.runTimer = func(d time.Duration) (<-chan time.Time, func() bool) {
		ft := fakeTimer{d: d, c: make(chan time.Time, 1)}
		h.runTimers <- ft
		return ft.c, func() bool { return true }
	}
	s.onIdle = func() { h.idle <- struct{}{} }
	h.s = s
	return h
}

// start runs the scheduler until stop.
func (h *harness) start() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.done = make(chan error, 1)
	go func() { h.done <- h.s.Run(ctx) }()
	h.t.Cleanup(func() { h.stop() })
}

// scheduleTimer waits for the scheduler's next tick timer.
func (h *harness) scheduleTimer() fakeTimer {
	h.t.Helper()
	ft := <-h.timers
	if ft.d < 30*time.Minute {
		h.t.Fatalf("expected the tick timer of @every 1h, got a timer of %s", ft.d)
	}
	return ft
}

// tick fires the pending tick timer and returns once the scheduler has
// handled the tick (it made the timer of the next one).
func (h *harness) tick() {
	h.t.Helper()
	h.scheduleTimer().fire()
	// The scheduler makes the next tick's timer once it has dealt with
	// this one; put it back for the next tick().
	next := h.scheduleTimer()
	h.timers <- next
}

// waitIdle waits until a run has ended.
func (h *harness) waitIdle() {
	h.t.Helper()
	<-h.idle
}

// runTimer waits for the scheduler's next deadline or grace timer, which
// must last d.
func (h *harness) runTimer(d time.Duration) fakeTimer {
	h.t.Helper()
	ft := <-h.runTimers
	if ft.d != d {
		h.t.Fatalf("expected a run timer of %s, got %s", d, ft.d)
	}
	return ft
}

// stop cancels the scheduler's context and returns Run's error.
func (h *harness) stop() error {
	h.cancel()
	h.stopOnce.Do(func() { h.err = <-h.done })
	return h.err
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// get makes a GET request to h and returns the status and body.
func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(body)
}

// scrape reads /metrics through h and parses it with the Prometheus text
// parser.
func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := get(t, h, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: HTTP %d: %s", code, body)
	}
	var p expfmt.TextParser
	mfs, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parsing /metrics: %v\n%s", err, body)
	}
	return mfs
}

// value is the value of the sample of family name whose labels include
// labels (name=value pairs); ok is false when there is none.
func value(mfs map[string]*dto.MetricFamily, name string, labels ...string) (v float64, ok bool) {
	mf := mfs[name]
	if mf == nil {
		return 0, false
	}
next:
	for _, m := range mf.GetMetric() {
		have := map[string]string{}
		for _, lp := range m.GetLabel() {
			have[lp.GetName()] = lp.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// mustValue is value, failing the test when the sample is missing.
func mustValue(t *testing.T, mfs map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	v, ok := value(mfs, name, labels...)
	if !ok {
		t.Fatalf("no sample %s%v in /metrics", name, labels)
	}
	return v
}

func callInfo(endpoint, result string) apiclient.CallInfo {
	return apiclient.CallInfo{Endpoint: endpoint, Method: http.MethodGet, Result: result, Attempt: 1}
}
