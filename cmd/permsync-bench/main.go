// Command permsync-bench measures permsync's plan and apply on a large
// generated company against the simulator with a per-call latency, and
// compares the API calls made with the fewest the change needs and with a
// naive one-object-per-call apply. See BENCHMARKS.md.
//
//	go run ./cmd/permsync-bench [--size S|M|L] [--latency 20ms] [--change 0.05]
//	    [--concurrency 16] [--seed 1] [--json | --markdown]
//
// Every size runs in a process of its own (so peak memory is its own),
// and the simulator in another (so CPU time and memory are permsync's).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
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
	fs.IntVar(&o.concurrency, "concurrency", 16, "client requests in flight (and concurrent calls of an apply phase)")
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
	switch {
	case o.serveSim:
		if err := serveSim(o.sizes[0], o.seed, stdin, stdout); err != nil {
			fmt.Fprintln(stderr, "permsync-bench simulator:", err)
			return 1
		}
		return 0
	case o.child:
		d, err := runSize(ctx, o, o.sizes[0], stderr)
		if err != nil {
			fmt.Fprintf(stderr, "permsync-bench %s: %v\n", o.sizes[0].Name, err)
			return 1
		}
		if err := json.NewEncoder(stdout).Encode(d); err != nil {
			fmt.Fprintln(stderr, "permsync-bench:", err)
			return 1
		}
		return 0
	}

	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, "permsync-bench:", err)
		return 1
	}
	if o.markdown {
		fmt.Fprintln(stdout, markdownHeader)
	}
	var rows []string
	for _, sh := range o.sizes {
		d, err := runChild(ctx, exe, o, sh, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "permsync-bench %s: %v\n", sh.Name, err)
			return 1
		}
		switch {
		case o.json:
			line, err := json.Marshal(d.Result)
			if err != nil {
				fmt.Fprintln(stderr, "permsync-bench:", err)
				return 1
			}
			fmt.Fprintln(stdout, string(line))
		case o.markdown:
			fmt.Fprintln(stdout, markdownRow(d))
		default:
			printText(stdout, d)
			rows = append(rows, markdownRow(d))
		}
	}
	if len(rows) > 0 {
		fmt.Fprintf(stdout, "\n%s\n%s\n", markdownHeader, strings.Join(rows, "\n"))
	}
	return 0
}

func runChild(ctx context.Context, exe string, o options, sh benchgen.Shape, stderr io.Writer) (*Detail, error) {
	cmd := exec.CommandContext(ctx, exe, "--child", "--size", sh.Name,
		"--latency", o.latency.String(), "--change", strconv.FormatFloat(o.change, 'g', -1, 64),
		"--concurrency", strconv.Itoa(o.concurrency), "--seed", strconv.FormatUint(o.seed, 10),
		"--pprof", o.pprofDir)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		return nil, err
	}
	var d Detail
	if err := json.Unmarshal(out.Bytes(), &d); err != nil {
		return nil, fmt.Errorf("reading the result: %w", err)
	}
	return &d, nil
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// busy is wall / (calls × latency ÷ concurrency): 1 means the client kept
// every one of its slots busy for the whole stretch.
func busy(d *Detail, p Phase) float64 {
	ideal := float64(p.Calls) * d.Latency.Seconds() / float64(d.Concurrency)
	return ratio(p.WallS, ideal)
}

const markdownHeader = `| size | users | phase | calls | lower bound | calls/bound | wall s | wall/(calls×lat÷conc) | CPU s | peak RSS MB |
| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`

func markdownRow(d *Detail) string {
	row := func(name string, p Phase) string {
		return fmt.Sprintf("| %s | %d | %s | %d | %d | %.3f | %.1f | %.2f | %.1f | %.0f |",
			d.Size, d.Users, name, p.Calls, p.LowerBound, ratio(float64(p.Calls), float64(p.LowerBound)), p.WallS, busy(d, p), p.CPUS, p.RSSMB)
	}
	naive := fmt.Sprintf("| %s | %d | naive apply | %d | %d | %.3f | %.1f | %.2f | | |", d.Size, d.Users, d.Naive.Calls, d.Apply.LowerBound,
		ratio(float64(d.Naive.Calls), float64(d.Apply.LowerBound)), d.Naive.WallS, busy(d, Phase{Calls: d.Naive.Calls, WallS: d.Naive.WallS}))
	return strings.Join([]string{row("plan", d.Plan), row("apply", d.Apply), naive}, "\n")
}

func printText(w io.Writer, d *Detail) {
	fmt.Fprintf(w, "size %s: %d users, %d departments, %d projects × %d members, %d groups, %d roles and %d data permissions per project\n",
		d.Size, d.Users, d.Shape.Departments, d.Shape.Projects, d.Shape.Members, d.Shape.Groups, d.Shape.Roles, d.Shape.DataPermissions)
	fmt.Fprintf(w, "  latency %s, concurrency %d; change: %+v\n", d.Latency, d.Concurrency, d.Mutation)
	var ch []string
	for k, v := range d.Changes {
		ch = append(ch, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(ch)
	fmt.Fprintf(w, "  plan changes: %s\n", strings.Join(ch, ", "))
	for _, x := range []struct {
		name         string
		p            Phase
		calls, bound benchgen.Calls
	}{{"plan", d.Plan, d.PlanCalls, d.PlanBound}, {"apply", d.Apply, d.ApplyCalls, d.ApplyBound}} {
		fmt.Fprintf(w, "  %-5s %6d calls, lower bound %6d (%.3f×); wall %.1fs (%.2f× calls×latency÷concurrency); CPU %.1fs; peak RSS %.0f MB\n",
			x.name, x.p.Calls, x.p.LowerBound, ratio(float64(x.p.Calls), float64(x.p.LowerBound)), x.p.WallS, busy(d, x.p), x.p.CPUS, x.p.RSSMB)
		fmt.Fprintf(w, "        calls: %s\n", strings.Join(sortedCalls(x.calls), ", "))
		fmt.Fprintf(w, "        bound: %s\n", strings.Join(sortedCalls(x.bound), ", "))
	}
	fmt.Fprintf(w, "  diff  CPU %.2fs, %.0f MB allocated, heap %.0f MB after\n", d.DiffCPUS, d.DiffAllocMB, d.DiffHeapMB)
	fmt.Fprintf(w, "  naive %6d calls (%.1f× permsync's), wall %.1fs (%.1f× permsync's); %d not applied\n",
		d.Naive.Calls, ratio(float64(d.Naive.Calls), float64(d.Apply.Calls)), d.Naive.WallS, ratio(d.Naive.WallS, d.Apply.WallS), d.NaiveFailed)
	fmt.Fprintf(w, "        calls: %s\n", strings.Join(sortedCalls(d.NaiveCalls), ", "))
	fmt.Fprintf(w, "  converged: %v (%d changes left, %d not applied); setup %.1fs\n", d.Converged, d.Remaining, d.Failed, d.SetupS)
	if !d.RSSReset {
		fmt.Fprintln(w, "  (peak RSS could not be reset between plan and apply: the apply's peak includes the plan's)")
	}
}
