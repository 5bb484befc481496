package main

import (
	"encoding/json"
	"strings"
	"testing"
)

const explainCases = "../../provider/youdata/testdata/explain"

func TestExplainUser(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCmd(t, nil, "explain", "-f", planQuickstartDesired, "wang.fang@example.com")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{
		"User wang.fang@example.com (王芳)",
		"Source: the files\n",
		"Project 销售分析\n",
		"role             通用/销售报告阅览 — via group 华北销售组\n",
		"role             区域经理 — via department SALES_N\n",
		"row rule         订单总表 (connection 2010): rows where 地区 in 华北 — via group 华北销售组 → data permission 区域/华北数据\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("explain lacks %q:\n%s", want, stdout)
		}
	}
	noCrash(t, stdout, stderr)
}

func TestExplainJSONAndProject(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCmd(t, nil, "explain", "zhang.wei@example.com", "-f", planQuickstartDesired, "--project", "财务分析", "-o", "json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var e struct {
		Format string `json:"format"`
		User   struct {
			ID string `json:"id"`
		} `json:"user"`
		Grants []struct {
			Space string `json:"space"`
			Kind  string `json:"kind"`
		} `json:"grants"`
	}
	if err := json.Unmarshal([]byte(stdout), &e); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if e.Format != "permsync-explain/1" || e.User.ID != "zhang.wei@example.com" || len(e.Grants) == 0 {
		t.Fatalf("explanation %+v", e)
	}
	for _, g := range e.Grants {
		if g.Space != "财务分析" {
			t.Errorf("a grant of %q with --project 财务分析", g.Space)
		}
	}
}

func TestExplainResource(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCmd(t, nil, "explain", "-f", planQuickstartDesired, "--resource", "月报")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{
		"Resource 月报: reaches 5 users",
		"resource NEW_REPORT 销售/月报 in project 销售分析: 5 grants",
		"  zhang.wei@example.com (张伟) — export, view — via role 通用/销售报告阅览, expires 2026-12-31 23:59:59",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("explain --resource lacks %q:\n%s", want, stdout)
		}
	}
}

// TestExplainLive reads the simulator and marks where it differs.
func TestExplainLive(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCmd(t, nil, "explain", "-f", explainCases+"/desired", "--simulator", explainCases+"/live.yaml", "dave@corp.com")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{
		"Source: the files and the server",
		"role             数据编辑 — direct  [server only]",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("explain --live lacks %q:\n%s", want, stdout)
		}
	}
}

func TestExplainRefusals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-f", planQuickstartDesired}, "name a user"},
		{[]string{"-f", planQuickstartDesired, "a", "b"}, "one user at a time"},
		{[]string{"-f", planQuickstartDesired, "a", "--resource", "r"}, "not both"},
		{[]string{"-f", planQuickstartDesired, "-o", "yaml", "a"}, `-o "yaml"`},
		{[]string{"wang.fang@example.com"}, "no files given"},
		{[]string{"-f", planQuickstartDesired, "wang.fang"}, `no user "wang.fang" in the report (did you mean "wang.fang@example.com"?)`},
		{[]string{"-f", planQuickstartDesired, "--resource", "没有这个报告"}, `no resource "没有这个报告"`},
		// --live needs a server: nothing is read without one.
		{[]string{"-f", planQuickstartDesired, "--live", "wang.fang@example.com"}, "no server"},
	} {
		code, stdout, stderr := runCmd(t, nil, append([]string{"explain"}, tc.args...)...)
		if code != exitError || !strings.Contains(stderr, tc.want) {
			t.Errorf("explain %q: exit %d, stderr %q, want 1 and %q", tc.args, code, stderr, tc.want)
		}
		if stdout != "" {
			t.Errorf("explain %q wrote to stdout: %q", tc.args, stdout)
		}
		noCrash(t, stderr)
	}
}

// TestExplainQuickBILive: explain of Quick BI files against the Quick BI
// simulator marks where the server differs.
func TestExplainQuickBILive(t *testing.T) {
	t.Parallel()
	const dir = "../../provider/quickbi/testdata/explain"
	code, stdout, stderr := runCmd(t, nil, "explain", "-f", dir+"/desired", "shiyan:zhaoliu", "--simulator", dir+"/live.yaml", "--token-user", "shiyan")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{
		"User shiyan:zhaoliu (赵六)",
		"Workspace 销售分析\n",
		"workspace role   报表审核员 — direct  [files only]\n",
		"row rule         dataset 订单 (no rule applies): no rows: no rule applies (miss-hit policy none) — via workspace role analyst\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("explain lacks %q:\n%s", want, stdout)
		}
	}
	noCrash(t, stdout, stderr)
}

// TestExplainQuickBIWorkspace: --workspace narrows a Quick BI explanation
// to one workspace, as --project does.
func TestExplainQuickBIWorkspace(t *testing.T) {
	t.Parallel()
	const dir = "../../provider/quickbi/testdata/explain"
	code, stdout, stderr := runCmd(t, nil, "explain", "-f", dir+"/desired", "shiyan:lisi", "--workspace", "销售分析", "-o", "json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var e struct {
		Grants []struct {
			Space string `json:"space"`
		} `json:"grants"`
	}
	if err := json.Unmarshal([]byte(stdout), &e); err != nil || len(e.Grants) == 0 {
		t.Fatalf("%v\n%s", err, stdout)
	}
	for _, g := range e.Grants {
		if g.Space != "销售分析" {
			t.Errorf("a grant of %q with --workspace 销售分析", g.Space)
		}
	}
}
