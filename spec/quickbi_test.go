package spec

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func strp(s string) *string { return &s }
func boolp(b bool) *bool    { return &b }

// quickBIFiles is a valid set of Quick BI files, in two directories.
var quickBIFiles = map[string]string{
	"00-org.yaml": `version: 1
provider: quickbi
settings:
  prune: {users: true, tags: true}
  protectedUsers: [ops:bi-bot]
  maxDeletes: 10%
  transferTo: wangwu
tags:
  - {name: region, description: 区域}
  - name: level
users:
  - account: wangwu
    accountId: "191476000023754"
    nick: 王五
    type: developer
    roles: [admin]
  - account: " wangwu:zhangsan "
    nick: 张三
    type: analyst
    roles: []
    tags: {region: [华北, 东北], level: null}
    inactive: false
groups:
  - id: hq
    name: 总部
  - id: sales
    name: 销售部
    parent: hq
    description: 华北与东北
    members: [wangwu:zhangsan]
`,
	"teams/sales.yaml": `version: 1
provider: quickbi
users:
  - account: wangwu:lisi
    type: viewer
groups:
  - {id: ops, name: 运维, members: []}
workspaces:
  - name: 销售分析
    members:
      - {user: wangwu:zhangsan, roles: [analyst]}
      - {user: wangwu, roles: [admin, 报表审核]}
    datasets:
      - id: 7c6c1b0e-1111-2222-3333-444455556666
        rowLevel:
          enabled: true
          missHit: none
          whitelist: {users: [wangwu], groups: [hq]}
          rules:
            - name: 华北数据
              users: [wangwu:zhangsan]
              groups: [sales]
              content: {conditionNode: {name: area, value: {value: [华北], valueType: ENUM}}}
      - name: 订单
        columnLevel:
          missHit: all
          rules:
            - name: 隐藏成本
              all: true
              content: '{"pathId": ["264b7a970b"]}'
  - {name: 运营, id: 0f2a9c55-aaaa-bbbb-cccc-ddddeeeeffff, members: []}
`,
}

// TestQuickBILoad: Quick BI files decode into Desired.QuickBI, merged in
// file order, each object with its place.
func TestQuickBILoad(t *testing.T) {
	dir := writeFiles(t, quickBIFiles)
	d, err := Load([]string{dir})
	if err != nil {
		t.Fatalf("Load:\n%v", err)
	}
	a, b := filepath.Join(dir, "00-org.yaml"), filepath.Join(dir, "teams", "sales.yaml")
	src := func(file string, line int, path string) Source { return Source{File: file, Line: line, Path: path} }
	want := &QuickBI{
		Settings: QuickBISettings{
			Src:            src(a, 3, "settings"),
			Prune:          QuickBIPrune{Users: true, Tags: true},
			ProtectedUsers: []string{"ops:bi-bot"},
			MaxDeletes:     &MaxDeletes{Share: 10, Percent: true},
			TransferTo:     "wangwu",
		},
		Tags: []QuickBITag{{Src: src(a, 9, "tags[0]"), Name: "region", Description: strp("区域")}, {Src: src(a, 10, "tags[1]"), Name: "level"}},
		Users: []QuickBIUser{
			{Src: src(a, 12, "users[0]"), Account: "wangwu", AccountID: strp("191476000023754"), Nick: strp("王五"),
				Type: strp("developer"), Roles: []string{"admin"}},
			{Src: src(a, 17, "users[1]"), Account: "wangwu:zhangsan", Nick: strp("张三"), Type: strp("analyst"),
				Roles: []string{}, Tags: map[string]*[]string{"region": {"华北", "东北"}, "level": nil}, Inactive: boolp(false)},
			{Src: src(b, 4, "users[0]"), Account: "wangwu:lisi", Type: strp("viewer")},
		},
		Groups: []QuickBIGroup{
			{Src: src(a, 24, "groups[0]"), ID: "hq", Name: "总部"},
			{Src: src(a, 26, "groups[1]"), ID: "sales", Name: "销售部", Parent: "hq", Description: strp("华北与东北"),
				Members: []string{"wangwu:zhangsan"}},
			{Src: src(b, 7, "groups[0]"), ID: "ops", Name: "运维", Members: []string{}},
		},
		Workspaces: []QuickBIWorkspace{
			{Src: src(b, 9, "workspaces[0]"), Name: "销售分析",
				Members: []QuickBIMember{
					{Src: src(b, 11, "workspaces[0].members[0]"), User: "wangwu:zhangsan", Roles: []string{"analyst"}},
					{Src: src(b, 12, "workspaces[0].members[1]"), User: "wangwu", Roles: []string{"admin", "报表审核"}},
				},
				Datasets: []QuickBIDataset{
					{Src: src(b, 14, "workspaces[0].datasets[0]"), ID: "7c6c1b0e-1111-2222-3333-444455556666",
						RowLevel: &QuickBIDataLevel{Src: src(b, 15, "workspaces[0].datasets[0].rowLevel"),
							Enabled: boolp(true), MissHit: "none",
							Whitelist: &QuickBIPeople{Users: []string{"wangwu"}, Groups: []string{"hq"}},
							Rules: []QuickBIRule{{Src: src(b, 20, "workspaces[0].datasets[0].rowLevel.rules[0]"), Name: "华北数据",
								Users: []string{"wangwu:zhangsan"}, Groups: []string{"sales"},
								Content: map[string]any{"conditionNode": map[string]any{"name": "area",
									"value": map[string]any{"value": []any{"华北"}, "valueType": "ENUM"}}}}},
						}},
					{Src: src(b, 24, "workspaces[0].datasets[1]"), Name: "订单",
						ColumnLevel: &QuickBIDataLevel{Src: src(b, 25, "workspaces[0].datasets[1].columnLevel"), MissHit: "all",
							Rules: []QuickBIRule{{Src: src(b, 28, "workspaces[0].datasets[1].columnLevel.rules[0]"), Name: "隐藏成本",
								All: true, Content: `{"pathId": ["264b7a970b"]}`}},
						}},
				}},
			{Src: src(b, 31, "workspaces[1]"), Name: "运营", ID: "0f2a9c55-aaaa-bbbb-cccc-ddddeeeeffff", Members: []QuickBIMember{}},
		},
	}
	if diff := cmp.Diff(want, d.QuickBI); diff != "" {
		t.Errorf("QuickBI (-want +got):\n%s", diff)
	}
	if d.Provider != QuickBIProvider || d.ProviderSrc != src(a, 2, "provider") {
		t.Errorf("Provider %q at %+v, want quickbi at %s:2", d.Provider, d.ProviderSrc, a)
	}
	if len(d.Files) != 2 || d.Files[0].Path != a || d.Files[1].Path != b || len(d.Files[0].SHA256) != 64 {
		t.Errorf("Files = %+v, want %s and %s with their SHA-256", d.Files, a, b)
	}
	if d.Users != nil || d.Projects != nil || d.Orgs != nil || d.SystemRoles != nil {
		t.Errorf("Youdata's part is set for Quick BI files: %+v", d)
	}
	if got, want := d.Summary(), "2 tags, 3 users, 3 groups, 2 workspaces, 2 workspace members, 2 datasets, 2 rules (2 files)"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	wantCounts := Counts{Users: 3, Groups: 3, Tags: 2, Workspaces: 2, WorkspaceMembers: 2, Datasets: 2, Rules: 2, Files: 2}
	if diff := cmp.Diff(wantCounts, d.Counts()); diff != "" {
		t.Errorf("Counts (-want +got):\n%s", diff)
	}
}

// TestQuickBIMerge: settings in one file only, lists present in any file
// stay present, absent ones stay nil.
func TestQuickBIMerge(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"a.yaml": "version: 1\nprovider: quickbi\nsettings: {prune: {users: true}}\n",
		"b.yaml": "version: 1\nprovider: quickbi\n\nsettings:\n  transferTo: x\n",
	})
	_, err := Load([]string{dir})
	want := []string{filepath.Join(dir, "b.yaml") + `:4: settings: settings are given twice (first at ` + filepath.Join(dir, "a.yaml") + `:3); keep them in one file`}
	if diff := cmp.Diff(want, problemLines(err)); diff != "" {
		t.Errorf("settings twice (-want +got):\n%s", diff)
	}

	dir = writeFiles(t, map[string]string{
		"a.yaml": "version: 1\nprovider: quickbi\ngroups: []\n",
		"b.yaml": "version: 1\nprovider: quickbi\n",
	})
	d, err := Load([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	q := d.QuickBI
	if q == nil || q.Groups == nil || len(q.Groups) != 0 {
		t.Fatalf("groups: [] in one file: QuickBI = %+v, want present and empty groups", q)
	}
	if q.Users != nil || q.Tags != nil || q.Workspaces != nil {
		t.Errorf("absent lists became present: %+v", q)
	}
	if got, want := d.Summary(), "0 tags, 0 users, 0 groups, 0 workspaces, 0 workspace members, 0 datasets, 0 rules (2 files)"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	// Youdata's files give no Quick BI part.
	if d := mustLoadBytes(t, "version: 1\nusers: [{uniqueId: a}]\n"); d.QuickBI != nil {
		t.Errorf("Youdata file: QuickBI = %+v, want nil", d.QuickBI)
	}
}

// TestQuickBIBudgets: the loader's budgets do not depend on the format. A
// rule's content that aliases a 1 MiB string 300 times is refused while
// it is decoded, at an alias; a Quick BI file of too many nodes is
// refused before it is parsed.
func TestQuickBIBudgets(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(qbFile("workspaces:\n  - name: W\n    datasets:\n      - id: c\n        rowLevel:\n          rules:\n            - name: r\n              content:\n                big: &s \""))
	b.WriteString(strings.Repeat("x", 1<<20))
	b.WriteString("\"\n")
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&b, "                k%d: *s\n", i)
	}
	data := b.Bytes()
	var err error
	alloc := allocated(func() { _, err = LoadBytes("big.yaml", data) })
	p := onlyProblem(t, err)
	if p.File != "big.yaml" || !strings.Contains(lineOf(data, p.Line), ": *s") ||
		!strings.HasPrefix(p.Path, `workspaces[0].datasets[0].rowLevel.rules[0].content["k`) ||
		!strings.Contains(p.Msg, "once its aliases are expanded") {
		t.Errorf("problem: %v (line %d is %q)", p, p.Line, lineOf(data, p.Line))
	}
	if alloc > 64<<20 {
		t.Errorf("loading allocated %d MiB", alloc>>20)
	}

	data = bytes.Replace(flowItems("a", MaxFileNodes/2+1000), []byte("version: 1\nusers: ["), []byte("version: 1\nprovider: quickbi\nusers: ["), 1)
	p = onlyProblem(t, func() error { _, err := LoadBytes("many.yaml", data); return err }())
	if p.File != "many.yaml" || p.Line != 3 || !strings.Contains(p.Msg, "counted before parsing") {
		t.Errorf("problem: %v", p)
	}
}

// TestQuickBIDocExample: the example of docs/format-quickbi.md (its
// ```yaml blocks that start with "# desired/...") is valid, and its
// summary is the one the page shows.
func TestQuickBIDocExample(t *testing.T) {
	doc, err := os.ReadFile("../docs/format-quickbi.md")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, block := range strings.Split(string(doc), "```yaml\n")[1:] {
		body, _, _ := strings.Cut(block, "```")
		first, _, _ := strings.Cut(body, "\n")
		if name, ok := strings.CutPrefix(first, "# desired/"); ok {
			files[name] = body
		}
	}
	if len(files) < 2 {
		t.Fatalf("found %d example files in the page, want at least 2", len(files))
	}
	d, err := Load([]string{writeFiles(t, files)})
	if err != nil {
		t.Fatalf("the example is not valid:\n%v", err)
	}
	if want := "# Valid: " + d.Summary() + ".\n"; !strings.Contains(string(doc), want) {
		t.Errorf("the page does not show the summary %q", want)
	}
	if len(d.Warnings) > 0 {
		t.Errorf("warnings: %v", d.Warnings)
	}
}
