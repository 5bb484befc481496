package engine

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/permsync/permsync/diff"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// unitServer is a server of units: a listing of the units present, always
// read, and each unit's value, read one call per unit. The files want a
// value of some units; a present unit the files do not want is deleted.
type unitServer struct {
	mu     sync.Mutex
	values map[string]string
	reads  map[string]int // calls per unit
	// drop makes the write of these units answer success without
	// changing anything.
	drop map[string]bool
}

func (s *unitServer) read(u string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads[u]++
	v, ok := s.values[u]
	return v, ok
}

func (s *unitServer) takeReads() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.reads
	s.reads = map[string]int{}
	return out
}

// unitProvider is the provider of a unitServer; want is what the files
// want.
type unitProvider struct {
	srv  *unitServer
	want map[string]string
	// narrow is false for a provider that cannot narrow its reads.
	narrow bool
}

type unitLive struct {
	present map[string]bool   // the listing
	values  map[string]string // units read
	asked   map[string]bool
	full    bool
}

func (l *unitLive) Principal() string { return "" }
func (l *unitLive) Refreshed() []string {
	var out []string
	for u := range l.values {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}
func (l *unitLive) Fresh(u string) bool {
	_, read := l.values[u]
	return read || l.full || l.asked[u]
}

type plainLive struct{ *unitLive }

func (p *unitProvider) Name() string                       { return "units" }
func (p *unitProvider) Registry() *plan.Registry           { return testRegistry }
func (p *unitProvider) Validate(*spec.Desired) error       { return nil }
func (p *unitProvider) Scope(*spec.Desired) provider.Scope { return provider.Scope{} }
func (p *unitProvider) Read(_ context.Context, s provider.Scope) (provider.Live, error) {
	l := &unitLive{present: map[string]bool{}, values: map[string]string{}, full: s.Refresh == nil || !p.narrow}
	p.srv.mu.Lock()
	for u := range p.srv.values {
		l.present[u] = true
	}
	p.srv.mu.Unlock()
	if !l.full {
		l.asked = map[string]bool{}
		for _, u := range s.Refresh.Units {
			l.asked[u] = true
		}
	}
	for u := range l.present {
		if l.full || l.asked[u] || !s.Refresh.Assumed(u) {
			v, _ := p.srv.read(u)
			l.values[u] = v
		}
	}
	if !p.narrow {
		return plainLive{l}, nil
	}
	return l, nil
}

func (p *unitProvider) Plan(_ *spec.Desired, live provider.Live, _ *state.State, _ diff.Options) (*plan.Plan, error) {
	var l *unitLive
	switch x := live.(type) {
	case *unitLive:
		l = x
	case plainLive:
		l = x.unitLive
	}
	pl := &plan.Plan{Provider: "units"}
	var units []string
	for u := range p.want {
		units = append(units, u)
	}
	for u := range l.present {
		if _, ok := p.want[u]; !ok {
			units = append(units, u)
		}
	}
	sort.Strings(units)
	for _, u := range units {
		want, wanted := p.want[u]
		got, read := l.values[u]
		switch {
		case wanted && !l.present[u]:
			pl.Changes = append(pl.Changes, plan.Change{Action: plan.Create, Kind: "unit", Key: u, Phase: 0, After: attrs("value", want)})
		case wanted && read && got != want:
			pl.Changes = append(pl.Changes, plan.Change{Action: plan.Update, Kind: "unit", Key: u, Phase: 0, Before: attrs("value", got), After: attrs("value", want)})
		case !wanted:
			// Deleted on the strength of the listing; the value shown is
			// the read one, or a guess when the unit was taken as last read.
			before := "(not read)"
			if read {
				before = got
			}
			pl.Changes = append(pl.Changes, plan.Change{Action: plan.Delete, Kind: "unit", Key: u, Phase: 0, Before: attrs("value", before)})
		}
	}
	return pl, nil
}

func attrs(k, v string) plan.Attrs {
	var a plan.Attrs
	a.Set(k, v)
	return a
}

func (p *unitProvider) NewExecutor(x provider.Exec) provider.Executor {
	return &unitExecutor{x: x, srv: p.srv}
}
func (p *unitProvider) Removals(plan.Change) []provider.Removal { return nil }
func (p *unitProvider) AdminLoss(plan.Change) string            { return "" }
func (p *unitProvider) Classify(error) provider.Class           { return provider.Terminal }
func (p *unitProvider) AllowsLater(plan.Change, plan.Change, *state.State) bool {
	return false
}

func (p *unitProvider) Units(*spec.Desired) map[string]string {
	out := map[string]string{}
	for u, v := range p.want {
		out[u] = "fp:" + v
	}
	return out
}
func (p *unitProvider) Writes(c plan.Change) []string { return []string{c.Key} }
func (p *unitProvider) Needs(c plan.Change) []string {
	if c.Action == plan.Delete {
		return []string{c.Key}
	}
	return nil
}

// withoutRefresher hides the Refresher of a provider.
type withoutRefresher struct{ provider.Provider }

type unitExecutor struct {
	x   provider.Exec
	srv *unitServer
}

func (e *unitExecutor) RunPhase(ctx context.Context, _ int, idx []int) {
	var calls []provider.Call
	for _, i := range idx {
		c := e.x.Plan().Changes[i]
		calls = append(calls, provider.Call{Changes: []int{i}, Run: func(context.Context) error {
			e.srv.mu.Lock()
			defer e.srv.mu.Unlock()
			if e.srv.drop[c.Key] {
				return nil
			}
			if c.Action == plan.Delete {
				delete(e.srv.values, c.Key)
			} else {
				e.srv.values[c.Key] = c.After.String("value")
			}
			return nil
		}})
	}
	e.x.RunStep(ctx, calls)
}
func (e *unitExecutor) Applied(_ int, ns *state.Object) *state.Object { return ns }
func (e *unitExecutor) Partial(int, provider.Progress, *state.Object) (*state.Object, bool) {
	return nil, false
}
func (e *unitExecutor) Exists(int, provider.Progress) bool { return true }
func (e *unitExecutor) Calls() map[string]int              { return nil }

// unitFixture is a server of n units matching the files, every unit
// recorded as read at t0.
func unitFixture(n int, t0 time.Time) (*unitServer, *unitProvider, *state.State) {
	srv := &unitServer{values: map[string]string{}, reads: map[string]int{}, drop: map[string]bool{}}
	p := &unitProvider{srv: srv, want: map[string]string{}, narrow: true}
	st := state.New()
	for i := 0; i < n; i++ {
		u := fmt.Sprintf("u%03d", i)
		srv.values[u], p.want[u] = "v", "v"
		st.SetRead(u, &state.Read{Desired: "fp:v", At: t0})
	}
	return srv, p, st
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func readUnits(m map[string]int) []string {
	var out []string
	for u, n := range m {
		for i := 0; i < n; i++ {
			out = append(out, u)
		}
	}
	sort.Strings(out)
	return out
}

var t0 = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

// TestRefreshChangedReadsChangedAndSweep: a plan that refreshes what
// changed reads the units whose files changed, those of which the state
// has no record, and the oldest share Interval/SweepPeriod of the rest;
// it plans from them alone and says so.
func TestRefreshChangedReadsChangedAndSweep(t *testing.T) {
	srv, prov, st := unitFixture(100, t0)
	// Older records first in the sweep: u050..u054 were read an hour
	// before the others.
	for i := 50; i < 55; i++ {
		st.SetRead(fmt.Sprintf("u%03d", i), &state.Read{Desired: "fp:v", At: t0.Add(-time.Hour)})
	}
	prov.want["u007"], prov.want["u008"] = "w", "w" // the files changed
	prov.want["new"] = "v"                          // no record
	srv.values["u009"] = "drifted"                  // drift no plan sees until the sweep reads it
	c := &clock{t0.Add(time.Hour)}
	p := &Pipeline{Provider: prov, Desired: &spec.Desired{}, State: st,
		Refresh: Refresh{Mode: RefreshChanged, SweepPeriod: 24 * time.Hour, Interval: time.Hour, Now: c.now}}
	pl, err := p.Plan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// 101 units: ceil(101/24) = 5 of the sweep, the oldest: u050..u054.
	want := []string{"u007", "u008", "u050", "u051", "u052", "u053", "u054"}
	if got := readUnits(srv.takeReads()); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("read %v, want %v", got, want)
	}
	var planned []string
	for _, ch := range pl.Changes {
		planned = append(planned, string(ch.Action)+" "+ch.Key)
	}
	if strings.Join(planned, ", ") != "create new, update u007, update u008" {
		t.Errorf("planned %v", planned)
	}
	if len(pl.Warnings) != 1 || !strings.Contains(pl.Warnings[0], "refresh=changed: 8 of 101 units read (3 whose files changed or with no record of a read, 5 of the drift sweep)") ||
		!strings.Contains(pl.Warnings[0], "the oldest 1h0m0s ago (u000, at 2025-06-01T00:00:00Z)") {
		t.Errorf("warnings %q", pl.Warnings)
	}

	// A full plan reads everything, drift included, and says nothing more.
	p.Refresh.Mode = RefreshFull
	pl, err = p.Plan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(srv.takeReads()); n != 100 {
		t.Errorf("a full plan read %d units, want 100", n)
	}
	if len(pl.Warnings) != 0 || len(pl.Changes) != 4 {
		t.Errorf("full plan: %d changes, warnings %q", len(pl.Changes), pl.Warnings)
	}
}

// TestSweepCoversEveryUnitWithinThePeriod: runs every hour that refresh
// what changed, with nothing changed, read every unit again before its
// record is a sweep period old, spread evenly over the runs; one run
// after a pause reads what is overdue at once.
func TestSweepCoversEveryUnitWithinThePeriod(t *testing.T) {
	const n = 240
	srv, prov, st := unitFixture(n, t0)
	c := &clock{t0}
	period := 24 * time.Hour
	p := &Pipeline{Provider: prov, Desired: &spec.Desired{}, State: st,
		Refresh: Refresh{Mode: RefreshChanged, SweepPeriod: period, Interval: time.Hour, Now: c.now}}
	lastRead := map[string]time.Time{}
	for u := range prov.want {
		lastRead[u] = t0
	}
	for run := 1; run <= 72; run++ {
		c.t = t0.Add(time.Duration(run) * time.Hour)
		pl, err := p.Plan(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(pl.Changes) != 0 {
			t.Fatalf("run %d: %d changes", run, len(pl.Changes))
		}
		p.RecordReads(pl)
		reads := srv.takeReads()
		if len(reads) > n/24+1 {
			t.Errorf("run %d read %d units: more than a 24th of %d", run, len(reads), n)
		}
		for u := range reads {
			lastRead[u] = c.t
		}
		for u, at := range lastRead {
			if c.t.Sub(at) >= period {
				t.Fatalf("run %d (%s): %s was last read %s before", run, c.t.Format(time.RFC3339), u, c.t.Sub(at))
			}
		}
	}
	// Ten hours without a run: the next reads every unit that would pass
	// the period before the run after it.
	c.t = c.t.Add(10 * time.Hour)
	if _, err := p.Plan(context.Background()); err != nil {
		t.Fatal(err)
	}
	reads := srv.takeReads()
	for u, at := range lastRead {
		if c.t.Sub(at) > period-time.Hour && reads[u] == 0 {
			t.Errorf("%s, read %s before, is not read by the run after the pause", u, c.t.Sub(at))
		}
	}
}

// TestStaleDeletionCandidateReread: a unit the files no longer want is
// not deleted on the strength of a record of it: one older than the sweep
// period is read by the sweep, and one within it is read all the same
// once a deletion stands on it, and the plan made again.
func TestStaleDeletionCandidateReread(t *testing.T) {
	for _, tc := range []struct {
		name          string
		age           time.Duration
		sweep, needed int
	}{
		{"older than the sweep period", 30 * 24 * time.Hour, 1, 0},
		{"within the sweep period", time.Hour, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, prov, st := unitFixture(20, t0)
			// On the server, not in the files, and its record (of when it
			// was kept as it was, wanted by nobody) matches: a plan would
			// take it as last read.
			srv.values["old"] = "kept"
			now := t0.Add(time.Minute)
			st.SetRead("old", &state.Read{Desired: "", At: now.Add(-tc.age)})
			c := &clock{now}
			p := &Pipeline{Provider: prov, Desired: &spec.Desired{}, State: st,
				Refresh: Refresh{Mode: RefreshChanged, Now: c.now}}
			pl, err := p.Plan(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if r := srv.takeReads(); r["old"] != 1 || len(r) != 1 {
				t.Errorf("reads %v, want the deletion candidate read once", r)
			}
			if len(pl.Changes) != 1 || pl.Changes[0].Action != plan.Delete || pl.Changes[0].Before.String("value") != "kept" {
				t.Fatalf("changes %+v: want the deletion, with what the server has", pl.Changes)
			}
			want := fmt.Sprintf("(0 whose files changed or with no record of a read, %d of the drift sweep", tc.sweep)
			if tc.needed > 0 {
				want += ", 1 that deletions or re-creates stand on"
			}
			if !strings.Contains(pl.Warnings[0], want) {
				t.Errorf("warning %q, want it to say %q", pl.Warnings[0], want)
			}
		})
	}
}

// TestVerifyChangedReadsWhatWasWritten: a verify reads again only the units
// the apply wrote, finds a write that did not land, and records the units
// it found matching; the one that did not land keeps no record, so the
// next plan reads it.
func TestVerifyChangedReadsWhatWasWritten(t *testing.T) {
	srv, prov, st := unitFixture(50, t0)
	prov.want["u001"], prov.want["u002"], prov.want["u003"] = "w", "w", "w"
	srv.drop["u003"] = true // answers success, writes nothing
	c := &clock{t0.Add(time.Hour)}
	p := &Pipeline{Provider: prov, Desired: &spec.Desired{}, State: st, Refresh: Refresh{Mode: RefreshChanged, Now: c.now}}
	ctx := context.Background()
	pl, err := p.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv.takeReads()
	res, err := p.Apply(ctx, pl, ApplyOptions{MaxRounds: 1})
	if err != nil || res.Applied() != 3 {
		t.Fatalf("apply: %v, %d applied", err, res.Applied())
	}
	c.t = c.t.Add(time.Minute)
	again, err := p.Verify(ctx, pl, VerifyChanged)
	if err != nil {
		t.Fatal(err)
	}
	if got := readUnits(srv.takeReads()); strings.Join(got, " ") != "u001 u002 u003" {
		t.Errorf("verify read %v, want the three units written", got)
	}
	if len(again.Changes) != 1 || again.Changes[0].Key != "u003" {
		t.Fatalf("verify: %+v, want the write that did not land", again.Changes)
	}
	for _, u := range []string{"u001", "u002"} {
		if r := st.Reads[u]; r == nil || r.Desired != "fp:w" || !r.At.Equal(c.t) {
			t.Errorf("%s: record %+v, want the verify's", u, r)
		}
	}
	if r := st.Reads["u003"]; r != nil {
		t.Errorf("u003, whose write did not land, keeps the record %+v", r)
	}
	if r := st.Reads["u010"]; r == nil || !r.At.Equal(t0) {
		t.Errorf("u010, neither read nor written, has the record %+v", r)
	}
	// The next plan reads the unit that did not land, and nothing else.
	if _, err := p.Plan(ctx); err != nil {
		t.Fatal(err)
	}
	if got := readUnits(srv.takeReads()); strings.Join(got, " ") != "u003" {
		t.Errorf("the next plan read %v, want u003", got)
	}

	// A full verify reads everything.
	if _, err := p.Verify(ctx, pl, VerifyFull); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.takeReads()); n != 50 {
		t.Errorf("a full verify read %d units, want 50", n)
	}
}

// TestRefreshWithoutRefresher: a provider that cannot narrow its reads is
// read in full, and the plan says so.
func TestRefreshWithoutRefresher(t *testing.T) {
	srv, prov, st := unitFixture(10, t0)
	prov.narrow = false
	p := &Pipeline{Provider: withoutRefresher{prov}, Desired: &spec.Desired{}, State: st, Refresh: Refresh{Mode: RefreshChanged}}
	pl, err := p.Plan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(srv.takeReads()); n != 10 {
		t.Errorf("read %d units, want all 10", n)
	}
	if len(pl.Warnings) != 1 || !strings.Contains(pl.Warnings[0], "reads only in full") {
		t.Errorf("warnings %q", pl.Warnings)
	}
}

func TestParseVerify(t *testing.T) {
	for in, want := range map[string]VerifyMode{"true": VerifyChanged, "changed": VerifyChanged, "full": VerifyFull, "false": VerifyOff} {
		if got, err := ParseVerify(in); err != nil || got != want {
			t.Errorf("ParseVerify(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseVerify("sometimes"); err == nil {
		t.Error("ParseVerify accepted sometimes")
	}
}

// TestTargetedPlanKeepsNoRecordOfWhatItLeftOut: a plan limited by
// --target leaves out changes of other units; those units differ from the
// files whatever the read found, so recording the read keeps no record of
// them, and the next plan that refreshes what changed reads them again.
func TestTargetedPlanKeepsNoRecordOfWhatItLeftOut(t *testing.T) {
	srv, prov, st := unitFixture(10, t0)
	prov.want["u001"], prov.want["u002"] = "w", "w" // the files changed
	c := &clock{t0.Add(time.Hour)}
	p := &Pipeline{Provider: prov, Desired: &spec.Desired{}, State: st, Targets: []plan.Target{{Kind: "unit", Key: "u001"}},
		Refresh: Refresh{Mode: RefreshChanged, SweepPeriod: 24 * time.Hour, Now: c.now}}
	pl, err := p.Plan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.Changes) != 1 || pl.Changes[0].Key != "u001" {
		t.Fatalf("changes %v: want the target's alone", pl.Changes)
	}
	srv.takeReads()
	p.RecordReads(pl)
	if r := st.Reads["u002"]; r != nil {
		t.Errorf("u002, left out by --target, keeps the record %+v", r)
	}
	p.Targets = nil
	pl, err = p.Plan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := readUnits(srv.takeReads()); !slices.Contains(got, "u002") || len(pl.Changes) != 2 {
		t.Errorf("the next plan read %v and planned %d changes; want u002 read and changed", got, len(pl.Changes))
	}
}
