package export

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

const (
	quickstartSeed = "../../../examples/quickstart/server-before.yaml"
	fullSeed       = "testdata/full/server.yaml"
	spacesSeed     = "testdata/spaces/server.yaml"
)

// newSim starts a simulator seeded from a file (empty: an empty domain)
// and returns a client to it.
func newSim(t *testing.T, seedPath string) (*youdatatest.Server, *apiclient.Client) {
	t.Helper()
	var seed *youdatatest.Seed
	if seedPath != "" {
		var err error
		seed, err = youdatatest.LoadSeed(seedPath)
		if err != nil {
			t.Fatal(err)
		}
	}
	sim := youdatatest.New(youdatatest.Options{Seed: seed})
	t.Cleanup(sim.Close)
	c, err := apiclient.New(apiclient.Config{Server: sim.URL(), Credentials: apiclient.Credentials{Token: sim.Token()}, RPS: -1})
	if err != nil {
		t.Fatal(err)
	}
	return sim, c
}

// exportTo reads every project and writes an export into a new directory.
func exportTo(t *testing.T, c apiclient.Reader, split Split) (string, *youdata.Live, *Result) {
	t.Helper()
	live, err := Read(context.Background(), c, nil, youdata.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	res, err := Write(live, dir, Options{Split: split})
	if err != nil {
		t.Fatal(err)
	}
	return dir, live, res
}

// planAgainst loads the files under dir and plans them against a fresh
// read of the server.
func planAgainst(t *testing.T, c apiclient.Reader, dir string, st *state.State) *plan.Plan {
	t.Helper()
	d, err := spec.Load([]string{dir})
	if err != nil {
		t.Fatalf("the export does not load: %v", err)
	}
	var refs []youdata.ProjectRef
	for _, p := range d.Projects {
		refs = append(refs, youdata.ProjectRef{Name: p.Name, ID: p.ID})
	}
	live, err := youdata.ReadLive(context.Background(), c, refs, youdata.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := youdata.Compute(d, live, st, youdata.Options{})
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	return p
}

func describe(p *plan.Plan) string {
	var b strings.Builder
	for _, c := range p.Changes {
		b.WriteString(string(c.Action) + " " + string(c.Kind) + " " + c.Key + ": " + c.Reason + "\n")
	}
	for _, r := range p.RefusalMessages() {
		b.WriteString("refusal: " + r + "\n")
	}
	return b.String()
}

// TestRoundTripPlanIsEmpty is the promise of export: the exported files,
// planned against the server they came from, change nothing, with the
// exported state and without any state, in every layout.
func TestRoundTripPlanIsEmpty(t *testing.T) {
	for _, seed := range []string{quickstartSeed, fullSeed, spacesSeed} {
		for _, split := range Splits {
			t.Run(filepath.Base(filepath.Dir(seed))+"/"+string(split), func(t *testing.T) {
				_, c := newSim(t, seed)
				dir, live, res := exportTo(t, c, split)
				if res.Counts.Users == 0 || res.Counts.Projects == 0 || res.Counts.Roles == 0 {
					t.Fatalf("exported too little: %+v", res.Counts)
				}
				for name, st := range map[string]*state.State{"exported state": State(live, "test"), "no state": nil} {
					p := planAgainst(t, c, dir, st)
					if len(p.Changes) > 0 || len(p.Refusals) > 0 {
						t.Errorf("%s: the first plan of the export is not empty:\n%s", name, describe(p))
					}
					if len(p.NoOps) == 0 {
						t.Errorf("%s: the plan compared nothing", name)
					}
				}
			})
		}
	}
}

// TestRoundTripSeesDrift checks the empty plan is not vacuous: a change
// made on the server after the export shows up in the plan of the export.
func TestRoundTripSeesDrift(t *testing.T) {
	sim, c := newSim(t, fullSeed)
	dir, live, _ := exportTo(t, c, SplitByKind)
	st := sim.Snapshot()
	pid := st.ProjectByName("销售分析").ID
	// bob leaves the group: a group member change made in the console.
	gid := st.ProjectByName("销售分析").GroupByName("华北组").ID
	if err := c.DeleteGroupUsers(context.Background(), apiclient.GroupDelUsersRequest{ProjectID: pid, GroupID: gid, UniqueIDs: []string{"bob@corp.com"}}); err != nil {
		t.Fatal(err)
	}
	p := planAgainst(t, c, dir, State(live, "test"))
	if len(p.Changes) != 1 || p.Changes[0].Kind != youdata.KindGroup || p.Changes[0].Key != "销售分析/华北组" {
		t.Fatalf("want one update of the group, got:\n%s", describe(p))
	}
}

// TestGolden compares an export of the full seed with testdata/full/want.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name, seed string
		split      Split
	}{
		{"full", fullSeed, SplitByKind},
		{"quickstart-by-project", quickstartSeed, SplitByProject},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, c := newSim(t, tc.seed)
			live, err := Read(context.Background(), c, nil, youdata.ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if _, err := Write(live, dir, Options{Split: tc.split, Header: "Exported from the test server."}); err != nil {
				t.Fatal(err)
			}
			if err := state.Save(filepath.Join(dir, ".permsync", "state.json"), State(live, "simulator:test")); err != nil {
				t.Fatal(err)
			}
			got := readTree(t, dir)
			wantDir := filepath.Join("testdata", tc.name, "want")
			if *update {
				if err := os.RemoveAll(wantDir); err != nil {
					t.Fatal(err)
				}
				for name, content := range got {
					p := filepath.Join(wantDir, filepath.FromSlash(name))
					if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			want := readTree(t, wantDir)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("export differs from %s (-want +got; go test -update rewrites it):\n%s", wantDir, d)
			}
		})
	}
}

// readTree reads every file under dir, by slash-separated relative name.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestExportIsDeterministic exports the same server twice.
func TestExportIsDeterministic(t *testing.T) {
	_, c := newSim(t, fullSeed)
	a, _, _ := exportTo(t, c, SplitSingle)
	b, _, _ := exportTo(t, c, SplitSingle)
	if d := cmp.Diff(readTree(t, a), readTree(t, b)); d != "" {
		t.Fatalf("two exports differ:\n%s", d)
	}
}

// TestWhatIsExported checks the facets and the comments of the export of
// the full seed, through the loaded desired state.
func TestWhatIsExported(t *testing.T) {
	_, c := newSim(t, fullSeed)
	dir, live, res := exportTo(t, c, SplitByKind)
	wantFiles := []string{"users.yaml", "system-roles.yaml", "projects/市场_运营-分析.yaml", "projects/空项目.yaml", "projects/销售分析.yaml"}
	if d := cmp.Diff(wantFiles, res.Files); d != "" {
		t.Errorf("files (-want +got):\n%s", d)
	}
	d, err := spec.Load([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]spec.Project{}
	for _, p := range d.Projects {
		byName[p.Name] = p
	}
	sales := byName["销售分析"]
	if sales.ID != 201 || sales.Description == nil || *sales.Description != "销售数据" {
		t.Errorf("project: id %d description %v", sales.ID, sales.Description)
	}
	if len(sales.Groups) != 1 || sales.Groups[0].Name != "华北组" || sales.Groups[0].Folder != "" || sales.Groups[0].Description != nil {
		t.Errorf("groups: %+v (want only 华北组, without the unreadable folder and description)", sales.Groups)
	}
	roles := map[string]spec.Role{}
	for _, r := range sales.Roles {
		roles[r.Folder+"/"+r.Name] = r
		if r.Resources != nil || r.Groups != nil || r.Orgs != nil {
			t.Errorf("role %s has unreadable facets: %+v", r.Name, r)
		}
	}
	if r := roles["通用/报告阅览"]; r.Expires["bob@corp.com"] != "2027-10-10 10:00:00" || !cmp.Equal(r.Users, []string{"alice@corp.com", "bob@corp.com"}) {
		t.Errorf("报告阅览: %+v", r)
	}
	if r := roles["/区域经理"]; r.Level != 2 {
		t.Errorf("区域经理 level %d, want 2", r.Level)
	}
	if r, ok := roles["/仅组"]; !ok || r.Users == nil || len(r.Users) != 0 {
		t.Errorf("仅组 should be exported with users: [], got %+v", r)
	}
	if _, ok := roles["旧/数据编辑"]; ok {
		t.Errorf("the second role named 数据编辑 cannot be written in the format and must be skipped")
	}
	if res.Counts.Skipped != 1 {
		t.Errorf("skipped %d, want 1", res.Counts.Skipped)
	}
	dps := map[string]spec.DataPermission{}
	for _, dp := range sales.DataPermissions {
		dps[dp.Name] = dp
	}
	if len(dps["华北数据"].Rules) != 2 || len(dps["华东数据"].Rules) != 2 || len(dps["动态区域"].Rules) != 1 {
		t.Errorf("rules of the directly held permissions are missing: %+v", dps)
	}
	if dps["组数据"].Rules != nil {
		t.Errorf("组数据 is held by a group only: its rules cannot be read, got %+v", dps["组数据"].Rules)
	}
	if det := dps["华北数据"].Rules[0].Details[0]; det.Model != "" || det.TableAlias != "" {
		t.Errorf("server-added fields kept: %+v", det)
	}
	if p := byName["市场/运营 分析"]; len(p.Members) != 2 {
		t.Errorf("市场/运营 分析 members: %+v", p.Members)
	}
	users := map[string]spec.User{}
	for _, u := range d.Users {
		users[u.UniqueID] = u
	}
	if len(users) != len(live.Users) {
		t.Errorf("%d users exported, %d on the server", len(users), len(live.Users))
	}
	if u := users["carol@corp.com"]; u.Email != nil || u.Nick == nil || *u.Nick != "true" || u.CustomInfo["employeeNo"] != "C3" {
		t.Errorf("carol: %+v", u)
	}
	if u := users["alice@corp.com"]; u.Phone == nil || *u.Phone != "13800000001" || u.Department != nil || u.Orgs != nil {
		t.Errorf("alice: %+v", u)
	}

	text, err := os.ReadFile(filepath.Join(dir, "projects", "销售分析.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{noteRoleRes, noteRulesUnk, noteGroup, noteResMembers, `"旧/数据编辑"`} {
		if !bytes.Contains(text, []byte(want)) {
			t.Errorf("projects/销售分析.yaml lacks the comment %q", want)
		}
	}
}

// TestState records the ids of what the files name, nothing created.
func TestState(t *testing.T) {
	sim, c := newSim(t, fullSeed)
	live, err := Read(context.Background(), c, nil, youdata.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st := State(live, "https://bi.example.com")
	snap := sim.Snapshot()
	sales := snap.ProjectByName("销售分析")
	want := map[string]int64{
		"systemRole 审计员":              snap.SystemRoleByName("审计员").ID,
		"group 销售分析/华北组":              sales.GroupByName("华北组").ID,
		"role 销售分析/通用/报告阅览":           sales.FindRole("通用", "报告阅览").ID,
		"dataPermission 销售分析/区域/华北数据": sales.FindRole("区域", "华北数据").ID,
	}
	for k, id := range want {
		o := st.Objects[k]
		if o == nil || o.ID != id || o.Created || o.Facets != nil {
			t.Errorf("state %s = %+v, want id %d, not created, no facets", k, o, id)
		}
	}
	if o := st.Objects["role 销售分析/旧/数据编辑"]; o != nil {
		t.Errorf("a skipped role is in the state: %+v", o)
	}
	if st.Server != "https://bi.example.com" || st.Version != state.Version {
		t.Errorf("state header: %+v", st)
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(sim.Token())) {
		t.Errorf("the state holds the token")
	}
}

// TestReadProjects exports only the projects named, and refuses unknown
// ones.
func TestReadProjects(t *testing.T) {
	_, c := newSim(t, fullSeed)
	live, err := Read(context.Background(), c, []string{"空项目"}, youdata.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	res, err := Write(live, dir, Options{Split: SplitSingle})
	if err != nil {
		t.Fatal(err)
	}
	d, err := spec.Load([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Projects) != 1 || d.Projects[0].Name != "空项目" || res.Counts.Projects != 1 {
		t.Errorf("projects %+v", d.Projects)
	}
	if _, err := Read(context.Background(), c, []string{"空项目", "没有这个"}, youdata.ReadOptions{}); err == nil || !strings.Contains(err.Error(), `"没有这个"`) {
		t.Errorf("unknown project: err %v", err)
	}
}

// TestReadFailureAborts: a failed read writes nothing.
func TestReadFailureAborts(t *testing.T) {
	sim, c := newSim(t, fullSeed)
	sim.SetFaults("user/permissions", youdatatest.Fault{Permanent: true})
	live, err := Read(context.Background(), c, nil, youdata.ReadOptions{})
	if err == nil || live != nil {
		t.Fatalf("a failed read must abort the export, got err %v", err)
	}
}

// TestWriteRefusesExistingFiles: YAML already in the directory would be
// loaded with the export.
func TestWriteRefusesExistingFiles(t *testing.T) {
	_, c := newSim(t, fullSeed)
	live, err := Read(context.Background(), c, nil, youdata.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "old.yml"), []byte("version: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(live, dir, Options{}); err == nil || !strings.Contains(err.Error(), "old.yml") {
		t.Fatalf("want a refusal naming old.yml, got %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "users.yaml")); err == nil {
		t.Fatal("files were written despite the refusal")
	}
	res, err := Write(live, dir, Options{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(res.Others, []string{"old.yml"}) {
		t.Errorf("others %v", res.Others)
	}
	// Hidden folders (the state's) are not YAML the loader reads.
	dir2 := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir2, ".permsync"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir2, ".permsync", "x.yaml"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(live, dir2, Options{}); err != nil {
		t.Errorf("a hidden folder must not block the export: %v", err)
	}
}

func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{
		"销售分析":             "销售分析",
		"市场/运营 分析":         "市场_运营-分析",
		`a\b:c*d?e"f<g>h|`: "a_b_c_d_e_f_g_h_",
		"  ..hidden":       "hidden",
		"...":              "project",
		"":                 "project",
		"con":              "_con",
		"LPT1.x":           "_LPT1.x",
		"tab\there":        "tab-here",
		"nul\x00byte":      "nul_byte",
		"trailing.":        "trailing",
	} {
		if got := SafeName(in); got != want {
			t.Errorf("SafeName(%q) = %q, want %q", in, got, want)
		}
	}
	long := strings.Repeat("销", 100)
	if got := SafeName(long); len(got) > maxNameBytes || !strings.HasPrefix(long, got) {
		t.Errorf("long name cut to %d bytes: %q", len(got), got)
	}
	got := uniqueNames([]string{"a/b", "a:b", "Common", "x"}, []int64{1, 2, 3, 4}, map[string]bool{"common": true})
	if d := cmp.Diff([]string{"a_b-1", "a_b-2", "Common-3", "x"}, got); d != "" {
		t.Errorf("uniqueNames (-want +got):\n%s", d)
	}
}

func TestParseSplit(t *testing.T) {
	for _, s := range Splits {
		if got, err := ParseSplit(string(s)); err != nil || got != s {
			t.Errorf("ParseSplit(%q) = %q, %v", s, got, err)
		}
	}
	if _, err := ParseSplit("by-team"); err == nil || !strings.Contains(err.Error(), "by-kind") {
		t.Errorf("ParseSplit(by-team): %v", err)
	}
}

// TestReadAllProjectsListsThemOnce: exporting every project reads each in
// full, with a single project/list call.
func TestReadAllProjectsListsThemOnce(t *testing.T) {
	sim, c := newSim(t, fullSeed)
	sim.ResetCalls()
	live, err := Read(context.Background(), c, nil, youdata.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := sim.Calls()["project/list"]; n != 1 {
		t.Errorf("%d project/list calls, want 1", n)
	}
	if len(live.Projects) == 0 {
		t.Fatal("no projects read")
	}
	for name, lp := range live.Projects {
		if !lp.Read {
			t.Errorf("project %q not read in full", name)
		}
	}
}
