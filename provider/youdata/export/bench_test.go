package export_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/provider/youdata/export"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/spec"
)

// largeServer is a simulator holding a company of the size permsync is
// for: 3,000 users, all members of one project with 100 roles, 10 groups
// and 20 data permissions.
func largeServer(b *testing.B) (*youdatatest.Server, apiclient.API) {
	b.Helper()
	const users = 3000
	var sb strings.Builder
	sb.WriteString("users:\n")
	for i := 0; i < users; i++ {
		fmt.Fprintf(&sb, "  - {uniqueId: u%05d@corp.com, email: u%05d@corp.com, nick: 用户%d}\n", i, i, i)
	}
	sb.WriteString("projects:\n  - name: 大项目\n    members:\n")
	for i := 0; i < users; i++ {
		fmt.Fprintf(&sb, "      - {user: u%05d@corp.com, systemRoles: [viewer]}\n", i)
	}
	sb.WriteString("    groups:\n")
	for g := 0; g < 10; g++ {
		fmt.Fprintf(&sb, "      - {name: 组%d, members: [", g)
		for i := 0; i < 50; i++ {
			if i > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "u%05d@corp.com", g*50+i)
		}
		sb.WriteString("]}\n")
	}
	sb.WriteString("    roles:\n")
	for r := 0; r < 100; r++ {
		fmt.Fprintf(&sb, "      - {name: 角色%d, folder: 目录%d, users: [", r, r%10)
		for i := 0; i < 30; i++ {
			if i > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "u%05d@corp.com", (r*30+i)%users)
		}
		sb.WriteString("]}\n")
	}
	sb.WriteString("    dataPermissions:\n")
	for d := 0; d < 20; d++ {
		fmt.Fprintf(&sb, `      - name: 数据%d
        users: [u%05d@corp.com, u%05d@corp.com]
        rules:
          - connection: 2010
            details:
              - {type: row, tableName: 订单, filterType: listFilter, selectType: select, filter: {dim: {field: 地区, dataType: String}, select: [华北, 区域%d]}}
`, d, d, d+1, d)
	}
	seed, err := youdatatest.ParseSeed([]byte(sb.String()))
	if err != nil {
		b.Fatal(err)
	}
	sim := youdatatest.New(youdatatest.Options{Seed: seed})
	b.Cleanup(sim.Close)
	c, err := apiclient.New(apiclient.Config{Server: sim.URL(), Credentials: apiclient.Credentials{Token: sim.Token()}, RPS: -1, Concurrency: 16})
	if err != nil {
		b.Fatal(err)
	}
	return sim, c
}

func readAll(b *testing.B, api apiclient.API) *youdata.Live {
	b.Helper()
	live, err := export.Read(context.Background(), api, nil, youdata.ReadOptions{Concurrency: 16})
	if err != nil {
		b.Fatal(err)
	}
	return live
}

// BenchmarkReadLargeServer reads the large server in full: the calls a
// plan makes before it can compute anything.
func BenchmarkReadLargeServer(b *testing.B) {
	sim, api := largeServer(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		readAll(b, api)
	}
	b.StopTimer()
	b.ReportMetric(float64(sim.TotalCalls())/float64(b.N), "calls/op")
}

// BenchmarkExportLargeServer writes the large server as YAML; its
// allocations show how memory grows with the output.
func BenchmarkExportLargeServer(b *testing.B) {
	_, api := largeServer(b)
	live := readAll(b, api)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := export.Write(live, b.TempDir(), export.Options{Split: export.SplitByProject}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlanLargeServer loads the export of the large server and plans
// it against what was read: the work of a converged plan after the reads.
func BenchmarkPlanLargeServer(b *testing.B) {
	_, api := largeServer(b)
	live := readAll(b, api)
	dir := b.TempDir()
	if _, err := export.Write(live, dir, export.Options{Split: export.SplitByProject}); err != nil {
		b.Fatal(err)
	}
	st := export.State(live, "bench")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, err := spec.Load([]string{dir})
		if err != nil {
			b.Fatal(err)
		}
		p, err := youdata.Compute(d, live, st, youdata.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Changes) != 0 {
			b.Fatalf("the plan of an export is not empty: %d changes", len(p.Changes))
		}
	}
}
