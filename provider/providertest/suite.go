// Package providertest is the conformance suite every provider runs
// against its own simulator: what the engine relies on of a provider,
// checked the same way for each.
//
//   - An apply of a plan makes the server match the files: the next plan
//     is empty, and planning again writes nothing.
//   - A failed read, or a short one (a page that ends before the total the
//     server reports), aborts the plan: no plan, so no deletion.
//   - A read of a server whose paging never ends ends with an error.
//   - The provider classifies "not found" and "already exists" as such.
//   - An apply killed after any of its writes, resumed from the state it
//     had saved, converges: the next plan is empty and the server is the
//     one a kill-free apply leaves, write-only facets included.
//   - A verify that reads again only what the apply wrote finds nothing
//     left, and so do a plan that refreshes only what changed and a full
//     plan after it, with the state saved and loaded again in between
//     (a provider that cannot narrow its reads reads in full).
package providertest

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// ReadFault is a way a read of the server fails.
type ReadFault int

// Read faults.
const (
	// ReadError: the server answers every read with an error.
	ReadError ReadFault = iota + 1
	// ReadShort: a paged read ends before the total the server reports.
	ReadShort
	// ReadEndless: a paged read never ends, every page bringing new
	// objects.
	ReadEndless
)

// Fixture is a fresh simulated server of one provider, and files that
// differ from it.
type Fixture struct {
	// Provider talks to the simulator. Its reads are bounded so that an
	// endless read ends within a test's time.
	Provider provider.Provider
	// Desired are the files: they create, update and delete objects of
	// several kinds, write-only facets included.
	Desired *spec.Desired
	// TokenUser is the user behind the simulator's credentials.
	TokenUser string
	// Snapshot is the server's whole state, write-only facets included,
	// comparable with cmp.Diff.
	Snapshot func() any
	// FailReads makes the reads fail as f says until ClearFaults.
	FailReads func(f ReadFault)
	// CrashAfter makes the server handle the first n writes from now on,
	// then call crash and refuse every later request, as when the process
	// that sends them is killed; 0 turns it off.
	CrashAfter func(n int, crash func())
	// Writes counts the write calls the server handled.
	Writes func() int
	// ClearFaults ends FailReads and CrashAfter.
	ClearFaults func()
	// Missing makes a call that the server answers "not found"; Taken one
	// that it answers "already exists". Each returns that error.
	Missing func(ctx context.Context) error
	Taken   func(ctx context.Context) error
}

// Harness makes fixtures of one provider.
type Harness struct {
	// New starts a fresh simulator and returns its fixture; it cleans up
	// with t.Cleanup.
	New func(t *testing.T) *Fixture
	// CrashPoints are the write counts after which the crash test kills
	// an apply (nil: after every write of the fixture's apply).
	CrashPoints []int
}

// Run runs the conformance suite.
func Run(t *testing.T, h Harness) {
	t.Run("ApplyThenEmptyPlan", func(t *testing.T) { applyThenEmptyPlan(t, h) })
	t.Run("FailedReadPlansNothing", func(t *testing.T) { failedReadPlansNothing(t, h) })
	t.Run("EndlessPagingEnds", func(t *testing.T) { endlessPagingEnds(t, h) })
	t.Run("ErrorsClassified", func(t *testing.T) { errorsClassified(t, h) })
	t.Run("CrashedApplyConverges", func(t *testing.T) { crashedApplyConverges(t, h) })
	t.Run("VerifyAndRefreshChanged", func(t *testing.T) { verifyAndRefreshChanged(t, h) })
}

func verifyAndRefreshChanged(t *testing.T, h Harness) {
	ctx := context.Background()
	f := h.New(t)
	path := filepath.Join(t.TempDir(), "state.json")
	w := state.NewWriter(path)
	p := pipeline(f, nil)
	pl, res, err := apply(ctx, t, p, w.Save)
	if err != nil || res.Failed()+res.Skipped() > 0 {
		t.Fatalf("apply: %v %v", err, firstFailure(res))
	}
	again, err := p.Verify(ctx, pl, engine.VerifyChanged)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if len(again.Changes) != 0 {
		t.Fatalf("the verify found %d changes, first %s", len(again.Changes), describe(again.Changes[0]))
	}
	if err := w.Save(p.State); err != nil {
		t.Fatal(err)
	}
	if err := w.Compact(p.State); err != nil {
		t.Fatal(err)
	}
	st, _, err := state.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	writes := f.Writes()
	changed := pipeline(f, st)
	changed.Refresh = engine.Refresh{Mode: engine.RefreshChanged}
	next, err := changed.Plan(ctx)
	if err != nil {
		t.Fatalf("plan refreshing what changed: %v", err)
	}
	if len(next.Changes) != 0 {
		t.Errorf("the plan refreshing what changed has %d changes, first %s", len(next.Changes), describe(next.Changes[0]))
	}
	full, err := pipeline(f, st).Plan(ctx)
	if err != nil {
		t.Fatalf("full plan: %v", err)
	}
	if len(full.Changes) != 0 {
		t.Errorf("the full plan after the verify has %d changes, first %s", len(full.Changes), describe(full.Changes[0]))
	}
	if n := f.Writes() - writes; n != 0 {
		t.Errorf("planning made %d write calls", n)
	}
}

func pipeline(f *Fixture, st *state.State) *engine.Pipeline {
	if st == nil {
		st = state.New()
	}
	return &engine.Pipeline{Provider: f.Provider, Desired: f.Desired, State: st, TokenUser: f.TokenUser}
}

// apply plans and applies with a state saved to path, as permsync apply
// does, and returns the result.
func apply(ctx context.Context, t *testing.T, p *engine.Pipeline, save func(*state.State) error) (*plan.Plan, *engine.Result, error) {
	t.Helper()
	pl, err := p.Plan(ctx)
	if err != nil {
		return nil, nil, err
	}
	if len(pl.Refusals) > 0 {
		t.Fatalf("the fixture's plan is refused: %v", pl.Refusals)
	}
	res, err := p.Apply(ctx, pl, engine.ApplyOptions{SaveState: save})
	return pl, res, err
}

func fileSaver(t *testing.T, path string) func(*state.State) error {
	w := state.NewWriter(path)
	return func(st *state.State) error { return w.Save(st) }
}

func applyThenEmptyPlan(t *testing.T, h Harness) {
	ctx := context.Background()
	f := h.New(t)
	p := pipeline(f, nil)
	pl, res, err := apply(ctx, t, p, fileSaver(t, filepath.Join(t.TempDir(), "state.json")))
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if len(pl.Changes) == 0 {
		t.Fatal("the fixture's files make no change: nothing is tested")
	}
	if res.Failed()+res.Skipped() > 0 {
		t.Fatalf("apply: %d failed, %d skipped: %v", res.Failed(), res.Skipped(), firstFailure(res))
	}
	writes := f.Writes()
	again, err := p.Plan(ctx)
	if err != nil {
		t.Fatalf("plan after the apply: %v", err)
	}
	if len(again.Changes) != 0 {
		t.Errorf("the plan after the apply has %d changes, first %s", len(again.Changes), describe(again.Changes[0]))
	}
	if n := f.Writes() - writes; n != 0 {
		t.Errorf("planning again made %d write calls", n)
	}
}

func failedReadPlansNothing(t *testing.T, h Harness) {
	for _, fault := range []struct {
		name string
		f    ReadFault
	}{{"error", ReadError}, {"short page", ReadShort}} {
		t.Run(fault.name, func(t *testing.T) {
			f := h.New(t)
			f.FailReads(fault.f)
			pl, err := pipeline(f, nil).Plan(context.Background())
			if err == nil {
				t.Fatalf("a plan (%d changes) from a read that failed", len(pl.Changes))
			}
			var se *engine.StageError
			if !errors.As(err, &se) || se.Stage != engine.StageRead {
				t.Errorf("error %v is not a read's", err)
			}
			if pl != nil {
				t.Errorf("a plan came with the read's error")
			}
			if f.Writes() != 0 {
				t.Errorf("%d write calls", f.Writes())
			}
		})
	}
}

func endlessPagingEnds(t *testing.T, h Harness) {
	f := h.New(t)
	f.FailReads(ReadEndless)
	pl, err := pipeline(f, nil).Plan(context.Background())
	if err == nil || pl != nil {
		t.Fatalf("a read that never ends gave a plan (err %v)", err)
	}
}

func errorsClassified(t *testing.T, h Harness) {
	ctx := context.Background()
	f := h.New(t)
	for _, tc := range []struct {
		name string
		call func(context.Context) error
		want provider.Class
	}{{"not found", f.Missing, provider.NotFound}, {"already exists", f.Taken, provider.AlreadyExists}} {
		err := tc.call(ctx)
		if err == nil {
			t.Errorf("%s: the call succeeded", tc.name)
			continue
		}
		if got := f.Provider.Classify(err); got != tc.want {
			t.Errorf("%s: %v classified %s, want %s", tc.name, err, got, tc.want)
		}
	}
	if got := f.Provider.Classify(context.Canceled); got != provider.Terminal {
		t.Errorf("a cancelled context classified %s", got)
	}
}

func crashedApplyConverges(t *testing.T, h Harness) {
	ctx := context.Background()
	// The server a kill-free apply leaves.
	ref := h.New(t)
	if _, res, err := apply(ctx, t, pipeline(ref, nil), fileSaver(t, filepath.Join(t.TempDir(), "state.json"))); err != nil || res.Failed()+res.Skipped() > 0 {
		t.Fatalf("kill-free apply: %v %v", err, firstFailure(res))
	}
	want := ref.Snapshot()
	writes := ref.Writes()
	points := h.CrashPoints
	if points == nil {
		for k := 1; k <= writes; k++ {
			points = append(points, k)
		}
	}
	for _, k := range points {
		f := h.New(t)
		statePath := filepath.Join(t.TempDir(), "state.json")
		actx, kill := context.WithCancel(ctx)
		var mu sync.Mutex
		dead := false
		f.CrashAfter(k, func() {
			mu.Lock()
			dead = true
			mu.Unlock()
			kill()
		})
		saveFile := fileSaver(t, statePath)
		save := func(st *state.State) error {
			mu.Lock()
			defer mu.Unlock()
			if dead {
				return nil // a killed process writes nothing more
			}
			return saveFile(st)
		}
		_, _, _ = apply(actx, t, pipeline(f, nil), save)
		kill()
		f.ClearFaults()

		st, _, err := state.Load(statePath)
		if err != nil {
			t.Fatalf("kill after write %d: the state does not load: %v", k, err)
		}
		p := pipeline(f, st)
		if _, res, err := apply(ctx, t, p, fileSaver(t, statePath)); err != nil || res.Failed()+res.Skipped() > 0 {
			t.Errorf("kill after write %d: the resumed apply: %v %v", k, err, firstFailure(res))
			continue
		}
		again, err := p.Plan(ctx)
		if err != nil {
			t.Fatalf("kill after write %d: plan: %v", k, err)
		}
		if len(again.Changes) > 0 {
			t.Errorf("kill after write %d: %d changes left, first %s", k, len(again.Changes), describe(again.Changes[0]))
		}
		if d := cmp.Diff(want, f.Snapshot()); d != "" {
			t.Errorf("kill after write %d: the server differs from a kill-free apply's (-want +got):\n%s", k, d)
		}
	}
}

func describe(c plan.Change) string {
	return string(c.Action) + " " + string(c.Kind) + " " + c.Key + " (" + c.Reason + ")"
}

func firstFailure(res *engine.Result) error {
	if res == nil {
		return nil
	}
	for _, c := range res.Changes {
		if c.Status == engine.StatusFailed {
			return c.Err
		}
		if c.Status == engine.StatusSkipped {
			return errors.New("skipped " + describe(c.Change) + ": " + c.Reason)
		}
	}
	return nil
}
