package access

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, d)
	}
}

// workspaceReport is a report as a Quick BI adapter would make it: users
// in nested groups, workspace roles held directly and through a group,
// row rules for users, groups and everyone, a whitelist, a rule on a tag.
func workspaceReport() *Report {
	r := New("quickbi", SourceFiles)
	r.SpaceLabel, r.Zone, r.Generated = "workspace", "+08:00", "2026-03-01T00:00:00+08:00"
	r.Users = []User{{ID: "wangwu:zhangsan", Name: "张三"}, {ID: "wangwu:lisi", Name: "李四"}}
	ws := "销售空间"
	add := func(g Grant) { g.Space = ws; r.Grants = append(r.Grants, g) }
	for _, u := range []string{"wangwu:zhangsan", "wangwu:lisi"} {
		add(Grant{User: u, Kind: KindMember, Target: ws, Path: []Step{{Kind: StepDirect}}})
	}
	add(Grant{User: "wangwu:zhangsan", Kind: KindGroup, Target: "华北/分析师", Path: []Step{{Kind: StepDirect}}})
	add(Grant{User: "wangwu:zhangsan", Kind: KindGroup, Target: "华北", Path: []Step{{Kind: StepGroup, Name: "华北/分析师"}}})
	add(Grant{User: "wangwu:zhangsan", Kind: KindWorkspaceRole, Target: "analyst", Path: []Step{{Kind: StepGroup, Name: "华北"}}})
	add(Grant{User: "wangwu:lisi", Kind: KindWorkspaceRole, Target: "viewer", Path: []Step{{Kind: StepDirect}}})
	add(Grant{User: "wangwu:zhangsan", Kind: KindResource, Target: "dashboard 销售周报", Rights: []string{"view"},
		Path: []Step{{Kind: StepGroup, Name: "华北"}, {Kind: StepWorkspaceRole, Name: "analyst"}}})
	add(Grant{User: "wangwu:zhangsan", Kind: KindRule, Target: "订单数据集", Rule: &Rule{Type: "row", Table: "订单数据集", Fields: []string{"区域"}, Attribute: "区域", Values: []string{"华北"}, Effect: "keep"},
		Path: []Step{{Kind: StepGroup, Name: "华北"}, {Kind: StepAttribute, Name: "区域"}}})
	add(Grant{User: "wangwu:lisi", Kind: KindRule, Target: "订单数据集", Rule: &Rule{Type: "row", Table: "订单数据集", Text: "区域 = 华东 (rule 华东行)"},
		Path: []Step{{Kind: StepEveryone}}})
	add(Grant{User: "wangwu:lisi", Kind: KindRule, Target: "客户数据集", Rule: &Rule{Type: "row", Table: "客户数据集", Effect: "all"},
		Path: []Step{{Kind: StepDirect, Expires: "2026-12-31 23:59:59"}}})
	r.Finish()
	return r
}

// TestExplainWorkspaceRoles renders the paths only Quick BI has: a
// workspace role through a nested group, rules for everyone, on a tag,
// a whitelist.
func TestExplainWorkspaceRoles(t *testing.T) {
	r := workspaceReport()
	var b bytes.Buffer
	for _, u := range []string{"wangwu:lisi", "wangwu:zhangsan"} {
		e, err := r.ForUser(u)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		b.WriteString("----\n")
	}
	e, err := r.ForResource("analyst", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"workspace role   analyst — via group 华北\n",
		"via group 华北 → workspace role analyst",
		"— via everyone",
		"via group 华北 → dynamic attribute 区域",
		"Workspace 销售空间",
		"all rows — direct, expires 2026-12-31 23:59:59",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("lacks %q:\n%s", want, b.String())
		}
	}
	compareGolden(t, filepath.Join("testdata", "explain", "workspace-roles.txt"), b.Bytes())
}

func TestPathText(t *testing.T) {
	for _, tc := range []struct {
		path []Step
		want string
	}{
		{nil, "direct"},
		{[]Step{{Kind: StepDirect}}, "direct"},
		{[]Step{{Kind: StepDirect, Expires: "2027-10-10 10:00:00"}}, "direct, expires 2027-10-10 10:00:00"},
		{[]Step{{Kind: StepGroup, Name: "华北分析师"}, {Kind: StepRole, Name: "报告阅览"}}, "via group 华北分析师 → role 报告阅览"},
		{[]Step{{Kind: StepDepartment, Name: "SALES", Expires: "2026-01-01 00:00:00"}, {Kind: StepRole, Name: "R"}}, "via department SALES (expires 2026-01-01 00:00:00) → role R"},
		{[]Step{{Kind: StepDataPermission, Name: "D"}, {Kind: StepAttribute, Name: "7"}}, "via data permission D → dynamic attribute 7"},
	} {
		if got := PathText(tc.path); got != tc.want {
			t.Errorf("PathText(%v) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

// TestCompareGrantsMatchesKey: two grants compare equal exactly when
// their keys are equal, which merging and diffing rely on.
func TestCompareGrantsMatchesKey(t *testing.T) {
	var gs []Grant
	for _, u := range []string{"a", "b"} {
		for _, k := range []Kind{KindRole, KindRule} {
			for _, p := range [][]Step{{{Kind: StepDirect}}, {{Kind: StepDirect, Expires: "2030-01-01 00:00:00"}}, {{Kind: StepGroup, Name: "g"}}, {{Kind: StepGroup, Name: "g"}, {Kind: StepRole, Name: "r"}}} {
				g := Grant{User: u, Space: "s", Kind: k, Target: "t", Path: p}
				if k == KindRule {
					g.Rule = &Rule{Type: "row", Fields: []string{"f"}}
					gs = append(gs, g)
					g2 := g
					g2.Rule = &Rule{Type: "row", Fields: []string{"f"}, Values: []string{"x"}}
					gs = append(gs, g2)
					g3 := g
					g3.Rule = &Rule{Type: "column", Fields: []string{"f"}}
					g = g3
				}
				gs = append(gs, g)
			}
		}
	}
	for i := range gs {
		for j := range gs {
			eq := compareGrants(&gs[i], &gs[j]) == 0
			if keq := gs[i].Key() == gs[j].Key(); eq != keq {
				t.Errorf("grants %d and %d: compare equal %v, keys equal %v", i, j, eq, keq)
			}
			if c, d := compareGrants(&gs[i], &gs[j]), compareGrants(&gs[j], &gs[i]); (c < 0) != (d > 0) {
				t.Errorf("grants %d and %d: compare not antisymmetric (%d, %d)", i, j, c, d)
			}
		}
	}
}

func TestFinishDedupesAndFillsUsers(t *testing.T) {
	r := New("p", SourceFiles)
	r.Users = []User{{ID: "b", Name: "B", Departments: []string{"X", "X"}}}
	r.Grants = []Grant{
		{User: "b", Space: "s", Kind: KindResource, Target: "R", Rights: []string{"view"}, Path: []Step{{Kind: StepRole, Name: "r"}}},
		{User: "b", Space: "s", Kind: KindResource, Target: "R", Rights: []string{"export"}, Path: []Step{{Kind: StepRole, Name: "r"}}},
		{User: "a", Space: "s", Kind: KindGroup, Target: "G", Path: []Step{{Kind: StepDirect}}},
		{User: "a", Space: "s", Kind: KindRole, Target: "r", Path: []Step{{Kind: StepGroup, Name: "G", Expires: "2030-01-01 00:00:00"}}},
	}
	r.Finish()
	if len(r.Grants) != 3 {
		t.Fatalf("%d grants, want 3: %+v", len(r.Grants), r.Grants)
	}
	if r.Grants[0].User != "a" || r.Grants[0].Kind != KindGroup {
		t.Errorf("first grant %+v, want a's group", r.Grants[0])
	}
	if r.Grants[1].Expires != "2030-01-01 00:00:00" {
		t.Errorf("Expires %q, want the path's", r.Grants[1].Expires)
	}
	if got := r.Grants[2].Rights; !reflect.DeepEqual(got, []string{"export", "view"}) {
		t.Errorf("merged rights %v", got)
	}
	want := []User{{ID: "a", Groups: []string{"s/G"}}, {ID: "b", Name: "B", Departments: []string{"X"}}}
	if d := cmp.Diff(want, r.Users); d != "" {
		t.Errorf("users (-want +got):\n%s", d)
	}
}

func pair() (files, server *Report) {
	files = New("p", SourceFiles)
	server = New("p", SourceServer)
	d := []Step{{Kind: StepDirect}}
	files.Grants = []Grant{
		{User: "a", Space: "s", Kind: KindRole, Target: "same", Path: d},
		{User: "a", Space: "s", Kind: KindRole, Target: "differs", Path: []Step{{Kind: StepDirect, Expires: "2030-01-01 00:00:00"}}},
		{User: "a", Space: "s", Kind: KindRole, Target: "files", Path: d},
		{User: "a", Space: "s", Kind: KindRole, Target: "unshown", Path: []Step{{Kind: StepGroup, Name: "g"}}, Unshown: "a role's groups"},
		{User: "a", Space: "s", Kind: KindRule, Target: "t", Rule: &Rule{Type: "row", Fields: []string{"f"}, Values: []string{"x"}}, Path: []Step{{Kind: StepDataPermission, Name: "dp"}}},
	}
	server.Grants = []Grant{
		{User: "a", Space: "s", Kind: KindRole, Target: "same", Path: d},
		{User: "a", Space: "s", Kind: KindRole, Target: "differs", Path: []Step{{Kind: StepDirect, Expires: "2029-01-01 00:00:00"}}},
		{User: "a", Space: "s", Kind: KindRole, Target: "server", Path: d},
		{User: "a", Space: "s", Kind: KindRule, Target: "t", Rule: &Rule{Type: "row", Fields: []string{"f"}, Values: []string{"x", "y"}}, Path: []Step{{Kind: StepDataPermission, Name: "dp"}}},
	}
	files.Finish()
	server.Finish()
	return files, server
}

func TestCompareStatuses(t *testing.T) {
	files, server := pair()
	both, err := Compare(files, server)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, g := range both.Grants {
		got[g.Target] = string(g.Status) + ": " + g.Note
	}
	want := map[string]string{
		"same":    "same: ",
		"differs": "differs: expires 2029-01-01 00:00:00",
		"files":   "filesOnly: ",
		"server":  "serverOnly: ",
		"unshown": "unshown: a role's groups",
		"t":       "differs: values x, y",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("statuses (-want +got):\n%s", d)
	}
	if both.Source != SourceBoth {
		t.Errorf("source %q", both.Source)
	}
	if _, err := Compare(files, New("other", SourceServer)); err == nil {
		t.Error("Compare of two providers succeeded")
	}
}

func TestDiffReports(t *testing.T) {
	old, cur := pair()
	old.Generated, cur.Generated = "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"
	d := DiffReports(old, cur, "old.json", "new.json")
	var names []string
	for _, g := range d.Gained {
		names = append(names, "+"+g.Target)
	}
	for _, g := range d.Lost {
		names = append(names, "-"+g.Target)
	}
	for _, c := range d.Changed {
		names = append(names, "~"+c.New.Target)
	}
	if want := []string{"+server", "-files", "-unshown", "~differs", "~t"}; !reflect.DeepEqual(names, want) {
		t.Errorf("diff %v, want %v", names, want)
	}
	var b bytes.Buffer
	if err := d.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	compareGolden(t, filepath.Join("testdata", "diff.txt"), b.Bytes())
	if e := DiffReports(cur, cur, "a", "b"); !e.Empty() {
		t.Errorf("a report differs from itself: %+v", e)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	r := workspaceReport()
	r.Notes = []string{"a note"}
	r.Departments = []Department{{Code: "D", Name: "部门", Parent: "P"}}
	var b bytes.Buffer
	if err := WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(&b, "r.json")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(r, back); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
}

func TestReadJSONErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"format": "permsync-access/9", "users": [], "grants": []}`, `r.json: format "permsync-access/9", but this permsync reads "permsync-access/1"`},
		{`{"users": []}`, `r.json: not a permsync access report`},
		{"{\"format\": \"permsync-access/1\",\n\"users\": [],\n\"grants\": [{\"user\": 3}]}", `r.json:3: grants.user: want string, got number`},
		{"{\"format\": \"permsync-access/1\",\n\"extra\": 1}", `r.json: unknown field "extra"`},
		{"{\"format\":\n\"permsync-access/1\",,}", `r.json:2: invalid character ','`},
	} {
		_, err := ReadJSON(strings.NewReader(tc.in), "r.json")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadJSON(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
}

// TestCSVKeepsFormulasOut: a name a spreadsheet would run as a formula
// is written with a leading apostrophe.
func TestCSVKeepsFormulasOut(t *testing.T) {
	r := New("p", SourceFiles)
	r.Users = []User{{ID: "a", Name: "=HYPERLINK(\"http://x\")"}}
	r.Grants = []Grant{{User: "a", Space: "@s", Kind: KindRole, Target: "+r", Path: []Step{{Kind: StepDirect}}}}
	r.Finish()
	var b bytes.Buffer
	if err := WriteCSV(&b, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || !reflect.DeepEqual(rows[0], CSVHeader) {
		t.Fatalf("rows %q", rows)
	}
	row := rows[1]
	if row[1] != `'=HYPERLINK("http://x")` || row[3] != "'@s" || row[5] != "'+r" || row[7] != "direct" {
		t.Errorf("row %q", row)
	}
}

// TestHTMLEscapesServerText: names from the server reach the page only
// as JSON strings, never as markup that could end the script.
func TestHTMLEscapesServerText(t *testing.T) {
	r := New("p<b>", SourceFiles)
	evil := `</script><img src=x onerror=alert(1)>&amp;`
	r.Users = []User{{ID: "a", Name: evil}}
	r.Grants = []Grant{{User: "a", Space: evil, Kind: KindRole, Target: evil, Path: []Step{{Kind: StepGroup, Name: evil}}}}
	r.Finish()
	var b bytes.Buffer
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if strings.Contains(page, "<img") || strings.Contains(page, "onerror=alert(1)>") || strings.Count(page, "</script>") != 2 {
		t.Errorf("server text reached the page as markup")
	}
	if !strings.Contains(page, `\u003c/script\u003e\u003cimg src=x onerror=alert(1)\u003e\u0026amp;`) {
		t.Errorf("the name is not in the data as an escaped JSON string")
	}
	if !strings.Contains(page, "<title>permsync access report — p&lt;b&gt;</title>") {
		t.Errorf("the title is not HTML-escaped")
	}
	for _, bad := range []string{"http://", "https://", "src=\"", "@import", "url("} {
		if strings.Contains(strings.ReplaceAll(page, `\u003cimg src=x`, ""), bad) {
			t.Errorf("the page holds %q: it must load nothing", bad)
		}
	}
}

func TestHandler(t *testing.T) {
	rep := workspaceReport()
	var latest Latest
	h := Handler(latest.Get, "s3cret")
	do := func(method, target, auth string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, target, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	if w := do("GET", "/report", "Bearer s3cret"); w.Code != http.StatusServiceUnavailable {
		t.Errorf("before the first report: %d", w.Code)
	}
	latest.Set(rep)
	for _, tc := range []struct {
		method, target, auth string
		code                 int
		ctype                string
	}{
		{"GET", "/report", "", http.StatusUnauthorized, ""},
		{"GET", "/report", "Bearer wrong", http.StatusUnauthorized, ""},
		{"GET", "/report", "Bearer s3cre", http.StatusUnauthorized, ""},
		{"GET", "/report", "Basic czNjcmV0", http.StatusUnauthorized, ""},
		{"GET", "/report", "Bearer s3cret", http.StatusOK, "text/html; charset=utf-8"},
		{"GET", "/report", "bearer s3cret", http.StatusOK, "text/html; charset=utf-8"},
		{"GET", "/report?format=json", "Bearer s3cret", http.StatusOK, "application/json"},
		{"GET", "/report?format=csv", "Bearer s3cret", http.StatusOK, "text/csv; charset=utf-8"},
		{"GET", "/report?format=xml", "Bearer s3cret", http.StatusBadRequest, ""},
		{"POST", "/report", "Bearer s3cret", http.StatusMethodNotAllowed, ""},
	} {
		w := do(tc.method, tc.target, tc.auth)
		if w.Code != tc.code {
			t.Errorf("%s %s (%q): %d, want %d", tc.method, tc.target, tc.auth, w.Code, tc.code)
			continue
		}
		if tc.code == http.StatusUnauthorized && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("401 without WWW-Authenticate: Bearer")
		}
		if tc.code != http.StatusOK {
			if strings.Contains(w.Body.String(), "张三") {
				t.Errorf("%s %s (%q): the body holds the report", tc.method, tc.target, tc.auth)
			}
			continue
		}
		if got := w.Header().Get("Content-Type"); got != tc.ctype {
			t.Errorf("%s: Content-Type %q", tc.target, got)
		}
		if w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("%s: cacheable", tc.target)
		}
		if !strings.Contains(w.Body.String(), "张三") {
			t.Errorf("%s: the report is not in the body", tc.target)
		}
	}
	if w := do("GET", "/report", "Bearer s3cret"); !strings.Contains(w.Header().Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("the page is served without its Content-Security-Policy")
	}
	// No secret: nothing is served, whatever is sent.
	off := Handler(latest.Get, "")
	for _, auth := range []string{"", "Bearer ", "Bearer x"} {
		req := httptest.NewRequest("GET", "/report", nil)
		req.Header.Set("Authorization", auth)
		w := httptest.NewRecorder()
		off.ServeHTTP(w, req)
		if w.Code != http.StatusNotFound || strings.Contains(w.Body.String(), "张三") {
			t.Errorf("without a secret (%q): %d", auth, w.Code)
		}
	}
}

func TestWriteDir(t *testing.T) {
	dir := t.TempDir()
	paths, err := WriteDir(dir, workspaceReport(), Formats)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 3 {
		t.Fatalf("paths %v", paths)
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 || fi.Size() == 0 {
			t.Errorf("%s: mode %v size %d", p, fi.Mode().Perm(), fi.Size())
		}
	}
	back, err := ReadJSONFile(filepath.Join(dir, "access.json"))
	if err != nil || len(back.Grants) != len(workspaceReport().Grants) {
		t.Errorf("read back: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("%d files in the directory: temporary files left", len(entries))
	}
}

// fakeAdapter builds reports from a name in the desired state's company.
type fakeAdapter struct{ fail bool }

func (f fakeAdapter) FromFiles(d *spec.Desired) (*Report, error) {
	if f.fail {
		return nil, errors.New("cannot")
	}
	r := New("fake", SourceFiles)
	r.Grants = []Grant{{User: d.Orgs.Company, Kind: KindRole, Target: "r", Path: []Step{{Kind: StepDirect}}}}
	r.Finish()
	return r, nil
}

func (fakeAdapter) FromServer(d *spec.Desired, _ provider.Live) (*Report, error) {
	r := New("fake", SourceServer)
	r.Finish()
	return r, nil
}

type fakeLive struct{}

func (fakeLive) Principal() string { return "" }

// TestPublisher: each run's report becomes the latest, served by the
// handler and written to the directory; a failed build keeps the last.
func TestPublisher(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "reports")
	pub := &Publisher{Adapter: fakeAdapter{}, Dir: dir, Formats: []string{"json"}}
	h := Handler(pub.Latest, "k")
	get := func() string {
		req := httptest.NewRequest("GET", "/report?format=json", nil)
		req.Header.Set("Authorization", "Bearer k")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Body.String()
	}
	for _, who := range []string{"first", "second"} {
		if err := pub.Publish(&spec.Desired{Orgs: &spec.Orgs{Company: who}}, fakeLive{}); err != nil {
			t.Fatal(err)
		}
		if body := get(); !strings.Contains(body, `"user":"`+who+`"`) || !strings.Contains(body, `"source":"files+server"`) {
			t.Errorf("after the %s run the handler serves %s", who, body)
		}
		back, err := ReadJSONFile(filepath.Join(dir, "access.json"))
		if err != nil || back.Grants[0].User != who {
			t.Errorf("after the %s run the directory holds %v (%v)", who, back, err)
		}
	}
	pub.Adapter = fakeAdapter{fail: true}
	if err := pub.Publish(&spec.Desired{Orgs: &spec.Orgs{Company: "third"}}, nil); err == nil {
		t.Error("a failed build published")
	}
	if body := get(); !strings.Contains(body, `"user":"second"`) {
		t.Errorf("after a failed build the handler serves %s", body)
	}
}

// TestTextEscapesServerText: names from the server cannot rewrite the
// terminal or forge a line of explain's or the diff's output.
func TestTextEscapesServerText(t *testing.T) {
	r := New("p", SourceServer)
	evil := "x\x1b[2J\nProject forged\u202e"
	r.Users = []User{{ID: "a", Name: evil}}
	r.Grants = []Grant{{User: "a", Space: evil, Kind: KindRole, Target: evil, Path: []Step{{Kind: StepGroup, Name: evil}}}}
	r.Finish()
	e, err := r.ForUser("a")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := e.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	d := DiffReports(New("p", SourceServer), r, "old", "new")
	if err := d.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.ContainsAny(out, "\x1b\u202e") || strings.Contains(out, "\nProject forged") {
		t.Errorf("server text reached the output raw:\n%q", out)
	}
	if !strings.Contains(out, `x\u001b[2J\nProject forged\u202e`) {
		t.Errorf("the name is not shown escaped:\n%s", out)
	}
}
