// Command permsync-bench measures permsync's plan and apply on a large
// generated company against the simulator with a per-call latency, and
// compares the API calls made with the fewest the change needs and with
// two peers: a per-object provider and a batching script. See
// BENCHMARKS.md.
//
//	go run ./cmd/permsync-bench [--size S|M|L] [--latency 20ms] [--change 0.05]
//	    [--concurrency 16] [--seed 1] [--json | --markdown]
//
// Every size runs in a process of its own (so peak memory is its own),
// and the simulator in another (so CPU time and memory are permsync's).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/permsync/permsync/provider/youdata/benchgen"
)

type options struct {
	sizes       []benchgen.Shape
	latency     time.Duration
	change      float64
	concurrency int
	seed        uint64
	json        bool
	markdown    bool
	child       bool
	serveSim    bool
	// pprofDir, when set, receives CPU profiles of each size's plan and
	// apply (S-plan.pprof, S-apply.pprof ...).
	pprofDir string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("permsync-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	size := fs.String("size", "", "S, M or L (default: all three, one after the other)")
	fs.DurationVar(&o.latency, "latency", 20*time.Millisecond, "latency of every simulated API call")
	fs.Float64Var(&o.change, "change", 0.05, "share of the company that differs between before and after (0 to 1)")
	fs.IntVar(&o.concurrency, "concurrency", 16, "client requests in flight (and calls in flight of a read and of an apply phase)")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the company generator")
	fs.BoolVar(&o.json, "json", false, "one JSON object per size on its own line")
	fs.BoolVar(&o.markdown, "markdown", false, "the rows of BENCHMARKS.md's table")
	fs.StringVar(&o.pprofDir, "pprof", "", "write CPU profiles of every plan and apply to this directory (go tool pprof DIR/M-apply.pprof)")
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

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if rest, name := providerFlag(args); name != "" {
		return runProvider(ctx, rest, name, stdin, stdout, stderr) // quickbi.go
	}
	o, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "permsync-bench:", err)
		return 2
	}
	return driver[benchgen.Shape, Detail]{
		prefix: "permsync-bench", sizes: o.sizes, name: func(sh benchgen.Shape) string { return sh.Name },
		json: o.json, markdown: o.markdown, child: o.child, serveSim: o.serveSim,
		serve:   func(sh benchgen.Shape, in io.Reader, out io.Writer) error { return serveSim(sh, o.seed, in, out) },
		runSize: func(ctx context.Context, sh benchgen.Shape) (*Detail, error) { return runSize(ctx, o, sh, stderr) },
		childArgs: func(sh benchgen.Shape) []string {
			return []string{"--child", "--size", sh.Name,
				"--latency", o.latency.String(), "--change", strconv.FormatFloat(o.change, 'g', -1, 64),
				"--concurrency", strconv.Itoa(o.concurrency), "--seed", strconv.FormatUint(o.seed, 10),
				"--pprof", o.pprofDir}
		},
		jsonLine: func(d *Detail) any { return d.Result },
		header:   markdownHeader,
		rows:     markdownRow,
		text:     printText,
	}.run(ctx, stdin, stdout, stderr)
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// ideal is calls × latency ÷ concurrency, in seconds: the wall time of a
// client that kept every slot busy for the whole stretch.
func ideal(calls int, latency time.Duration, conc int) float64 {
	return float64(calls) * latency.Seconds() / float64(conc)
}

// cliRPS and cliConcurrency are the client's defaults (--rps 10,
// --concurrency 4).
const (
	cliRPS         = 10
	cliConcurrency = 4
)

// atCLIDefaults is a step's time at the client's defaults: 10 requests a
// second bound it at any latency below 400 ms, with 4 in flight.
func atCLIDefaults(calls int, latency time.Duration) float64 {
	return max(float64(calls)/cliRPS, ideal(calls, latency, cliConcurrency))
}

// row is one line of the table.
type row struct {
	step     string
	p        Phase
	computed bool // from calls and limits, not run
}

func (d *Detail) rows() []row {
	sum := func(ps ...Phase) Phase {
		var out Phase
		for _, p := range ps {
			out.Calls += p.Calls
			out.WallS += p.WallS
			out.CPUS += p.CPUS
			out.RSSMB = max(out.RSSMB, p.RSSMB)
		}
		return out
	}
	computed := func(step string, calls int) row {
		return row{step: step, p: Phase{Calls: calls, WallS: ideal(calls, d.Latency, d.Concurrency)}, computed: true}
	}
	s, t := d.Share, d.Ten
	return []row{
		{step: "plan (full)", p: s.Plan},
		{step: "apply: writes", p: s.Apply},
		{step: "apply: verify (changed)", p: s.Verify},
		{step: "apply incl. verify", p: sum(s.Apply, s.Verify)},
		computed("per-object provider", s.Peers.PerObject.Total()),
		computed("batching script", s.Peers.ScriptTotal()),
		{step: "10 users, --refresh=changed: plan", p: t.Plan},
		{step: "10 users: apply: writes", p: t.Apply},
		{step: "10 users: apply: verify", p: t.Verify},
		{step: "10 users: all", p: sum(t.Plan, t.Apply, t.Verify)},
		computed("10 users: per-object provider", t.Peers.PerObject.Total()),
		computed("10 users: batching script", t.Peers.ScriptTotal()),
		{step: "run every 15 min, nothing changed (sweep)", p: d.Sweep},
	}
}

// human is a duration in seconds, minutes or hours.
func human(sec float64) string {
	switch {
	case sec < 90:
		return fmt.Sprintf("%.1f s", sec)
	case sec < 90*60:
		return fmt.Sprintf("%.1f min", sec/60)
	}
	return fmt.Sprintf("%.1f h", sec/3600)
}

const markdownHeader = `| size | step | calls | lower bound | wall s | wall ÷ (calls×lat÷conc) | at 100 ms | at --rps 10 --concurrency 4 | CPU s | peak RSS MB |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`

func markdownRow(d *Detail) string {
	var lines []string
	for _, r := range d.rows() {
		bound, busy, wall, cpu, rss := "", "", fmt.Sprintf("%.1f", r.p.WallS), "", ""
		if r.p.LowerBound > 0 {
			bound = fmt.Sprintf("%d", r.p.LowerBound)
		}
		overhead := 0.0
		if r.computed {
			wall = "(" + wall + ")"
		} else {
			busy = fmt.Sprintf("%.2f", ratio(r.p.WallS, ideal(r.p.Calls, d.Latency, d.Concurrency)))
			overhead = max(0, r.p.WallS-ideal(r.p.Calls, d.Latency, d.Concurrency))
			if r.p.CPUS > 0 {
				cpu = fmt.Sprintf("%.1f", r.p.CPUS)
			}
			if r.p.RSSMB > 0 {
				rss = fmt.Sprintf("%.0f", r.p.RSSMB)
			}
		}
		at100 := ideal(r.p.Calls, 100*time.Millisecond, d.Concurrency) + overhead
		lines = append(lines, fmt.Sprintf("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s |",
			d.Size, r.step, r.p.Calls, bound, wall, busy, human(at100), human(atCLIDefaults(r.p.Calls, d.Latency)), cpu, rss))
	}
	return strings.Join(lines, "\n")
}

func printText(w io.Writer, d *Detail) {
	fmt.Fprintf(w, "size %s: %d users, %d departments, %d projects × %d members, %d groups, %d roles and %d data permissions per project\n",
		d.Size, d.Users, d.Shape.Departments, d.Shape.Projects, d.Shape.Members, d.Shape.Groups, d.Shape.Roles, d.Shape.DataPermissions)
	fmt.Fprintf(w, "  latency %s, concurrency %d; state %.1f MB; change: %+v\n", d.Latency, d.Concurrency, d.StateMB, d.Mutation)
	fmt.Fprintf(w, "  plan changes: %s\n", strings.Join(sortedCounts(d.Changes), ", "))
	for _, x := range []struct {
		name         string
		p            Phase
		calls, bound benchgen.Calls
	}{{"plan", d.Share.Plan, d.PlanCalls, d.PlanBound}, {"apply", d.Share.Apply, d.ApplyCalls, d.ApplyBound}, {"verify", d.Share.Verify, d.VerifyCalls, nil}} {
		fmt.Fprintf(w, "  %-6s %6d calls, lower bound %6d; wall %.1fs (%.2f× calls×latency÷concurrency); CPU %.1fs; peak RSS %.0f MB\n",
			x.name, x.p.Calls, x.p.LowerBound, x.p.WallS, ratio(x.p.WallS, ideal(x.p.Calls, d.Latency, d.Concurrency)), x.p.CPUS, x.p.RSSMB)
		fmt.Fprintf(w, "         calls: %s\n", strings.Join(sortedCalls(x.calls), ", "))
		if x.bound != nil {
			fmt.Fprintf(w, "         bound: %s\n", strings.Join(sortedCalls(x.bound), ", "))
		}
	}
	fmt.Fprintf(w, "  apply's state saves %.3fs in all\n", d.ApplyStateS)
	v := d.Verify
	fmt.Fprintf(w, "  verify: %d members written, %d other objects; read %d members (%.2f×), %d calls in all (%.2f× members and objects written)\n",
		v.MembersWritten, v.ObjectsWritten, v.MembersRead, ratio(float64(v.MembersRead), float64(v.MembersWritten)), v.Calls,
		ratio(float64(v.Calls), float64(v.MembersWritten+v.ObjectsWritten)))
	fmt.Fprintf(w, "  diff  CPU %.2fs, %.0f MB allocated, heap %.0f MB after\n", d.DiffCPUS, d.DiffAllocMB, d.DiffHeapMB)
	pc := d.Share.Peers.PerObject
	fmt.Fprintf(w, "  per-object provider: %d resources; refresh %d, apply %d, read back %d: %d calls (%.1f× permsync's apply incl. verify, %.1f× with its plan)\n",
		d.Resources.Total(), pc.Refresh, pc.Apply, pc.ReadBack, pc.Total(),
		ratio(float64(pc.Apply+pc.ReadBack), float64(d.Share.Apply.Calls+d.Share.Verify.Calls)),
		ratio(float64(pc.Total()), float64(d.Share.Plan.Calls+d.Share.Apply.Calls+d.Share.Verify.Calls)))
	fmt.Fprintf(w, "  batching script: read %d, writes %d (%s), verify %d: %d calls\n", d.Share.Peers.ScriptReads, d.Share.Peers.ScriptWrites,
		strings.Join(sortedCalls(d.ScriptCalls), ", "), d.Share.Peers.ScriptReads, d.Share.Peers.ScriptTotal())
	fmt.Fprintf(w, "  converged: %v (%d changes left, %d not applied); setup %.1fs\n", d.Share.Remaining == 0 && d.Share.Failed == 0, d.Share.Remaining, d.Share.Failed, d.SetupS)
	t := d.Ten
	fmt.Fprintf(w, "  ten users (%+v), --refresh=changed: %s\n", d.Users10, strings.Join(sortedCounts(d.Changes10), ", "))
	for i, x := range []struct {
		name string
		p    Phase
	}{{"plan", t.Plan}, {"apply", t.Apply}, {"verify", t.Verify}} {
		fmt.Fprintf(w, "    %-6s %5d calls, wall %.2fs: %s\n", x.name, x.p.Calls, x.p.WallS, strings.Join(sortedCalls(d.TenCalls[i]), ", "))
	}
	fmt.Fprintf(w, "    all %d calls; the full plan after it: %d changes left, %d not applied; per-object provider %d calls, batching script %d\n",
		t.Plan.Calls+t.Apply.Calls+t.Verify.Calls, t.Remaining, t.Failed, t.Peers.PerObject.Total(), t.Peers.ScriptTotal())
	fmt.Fprintf(w, "  run every 15 min, nothing changed: %d calls, wall %.2fs: %s\n", d.Sweep.Calls, d.Sweep.WallS, strings.Join(sortedCalls(d.SweepCalls), ", "))
	if !d.RSSReset {
		fmt.Fprintln(w, "  (peak RSS could not be reset between plan and apply: the apply's peak includes the plan's)")
	}
}

func sortedCounts(m map[string]int) []string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(out)
	return out
}
