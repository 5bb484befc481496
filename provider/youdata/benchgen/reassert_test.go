package benchgen

import (
	"context"
	"testing"
	"time"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// reassertRun seeds the simulator with a generated company, records the
// state as if permsync had applied it, then re-asserts every write-only
// facet: it returns the write calls made and the lower bound.
func reassertRun(tb testing.TB, sh Shape) (Calls, Calls) {
	tb.Helper()
	ctx := context.Background()
	c := Generate(sh, 1)
	d := c.Desired()
	sim, err := youdatatest.NewFromOptions(youdatatest.Options{Seed: c.Seed(), Token: "t"})
	if err != nil {
		tb.Fatal(err)
	}
	sim.Start()
	defer sim.Close()
	client, err := apiclient.New(apiclient.Config{Server: sim.URL(), Credentials: apiclient.Credentials{Token: "t"}, RPS: -1, Concurrency: 8})
	if err != nil {
		tb.Fatal(err)
	}
	var refs []youdata.ProjectRef
	for _, p := range d.Projects {
		refs = append(refs, youdata.ProjectRef{Name: p.Name})
	}
	pl := func(d *spec.Desired, st *state.State) (*plan.Plan, *youdata.Live) {
		tb.Helper()
		live, err := youdata.ReadKnownLive(ctx, client, refs, st, youdata.ReadOptions{TokenUser: Admin})
		if err != nil {
			tb.Fatal(err)
		}
		p, err := youdata.Compute(d, live, st, youdata.Options{})
		if err != nil {
			tb.Fatal(err)
		}
		return p, live
	}
	p0, _ := pl(d, state.New())
	st := state.New()
	for _, ch := range p0.Changes {
		ch.Record(st)
	}
	if p, _ := pl(d, st); len(p.Changes) != 0 {
		tb.Fatalf("the simulator does not hold the generated company: %d changes", len(p.Changes))
	}
	youdata.MarkReassert(st, time.Now())
	p, live := pl(d, st)
	bound := ReassertBound(d, live, st, 500)
	sim.ResetCalls()
	res, err := youdata.Apply(ctx, client, p, st, youdata.ApplyOptions{BatchSize: 500, Concurrency: 8, TokenUser: Admin, ProtectedUsers: []string{Admin}})
	if err != nil {
		tb.Fatal(err)
	}
	if res.Failed()+res.Skipped() > 0 {
		tb.Fatalf("%d changes failed, %d skipped", res.Failed(), res.Skipped())
	}
	calls := Calls(sim.Calls())
	if again, _ := pl(d, st); len(again.Changes) != 0 {
		tb.Fatalf("after the re-assertion: %d changes, first %s %s (%s)", len(again.Changes), again.Changes[0].Kind, again.Changes[0].Key, again.Changes[0].Reason)
	}
	return calls, bound
}

// The re-assertion of a generated company's write-only facets makes at
// most 5% more calls than the fewest the API allows, and never fewer.
func TestReassertMeetsTheBound(t *testing.T) {
	sh := Shape{Name: "small", Users: 300, Departments: 30, Projects: 3, Members: 60, Groups: 10, Roles: 30, DataPermissions: 10}
	calls, bound := reassertRun(t, sh)
	checkBound(t, "reassert", calls, bound)
	t.Logf("re-assertion of %s: %d calls, lower bound %d (%v)", sh.Name, calls.Total(), bound.Total(), calls)
}

// BenchmarkReassertS re-asserts the benchmark's company S and reports its
// calls and their lower bound.
func BenchmarkReassertS(b *testing.B) {
	sh, _ := ShapeByName("S")
	for i := 0; i < b.N; i++ {
		calls, bound := reassertRun(b, sh)
		b.ReportMetric(float64(calls.Total()), "calls")
		b.ReportMetric(float64(bound.Total()), "bound")
		b.ReportMetric(float64(calls.Total())/float64(bound.Total()), "calls/bound")
	}
}
