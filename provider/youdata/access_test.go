package youdata_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/permsync/permsync/access"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/spec"
)

// The explain golden cases live in testdata/explain/: desired/ are the
// files, live.yaml the simulator's seed (the server, drifted), and each
// case's golden is <case>.txt (and <case>.json where the case says so).
// go test ./provider/youdata -run TestExplainGolden -update rewrites them.
const explainDir = "testdata/explain"

// explainGenerated is when the golden reports are made: 华北行's binding
// of 华北分析师 (2026-01-31) has expired by then.
var explainGenerated = time.Date(2026, 3, 1, 0, 0, 0, 0, time.FixedZone("UTC+08:00", 8*3600))

// explainReports builds the files' report and the files' and server's
// compared.
func explainReports(t *testing.T) (files, both *access.Report) {
	t.Helper()
	d, err := spec.Load([]string{filepath.Join(explainDir, "desired")})
	if err != nil {
		t.Fatal(err)
	}
	files, err = access.Build(youdata.Access{}, d, nil, explainGenerated)
	if err != nil {
		t.Fatal(err)
	}
	sim, client := goldenSim(t, filepath.Join(explainDir, "live.yaml"))
	live, err := youdata.ReadLive(context.Background(), client, goldenProjectRefs(d), youdata.ReadOptions{TokenUser: sim.TokenUser(), PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	both, err = access.Build(youdata.Access{}, d, live, explainGenerated)
	if err != nil {
		t.Fatal(err)
	}
	return files, both
}

func TestExplainGolden(t *testing.T) {
	files, both := explainReports(t)
	for _, tc := range []struct {
		name string
		// user, or resource (in space) to explain.
		user, resource, space string
		live                  bool
		json                  bool
		// must are texts the case exists to show: the granting path it
		// covers.
		must []string
	}{
		{name: "direct", user: "bob@corp.com", must: []string{"— direct, expires 2027-10-10 10:00:00", "via role 通用/报告阅览, expires 2027-10-10 10:00:00"}},
		{name: "group", user: "carol@corp.com", must: []string{"— via group 华北分析师\n", "via group 华北分析师 → role 通用/报告阅览"}},
		{name: "department", user: "erin@corp.com", must: []string{"via department FIN, expires 2026-06-30 00:00:00", "via department FIN → data permission 表权限"}},
		{name: "dynamic", user: "alice@corp.com", json: true, must: []string{"rows where 地区 in 东北, 华北 (attribute 7) — via data permission 区域/区域动态 → dynamic attribute 7"}},
		{name: "dynamic-unset", user: "carol@corp.com", space: "销售分析", must: []string{"all rows: attribute 7 is not set"}},
		{name: "expiry", resource: "华北行", must: []string{"via group 华北分析师, expires 2026-01-31 00:00:00  [expired]", "via group 华北分析师 (expires 2026-01-31 00:00:00) → data permission 区域/华北行  [expired]"}},
		{name: "resource-role", resource: "报告阅览", must: []string{"role 通用/报告阅览 in project 销售分析"}},
		{name: "resource-report", resource: "周报", must: []string{"resource NEW_REPORT 销售/周报 in project 销售分析"}},
		{name: "resource-dataset", resource: "700288358", must: []string{"resource DATA_MODEL #700288358"}},
		{name: "resource-table", resource: "订单总表", space: "销售分析", must: []string{"row rule 订单总表 (connection 2010)", "column rule", "table rule"}},
		{name: "live-bob", user: "bob@corp.com", live: true, must: []string{"[differs on the server: expires 2027-01-01 00:00:00]", "[not shown by the server: a role's departments and their members]"}},
		{name: "live-carol", user: "carol@corp.com", live: true, json: true, must: []string{"group            华北分析师 — direct  [files only]"}},
		{name: "live-dave", user: "dave@corp.com", live: true, must: []string{"role             数据编辑 — direct  [server only]"}},
		{name: "live-erin", user: "erin@corp.com", live: true, must: []string{"role             财务阅览 — direct, expires 2026-12-31 23:59:59  [files only]", "[not shown by the server: a resource's direct members]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := files
			if tc.live {
				rep = both
			}
			var e *access.Explanation
			var err error
			if tc.user != "" {
				e, err = rep.ForUser(tc.user)
				if err == nil && tc.space != "" {
					kept := e.Grants[:0]
					for _, g := range e.Grants {
						if g.Space == tc.space {
							kept = append(kept, g)
						}
					}
					e.Grants = kept
				}
			} else {
				e, err = rep.ForResource(tc.resource, tc.space)
			}
			if err != nil {
				t.Fatal(err)
			}
			var txt bytes.Buffer
			if err := e.WriteText(&txt); err != nil {
				t.Fatal(err)
			}
			for _, m := range tc.must {
				if !strings.Contains(txt.String(), m) {
					t.Errorf("the explanation lacks %q:\n%s", m, txt.String())
				}
			}
			compareGolden(t, filepath.Join(explainDir, tc.name+".txt"), txt.Bytes())
			if tc.json {
				var js bytes.Buffer
				if err := e.WriteJSON(&js); err != nil {
					t.Fatal(err)
				}
				compareGolden(t, filepath.Join(explainDir, tc.name+".json"), js.Bytes())
			}
		})
	}
}

// TestExplainUnknownUser names the user and suggests near ones.
func TestExplainUnknownUser(t *testing.T) {
	files, _ := explainReports(t)
	_, err := files.ForUser("alice")
	if err == nil || !strings.Contains(err.Error(), `no user "alice"`) || !strings.Contains(err.Error(), `"alice@corp.com"`) {
		t.Errorf("ForUser(alice) = %v, want an error naming it and suggesting alice@corp.com", err)
	}
	if _, err := files.ForResource("没有这个", ""); err == nil {
		t.Error("ForResource of an unknown name succeeded")
	}
}

// TestAccessFromFilesPaths checks the granting paths the files' report
// gives, grant by grant, beside the goldens.
func TestAccessFromFilesPaths(t *testing.T) {
	files, _ := explainReports(t)
	find := func(user, kind, target string) []access.Grant {
		var out []access.Grant
		for _, g := range files.Grants {
			if g.User == user && string(g.Kind) == kind && g.Target == target {
				out = append(out, g)
			}
		}
		return out
	}
	paths := func(gs []access.Grant) []string {
		var out []string
		for _, g := range gs {
			out = append(out, access.PathText(g.Path))
		}
		return out
	}
	for _, tc := range []struct {
		user, kind, target string
		want               []string
	}{
		{"bob@corp.com", "role", "通用/报告阅览", []string{"direct, expires 2027-10-10 10:00:00", "via department FIN, expires 2026-06-30 00:00:00"}},
		{"alice@corp.com", "role", "通用/报告阅览", []string{"via group 华北分析师"}},
		{"alice@corp.com", "role", "区域经理", []string{"via department SALES_N"}},
		// dave is in SALES, the parent of SALES_N: not counted.
		{"dave@corp.com", "role", "区域经理", nil},
		{"erin@corp.com", "resource", "NEW_REPORT #9001", []string{"direct"}},
		{"alice@corp.com", "resource", "NEW_REPORT 销售/周报", []string{"via group 华北分析师 → role 通用/报告阅览"}},
	} {
		if got := paths(find(tc.user, tc.kind, tc.target)); strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%s %s %s: paths %q, want %q", tc.user, tc.kind, tc.target, got, tc.want)
		}
	}
	// erin's attribute 7 is []: no rows; carol's is null: every row.
	for _, tc := range []struct {
		user      string
		unlimited bool
		values    int
	}{{"erin@corp.com", false, 0}, {"carol@corp.com", true, 0}, {"alice@corp.com", false, 2}} {
		gs := find(tc.user, "rule", "订单总表 (connection 2010)")
		var dyn *access.Rule
		for _, g := range gs {
			if g.Rule.Attribute == "7" {
				dyn = g.Rule
			}
		}
		if dyn == nil {
			t.Errorf("%s: no dynamic rule grant", tc.user)
			continue
		}
		if dyn.Unlimited != tc.unlimited || len(dyn.Values) != tc.values || dyn.Unknown {
			t.Errorf("%s: dynamic rule %+v, want unlimited %v and %d values", tc.user, dyn, tc.unlimited, tc.values)
		}
	}
}

// TestAccessFromServerWrongLive refuses a live model of another type.
func TestAccessFromServerWrongLive(t *testing.T) {
	if _, err := (youdata.Access{}).FromServer(&spec.Desired{}, nil); err == nil {
		t.Error("FromServer(nil) succeeded")
	}
	if _, err := (youdata.Access{}).FromFiles(&spec.Desired{QuickBI: &spec.QuickBI{}}); err == nil {
		t.Error("FromFiles of Quick BI files succeeded")
	}
}
