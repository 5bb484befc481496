package main

// permsync-bench --provider quickbi: the Quick BI benchmark. A generated
// company (provider/quickbi/benchgen) is applied to an organization that
// holds only what the API cannot create (the admin, the workspaces and
// their datasets), planned again (no change), changed by a share and
// applied again, against the Quick BI simulator with a per-call latency.
// The calls of every step are compared with provider/quickbi's ReadBound
// and WriteBound. See BENCHMARKS.md, section Quick BI.
//
//	go run ./cmd/permsync-bench --provider quickbi [--size S|M|L] [--latency 20ms]
//	    [--change 0.05] [--concurrency 16] [--seed 1] [--json | --markdown]
//
// As for Youdata, every size runs in a process of its own and the
// simulator in another, so that CPU time and peak memory are permsync's.

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/permsync/permsync/diff"
	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/provider/quickbi"
	"github.com/permsync/permsync/provider/quickbi/apiclient"
	"github.com/permsync/permsync/provider/quickbi/benchgen"
	"github.com/permsync/permsync/provider/quickbi/quickbitest"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// providerFlag takes --provider NAME (or --provider=NAME) out of args;
// name is "" when args hold none.
func providerFlag(args []string) (rest []string, name string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		flagName, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || flagName != "provider" {
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return args, "-"
			}
			value = args[i+1]
			rest = append(append(rest, args[:i]...), args[i+2:]...)
		} else {
			rest = append(append(rest, args[:i]...), args[i+1:]...)
		}
		return rest, value
	}
	return args, ""
}

// runProvider runs the benchmark of the provider --provider names.
func runProvider(ctx context.Context, args []string, name string, stdin io.Reader, stdout, stderr io.Writer) int {
	switch name {
	case quickbi.Name:
		return runQuickBI(ctx, args, stdin, stdout, stderr)
	case "youdata":
		return run(ctx, args, stdin, stdout, stderr)
	}
	fmt.Fprintf(stderr, "permsync-bench: --provider %q: want youdata or quickbi\n", name)
	return 2
}

type qbOptions struct {
	sizes       []benchgen.Shape
	latency     time.Duration
	change      float64
	concurrency int
	seed        uint64
	json        bool
	markdown    bool
	child       bool
	serveSim    bool
}

func parseQuickBIFlags(args []string, stderr io.Writer) (qbOptions, error) {
	fs := flag.NewFlagSet("permsync-bench --provider quickbi", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o qbOptions
	size := fs.String("size", "", "S, M or L (default: all three, one after the other)")
	fs.DurationVar(&o.latency, "latency", 20*time.Millisecond, "latency of every simulated API call")
	fs.Float64Var(&o.change, "change", 0.05, "share of the company that differs between before and after (0 to 1)")
	fs.IntVar(&o.concurrency, "concurrency", 16, "client requests in flight (and concurrent calls of an apply phase)")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the company generator")
	fs.BoolVar(&o.json, "json", false, "one JSON object per size on its own line")
	fs.BoolVar(&o.markdown, "markdown", false, "the rows of BENCHMARKS.md's Quick BI table")
	fs.BoolVar(&o.child, "child", false, "internal: run one size and print its details as JSON")
	fs.BoolVar(&o.serveSim, "serve-sim", false, "internal: serve the simulator of one size")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *size == "" {
		o.sizes = benchgen.Shapes
	} else {
		for _, name := range strings.Split(*size, ",") {
			sh, ok := benchgen.ShapeByName(strings.ToUpper(strings.TrimSpace(name)))
			if !ok {
				return o, fmt.Errorf("--size %q: want S, M or L", name)
			}
			o.sizes = append(o.sizes, sh)
		}
	}
	switch {
	case o.latency < 0:
		return o, errors.New("--latency must not be negative")
	case o.change < 0 || o.change > 1:
		return o, errors.New("--change must be between 0 and 1")
	case o.concurrency < 1:
		return o, errors.New("--concurrency must be at least 1")
	case o.json && o.markdown:
		return o, errors.New("--json and --markdown exclude each other")
	case (o.child || o.serveSim) && len(o.sizes) != 1:
		return o, errors.New("internal modes take one --size")
	}
	return o, nil
}

// QBStep is what the benchmark measures of one step.
type QBStep struct {
	Name       string         `json:"name"`
	Calls      int            `json:"calls"`
	LowerBound int            `json:"lower_bound"`
	WallS      float64        `json:"wall_s"`
	CPUS       float64        `json:"cpu_s"`
	RSSMB      float64        `json:"rss_mb"`
	Changes    int            `json:"changes"`
	ByAction   quickbi.Calls  `json:"calls_by_action"`
	Bound      quickbi.Calls  `json:"bound_by_action"`
	PlanCounts map[string]int `json:"plan_changes,omitempty"`
}

// QBDetail is everything measured for one size.
type QBDetail struct {
	Size        string             `json:"size"`
	Users       int                `json:"users"`
	Latency     time.Duration      `json:"latency"`
	Concurrency int                `json:"concurrency"`
	Shape       benchgen.Shape     `json:"shape"`
	Mutation    benchgen.Mutation  `json:"mutation"`
	Steps       []QBStep           `json:"steps"`
	Converged   bool               `json:"converged"`
	Remaining   int                `json:"remaining"`
	Failed      int                `json:"failed"`
	RSSReset    bool               `json:"rss_reset"`
	SetupS      float64            `json:"setup_s"`
	Diff        map[string]float64 `json:"diff"`
}

func runQuickBI(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := parseQuickBIFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "permsync-bench:", err)
		return 2
	}
	return driver[benchgen.Shape, QBDetail]{
		prefix: "permsync-bench quickbi", sizes: o.sizes, name: func(sh benchgen.Shape) string { return sh.Name },
		json: o.json, markdown: o.markdown, child: o.child, serveSim: o.serveSim,
		serve:   func(sh benchgen.Shape, in io.Reader, out io.Writer) error { return qbServeSim(sh, o.seed, in, out) },
		runSize: func(ctx context.Context, sh benchgen.Shape) (*QBDetail, error) { return qbRunSize(ctx, o, sh, stderr) },
		childArgs: func(sh benchgen.Shape) []string {
			return []string{"--provider", quickbi.Name, "--child", "--size", sh.Name,
				"--latency", o.latency.String(), "--change", strconv.FormatFloat(o.change, 'g', -1, 64),
				"--concurrency", strconv.Itoa(o.concurrency), "--seed", strconv.FormatUint(o.seed, 10)}
		},
		jsonLine: func(d *QBDetail) any { return d },
		header:   qbMarkdownHeader,
		rows:     qbMarkdownRows,
		text:     qbPrintText,
	}.run(ctx, stdin, stdout, stderr)
}

// qbCounter counts the HTTP attempts per action, as the client reports
// them.
type qbCounter struct {
	mu sync.Mutex
	n  quickbi.Calls
}

func (c *qbCounter) observe(ci apiclient.CallInfo) {
	c.mu.Lock()
	c.n[ci.Action]++
	c.mu.Unlock()
}

// take returns the counts so far (the two group-member actions each
// counted as one, as WriteBound counts them) and starts again from zero.
func (c *qbCounter) take() quickbi.Calls {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.n.Merged()
	c.n = quickbi.Calls{}
	return out
}

// qbMeter measures wall time, CPU time and peak RSS of a stretch of work,
// with run.go's cpuTime and peakRSS.
type qbMeter struct {
	start time.Time
	cpu   time.Duration
	reset bool
}

// qbStartMeter resets the peak RSS (Linux: clear_refs 5) so that the
// peak read at the end is this stretch's own; reset says whether it
// could.
func qbStartMeter() *qbMeter {
	runtime.GC()
	err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	return &qbMeter{start: time.Now(), cpu: cpuTime(), reset: err == nil}
}

func (m *qbMeter) stop(s *QBStep) {
	s.WallS = round3(time.Since(m.start).Seconds())
	s.CPUS = round3((cpuTime() - m.cpu).Seconds())
	s.RSSMB = round3(float64(peakRSS()) / (1 << 20))
}

func qbCountChanges(changes []string) map[string]int {
	out := map[string]int{}
	for _, c := range changes {
		out[c]++
	}
	return out
}

// qbRunSize benchmarks one size: the body of the size's own process.
func qbRunSize(ctx context.Context, o qbOptions, sh benchgen.Shape, log io.Writer) (*QBDetail, error) {
	setup := time.Now()
	d := &QBDetail{Size: sh.Name, Users: sh.Users, Latency: o.latency, Concurrency: o.concurrency, Shape: sh, Diff: map[string]float64{}}
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

	sim, err := qbStartSim(ctx, sh, o.seed)
	if err != nil {
		return nil, err
	}
	defer sim.close()
	cnt := &qbCounter{n: quickbi.Calls{}}
	client, err := apiclient.New(apiclient.Config{
		Server:      sim.url,
		Credentials: apiclient.Credentials{AccessKeyID: sim.keyID, AccessKeySecret: sim.keySecret},
		WriteRPS:    -1, ReadRPS: -1,
		Concurrency: o.concurrency,
		UserAgent:   "permsync-bench",
		Observe:     cnt.observe,
	})
	if err != nil {
		return nil, err
	}
	prov := quickbi.New(quickbi.Config{API: client, Read: quickbi.ReadOptions{Concurrency: o.concurrency}})
	pipe := &engine.Pipeline{Provider: prov, State: state.New(), TokenUser: benchgen.Admin}
	dir, err := os.MkdirTemp("", "permsync-bench-quickbi-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	stateFile := state.NewWriter(filepath.Join(dir, "state.json"))
	applyOpts := engine.ApplyOptions{
		Concurrency: o.concurrency,
		SaveState:   func(s *state.State) error { return stateFile.Save(s) },
		MaxRounds:   1, // measured: the apply of the plan, with no later round
	}
	if err := sim.setLatency(o.latency); err != nil {
		return nil, err
	}
	d.SetupS = round3(time.Since(setup).Seconds())

	// planned is the step of a plan of want from live, measured by m; its
	// bound is ReadBound of what the read showed.
	planned := func(name string, m *qbMeter, live provider.Live, want *spec.Desired, pl *plan.Plan) *QBStep {
		s := &QBStep{Name: name}
		m.stop(s)
		s.ByAction = cnt.take()
		s.Calls = s.ByAction.Total()
		s.Bound = quickbi.ReadBound(live.(*quickbi.Live), quickbi.ScopeOf(want.QuickBI))
		s.LowerBound = s.Bound.Total()
		s.Changes = len(pl.Changes)
		return s
	}
	// planStep reads the server and plans want, measured.
	var pending *plan.Plan
	planStep := func(name string, want *spec.Desired) (*QBStep, error) {
		fmt.Fprintf(log, "quickbi %s: %s\n", sh.Name, name)
		pipe.Desired = want
		cnt.take()
		m := qbStartMeter()
		d.RSSReset = m.reset
		live, err := pipe.Read(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		c0 := cpuTime()
		pl, err := prov.Plan(want, live, pipe.State, diff.Options{})
		d.Diff[name+" cpu_s"] = round3((cpuTime() - c0).Seconds())
		runtime.ReadMemStats(&ms1)
		d.Diff[name+" alloc_mb"] = round3(float64(ms1.TotalAlloc-ms0.TotalAlloc) / (1 << 20))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		s := planned(name, m, live, want, pl)
		var ids []string
		for _, c := range pl.Changes {
			ids = append(ids, string(c.Action)+" "+string(c.Kind))
		}
		s.PlanCounts = qbCountChanges(ids)
		if len(pl.Refusals) > 0 {
			return nil, fmt.Errorf("%s: plan refused: %s", name, strings.Join(pl.RefusalMessages(), "; "))
		}
		d.Steps = append(d.Steps, *s)
		pending = pl
		return s, nil
	}
	// changedStep plans want with --refresh=changed, measured, as a run
	// every interval does; its bound is ReadBound of what it read.
	changedStep := func(name string, want *spec.Desired, interval time.Duration) (*QBStep, error) {
		fmt.Fprintf(log, "quickbi %s: %s\n", sh.Name, name)
		pipe.Desired = want
		pipe.Refresh = engine.Refresh{Mode: engine.RefreshChanged, Interval: interval}
		defer func() { pipe.Refresh = engine.Refresh{} }()
		cnt.take()
		m := qbStartMeter()
		pl, err := pipe.Plan(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		s := planned(name, m, pipe.LastLive, want, pl)
		for _, w := range pl.Warnings {
			if strings.HasPrefix(w, "refresh=changed") {
				fmt.Fprintf(log, "quickbi %s: %s: %s\n", sh.Name, name, w)
			}
		}
		d.Steps = append(d.Steps, *s)
		return s, nil
	}
	applyStep := func(name string) error {
		fmt.Fprintf(log, "quickbi %s: %s (%d changes)\n", sh.Name, name, len(pending.Changes))
		cnt.take()
		m := qbStartMeter()
		res, err := pipe.Apply(ctx, pending, applyOpts)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		s := QBStep{Name: name, Changes: len(pending.Changes)}
		m.stop(&s)
		s.ByAction = cnt.take()
		s.Calls = s.ByAction.Total()
		s.Bound = quickbi.WriteBound(pending)
		s.LowerBound = s.Bound.Total()
		d.Steps = append(d.Steps, s)
		d.Failed += res.Failed() + res.Skipped()
		for _, cr := range res.Changes {
			if cr.Status != engine.StatusApplied {
				fmt.Fprintf(log, "quickbi %s: %s %s %s: %s %v %s\n", sh.Name, cr.Change.Action, cr.Change.Kind, cr.Change.Key, cr.Status, cr.Err, cr.Reason)
				break
			}
		}
		return nil
	}

	if _, err := planStep("first plan", wantBefore); err != nil {
		return nil, err
	}
	if err := applyStep("first apply"); err != nil {
		return nil, err
	}
	noop, err := planStep("no-op plan", wantBefore)
	if err != nil {
		return nil, err
	}
	if noop.Changes > 0 {
		return nil, fmt.Errorf("no-op plan: the first apply did not converge: %d changes left (%v)", noop.Changes, noop.PlanCounts)
	}
	// The no-op plan found every member's tag values as the files want
	// them: recorded, as a run records them, for the plans that refresh
	// what changed.
	pipe.RecordReads(pending)
	if _, err := changedStep("run every 15 min, nothing changed (sweep)", wantBefore, 15*time.Minute); err != nil {
		return nil, err
	}
	if _, err := changedStep("change plan, --refresh=changed", wantAfter, 0); err != nil {
		return nil, err
	}
	if _, err := planStep("change plan", wantAfter); err != nil {
		return nil, err
	}
	if err := applyStep("change apply"); err != nil {
		return nil, err
	}

	// Verify, not measured: plan again.
	if err := sim.setLatency(0); err != nil {
		return nil, err
	}
	pipe.Desired = wantAfter
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
		fmt.Fprintf(log, "quickbi %s: not converged: %s %s %s (%s)\n", sh.Name, c.Action, c.Kind, c.Key, c.Reason)
	}
	return d, nil
}

// qbFloorS is the least time a step's calls take at Quick BI's limit of
// 50 requests a second per API: its busiest action's calls ÷ 50.
func qbFloorS(c quickbi.Calls) float64 {
	most := 0
	for _, n := range c {
		most = max(most, n)
	}
	return float64(most) / quickbitest.DefaultRateLimit
}

func qbRatio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

const qbMarkdownHeader = `| size | users | step | changes | calls | lower bound | calls/bound | wall s | wall/(calls×lat÷conc) | CPU s | peak RSS MB | s at 50 calls/s per API |
| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`

func qbMarkdownRows(d *QBDetail) string {
	var rows []string
	for _, s := range d.Steps {
		ideal := float64(s.Calls) * d.Latency.Seconds() / float64(d.Concurrency)
		rows = append(rows, fmt.Sprintf("| %s | %d | %s | %d | %d | %d | %.3f | %.1f | %.2f | %.1f | %.0f | %.0f |",
			d.Size, d.Users, s.Name, s.Changes, s.Calls, s.LowerBound, qbRatio(float64(s.Calls), float64(s.LowerBound)),
			s.WallS, qbRatio(s.WallS, ideal), s.CPUS, s.RSSMB, qbFloorS(s.ByAction)))
	}
	return strings.Join(rows, "\n")
}

func qbSorted(c map[string]int) string {
	out := make([]string, 0, len(c))
	for k, v := range c {
		out = append(out, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

func qbPrintText(w io.Writer, d *QBDetail) {
	sh := d.Shape
	fmt.Fprintf(w, "quickbi size %s: %d users, %d groups, %d workspaces × %d members, %d datasets × %d row rules (+%d column rules on one)\n",
		d.Size, d.Users, sh.Groups, sh.Workspaces, sh.Members, sh.Datasets, sh.Rules, sh.ColumnRules)
	fmt.Fprintf(w, "  latency %s, concurrency %d; change: %+v; setup %.1fs\n", d.Latency, d.Concurrency, d.Mutation, d.SetupS)
	for _, s := range d.Steps {
		fmt.Fprintf(w, "  %-12s %7d calls, lower bound %7d (%.3f×); %d changes; wall %.1fs; CPU %.1fs; peak RSS %.0f MB\n",
			s.Name, s.Calls, s.LowerBound, qbRatio(float64(s.Calls), float64(s.LowerBound)), s.Changes, s.WallS, s.CPUS, s.RSSMB)
		fmt.Fprintf(w, "               calls: %s\n", qbSorted(s.ByAction))
		fmt.Fprintf(w, "               bound: %s\n", qbSorted(s.Bound))
		if len(s.PlanCounts) > 0 {
			fmt.Fprintf(w, "               plan:  %s\n", qbSorted(s.PlanCounts))
		}
	}
	var diffs []string
	for _, k := range sortedKeysF(d.Diff) {
		diffs = append(diffs, fmt.Sprintf("%s %.2f", k, d.Diff[k]))
	}
	fmt.Fprintf(w, "  diff: %s\n", strings.Join(diffs, ", "))
	fmt.Fprintf(w, "  converged: %v (%d changes left, %d not applied)\n", d.Converged, d.Remaining, d.Failed)
	if !d.RSSReset {
		fmt.Fprintln(w, "  (peak RSS could not be reset between steps: each peak includes the earlier ones)")
	}
}

func sortedKeysF(m map[string]float64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// qbServeSim is the simulator process: it seeds a simulator with the
// skeleton of the shape's company, prints "URL KEYID SECRET" and then
// obeys "latency 20ms" lines on stdin (answer "ok"). It stops when stdin
// ends. The secret is the simulator's own, drawn at random for the run.
func qbServeSim(sh benchgen.Shape, seed uint64, in io.Reader, out io.Writer) error {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	sim, err := quickbitest.NewFromOptions(quickbitest.Options{Seed: benchgen.Generate(sh, seed).Skeleton(), AccessKeySecret: hex.EncodeToString(b[:])})
	if err != nil {
		return fmt.Errorf("seed the simulator: %w", err)
	}
	sim.Start()
	defer sim.Close()
	fmt.Fprintln(out, sim.URL(), sim.AccessKeyID(), sim.AccessKeySecret())
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		switch cmd {
		case "latency":
			d, err := time.ParseDuration(arg)
			if err != nil {
				return fmt.Errorf("latency: %w", err)
			}
			sim.SetFaults("*", quickbitest.Fault{Latency: d})
			fmt.Fprintln(out, "ok")
		default:
			return fmt.Errorf("unknown command %q", cmd)
		}
	}
	return sc.Err()
}

// qbSim is the benchmark's handle on a simulator process.
type qbSim struct {
	in                    io.WriteCloser
	out                   *bufio.Scanner
	wait                  func() error
	url, keyID, keySecret string
}

func qbStartSim(ctx context.Context, sh benchgen.Shape, seed uint64) (*qbSim, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, "--provider", quickbi.Name, "--serve-sim", "--size", sh.Name, "--seed", strconv.FormatUint(seed, 10))
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
	p := &qbSim{in: in, out: bufio.NewScanner(out), wait: cmd.Wait}
	fail := func(err error) (*qbSim, error) {
		in.Close()
		_ = cmd.Wait()
		return nil, err
	}
	if !p.out.Scan() {
		return fail(fmt.Errorf("the simulator did not start: %v", p.out.Err()))
	}
	f := strings.Fields(p.out.Text())
	if len(f) != 3 {
		return fail(errors.New("the simulator did not say where it listens"))
	}
	p.url, p.keyID, p.keySecret = f[0], f[1], f[2]
	return p, nil
}

func (p *qbSim) setLatency(d time.Duration) error {
	if _, err := fmt.Fprintln(p.in, "latency "+d.String()); err != nil {
		return fmt.Errorf("simulator latency: %w", err)
	}
	if !p.out.Scan() {
		return fmt.Errorf("simulator latency: no answer: %v", p.out.Err())
	}
	if ans := p.out.Text(); ans != "ok" {
		return fmt.Errorf("simulator latency: %s", ans)
	}
	return nil
}

func (p *qbSim) close() error {
	p.in.Close()
	return p.wait()
}
