package quickbi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/permsync/permsync/access"
	"github.com/permsync/permsync/provider/quickbi"
	"github.com/permsync/permsync/spec"
)

// The explain golden cases live in testdata/explain/: desired/ are the
// files, live.yaml the simulator's seed (the server, drifted), and each
// case's golden is <case>.txt (and <case>.json where the case says so).
// go test ./provider/quickbi -run TestExplainGolden -update rewrites them.
const explainDir = "testdata/explain"

var explainGenerated = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// explainReports builds the files' report and the files' and server's
// compared, the server read from the simulator as permsync reads it.
func explainReports(t *testing.T) (files, both *access.Report) {
	t.Helper()
	d := loadDesired(t, filepath.Join(explainDir, "desired"))
	files, err := access.Build(quickbi.Access{}, d, nil, explainGenerated)
	if err != nil {
		t.Fatal(err)
	}
	s := newSim(t, loadSeed(t, filepath.Join(explainDir, "live.yaml")))
	live, err := s.pipeline(d, nil).Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	both, err = access.Build(quickbi.Access{}, d, live, explainGenerated)
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
		{name: "direct", user: "shiyan:lisi", must: []string{
			"row rule         dataset 订单 (rule 华北数据): rows where 区域 in 华北 — direct",
			"workspace role   analyst — direct"}},
		{name: "group", user: "shiyan:zhangsan", must: []string{
			"group            华北销售 — direct",
			"row rule         dataset 订单 (rule 华北数据): rows where 区域 in 华北 — via group 华北销售"}},
		{name: "dynamic", user: "shiyan:zhangsan", json: true, must: []string{
			"rows where 区域 in 东北, 华北 (attribute region) — via group 销售部 → dynamic attribute region"}},
		{name: "dynamic-unset", user: "shiyan:wangwu", must: []string{
			"the user has none (what the server then shows is not documented) — direct → dynamic attribute region"}},
		{name: "workspace-role", user: "shiyan:zhaoliu", must: []string{
			"workspace role   报表审核员 — direct",
			"row rule         dataset 订单 (no rule applies): no rows: no rule applies (miss-hit policy none) — via workspace role 报表审核员",
			"column rule      dataset 订单 (rule 隐藏成本): column 264b7a970b hidden — via everyone"}},
		{name: "resource-dataset", resource: "订单", must: []string{"whitelisted", "via everyone", "via workspace role"}},
		{name: "resource-rule", resource: "按区域", must: []string{"row rule dataset 订单 (rule 按区域) in workspace 销售分析: 3 grants"}},
		{name: "resource-role", resource: "analyst", must: []string{"workspace role analyst in workspace 销售分析"}},
		{name: "live-lisi", user: "shiyan:lisi", live: true, must: []string{
			"[differs on the server: values 华东, 华南]",
			"— via group 华北销售  [server only]",
			"rows where 区域 in 华北 — direct  [files only]"}},
		{name: "live-zhaoliu", user: "shiyan:zhaoliu", live: true, json: true, must: []string{
			"workspace role   报表审核员 — direct  [files only]",
			"member           analyst, 报表审核员 — direct  [differs on the server: rights analyst]"}},
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

// TestAccessFromFilesQuickBI checks, grant by grant, what the goldens
// show: who a rule reaches and by which path, the tag values a
// tag-bound rule gives each user, and who falls to the miss-hit policy.
func TestAccessFromFilesQuickBI(t *testing.T) {
	files, _ := explainReports(t)
	paths := func(user, target string) []string {
		var out []string
		for _, g := range files.Grants {
			if g.User == user && g.Target == target {
				out = append(out, access.PathText(g.Path))
			}
		}
		return out
	}
	for _, tc := range []struct {
		user, target string
		want         []string
	}{
		{"shiyan:lisi", "dataset 订单 (rule 华北数据)", []string{"direct"}},
		// zhangsan is in 华北销售 and in its parent 销售部: only the
		// group the rule names counts.
		{"shiyan:zhangsan", "dataset 订单 (rule 华北数据)", []string{"via group 华北销售"}},
		{"shiyan:zhangsan", "dataset 订单 (rule 按区域)", []string{"via group 销售部 → dynamic attribute region"}},
		{"shiyan", "dataset 订单 (whitelist)", []string{"direct"}},
		// the whitelisted admin is no workspace member: the column rule for
		// everyone does not reach it.
		{"shiyan", "dataset 订单 (rule 隐藏成本)", nil},
		{"shiyan:zhaoliu", "dataset 订单 (no rule applies)", []string{"via workspace role analyst", "via workspace role 报表审核员"}},
		// reached by a row rule: the miss-hit policy is not theirs.
		{"shiyan:lisi", "dataset 订单 (no rule applies)", nil},
	} {
		if got := paths(tc.user, tc.target); strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%s %s: paths %q, want %q", tc.user, tc.target, got, tc.want)
		}
	}
	for _, tc := range []struct {
		user    string
		values  []string
		unknown bool
	}{{"shiyan:zhangsan", []string{"东北", "华北"}, false}, {"shiyan:lisi", []string{"华东"}, false}, {"shiyan:wangwu", nil, true}} {
		var rule *access.Rule
		for _, g := range files.Grants {
			if g.User == tc.user && g.Target == "dataset 订单 (rule 按区域)" {
				rule = g.Rule
			}
		}
		if rule == nil || rule.Attribute != "region" {
			t.Errorf("%s: no tag-bound rule grant: %+v", tc.user, rule)
			continue
		}
		if strings.Join(rule.Values, ",") != strings.Join(tc.values, ",") || rule.Unknown != tc.unknown {
			t.Errorf("%s: values %q unknown %v, want %q %v", tc.user, rule.Values, rule.Unknown, tc.values, tc.unknown)
		}
	}
}

// TestAccessContentAsWritten: a content this model does not break down
// (another operator, another value type, unknown keys) is shown as
// written, never read as a restriction it may not be.
func TestAccessContentAsWritten(t *testing.T) {
	for _, content := range []string{
		`{"conditionNode":{"name":"region","relationOperator":"not-null"}}`,
		`{"conditionNode":{"name":"region","relationOperator":"in","value":{"value":["x"],"valueType":"RANGE"}}}`,
		`{"conditionNode":{"name":"region","value":{"value":["a","b"],"valueType":"TAG"}}}`,
		`{"conditionNode":{"name":"region","value":{"value":["x"],"valueType":"ENUM"},"children":[]}}`,
	} {
		d := &spec.Desired{Provider: quickbi.Name, QuickBI: &spec.QuickBI{
			Users: []spec.QuickBIUser{{Account: "a"}},
			Workspaces: []spec.QuickBIWorkspace{{Name: "w", Datasets: []spec.QuickBIDataset{{Name: "d",
				RowLevel: &spec.QuickBIDataLevel{Rules: []spec.QuickBIRule{{Name: "r", Users: []string{"a"}, Content: content}}}}}}},
		}}
		r, err := quickbi.Access{}.FromFiles(d)
		if err != nil {
			t.Fatal(err)
		}
		var rule *access.Rule
		for _, g := range r.Grants {
			if g.Kind == access.KindRule {
				rule = g.Rule
			}
		}
		if rule == nil {
			t.Fatalf("%s: no rule grant", content)
		}
		var canon any
		if err := json.Unmarshal([]byte(content), &canon); err != nil {
			t.Fatal(err)
		}
		if rule.Text == "" || len(rule.Values) > 0 || rule.Attribute != "" || !strings.Contains(rule.Text, `"region"`) {
			t.Errorf("%s: read as %+v, want the content as written", content, rule)
		}
	}
}

// TestAccessFromServerWrongLive refuses a live model of another type and
// files of another provider.
func TestAccessFromServerWrongLive(t *testing.T) {
	if _, err := (quickbi.Access{}).FromServer(&spec.Desired{}, nil); err == nil {
		t.Error("FromServer(nil) succeeded")
	}
	if _, err := (quickbi.Access{}).FromFiles(&spec.Desired{}); err == nil {
		t.Error("FromFiles of Youdata files succeeded")
	}
}

// TestAccessFromServerHitTakeEffect: a column rule the server shows with
// hitTakeEffect 0 does not apply to its people: it is not reported as
// hiding their columns.
func TestAccessFromServerHitTakeEffect(t *testing.T) {
	d := loadDesired(t, filepath.Join(explainDir, "desired"))
	seed, err := os.ReadFile(filepath.Join(explainDir, "live.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(seed), "- {name: 隐藏成本, scope: all, content: {pathId: [264b7a970b]}}",
		"- {name: 隐藏成本, scope: all, hitTakeEffect: 0, content: {pathId: [264b7a970b]}}", 1)
	if text == string(seed) {
		t.Fatal("the seed has no column rule 隐藏成本 to change")
	}
	s := newSim(t, parseSeed(t, text))
	live, err := s.pipeline(d, nil).Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r, err := quickbi.Access{}.FromServer(d, live)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range r.Grants {
		if g.Target != "dataset 订单 (rule 隐藏成本)" {
			continue
		}
		n++
		if g.Rule.Effect == "hide" || len(g.Rule.Fields) > 0 || !strings.Contains(g.Rule.Text, "hitTakeEffect 0") {
			t.Errorf("%s: %+v, want a rule that does not apply", g.User, g.Rule)
		}
	}
	if n == 0 {
		t.Error("no grant of the column rule")
	}
}
