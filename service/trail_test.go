package service

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/notify"
	"github.com/permsync/permsync/plan"
)

// The runs of the trail tests: drift repaired, nothing to do, a refused
// plan, a failed run.
func trailRuns() []*Report {
	drift := &plan.Plan{Changes: []plan.Change{{Action: plan.Create, Kind: "user", Key: "a"}}}
	return []*Report{
		{Mode: ModeApply, Result: ResultSuccess, Plan: drift, Remaining: 0,
			Apply: &engine.Result{Changes: []engine.ChangeResult{{Change: drift.Changes[0], Status: engine.StatusApplied}}, Calls: map[string]int{"user/batchImport": 1}}},
		{Mode: ModeApply, Result: ResultSuccess, Plan: &plan.Plan{Changes: []plan.Change{}}, Remaining: -1},
		{Mode: ModeApply, Result: ResultRefused, Remaining: -1, Plan: &plan.Plan{
			Changes:  []plan.Change{{Action: plan.Delete, Kind: "user", Key: "b"}},
			Refusals: refusals("1 user deletion exceeds the limit of 0")}},
		{Mode: ModeApply, Result: ResultFailed, Remaining: -1, Err: errors.New("reading the server (nothing was changed): HTTP 502")},
	}
}

// runAll runs the reports through a scheduler with opts edited, one run
// per report.
func runAll(t *testing.T, reps []*Report, edit func(*Options)) {
	t.Helper()
	job := newCountingJob()
	h := newHarness(t, job, edit)
	h.start()
	for i, rep := range reps {
		if i > 0 {
			h.tick()
		}
		<-job.started
		job.next <- rep
		h.waitIdle()
	}
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
}

// A webhook receives one notification per drift, refusal and failure,
// in order, and none for a run that found nothing to change.
func TestNotifierOnePerDriftRefusalFailure(t *testing.T) {
	var mu sync.Mutex
	var got []notify.Event
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var e notify.Event
		if err := json.Unmarshal(b, &e); err != nil {
			t.Errorf("body %s: %v", b, err)
		}
		mu.Lock()
		got = append(got, e)
		mu.Unlock()
	}))
	defer srv.Close()
	n := &Notifier{Sender: &notify.Webhook{URL: srv.URL, Format: notify.Generic}, Server: "https://bi.example.com"}
	runAll(t, trailRuns(), func(o *Options) { o.Observers = []Observer{n} })

	mu.Lock()
	defer mu.Unlock()
	var kinds []notify.Kind
	for _, e := range got {
		kinds = append(kinds, e.Kind)
		if e.RunID == "" || e.Server != "https://bi.example.com" {
			t.Errorf("event %+v: no run id or server", e)
		}
	}
	want := []notify.Kind{notify.Drift, notify.Refusal, notify.Failure}
	if len(kinds) != len(want) || kinds[0] != want[0] || kinds[1] != want[1] || kinds[2] != want[2] {
		t.Fatalf("notifications %v, want %v", kinds, want)
	}
	if got[0].Applied != 1 || got[0].Planned["user create"] != 1 {
		t.Errorf("drift: %+v", got[0])
	}
	if len(got[1].Refusals) != 1 {
		t.Errorf("refusal: %+v", got[1])
	}
	if got[2].Error == "" || got[2].Result != "failed" {
		t.Errorf("failure: %+v", got[2])
	}
}

type recordingSender struct {
	mu     sync.Mutex
	events []notify.Event
	fail   int
}

func (s *recordingSender) Notify(_ context.Context, e notify.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, e)
	if s.fail > 0 {
		s.fail--
		return errors.New("HTTP 503 from the webhook")
	}
	return nil
}

// --notify-on narrows the kinds; a failed post is tried again.
func TestNotifierOnAndRetries(t *testing.T) {
	s := &recordingSender{fail: 1}
	n := &Notifier{Sender: s, On: []notify.Kind{notify.Failure}, Backoff: time.Millisecond}
	for i, rep := range trailRuns() {
		n.RunFinished(context.Background(), RunRecord{N: i + 1, ID: "r", Report: rep})
	}
	if len(s.events) != 2 || s.events[0].Kind != notify.Failure || s.events[1].Kind != notify.Failure {
		t.Errorf("sent %+v, want the failure twice (one retry)", s.events)
	}
}

// --runs-dir keeps each run's plan and result, the newest --keep-runs.
func TestRunKeeper(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	ids := []string{"20261203T100000Z-000001", "20261203T110000Z-000002", "20261203T120000Z-000003", "20261203T130000Z-000004"}
	next := 0
	k := &RunKeeper{Dir: dir, Keep: 2}
	runAll(t, trailRuns(), func(o *Options) {
		o.Observers = []Observer{k}
		o.NewRunID = func(time.Time) string { next++; return ids[next-1] }
	})
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	if want := []string{ids[2], ids[3], "notes.txt"}; len(names) != 3 || names[0] != want[0] || names[1] != want[1] || names[2] != want[2] {
		t.Fatalf("kept %v, want %v", names, want)
	}
	var res RunResult
	b, err := os.ReadFile(filepath.Join(dir, ids[2], "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if res.RunID != ids[2] || res.Result != ResultRefused || res.Planned != 1 || len(res.Refusals) != 1 {
		t.Errorf("result.json %+v", res)
	}
	var p struct {
		Applicable bool `json:"applicable"`
	}
	b, err = os.ReadFile(filepath.Join(dir, ids[2], "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &p); err != nil || p.Applicable {
		t.Errorf("plan.json: %v, applicable %v", err, p.Applicable)
	}
	// The failed run read nothing: no plan, a result with its error.
	if _, err := os.Stat(filepath.Join(dir, ids[3], "plan.json")); !os.IsNotExist(err) {
		t.Errorf("a run without a plan kept a plan.json: %v", err)
	}
}
