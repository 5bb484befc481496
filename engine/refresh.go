package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/permsync/permsync/diff"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// RefreshMode says what a plan reads of the server.
type RefreshMode string

// Refresh modes.
const (
	// RefreshFull reads everything the files cover (plan's default).
	RefreshFull RefreshMode = "full"
	// RefreshChanged reads the units whose desired state changed since a
	// read last found them matching the files, or of which the state has
	// no record, and a slice of the oldest records (the drift sweep);
	// the rest is taken as the files want it (run's default).
	RefreshChanged RefreshMode = "changed"
)

// ParseRefresh reads a refresh mode: full or changed.
func ParseRefresh(s string) (RefreshMode, error) {
	switch m := RefreshMode(s); m {
	case RefreshFull, RefreshChanged:
		return m, nil
	}
	return "", fmt.Errorf("refresh %q: want full or changed", s)
}

// VerifyMode says what is read again after an apply.
type VerifyMode string

// Verify modes.
const (
	// VerifyOff reads nothing again.
	VerifyOff VerifyMode = "false"
	// VerifyChanged reads again the units the apply wrote (the default).
	VerifyChanged VerifyMode = "changed"
	// VerifyFull reads everything the files cover again.
	VerifyFull VerifyMode = "full"
)

// ParseVerify reads a verify mode: changed, full, or false; true is
// changed, as --verify was a boolean.
func ParseVerify(s string) (VerifyMode, error) {
	switch strings.ToLower(s) {
	case "changed", "true", "1", "t":
		return VerifyChanged, nil
	case "full":
		return VerifyFull, nil
	case "false", "0", "f", "off":
		return VerifyOff, nil
	}
	return "", fmt.Errorf("verify %q: want changed (or true), full or false", s)
}

// DefaultSweepPeriod is how long a unit may go without being read again
// when plans refresh only what changed.
const DefaultSweepPeriod = 24 * time.Hour

// Refresh tunes what Pipeline.Plan reads.
type Refresh struct {
	// Mode is RefreshFull (the zero value) or RefreshChanged.
	Mode RefreshMode
	// SweepPeriod bounds the age of what a plan assumes: every unit is
	// read again at least this often, oldest first; default
	// DefaultSweepPeriod.
	SweepPeriod time.Duration
	// Interval is the longest time between two runs (a schedule's period
	// and jitter), 0 for a plan made once. A run reads the units that
	// would pass SweepPeriod before the next run, and at least a share
	// Interval/SweepPeriod of all units, oldest first, so that the sweep
	// is spread over the runs rather than due all at once.
	Interval time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

func (r Refresh) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

func (r Refresh) period() time.Duration {
	if r.SweepPeriod > 0 {
		return r.SweepPeriod
	}
	return DefaultSweepPeriod
}

// readLog is what a read of the pipeline read, for the state's records.
type readLog struct {
	at   time.Time
	live provider.RefreshedLive
	// asked are the units a narrowed read was asked for; nil for a read
	// in full.
	asked map[string]bool
	// outside are the units written by changes the plan left out for
	// --target: they differ from the files, and keep no record.
	outside map[string]bool
}

// selection is what a plan that refreshes what changed reads.
type selection struct {
	units   map[string]bool
	fps     map[string]string
	reads   map[string]*state.Read
	changed int // units whose files changed, or with no record
	sweep   int // units of the drift sweep
	needed  int // units a change stood on, read on a second pass
	total   int // units known: the files' and the records'
	// oldest is the oldest record taken as it is (nil: none).
	oldestUnit string
	oldest     *state.Read
}

// assumed reports whether a unit may go unread.
func (s *selection) assumed(u string) bool {
	if s.units[u] {
		return false
	}
	r := s.reads[u]
	return r != nil && r.Desired == s.fps[u]
}

func (s *selection) refresh() *provider.Refresh {
	units := make([]string, 0, len(s.units))
	for u := range s.units {
		units = append(units, u)
	}
	sort.Strings(units)
	return &provider.Refresh{Units: units, Assumed: s.assumed, Matched: s.matched}
}

// matched reports whether the state's record of a unit says a read found
// it as the files want it now.
func (s *selection) matched(u string) bool {
	r := s.reads[u]
	return r != nil && r.Desired == s.fps[u]
}

// selectUnits picks the units a plan that refreshes what changed reads:
// those of which the state has no record or whose record's fingerprint
// is not what the files want now, and the drift sweep: the records older
// than the sweep period allows until the next run, and at least a share
// Interval/SweepPeriod of all units, oldest first.
func selectUnits(fps map[string]string, reads map[string]*state.Read, r Refresh, now time.Time) *selection {
	s := &selection{units: map[string]bool{}, fps: fps, reads: reads}
	type rec struct {
		unit string
		r    *state.Read
	}
	var kept []rec
	seen := func(u string) {
		s.total++
		rd := reads[u]
		if rd == nil || rd.Desired != fps[u] {
			s.units[u] = true
			s.changed++
			return
		}
		kept = append(kept, rec{u, rd})
	}
	for u := range fps {
		seen(u)
	}
	for u := range reads {
		if _, ok := fps[u]; !ok {
			seen(u)
		}
	}
	sort.Slice(kept, func(i, j int) bool {
		if !kept[i].r.At.Equal(kept[j].r.At) {
			return kept[i].r.At.Before(kept[j].r.At)
		}
		return kept[i].unit < kept[j].unit
	})
	period, interval := r.period(), r.Interval
	if interval < 0 {
		interval = 0
	}
	n := 0
	if interval > 0 {
		n = int(math.Ceil(float64(s.total) * float64(interval) / float64(period)))
	}
	for n < len(kept) && now.Sub(kept[n].r.At) > period-interval {
		n++ // would pass the period before the next run
	}
	n = min(n, len(kept))
	for _, k := range kept[:n] {
		s.units[k.unit] = true
	}
	s.sweep = n
	if n < len(kept) {
		s.oldestUnit, s.oldest = kept[n].unit, kept[n].r
	}
	return s
}

// fingerprints are the provider's fingerprints of the files' units, made
// once per desired state.
func (p *Pipeline) fingerprints(rf provider.Refresher) map[string]string {
	if p.fps == nil || p.fpsOf != p.Desired {
		p.fps, p.fpsOf = rf.Units(p.Desired), p.Desired
	}
	return p.fps
}

// readScope reads what the files cover, narrowed by rf when set, with
// what the state knows when the provider can use it (StateReader).
func (p *Pipeline) readScope(ctx context.Context, rf *provider.Refresh) (provider.Live, time.Time, error) {
	if want := p.Desired.Provider; want != "" && want != p.Provider.Name() {
		return nil, time.Time{}, &StageError{Stage: StageRead, Err: fmt.Errorf("the files target %s, not %s", want, p.Provider.Name())}
	}
	s := p.Provider.Scope(p.Desired)
	s.TokenUser, s.AllSpaces, s.Refresh = p.TokenUser, p.AllSpaces, rf
	at := p.Refresh.now().Truncate(time.Second)
	live, err := readScope(ctx, p.Provider, s, p.State)
	if err != nil {
		if ctx.Err() != nil {
			// Ctrl-C: say so, rather than which read it happened to cut.
			return nil, at, &StageError{Stage: StageRead, Interrupted: true, Err: context.Cause(ctx)}
		}
		return nil, at, &StageError{Stage: StageRead, Err: err}
	}
	if u := live.Principal(); u != "" {
		p.TokenUser = u
	}
	return live, at, nil
}

// planLive plans against live, limited to p.Targets, and notes what the
// read read.
func (p *Pipeline) planLive(live provider.Live, at time.Time, asked map[string]bool) (*plan.Plan, error) {
	p.LastLive = live
	pl, err := p.Provider.Plan(p.Desired, live, p.State, diff.Options{AllowMassDelete: p.AllowMassDelete})
	if err != nil {
		return nil, &StageError{Stage: StagePlan, Err: err}
	}
	var outside map[string]bool
	if len(p.Targets) > 0 {
		targeted := pl.Targeted(p.Targets)
		if rf, ok := p.Provider.(provider.Refresher); ok && len(targeted.Changes) < len(pl.Changes) {
			// The units the changes left out write are not as the files
			// want them, whatever this read found.
			outside = writtenUnits(rf, pl)
		}
		pl = targeted
	}
	if u := live.Principal(); u != "" {
		// A narrowed read may know the token's user only once the plan
		// has taken the rest as the files want it.
		p.TokenUser = u
	}
	p.last = nil
	if rl, ok := live.(provider.RefreshedLive); ok {
		p.last = &readLog{at: at, live: rl, asked: asked, outside: outside}
	}
	return pl, nil
}

// maxNarrowedReads bounds the reads of one plan that refreshes what
// changed: a second read when a change stands on units the first one
// assumed, a third in full.
const maxNarrowedReads = 2

// planChanged plans with a read narrowed to what changed and the sweep.
func (p *Pipeline) planChanged(ctx context.Context, rf provider.Refresher) (*plan.Plan, error) {
	now := p.Refresh.now()
	sel := selectUnits(p.fingerprints(rf), p.State.Reads, p.Refresh, now)
	var base provider.Live
	r := sel.refresh()
	for attempt := 1; attempt <= maxNarrowedReads; attempt++ {
		live, at, err := p.readScope(ctx, r)
		if err != nil {
			return nil, err
		}
		base = live
		rl, narrowed := live.(provider.RefreshedLive)
		pl, err := p.planLive(live, at, sel.units)
		if err != nil {
			return nil, err
		}
		if !narrowed {
			pl.Warnings = append(pl.Warnings, fmt.Sprintf("refresh=changed: the %s provider reads only in full; this plan read everything", p.Provider.Name()))
			return pl, nil
		}
		need := map[string]bool{}
		for _, c := range pl.Changes {
			for _, u := range rf.Needs(c) {
				if !rl.Fresh(u) && !sel.units[u] {
					need[u] = true
				}
			}
		}
		if len(need) == 0 {
			pl.Warnings = append(pl.Warnings, sel.warning(now, p.Refresh.period()))
			return pl, nil
		}
		// A deletion or a re-create stands on data this read took as the
		// files want it: read it on top of this read, and plan again.
		r = &provider.Refresh{Assumed: sel.assumed, Matched: sel.matched, Base: base}
		for u := range need {
			sel.units[u] = true
			r.Units = append(r.Units, u)
		}
		sort.Strings(r.Units)
		sel.needed += len(need)
	}
	live, at, err := p.readScope(ctx, nil)
	if err != nil {
		return nil, err
	}
	pl, err := p.planLive(live, at, nil)
	if err != nil {
		return nil, err
	}
	pl.Warnings = append(pl.Warnings, fmt.Sprintf("refresh=changed: changes stood on data that narrowed reads could not give; this plan read everything (%d units whose files changed or with no record, %d more they stood on)", sel.changed, sel.needed))
	return pl, nil
}

// warning says which refresh a plan used and how old the data it took as
// the files want it is.
func (s *selection) warning(now time.Time, period time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "refresh=changed: %d of %d units read (%d whose files changed or with no record of a read, %d of the drift sweep", len(s.units), s.total, s.changed, s.sweep)
	if s.needed > 0 {
		fmt.Fprintf(&b, ", %d that deletions or re-creates stand on", s.needed)
	}
	b.WriteString(")")
	if s.oldest == nil {
		b.WriteString("; nothing was taken without reading it")
		return b.String()
	}
	fmt.Fprintf(&b, "; the rest is taken as last read, the oldest %s ago (%s, at %s); every unit is read again within %s",
		roundAge(now.Sub(s.oldest.At)), s.oldestUnit, s.oldest.At.UTC().Format(time.RFC3339), period)
	return b.String()
}

func roundAge(d time.Duration) time.Duration {
	switch {
	case d < 0:
		return 0
	case d < time.Minute:
		return d.Round(time.Second)
	}
	return d.Round(time.Minute)
}

// writtenUnits are the units the changes of pl write.
func writtenUnits(rf provider.Refresher, pl *plan.Plan) map[string]bool {
	out := map[string]bool{}
	if pl == nil {
		return out
	}
	for _, c := range pl.Changes {
		for _, u := range rf.Writes(c) {
			out[u] = true
		}
	}
	return out
}

// forgetWritten drops the records of the units pl writes, before the
// apply writes them: until a verify reads them again, nothing says they
// match the files (a later round of the apply reads them too).
func (p *Pipeline) forgetWritten(pl *plan.Plan) {
	rf, ok := p.Provider.(provider.Refresher)
	if !ok || p.State == nil {
		return
	}
	for u := range writtenUnits(rf, pl) {
		if _, ok := p.State.Reads[u]; ok {
			p.State.SetRead(u, nil)
		}
	}
}

// record records in the state what a read found: each unit it found, but
// those of skip (and, when only is set, those not in it), as matching what
// the files want now, at the time of the read; each unit it read and did
// not find, and for a read in full every unit it did not find, loses its
// record.
func (p *Pipeline) record(log *readLog, skip, only map[string]bool) {
	rf, ok := p.Provider.(provider.Refresher)
	if log == nil || !ok || p.State == nil {
		return
	}
	fps := p.fingerprints(rf)
	found := map[string]bool{}
	for _, u := range log.live.Refreshed() {
		found[u] = true
		if skip[u] || log.outside[u] || only != nil && !only[u] {
			continue
		}
		p.State.SetRead(u, &state.Read{Desired: fps[u], At: log.at})
	}
	for u := range log.outside {
		p.State.SetRead(u, nil)
	}
	if log.asked == nil {
		for u := range p.State.Reads {
			if !found[u] {
				p.State.SetRead(u, nil)
			}
		}
		return
	}
	for u := range log.asked {
		if !found[u] && log.live.Fresh(u) {
			p.State.SetRead(u, nil)
		}
	}
}

// RecordsReads reports whether the provider keeps read records in the
// state (provider.Refresher): without them, a plan that changes nothing
// leaves nothing to save.
func (p *Pipeline) RecordsReads() bool {
	_, ok := p.Provider.(provider.Refresher)
	return ok
}

// RecordReads records in the state what the last plan's read found, as
// after an apply of approved without a verify, or a plan with no change:
// the units it read that no change of approved writes match the files;
// those approved writes keep no record, so the next plan reads them.
// Save the state after it.
func (p *Pipeline) RecordReads(approved *plan.Plan) {
	rf, ok := p.Provider.(provider.Refresher)
	if !ok {
		return
	}
	written := writtenUnits(rf, approved)
	p.record(p.last, written, nil)
	for u := range written {
		p.State.SetRead(u, nil)
	}
}

// ErrVerify is wrapped by the error Verify returns when the read failed.
var ErrVerify = errors.New("verify")

// Verify reads the server again after an apply of approved and plans
// again: the plan returned holds what still differs (nothing when every
// change landed). With VerifyChanged it reads only the units approved
// wrote, taking the rest as the plan's read found it; with VerifyFull, or
// when the provider cannot narrow, it reads everything. It records in the
// state the units the plan's read and its own found matching the files;
// the units a change still planned writes keep no record. Save the state
// after it.
func (p *Pipeline) Verify(ctx context.Context, approved *plan.Plan, mode VerifyMode) (*plan.Plan, error) {
	planRead := p.last
	rf, ok := p.Provider.(provider.Refresher)
	var fps chan map[string]string
	if ok && (p.fps == nil || p.fpsOf != p.Desired) {
		// The records need the files' fingerprints: made while the server
		// is read.
		fps = make(chan map[string]string, 1)
		go func(d *spec.Desired) { fps <- rf.Units(d) }(p.Desired)
	}
	var live provider.Live
	var at time.Time
	var asked map[string]bool
	var err error
	var only map[string]bool
	if mode == VerifyChanged && ok && !p.AllSpaces {
		asked = writtenUnits(rf, approved)
		sel := &selection{units: asked}
		r := sel.refresh()
		r.Assumed = func(u string) bool { return !asked[u] }
		if planRead != nil && planRead.asked != nil {
			// What the plan's narrowed read read of the rest is kept:
			// only what the apply wrote is read again.
			r.Base, only = planRead.live, asked
		}
		live, at, err = p.readScope(ctx, r)
	} else {
		live, at, err = p.readScope(ctx, nil)
	}
	if err != nil {
		return nil, err
	}
	again, err := p.planLive(live, at, asked)
	if err != nil {
		return nil, err
	}
	if !ok {
		return again, nil
	}
	if fps != nil {
		p.fps, p.fpsOf = <-fps, p.Desired
	}
	written := writtenUnits(rf, approved)
	left := writtenUnits(rf, again)
	p.record(planRead, written, nil)
	p.record(p.last, left, only)
	for u := range left {
		p.State.SetRead(u, nil)
	}
	for u := range written {
		if p.last == nil || !p.last.live.Fresh(u) {
			p.State.SetRead(u, nil)
		}
	}
	return again, nil
}

// ReadStats counts the units a plan's read read: for the benchmark and
// the logs.
func (p *Pipeline) ReadStats() (read, asked int) {
	if p.last == nil {
		return 0, 0
	}
	return len(p.last.live.Refreshed()), len(p.last.asked)
}
