package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/permsync/permsync/diff"
	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/provider/youdata/benchgen"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// batchSize is permsync apply's default --batch-size.
const batchSize = 500

// Phase is what the benchmark measures of one step: calls, the fewest
// calls the step needs where the bench computes them, wall time, CPU time
// and peak RSS.
type Phase struct {
	Calls      int     `json:"calls"`
	LowerBound int     `json:"lower_bound,omitempty"`
	WallS      float64 `json:"wall_s"`
	CPUS       float64 `json:"cpu_s,omitempty"`
	RSSMB      float64 `json:"rss_mb,omitempty"`
}

// Peers are the calls of the two other ways of making the same change
// (benchgen.PerObject and benchgen.ScriptWrites), computed, not run.
type Peers struct {
	PerObject benchgen.PeerCalls `json:"per_object"`
	// ScriptReads are a full read's calls (before, and again to verify),
	// ScriptWrites the script's write calls.
	ScriptReads  int `json:"script_reads"`
	ScriptWrites int `json:"script_writes"`
}

// ScriptTotal sums the script's calls: a full read, its writes and a full
// read to verify.
func (p Peers) ScriptTotal() int { return 2*p.ScriptReads + p.ScriptWrites }

// Change is what one change measured: its plan, its apply's writes and
// its verify, and its peers.
type Change struct {
	Plan   Phase `json:"plan"`
	Apply  Phase `json:"apply"`
	Verify Phase `json:"verify"`
	Peers  Peers `json:"peers"`
	// Remaining counts the changes a full plan after the verify found.
	Remaining int `json:"remaining"`
	// Failed counts the changes of the apply not applied.
	Failed int `json:"failed"`
}

// Result is the report of one size, as the --json line shows it.
type Result struct {
	Size  string `json:"size"`
	Users int    `json:"users"`
	// Share is the bench's change (--change) with a full plan; Ten the
	// change of ten users' permissions with --refresh=changed.
	Share Change `json:"share"`
	Ten   Change `json:"ten"`
	// Sweep is a plan with --refresh=changed and nothing changed, as a
	// run every 15 minutes makes it: the drift sweep's slice.
	Sweep Phase `json:"sweep"`
	// Verify compares, for the share's change, the members and objects
	// the apply wrote with what the verify read.
	Verify VerifyStats `json:"verify_stats"`
}

// VerifyStats compare what an apply wrote and what its verify read.
type VerifyStats struct {
	// MembersWritten are the members whose permissions the apply
	// changed; ObjectsWritten the other objects it changed.
	MembersWritten int `json:"members_written"`
	ObjectsWritten int `json:"objects_written"`
	// MembersRead are the verify's user/permissions calls; Calls all its
	// calls.
	MembersRead int `json:"members_read"`
	Calls       int `json:"calls"`
}

// Detail is everything measured for one size, passed from the size's
// process to the main one.
type Detail struct {
	Result
	Latency     time.Duration       `json:"latency"`
	Concurrency int                 `json:"concurrency"`
	Shape       benchgen.Shape      `json:"shape"`
	Mutation    benchgen.Mutation   `json:"mutation"`
	Users10     benchgen.UserChange `json:"users10"`
	Changes     map[string]int      `json:"changes"`
	Changes10   map[string]int      `json:"changes10"`
	PlanCalls   benchgen.Calls      `json:"plan_calls"`
	PlanBound   benchgen.Calls      `json:"plan_bound"`
	ApplyCalls  benchgen.Calls      `json:"apply_calls"`
	ApplyBound  benchgen.Calls      `json:"apply_bound"`
	VerifyCalls benchgen.Calls      `json:"verify_calls"`
	ScriptCalls benchgen.Calls      `json:"script_calls"`
	TenCalls    [3]benchgen.Calls   `json:"ten_calls"`
	SweepCalls  benchgen.Calls      `json:"sweep_calls"`
	Resources   benchgen.Resources  `json:"resources"`
	DiffCPUS    float64             `json:"diff_cpu_s"`
	DiffAllocMB float64             `json:"diff_alloc_mb"`
	DiffHeapMB  float64             `json:"diff_heap_mb"`
	RSSReset    bool                `json:"rss_reset"`
	SetupS      float64             `json:"setup_s"`
	// ApplyStateS is the time the apply's state saves took.
	ApplyStateS float64 `json:"apply_state_s"`
	StateMB     float64 `json:"state_mb"`
}

// counter counts the HTTP calls per endpoint.
type counter struct {
	base http.RoundTripper
	mu   sync.Mutex
	n    benchgen.Calls
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	ep := r.URL.Path
	if i := strings.Index(ep, "/api/dash/"); i >= 0 {
		ep = ep[i+len("/api/dash/"):]
	}
	c.mu.Lock()
	c.n[ep]++
	c.mu.Unlock()
	return c.base.RoundTrip(r)
}

// take returns the counts so far and starts again from zero.
func (c *counter) take() benchgen.Calls {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.n
	c.n = benchgen.Calls{}
	return out
}

func newClient(url, token string, conc int) (*apiclient.Client, *counter, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = conc
	cnt := &counter{base: tr, n: benchgen.Calls{}}
	c, err := apiclient.New(apiclient.Config{
		Server:      url,
		Credentials: apiclient.Credentials{Token: token},
		RPS:         -1,
		Concurrency: conc,
		HTTPClient: &http.Client{Transport: cnt, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
		UserAgent: "permsync-bench",
	})
	return c, cnt, err
}

// meter measures wall time, CPU time and peak RSS of a stretch of work.
type meter struct {
	start time.Time
	cpu   time.Duration
	reset bool
	prof  *os.File
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startMeter resets the peak RSS (Linux: clear_refs 5) so that the peak
// read at the end is this stretch's own; reset says whether it could.
// With a profile path, it also records a CPU profile until stop.
func startMeter(profile string) (*meter, error) {
	runtime.GC()
	err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	m := &meter{reset: err == nil}
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, err
		}
		m.prof = f
	}
	m.start, m.cpu = time.Now(), cpuTime()
	return m, nil
}

func (m *meter) stop(p *Phase) {
	if m.prof != nil {
		pprof.StopCPUProfile()
		m.prof.Close()
	}
	p.WallS = round3(time.Since(m.start).Seconds())
	p.CPUS = round3((cpuTime() - m.cpu).Seconds())
	p.RSSMB = round3(float64(peakRSS()) / (1 << 20))
}

// peakRSS is VmHWM in bytes (getrusage's maxrss where /proc is missing).
func peakRSS() int64 {
	if data, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				if err == nil {
					return kb << 10
				}
			}
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Maxrss << 10
}

// profilePath is where the CPU profile of a size's step goes, or "".
func profilePath(o options, sh benchgen.Shape, step string) string {
	if o.pprofDir == "" {
		return ""
	}
	return filepath.Join(o.pprofDir, sh.Name+"-"+step+".pprof")
}

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

func startSim(ctx context.Context, sh benchgen.Shape, seed uint64) (*simProcess, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, "--serve-sim", "--size", sh.Name, "--seed", strconv.FormatUint(seed, 10))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the simulator: %w", err)
	}
	p := &simProcess{in: in, out: bufio.NewScanner(out), wait: cmd.Wait}
	p.out.Buffer(make([]byte, 4096), 1<<20)
	if !p.out.Scan() {
		in.Close()
		_ = cmd.Wait()
		return nil, fmt.Errorf("the simulator did not start: %v", p.out.Err())
	}
	if err := p.parseAddr(p.out.Text()); err != nil {
		in.Close()
		_ = cmd.Wait()
		return nil, err
	}
	return p, nil
}

// stateFromPlan is the state an apply of p would record, without applying
// it: the setup's "before" is already on the server.
func stateFromPlan(p *plan.Plan) *state.State {
	st := state.New()
	for _, c := range p.Changes {
		c.Record(st)
	}
	return st
}

// recordGroupIDs records every group of the server with its id, as the
// apply that created them would have: a read that does not show a group
// the state knows probes it.
func recordGroupIDs(st *state.State, l *youdata.Live) {
	for pname, lp := range l.Projects {
		for gname, lg := range lp.Groups {
			key := plan.StateKey(youdata.KindGroup, pname+"/"+gname)
			o := &state.Object{}
			if old := st.Objects[key]; old != nil {
				o = old.Clone()
			}
			o.ID = lg.ID
			st.Put(key, o)
		}
	}
}

func countChanges(p *plan.Plan) map[string]int {
	out := map[string]int{}
	for _, c := range p.Changes {
		out[string(c.Action)+" "+string(c.Kind)]++
	}
	return out
}

// copyFile copies a state file, so that each step starts from the state
// the setup recorded.
func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o600)
}

// timedWriter is a state writer that adds up the time its saves take.
type timedWriter struct {
	w *state.Writer
	d time.Duration
	n int
}

func (t *timedWriter) save(st *state.State) error {
	start := time.Now()
	err := t.w.Save(st)
	t.d += time.Since(start)
	t.n++
	return err
}

func (t *timedWriter) compact(st *state.State) error {
	start := time.Now()
	err := t.w.Compact(st)
	t.d += time.Since(start)
	return err
}

// bench is one size's simulator, client and pipeline.
type bench struct {
	o    options
	sh   benchgen.Shape
	sim  *simProcess
	cnt  *counter
	prov *youdata.Provider
	log  io.Writer
}

func (b *bench) connect() error {
	client, cnt, err := newClient(b.sim.url, b.sim.token, b.o.concurrency)
	if err != nil {
		return err
	}
	b.cnt = cnt
	b.prov = youdata.New(youdata.Config{API: client, BatchSize: batchSize, Read: youdata.ReadOptions{Concurrency: b.o.concurrency}})
	return nil
}

func (b *bench) pipeline(d *spec.Desired, st *state.State, mode engine.RefreshMode) *engine.Pipeline {
	return &engine.Pipeline{Provider: b.prov, Desired: d, State: st, TokenUser: benchgen.Admin, Refresh: engine.Refresh{Mode: mode}}
}

// applyAndVerify applies pl through pipe, with the state saved to path as
// permsync apply saves it (a journal per phase, written whole at the
// end), and verifies what the apply wrote. It measures both.
func (b *bench) applyAndVerify(ctx context.Context, pipe *engine.Pipeline, pl *plan.Plan, path, profile, verifyProfile string, c *Change) (applyCalls, verifyCalls benchgen.Calls, stateS float64, err error) {
	w := &timedWriter{w: state.NewWriter(path)}
	m, err := startMeter(profile)
	if err != nil {
		return nil, nil, 0, err
	}
	res, err := pipe.Apply(ctx, pl, engine.ApplyOptions{Concurrency: b.o.concurrency, SaveState: w.save, MaxRounds: 1})
	if err != nil {
		return nil, nil, 0, fmt.Errorf("apply: %w", err)
	}
	m.stop(&c.Apply)
	stateS, saves := round3(w.d.Seconds()), w.n
	fmt.Fprintf(b.log, "%s: apply %.2fs: %d state saves, %.3fs\n", b.sh.Name, c.Apply.WallS, saves, stateS)
	applyCalls = b.cnt.take()
	c.Apply.Calls = applyCalls.Total()
	c.Failed = res.Failed() + res.Skipped()
	for _, cr := range res.Changes {
		if cr.Status != engine.StatusApplied {
			fmt.Fprintf(b.log, "%s: %s %s %s: %s %v %s\n", b.sh.Name, cr.Change.Action, cr.Change.Kind, cr.Change.Key, cr.Status, cr.Err, cr.Reason)
			break
		}
	}

	m, err = startMeter(verifyProfile)
	if err != nil {
		return nil, nil, 0, err
	}
	again, err := pipe.Verify(ctx, pl, engine.VerifyChanged)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("verify: %w", err)
	}
	if err := w.save(pipe.State); err != nil {
		return nil, nil, 0, err
	}
	if err := w.compact(pipe.State); err != nil {
		return nil, nil, 0, err
	}
	m.stop(&c.Verify)
	verifyCalls = b.cnt.take()
	c.Verify.Calls = verifyCalls.Total()
	if len(again.Changes) > 0 {
		fmt.Fprintf(b.log, "%s: the verify found %d changes, first %s %s\n", b.sh.Name, len(again.Changes), again.Changes[0].Kind, again.Changes[0].Key)
	}
	return applyCalls, verifyCalls, stateS, nil
}

// converged plans in full, without latency, and counts the changes left.
func (b *bench) converged(ctx context.Context, d *spec.Desired, path string) (int, int, error) {
	if err := b.sim.setLatency(0); err != nil {
		return 0, 0, err
	}
	st, _, err := state.Load(path)
	if err != nil {
		return 0, 0, err
	}
	again, err := b.pipeline(d, st, engine.RefreshFull).Plan(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("verify: %w", err)
	}
	for i, c := range again.Changes {
		if i == 3 {
			break
		}
		fmt.Fprintf(b.log, "%s: not converged: %s %s %s (%s)\n", b.sh.Name, c.Action, c.Kind, c.Key, c.Reason)
	}
	reads := b.cnt.take().Total()
	return len(again.Changes), reads, b.sim.setLatency(b.o.latency)
}

// runSize benchmarks one size: it is the body of the size's own process.
func runSize(ctx context.Context, o options, sh benchgen.Shape, log io.Writer) (*Detail, error) {
	setup := time.Now()
	d := &Detail{Latency: o.latency, Concurrency: o.concurrency, Shape: sh}
	d.Size, d.Users = sh.Name, sh.Users

	before := benchgen.Generate(sh, o.seed)
	after, mut := benchgen.Mutate(before, o.change, o.seed)
	d.Mutation = mut
	wantBefore, wantAfter := before.Desired(), after.Desired()
	before, after = nil, nil
	if err := spec.Validate(wantBefore); err != nil {
		return nil, fmt.Errorf("generated before: %w", err)
	}
	if err := spec.Validate(wantAfter); err != nil {
		return nil, fmt.Errorf("generated after: %w", err)
	}

	sim, err := startSim(ctx, sh, o.seed)
	if err != nil {
		return nil, err
	}
	defer sim.close()
	b := &bench{o: o, sh: sh, sim: sim, log: log}
	if err := b.connect(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "permsync-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	// Setup, not measured: the state permsync would have after applying
	// "before" (the server already holds it) and verifying it, every unit
	// read; checked by planning again.
	pipe := b.pipeline(wantBefore, nil, engine.RefreshFull)
	live, err := pipe.Read(ctx)
	if err != nil {
		return nil, fmt.Errorf("setup read: %w", err)
	}
	p0, err := b.prov.Plan(wantBefore, live, nil, diff.Options{})
	if err != nil {
		return nil, fmt.Errorf("setup plan: %w", err)
	}
	st := stateFromPlan(p0)
	recordGroupIDs(st, live.(*youdata.Live))
	p0, err = b.prov.Plan(wantBefore, live, st, diff.Options{})
	if err != nil {
		return nil, fmt.Errorf("setup plan: %w", err)
	}
	if len(p0.Changes) > 0 {
		c := p0.Changes[0]
		return nil, fmt.Errorf("setup: the simulator does not hold the generated before: %d changes, first %s %s %s (%s)", len(p0.Changes), c.Action, c.Kind, c.Key, c.Reason)
	}
	pipe.State = st
	pipe.RecordReads(p0)
	live, p0 = nil, nil
	setupState := filepath.Join(dir, "setup.json")
	if err := state.Save(setupState, st); err != nil {
		return nil, err
	}
	if fi, err := os.Stat(setupState); err == nil {
		d.StateMB = round3(float64(fi.Size()) / (1 << 20))
	}
	st = nil
	b.cnt.take()
	if err := sim.setLatency(o.latency); err != nil {
		return nil, err
	}
	d.SetupS = round3(time.Since(setup).Seconds())
	fmt.Fprintf(log, "%s: setup %.1fs; planning\n", sh.Name, d.SetupS)

	// The share's change, planned in full.
	path := filepath.Join(dir, "state.json")
	if err := copyFile(setupState, path); err != nil {
		return nil, err
	}
	if st, _, err = state.Load(path); err != nil {
		return nil, err
	}
	m, err := startMeter(profilePath(o, sh, "plan"))
	if err != nil {
		return nil, err
	}
	d.RSSReset = m.reset
	pipe = b.pipeline(wantAfter, st, engine.RefreshFull)
	live, err = pipe.Read(ctx)
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	c0 := cpuTime()
	pl, err := b.prov.Plan(wantAfter, live, st, diff.Options{})
	d.DiffCPUS = round3((cpuTime() - c0).Seconds())
	runtime.ReadMemStats(&ms1)
	d.DiffAllocMB = round3(float64(ms1.TotalAlloc-ms0.TotalAlloc) / (1 << 20))
	d.DiffHeapMB = round3(float64(ms1.HeapAlloc) / (1 << 20))
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	m.stop(&d.Share.Plan)
	d.PlanCalls = b.cnt.take()
	d.Share.Plan.Calls = d.PlanCalls.Total()
	var members []int
	yl := live.(*youdata.Live)
	for _, pr := range wantAfter.Projects {
		if lp := yl.Projects[pr.Name]; lp != nil && lp.Read {
			members = append(members, len(lp.Members))
		}
	}
	d.PlanBound = benchgen.ReadBound(len(yl.Users), members)
	d.Share.Plan.LowerBound = d.PlanBound.Total()
	d.Resources = benchgen.ResourcesOf(yl)
	yl, live = nil, nil
	d.Changes = countChanges(pl)
	if len(pl.Refusals) > 0 {
		return nil, fmt.Errorf("plan refused: %s", strings.Join(pl.RefusalMessages(), "; "))
	}
	fmt.Fprintf(log, "%s: plan %.1fs, %d calls, %d changes; applying\n", sh.Name, d.Share.Plan.WallS, d.Share.Plan.Calls, len(pl.Changes))

	d.ApplyBound = benchgen.WriteBound(pl, batchSize)
	d.Share.Apply.LowerBound = d.ApplyBound.Total()
	for _, c := range pl.Changes {
		if c.Kind == youdata.KindMember {
			continue
		}
		d.Verify.ObjectsWritten++
	}
	written := map[string]bool{}
	for _, c := range pl.Changes {
		for _, u := range b.prov.Writes(c) {
			if strings.HasPrefix(u, "member ") {
				written[u] = true
			}
		}
	}
	d.Verify.MembersWritten = len(written)
	d.ApplyCalls, d.VerifyCalls, d.ApplyStateS, err = b.applyAndVerify(ctx, pipe, pl, path, profilePath(o, sh, "apply"), profilePath(o, sh, "verify"), &d.Share)
	if err != nil {
		return nil, err
	}
	d.Verify.MembersRead = d.VerifyCalls["user/permissions"]
	d.Verify.Calls = d.Share.Verify.Calls
	d.ScriptCalls = benchgen.ScriptWrites(pl, batchSize)
	d.Share.Peers = Peers{PerObject: benchgen.PerObject(d.Resources, pl), ScriptReads: d.Share.Plan.Calls, ScriptWrites: d.ScriptCalls.Total()}
	if d.Share.Remaining, _, err = b.converged(ctx, wantAfter, path); err != nil {
		return nil, err
	}
	pl, pipe, st = nil, nil, nil
	fmt.Fprintf(log, "%s: apply %.1fs, %d calls, verify %d calls; a change of ten users\n", sh.Name, d.Share.Apply.WallS, d.Share.Apply.Calls, d.Share.Verify.Calls)

	// Ten users' permissions change: a fresh server holding "before", the
	// state the setup recorded, a plan that refreshes what changed.
	wantAfter = nil
	company := benchgen.Generate(sh, o.seed)
	ten, ch := benchgen.MutateUsers(company, 10, o.seed)
	d.Users10 = ch
	wantTen := ten.Desired()
	company, ten = nil, nil
	if err := sim.reset(); err != nil {
		return nil, err
	}
	if err := b.connect(); err != nil {
		return nil, err
	}
	if err := sim.setLatency(o.latency); err != nil {
		return nil, err
	}
	path = filepath.Join(dir, "state10.json")
	if err := copyFile(setupState, path); err != nil {
		return nil, err
	}
	if st, _, err = state.Load(path); err != nil {
		return nil, err
	}
	b.cnt.take()
	pipe = b.pipeline(wantTen, st, engine.RefreshChanged)
	m, err = startMeter(profilePath(o, sh, "plan10"))
	if err != nil {
		return nil, err
	}
	pl10, err := pipe.Plan(ctx)
	if err != nil {
		return nil, fmt.Errorf("plan of ten users: %w", err)
	}
	m.stop(&d.Ten.Plan)
	d.TenCalls[0] = b.cnt.take()
	d.Ten.Plan.Calls = d.TenCalls[0].Total()
	d.Changes10 = countChanges(pl10)
	for _, w := range pl10.Warnings {
		fmt.Fprintf(log, "%s: ten users: %s\n", sh.Name, w)
	}
	d.TenCalls[1], d.TenCalls[2], _, err = b.applyAndVerify(ctx, pipe, pl10, path, "", profilePath(o, sh, "verify10"), &d.Ten)
	if err != nil {
		return nil, err
	}
	var fullReads int
	if d.Ten.Remaining, fullReads, err = b.converged(ctx, wantTen, path); err != nil {
		return nil, err
	}
	d.Ten.Peers = Peers{PerObject: benchgen.PerObject(d.Resources, pl10), ScriptReads: fullReads, ScriptWrites: benchgen.ScriptWrites(pl10, batchSize).Total()}

	// The next run every 15 minutes, with nothing changed: the sweep.
	if st, _, err = state.Load(path); err != nil {
		return nil, err
	}
	pipe = b.pipeline(wantTen, st, engine.RefreshChanged)
	pipe.Refresh.Interval = 15 * time.Minute
	m, err = startMeter("")
	if err != nil {
		return nil, err
	}
	sweep, err := pipe.Plan(ctx)
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	m.stop(&d.Sweep)
	d.SweepCalls = b.cnt.take()
	d.Sweep.Calls = d.SweepCalls.Total()
	if len(sweep.Changes) > 0 {
		fmt.Fprintf(log, "%s: the sweep found %d changes\n", sh.Name, len(sweep.Changes))
	}
	return d, nil
}

func sortedCalls(c benchgen.Calls) []string {
	out := make([]string, 0, len(c))
	for k, v := range c {
		out = append(out, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(out)
	return out
}
