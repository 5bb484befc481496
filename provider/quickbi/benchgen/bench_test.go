package benchgen

import (
	"context"
	"testing"
	"time"

	"github.com/permsync/permsync/diff"
	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/quickbi"
	"github.com/permsync/permsync/provider/quickbi/apiclient"
	"github.com/permsync/permsync/provider/quickbi/quickbitest"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// bench is a simulator and permsync's pipeline against it, as permsync
// plan and apply run it, with an empty state.
type bench struct {
	sim  *quickbitest.Server
	pipe *engine.Pipeline
}

func newBench(tb testing.TB, seed *quickbitest.Seed) *bench {
	tb.Helper()
	sim, err := quickbitest.NewFromOptions(quickbitest.Options{Seed: seed})
	if err != nil {
		tb.Fatal(err)
	}
	sim.Start()
	tb.Cleanup(sim.Close)
	client, err := apiclient.New(apiclient.Config{
		Server:      sim.URL(),
		Credentials: apiclient.Credentials{AccessKeyID: sim.AccessKeyID(), AccessKeySecret: sim.AccessKeySecret()},
		WriteRPS:    -1, ReadRPS: -1, Concurrency: 8,
		Retry: apiclient.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return &bench{sim: sim, pipe: &engine.Pipeline{Provider: quickbi.New(quickbi.Config{API: client}), State: state.New(), TokenUser: Admin}}
}

// step is what one plan (and apply) cost.
type step struct {
	plan               *plan.Plan
	read, readBound    quickbi.Calls
	writes, writeBound quickbi.Calls
	failed             int
}

// plan reads the server and plans d, counting the read's calls against
// ReadBound.
func (b *bench) plan(tb testing.TB, d *spec.Desired) *step {
	tb.Helper()
	ctx := context.Background()
	b.pipe.Desired = d
	b.sim.ResetCalls()
	live, err := b.pipe.Read(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	pl, err := b.pipe.Provider.Plan(d, live, b.pipe.State, diff.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	s := &step{plan: pl, read: quickbi.Calls(b.sim.Calls()),
		readBound: quickbi.ReadBound(live.(*quickbi.Live), quickbi.ScopeOf(d.QuickBI))}
	if len(pl.Refusals) > 0 {
		tb.Fatalf("plan refused: %v", pl.RefusalMessages())
	}
	return s
}

// apply applies the step's plan in one round, counting every call
// against WriteBound.
func (b *bench) apply(tb testing.TB, s *step) {
	tb.Helper()
	b.sim.ResetCalls()
	res, err := b.pipe.Apply(context.Background(), s.plan, engine.ApplyOptions{Concurrency: 8, MaxRounds: 1})
	if err != nil {
		tb.Fatal(err)
	}
	s.writes = quickbi.Calls(b.sim.Calls()).Merged()
	s.writeBound = quickbi.WriteBound(s.plan)
	s.failed = res.Failed() + res.Skipped()
	for _, c := range res.Changes {
		if c.Status != engine.StatusApplied {
			tb.Errorf("%s %s %s: %s %v %s", c.Change.Action, c.Change.Kind, c.Change.Key, c.Status, c.Err, c.Reason)
			break
		}
	}
}

// within fails unless calls are at least the bound (else the bound is
// wrong) and at most 5% above it.
func within(tb testing.TB, what string, calls, bound quickbi.Calls) {
	tb.Helper()
	if calls.Total() < bound.Total() || float64(calls.Total()) > 1.05*float64(bound.Total()) {
		tb.Errorf("%s: %d calls, lower bound %d\ncalls: %v\nbound: %v", what, calls.Total(), bound.Total(), calls, bound)
	}
}

// TestSAtTheBound runs the benchmark's steps at size S against the
// simulator: the first apply of the company, a plan of it again (empty),
// and a plan and apply of a 5% change, which converges. Every read and
// every apply makes at most 1.05 times the fewest calls the API allows.
func TestSAtTheBound(t *testing.T) {
	sh, _ := ShapeByName("S")
	before := Generate(sh, 1)
	after, _ := Mutate(before, 0.05, 1)
	b := newBench(t, before.Skeleton())

	first := b.plan(t, before.Desired())
	within(t, "first plan", first.read, first.readBound)
	b.apply(t, first)
	within(t, "first apply", first.writes, first.writeBound)
	if got, want := first.writeBound.String(), FirstApplyBound(before).String(); got != want {
		t.Errorf("WriteBound of the first plan: %s\ncounted from the company: %s", got, want)
	}

	noop := b.plan(t, before.Desired())
	within(t, "no-op plan", noop.read, noop.readBound)
	for i, c := range noop.plan.Changes {
		if i == 5 {
			break
		}
		t.Errorf("the plan after the first apply changes %s %s %s (%s)", c.Action, c.Kind, c.Key, c.Reason)
	}

	change := b.plan(t, after.Desired())
	within(t, "change plan", change.read, change.readBound)
	b.apply(t, change)
	within(t, "change apply", change.writes, change.writeBound)

	again := b.plan(t, after.Desired())
	for i, c := range again.plan.Changes {
		if i == 5 {
			break
		}
		t.Errorf("not converged: %s %s %s (%s)", c.Action, c.Kind, c.Key, c.Reason)
	}
	t.Logf("first: read %d/%d, apply %d/%d; no-op read %d/%d; change: read %d/%d, apply %d/%d (%d changes)",
		first.read.Total(), first.readBound.Total(), first.writes.Total(), first.writeBound.Total(),
		noop.read.Total(), noop.readBound.Total(), change.read.Total(), change.readBound.Total(),
		change.writes.Total(), change.writeBound.Total(), len(change.plan.Changes))
	t.Logf("change apply: %v\nbound: %v", change.writes, change.writeBound)
}

// TestSeedIsTheAppliedCompany: the simulator seeded with a company holds
// what the first apply of its files makes, so the benchmarks may start
// from it: the plan is empty.
func TestSeedIsTheAppliedCompany(t *testing.T) {
	c := Generate(tiny, 5)
	b := newBench(t, c.Seed())
	s := b.plan(t, c.Desired())
	for i, ch := range s.plan.Changes {
		if i == 5 {
			break
		}
		t.Errorf("%s %s %s (%s)", ch.Action, ch.Kind, ch.Key, ch.Reason)
	}
	within(t, "read", s.read, s.readBound)
}

// The benchmarks run the steps of permsync-bench --provider quickbi at S,
// M and L against the simulator in this process, without latency: time
// and allocations are permsync's and the simulator's together. Each
// reports the calls of one step (calls/op), the lower bound (bound/op)
// and their ratio (calls/bound); go test -bench . -benchtime 1x runs each
// step once.

func forShapes(b *testing.B, run func(b *testing.B, sh Shape)) {
	for _, sh := range Shapes {
		b.Run(sh.Name, func(b *testing.B) { run(b, sh) })
	}
}

func report(b *testing.B, calls, bound quickbi.Calls) {
	b.ReportMetric(float64(calls.Total()), "calls/op")
	b.ReportMetric(float64(bound.Total()), "bound/op")
	b.ReportMetric(float64(calls.Total())/float64(max(1, bound.Total())), "calls/bound")
}

// BenchmarkFirstApply plans and applies a company's files on the
// organization's skeleton (the admin, the workspaces and their datasets):
// every member, tag, group, workspace member and rule is created. The
// calls reported are the read's and the apply's together.
func BenchmarkFirstApply(b *testing.B) {
	forShapes(b, func(b *testing.B, sh Shape) {
		c := Generate(sh, 1)
		d, seed := c.Desired(), c.Skeleton()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			x := newBench(b, seed)
			b.StartTimer()
			s := x.plan(b, d)
			x.apply(b, s)
			b.StopTimer()
			x.sim.Close()
			calls, bound := quickbi.Calls{}, quickbi.Calls{}
			for k, v := range s.read {
				calls[k] += v
			}
			for k, v := range s.writes {
				calls[k] += v
			}
			for k, v := range s.readBound {
				bound[k] += v
			}
			for k, v := range s.writeBound {
				bound[k] += v
			}
			report(b, calls, bound)
			if s.failed > 0 {
				b.Fatalf("%d changes not applied", s.failed)
			}
			b.StartTimer()
		}
	})
}

// BenchmarkNoopPlan plans a company's files against an organization that
// holds them: the read and the diff of a plan with no change.
func BenchmarkNoopPlan(b *testing.B) {
	forShapes(b, func(b *testing.B, sh Shape) {
		c := Generate(sh, 1)
		d := c.Desired()
		x := newBench(b, c.Seed())
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			s := x.plan(b, d)
			if len(s.plan.Changes) > 0 {
				b.Fatalf("%d changes, first %s %s", len(s.plan.Changes), s.plan.Changes[0].Kind, s.plan.Changes[0].Key)
			}
			report(b, s.read, s.readBound)
		}
	})
}

// BenchmarkChange plans and applies a change of 5% (Mutate) against an
// organization that holds the company: the calls reported are the
// apply's, against WriteBound; the read's are reported as read-calls/op
// and read-bound/op.
func BenchmarkChange(b *testing.B) {
	forShapes(b, func(b *testing.B, sh Shape) {
		c := Generate(sh, 1)
		after, _ := Mutate(c, 0.05, 1)
		d, seed := after.Desired(), c.Seed()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			x := newBench(b, seed)
			b.StartTimer()
			s := x.plan(b, d)
			x.apply(b, s)
			b.StopTimer()
			x.sim.Close()
			report(b, s.writes, s.writeBound)
			b.ReportMetric(float64(s.read.Total()), "read-calls/op")
			b.ReportMetric(float64(s.readBound.Total()), "read-bound/op")
			if s.failed > 0 {
				b.Fatalf("%d changes not applied", s.failed)
			}
			b.StartTimer()
		}
	})
}
