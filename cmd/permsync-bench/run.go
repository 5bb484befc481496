package main

import (
	"bufio"
	"context"
	"encoding/json"
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

// Phase is what the benchmark measures of plan or apply.
type Phase struct {
	Calls      int     `json:"calls"`
	LowerBound int     `json:"lower_bound"`
	WallS      float64 `json:"wall_s"`
	CPUS       float64 `json:"cpu_s"`
	RSSMB      float64 `json:"rss_mb"`
}

// Naive is the baseline: the same plan, one object per call.
type Naive struct {
	Calls int     `json:"calls"`
	WallS float64 `json:"wall_s"`
}

// Result is the report of one size, as the --json line shows it.
type Result struct {
	Size  string `json:"size"`
	Users int    `json:"users"`
	Plan  Phase  `json:"plan"`
	Apply Phase  `json:"apply"`
	Naive Naive  `json:"naive"`
}

// Detail is everything measured for one size, passed from the size's
// process to the main one.
type Detail struct {
	Result
	Latency     time.Duration     `json:"latency"`
	Concurrency int               `json:"concurrency"`
	Shape       benchgen.Shape    `json:"shape"`
	Mutation    benchgen.Mutation `json:"mutation"`
	Changes     map[string]int    `json:"changes"`
	PlanCalls   benchgen.Calls    `json:"plan_calls"`
	PlanBound   benchgen.Calls    `json:"plan_bound"`
	ApplyCalls  benchgen.Calls    `json:"apply_calls"`
	ApplyBound  benchgen.Calls    `json:"apply_bound"`
	NaiveCalls  benchgen.Calls    `json:"naive_calls"`
	DiffCPUS    float64           `json:"diff_cpu_s"`
	DiffAllocMB float64           `json:"diff_alloc_mb"`
	DiffHeapMB  float64           `json:"diff_heap_mb"`
	Converged   bool              `json:"converged"`
	Remaining   int               `json:"remaining"`
	Failed      int               `json:"failed"`
	NaiveFailed int               `json:"naive_failed"`
	RSSReset    bool              `json:"rss_reset"`
	SetupS      float64           `json:"setup_s"`
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

func cloneState(st *state.State) (*state.State, error) {
	data, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	out := state.New()
	return out, json.Unmarshal(data, out)
}

func countChanges(p *plan.Plan) map[string]int {
	out := map[string]int{}
	for _, c := range p.Changes {
		out[string(c.Action)+" "+string(c.Kind)]++
	}
	return out
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
	before = nil
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
	client, cnt, err := newClient(sim.url, sim.token, o.concurrency)
	if err != nil {
		return nil, err
	}
	prov := youdata.New(youdata.Config{API: client, BatchSize: batchSize})
	pipe := &engine.Pipeline{Provider: prov, Desired: wantBefore, TokenUser: benchgen.Admin}

	// Setup, not measured: the state permsync would have after applying
	// "before" (the server already holds it), checked by planning again.
	live, err := pipe.Read(ctx)
	if err != nil {
		return nil, fmt.Errorf("setup read: %w", err)
	}
	p0, err := prov.Plan(wantBefore, live, nil, diff.Options{})
	if err != nil {
		return nil, fmt.Errorf("setup plan: %w", err)
	}
	st := stateFromPlan(p0)
	p0, err = prov.Plan(wantBefore, live, st, diff.Options{})
	if err != nil {
		return nil, fmt.Errorf("setup plan: %w", err)
	}
	if len(p0.Changes) > 0 {
		c := p0.Changes[0]
		return nil, fmt.Errorf("setup: the simulator does not hold the generated before: %d changes, first %s %s %s (%s)", len(p0.Changes), c.Action, c.Kind, c.Key, c.Reason)
	}
	live, p0 = nil, nil
	naiveState, err := cloneState(st)
	if err != nil {
		return nil, err
	}
	cnt.take()
	if err := sim.setLatency(o.latency); err != nil {
		return nil, err
	}
	d.SetupS = round3(time.Since(setup).Seconds())
	fmt.Fprintf(log, "%s: setup %.1fs; planning\n", sh.Name, d.SetupS)

	// Plan: read the server, compute the plan.
	m, err := startMeter(profilePath(o, sh, "plan"))
	if err != nil {
		return nil, err
	}
	d.RSSReset = m.reset
	pipe.Desired, pipe.State = wantAfter, st
	live, err = pipe.Read(ctx)
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	c0 := cpuTime()
	pl, err := prov.Plan(wantAfter, live, st, diff.Options{})
	d.DiffCPUS = round3((cpuTime() - c0).Seconds())
	runtime.ReadMemStats(&ms1)
	d.DiffAllocMB = round3(float64(ms1.TotalAlloc-ms0.TotalAlloc) / (1 << 20))
	d.DiffHeapMB = round3(float64(ms1.HeapAlloc) / (1 << 20))
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	m.stop(&d.Plan)
	d.PlanCalls = cnt.take()
	d.Plan.Calls = d.PlanCalls.Total()
	var members []int
	yl := live.(*youdata.Live)
	for _, pr := range wantAfter.Projects {
		if lp := yl.Projects[pr.Name]; lp != nil && lp.Read {
			members = append(members, len(lp.Members))
		}
	}
	d.PlanBound = benchgen.ReadBound(len(yl.Users), members)
	yl = nil
	d.Plan.LowerBound = d.PlanBound.Total()
	live = nil
	d.Changes = countChanges(pl)
	if len(pl.Refusals) > 0 {
		return nil, fmt.Errorf("plan refused: %s", strings.Join(pl.RefusalMessages(), "; "))
	}
	fmt.Fprintf(log, "%s: plan %.1fs, %d calls, %d changes; applying\n", sh.Name, d.Plan.WallS, d.Plan.Calls, len(pl.Changes))

	// Apply.
	dir, err := os.MkdirTemp("", "permsync-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	stateFile := state.NewWriter(filepath.Join(dir, "state.json"))
	applyOpts := engine.ApplyOptions{
		Concurrency: o.concurrency,
		SaveState: func(s *state.State) error {
			return stateFile.Save(s)
		},
		MaxRounds: 1, // measured: the apply of the plan, with no later round
	}
	m, err = startMeter(profilePath(o, sh, "apply"))
	if err != nil {
		return nil, err
	}
	res, err := pipe.Apply(ctx, pl, applyOpts)
	if err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	m.stop(&d.Apply)
	d.ApplyCalls = cnt.take()
	d.Apply.Calls = d.ApplyCalls.Total()
	d.ApplyBound = benchgen.WriteBound(pl, batchSize)
	d.Apply.LowerBound = d.ApplyBound.Total()
	d.Failed = res.Failed() + res.Skipped()
	for _, cr := range res.Changes {
		if cr.Status != engine.StatusApplied {
			fmt.Fprintf(log, "%s: %s %s %s: %s %v %s\n", sh.Name, cr.Change.Action, cr.Change.Kind, cr.Change.Key, cr.Status, cr.Err, cr.Reason)
			break
		}
	}

	// Verify, not measured: plan again.
	if err := sim.setLatency(0); err != nil {
		return nil, err
	}
	again, err := pipe.Plan(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	d.Remaining = len(again.Changes)
	d.Converged = d.Remaining == 0 && d.Failed == 0
	for i, c := range again.Changes {
		if i == 3 {
			break
		}
		fmt.Fprintf(log, "%s: not converged: %s %s %s (%s)\n", sh.Name, c.Action, c.Kind, c.Key, c.Reason)
	}
	cnt.take()
	fmt.Fprintf(log, "%s: apply %.1fs, %d calls; naive baseline\n", sh.Name, d.Apply.WallS, d.Apply.Calls)

	// Naive baseline: a fresh server, the same plan, one object per call.
	if err := sim.reset(); err != nil {
		return nil, err
	}
	nclient, ncnt, err := newClient(sim.url, sim.token, o.concurrency)
	if err != nil {
		return nil, err
	}
	if err := sim.setLatency(o.latency); err != nil {
		return nil, err
	}
	naiveOpts := applyOpts
	naiveOpts.SaveState = nil
	naive := &engine.Pipeline{Provider: youdata.New(youdata.Config{API: nclient, BatchSize: 1}), Desired: wantAfter,
		State: naiveState, TokenUser: pipe.TokenUser}
	start := time.Now()
	nres, err := naive.Apply(ctx, pl, naiveOpts)
	if err != nil {
		return nil, fmt.Errorf("naive apply: %w", err)
	}
	d.Naive.WallS = round3(time.Since(start).Seconds())
	d.NaiveCalls = ncnt.take()
	d.Naive.Calls = d.NaiveCalls.Total()
	d.NaiveFailed = nres.Failed() + nres.Skipped()
	return d, nil
}

// The naive baseline applies the plan as a per-resource tool would:
// permsync's executor with a batch size of 1, so every call that takes a
// list of users or groups names one (one user per batchImport,
// user/delRoles, projectUser/delUsersByUniqueIds and domain/user/delete,
// one group per group/dels). Calls that are per object already stay as
// they are: one importDataPermissions per role with all its new bindings,
// and a user/delRoles may still name several roles of a folder for its
// user.

func sortedCalls(c benchgen.Calls) []string {
	out := make([]string, 0, len(c))
	for k, v := range c {
		out = append(out, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(out)
	return out
}
