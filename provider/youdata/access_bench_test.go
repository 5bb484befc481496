package youdata_test

import (
	"context"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/permsync/permsync/access"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/provider/youdata/benchgen"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/spec"
)

// The access report of the benchmark's L company (50,000 users, 20
// projects of 2,500 members): built from the files (and, in the Live
// variant, from the simulator's server too, compared) and written as CSV,
// JSON and HTML. Time per op is the whole report: build and all three
// writes. Run with:
//
//	go test ./provider/youdata -run '^$' -bench 'AccessReportL' -benchtime 1x
//
// The Live variant reads the simulator first, outside the timing (about
// a minute).

func BenchmarkAccessReportL(b *testing.B) {
	d := lDesired(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		benchReport(b, d, nil)
	}
}

func BenchmarkAccessReportLLive(b *testing.B) {
	sh, _ := benchgen.ShapeByName("L")
	c := benchgen.Generate(sh, 1)
	d := c.Desired()
	start := time.Now()
	sim := youdatatest.New(youdatatest.Options{Seed: c.Seed()})
	defer sim.Close()
	client, err := apiclient.New(apiclient.Config{Server: sim.URL(), Credentials: apiclient.Credentials{Token: sim.Token()}, RPS: -1, Concurrency: 16})
	if err != nil {
		b.Fatal(err)
	}
	live, err := youdata.ReadLive(context.Background(), client, goldenProjectRefs(d), youdata.ReadOptions{TokenUser: sim.TokenUser(), Concurrency: 16})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded and read the L server in %s", time.Since(start).Round(time.Second))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		benchReport(b, d, live)
	}
}

func lDesired(b *testing.B) *spec.Desired {
	sh, _ := benchgen.ShapeByName("L")
	return benchgen.Generate(sh, 1).Desired()
}

// benchReport builds and writes one report, reporting its size, its
// grants and the heap it holds.
func benchReport(b *testing.B, d *spec.Desired, live *youdata.Live) {
	start := time.Now()
	var r *access.Report
	var err error
	if live == nil {
		r, err = access.Build(youdata.Access{}, d, nil, time.Now())
	} else {
		r, err = access.Build(youdata.Access{}, d, live, time.Now())
	}
	if err != nil {
		b.Fatal(err)
	}
	built := time.Since(start)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	sizes := map[string]int{}
	for _, f := range access.Formats {
		cw := &countingWriter{}
		t0 := time.Now()
		if err := access.Write(cw, r, f); err != nil {
			b.Fatal(err)
		}
		sizes[f] = cw.n
		b.Logf("%s: %.1f MB in %s", f, float64(cw.n)/1e6, time.Since(t0).Round(time.Millisecond))
	}
	b.Logf("%d users, %d grants, built in %s; heap after the build %.0f MB", len(r.Users), len(r.Grants), built.Round(time.Millisecond), float64(ms.HeapAlloc)/1e6)
	b.ReportMetric(float64(len(r.Grants)), "grants")
	b.ReportMetric(float64(sizes["html"])/1e6, "html-MB")
	b.ReportMetric(float64(sizes["json"])/1e6, "json-MB")
	b.ReportMetric(float64(sizes["csv"])/1e6, "csv-MB")
	b.ReportMetric(float64(ms.HeapAlloc)/1e6, "heap-MB")
}

type countingWriter struct{ n int }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

var _ io.Writer = (*countingWriter)(nil)
