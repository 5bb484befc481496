package spec

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-multierror"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// writeFiles creates files (path → content) under a temp dir and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func problemLines(err error) []string {
	var out []string
	for _, p := range Problems(err) {
		out = append(out, p.Error())
	}
	return out
}

func mustLoadBytes(t *testing.T, src string) *Desired {
	t.Helper()
	d, err := LoadBytes("test.yaml", []byte(src))
	if err != nil {
		t.Fatalf("LoadBytes: unexpected problems:\n%v", err)
	}
	return d
}

func TestExamplesAreValid(t *testing.T) {
	dirs, err := filepath.Glob("../examples/*/desired")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no example found under ../examples/*/desired")
	}
	for _, dir := range dirs {
		t.Run(dir, func(t *testing.T) {
			d, err := Load([]string{dir})
			if err != nil {
				t.Fatalf("Load(%s):\n%v", dir, err)
			}
			c := d.Counts()
			if d.QuickBI != nil {
				if c.Users == 0 || c.Workspaces == 0 || c.Files < 2 {
					t.Errorf("example %s is too small to show the Quick BI format: %+v", dir, c)
				}
				return
			}
			if c.Users == 0 || c.Projects == 0 || c.Files < 2 {
				t.Errorf("example %s is too small to show the format: %+v", dir, c)
			}
		})
	}
}

func TestQuickstartSummary(t *testing.T) {
	d, err := Load([]string{"../examples/quickstart/desired"})
	if err != nil {
		t.Fatal(err)
	}
	want := "10 users, 6 departments, 1 system role, 2 projects, 3 groups, 4 roles, 2 data permissions, 1 resource member list (6 files)"
	if got := d.Summary(); got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	// Files are listed sorted, with their digests.
	var paths []string
	for _, f := range d.Files {
		paths = append(paths, filepath.ToSlash(f.Path))
		if len(f.SHA256) != 64 {
			t.Errorf("%s: SHA256 %q is not a hex SHA-256", f.Path, f.SHA256)
		}
	}
	wantPaths := []string{
		"../examples/quickstart/desired/org.yaml",
		"../examples/quickstart/desired/people.yaml",
		"../examples/quickstart/desired/projects/finance.yaml",
		"../examples/quickstart/desired/projects/sales.yaml",
		"../examples/quickstart/desired/settings.yaml",
		"../examples/quickstart/desired/system-roles.yaml",
	}
	if diff := cmp.Diff(wantPaths, paths); diff != "" {
		t.Errorf("Files (-want +got):\n%s", diff)
	}
}

// TestInvalidCases loads every case under testdata/invalid (a file or a
// directory) and compares the problems with <case>.want. Paths are as a
// user at the repository root would give them.
func TestInvalidCases(t *testing.T) {
	chdir(t, "..")
	entries, err := os.ReadDir("testdata/invalid")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		var base string
		switch {
		case e.IsDir():
			base = name
		case strings.HasSuffix(name, ".yaml"):
			base = strings.TrimSuffix(name, ".yaml")
		default:
			continue
		}
		n++
		path := "testdata/invalid/" + name
		wantFile := "testdata/invalid/" + base + ".want"
		t.Run(base, func(t *testing.T) {
			d, err := Load([]string{path})
			if err == nil {
				t.Fatalf("Load(%s) = valid (%s), want problems", path, d.Summary())
			}
			var me *multierror.Error
			if !errors.As(err, &me) {
				t.Fatalf("error is %T, want *multierror.Error", err)
			}
			for _, e := range me.Errors {
				var p *Problem
				if !errors.As(e, &p) {
					t.Errorf("element %T is not a *Problem: %v", e, e)
				}
			}
			got := strings.Join(problemLines(err), "\n") + "\n"
			if *update {
				if err := os.WriteFile(wantFile, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(wantFile)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("problems for %s (-want +got):\n%s", path, diff)
			}
		})
	}
	if n < 25 {
		t.Errorf("only %d invalid cases, want at least 25", n)
	}
}

func TestPresenceSemantics(t *testing.T) {
	d := mustLoadBytes(t, `version: 1
users:
  - uniqueId: a@x.com
    orgs: []
    attrs: {region: [], city: null, level: [高]}
  - uniqueId: b@x.com
projects:
  - name: P
    members: []
    groups:
      - {name: G, members: []}
      - {name: H}
    roles:
      - {name: R, users: [], groups: null, resources: []}
      - {name: S}
    dataPermissions:
      - {name: D, rules: []}
    resourceMembers:
      - {type: DATA_MODEL, id: 1, members: []}
`)
	a, b := d.Users[0], d.Users[1]
	if a.Orgs == nil || len(a.Orgs) != 0 {
		t.Errorf("orgs: [] decoded as %#v, want a non-nil empty slice", a.Orgs)
	}
	if b.Orgs != nil || b.Attrs != nil || b.Nick != nil {
		t.Errorf("absent fields of b decoded as non-nil: %+v", b)
	}
	if r := a.Attrs["region"]; r == nil || *r == nil || len(**&r) != 0 {
		t.Errorf("attrs.region: [] decoded as %v, want a pointer to an empty non-nil list", r)
	}
	if c, ok := a.Attrs["city"]; !ok || c != nil {
		t.Errorf("attrs.city: null decoded as (%v, %v), want a nil entry that clears it", c, ok)
	}
	if l := a.Attrs["level"]; l == nil || !reflect.DeepEqual(*l, []string{"高"}) {
		t.Errorf("attrs.level decoded as %v", l)
	}
	p := d.Projects[0]
	if p.Members == nil {
		t.Error("members: [] decoded as nil")
	}
	if p.Groups[0].Members == nil || p.Groups[1].Members != nil {
		t.Errorf("group members: got %#v and %#v, want non-nil empty and nil", p.Groups[0].Members, p.Groups[1].Members)
	}
	r, s := p.Roles[0], p.Roles[1]
	if r.Users == nil || r.Groups != nil || r.Resources == nil || r.Orgs != nil {
		t.Errorf("role R: users %#v groups %#v resources %#v orgs %#v", r.Users, r.Groups, r.Resources, r.Orgs)
	}
	if s.Users != nil || s.Resources != nil {
		t.Errorf("role S: absent lists decoded as non-nil")
	}
	if p.DataPermissions[0].Rules == nil {
		t.Error("rules: [] decoded as nil")
	}
	if p.ResourceMembers[0].Members == nil {
		t.Error("resourceMembers members: [] decoded as nil")
	}
}

func TestMergeKeepsEmptyListsPresent(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"a.yaml": "version: 1\nusers: []\nsystemRoles: []\nprojects: []\norgs: {departments: []}\n",
		"b.yaml": "version: 1\nsettings: {strictUsers: false}\n",
	})
	d, err := Load([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if d.Users == nil || d.SystemRoles == nil || d.Projects == nil || d.Orgs == nil || d.Orgs.Departments == nil {
		t.Errorf("present empty lists lost in merging: users %#v systemRoles %#v projects %#v orgs %#v",
			d.Users, d.SystemRoles, d.Projects, d.Orgs)
	}

	dir = writeFiles(t, map[string]string{"a.yaml": "version: 1\nsettings: {}\n"})
	d, err = Load([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if d.Users != nil || d.Projects != nil || d.Orgs != nil || d.SystemRoles != nil {
		t.Errorf("absent lists became present: %+v", d)
	}
}

func TestMergeConcatenatesInFileOrder(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"b/people.yaml": "version: 1\nusers: [{uniqueId: c@x.com}]\norgs: {departments: [{code: B, name: 乙, parent: A}]}\n",
		"a.yaml":        "version: 1\nusers: [{uniqueId: a@x.com}, {uniqueId: b@x.com}]\norgs: {company: 公司, departments: [{code: A, name: 甲}]}\n",
		".git/x.yaml":   "not: [valid",
		".hidden.yaml":  "not: [valid",
		"notes.txt":     "ignored",
		"c.yml":         "version: 1\nprojects: [{name: P}]\n",
	})
	d, err := Load([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	var users, depts []string
	for _, u := range d.Users {
		users = append(users, u.UniqueID)
	}
	for _, dp := range d.Orgs.Departments {
		depts = append(depts, dp.Code)
	}
	if diff := cmp.Diff([]string{"a@x.com", "b@x.com", "c@x.com"}, users); diff != "" {
		t.Errorf("users (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"A", "B"}, depts); diff != "" {
		t.Errorf("departments (-want +got):\n%s", diff)
	}
	if d.Orgs.Company != "公司" || len(d.Projects) != 1 || len(d.Files) != 3 {
		t.Errorf("company %q, %d projects, %d files; want 公司, 1, 3", d.Orgs.Company, len(d.Projects), len(d.Files))
	}
	// A file named twice (directly and through its directory) loads once.
	d, err = Load([]string{filepath.Join(dir, "a.yaml"), dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Files) != 3 || len(d.Users) != 3 {
		t.Errorf("file given twice: %d files, %d users; want 3, 3", len(d.Files), len(d.Users))
	}
	// Files given out of order are read sorted.
	d, err = Load([]string{filepath.Join(dir, "c.yml"), filepath.Join(dir, "a.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{filepath.Base(d.Files[0].Path), filepath.Base(d.Files[1].Path)}; got[0] != "a.yaml" || got[1] != "c.yml" {
		t.Errorf("files read in order %v, want [a.yaml c.yml]", got)
	}
}

func TestSourcesAreFilled(t *testing.T) {
	d := mustLoadBytes(t, `version: 1
settings:
  strictUsers: false
orgs:
  departments:
    - code: HQ
      name: 总部
users:
  - uniqueId: a@x.com
systemRoles:
  - name: 审计员
projects:
  - name: P
    members:
      - user: a@x.com
    groups:
      - name: G
    roles:
      - name: R
    dataPermissions:
      - name: D
    resourceMembers:
      - type: DATA_MODEL
        id: 1
        members: []
`)
	p := d.Projects[0]
	got := []Source{d.Settings.Src, d.Orgs.Src, d.Orgs.Departments[0].Src, d.Users[0].Src, d.SystemRoles[0].Src,
		p.Src, p.Members[0].Src, p.Groups[0].Src, p.Roles[0].Src, p.DataPermissions[0].Src, p.ResourceMembers[0].Src}
	want := []Source{
		{"test.yaml", 2, "settings"},
		{"test.yaml", 4, "orgs"},
		{"test.yaml", 6, "orgs.departments[0]"},
		{"test.yaml", 9, "users[0]"},
		{"test.yaml", 11, "systemRoles[0]"},
		{"test.yaml", 13, "projects[0]"},
		{"test.yaml", 15, "projects[0].members[0]"},
		{"test.yaml", 17, "projects[0].groups[0]"},
		{"test.yaml", 19, "projects[0].roles[0]"},
		{"test.yaml", 21, "projects[0].dataPermissions[0]"},
		{"test.yaml", 23, "projects[0].resourceMembers[0]"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sources (-want +got):\n%s", diff)
	}
	if s := d.Users[0].Src.String(); s != "test.yaml:9: users[0]" {
		t.Errorf("Source.String() = %q", s)
	}
}

func TestNamesAreTrimmed(t *testing.T) {
	d := mustLoadBytes(t, `version: 1
orgs:
  departments:
    - {code: " HQ ", name: "总部　"}
users:
  - {uniqueId: "  a@x.com", orgs: [{code: "HQ "}], nick: " 阿 "}
projects:
  - name: " P "
    groups: [{name: " G ", description: "  kept as written  "}]
    roles:
      - name: R
        groups: ["G  "]
        users: [" a@x.com"]
        expires: {" a@x.com ": "2027-10-10 10:00:00"}
`)
	if d.Orgs.Departments[0].Code != "HQ" || d.Orgs.Departments[0].Name != "总部" {
		t.Errorf("department %+v not trimmed", d.Orgs.Departments[0])
	}
	u := d.Users[0]
	if u.UniqueID != "a@x.com" || u.Orgs[0].Code != "HQ" || *u.Nick != "阿" {
		t.Errorf("user %q %q %q not trimmed", u.UniqueID, u.Orgs[0].Code, *u.Nick)
	}
	p := d.Projects[0]
	if p.Name != "P" || p.Groups[0].Name != "G" || p.Roles[0].Groups[0] != "G" || p.Roles[0].Users[0] != "a@x.com" {
		t.Errorf("project names not trimmed: %q %q %q %q", p.Name, p.Groups[0].Name, p.Roles[0].Groups[0], p.Roles[0].Users[0])
	}
	if _, ok := p.Roles[0].Expires["a@x.com"]; !ok {
		t.Errorf("expires keys not trimmed: %v", p.Roles[0].Expires)
	}
	if *p.Groups[0].Description != "  kept as written  " {
		t.Errorf("description changed: %q", *p.Groups[0].Description)
	}
}

func TestSecretsAreNeverEchoed(t *testing.T) {
	const secret = "s3cr3t-VALUE-42"
	for _, src := range []string{
		"version: 1\nsettings:\n  token: " + secret + "\n",
		"version: 1\nsettings:\n  password: {nested: " + secret + "}\n",
		"version: 1\nusers:\n  - uniqueId: a@x.com\n    customInfo: {deep: [{TOKEN: " + secret + "}]}\n",
		"version: 1\ntoken: " + secret + "\n",
		"version: 1\nusers:\n  - uniqueId: a@x.com\n    attrs: {password: [" + secret + "]}\n",
		// Inside what the decoder refuses: an unknown field, a value of the
		// wrong type, a merge key, a file that is not a mapping.
		"version: 1\nsettings:\n  bogus: {password: " + secret + "}\n",
		"version: 1\nusers:\n  - uniqueId: a@x.com\n    orgs: {token: " + secret + "}\n",
		"version: 1\nusers:\n  - <<: {secret: " + secret + "}\n    uniqueId: a@x.com\n",
		"- {passwd: " + secret + "}\n",
	} {
		_, err := LoadBytes("s.yaml", []byte(src))
		if err == nil {
			t.Errorf("no problem for a secret in:\n%s", src)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, secret) {
			t.Errorf("the secret's value appears in the error: %s", msg)
		}
		if !strings.Contains(msg, "PERMSYNC_TOKEN") {
			t.Errorf("the error does not say where secrets belong: %s", msg)
		}
	}
	// Quick BI's files: its credentials' names, anywhere, and its
	// variables in the message.
	for _, src := range []string{
		"version: 1\nprovider: quickbi\nsettings:\n  accessKeySecret: " + secret + "\n",
		"provider: quickbi\nversion: 1\nusers:\n  - {account: a, tags: {securityToken: [" + secret + "]}}\n",
		"version: 1\nprovider: quickbi\nworkspaces: [{name: W, datasets: [{id: c, rowLevel: {rules: [{name: r, all: true, content: {Password: " + secret + "}}]}}]}]\n",
		"version: 1\nprovider: quickbi\ngroups: [{id: g, name: G, SECRET: " + secret + "}]\n",
	} {
		_, err := LoadBytes("s.yaml", []byte(src))
		if err == nil {
			t.Errorf("no problem for a secret in:\n%s", src)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, secret) {
			t.Errorf("the secret's value appears in the error: %s", msg)
		}
		if len(Problems(err)) != 1 || !strings.Contains(msg, "PERMSYNC_ACCESS_KEY_SECRET") || strings.Contains(msg, "PERMSYNC_TOKEN") {
			t.Errorf("want one problem saying where Quick BI's secrets belong, got: %s", msg)
		}
	}
	// A Youdata file with Quick BI's key names is refused too.
	if _, err := LoadBytes("s.yaml", []byte("version: 1\nusers: [{uniqueId: a, customInfo: {accessKeySecret: "+secret+"}}]\n")); err == nil || !strings.Contains(err.Error(), "PERMSYNC_TOKEN") {
		t.Errorf("Youdata file with accessKeySecret: %v", err)
	}
}

func TestAliases(t *testing.T) {
	d := mustLoadBytes(t, `version: 1
projects:
  - name: P
    groups:
      - name: G
        members: &team [a@x.com, b@x.com]
    roles:
      - name: R
        users: *team
`)
	if diff := cmp.Diff([]string{"a@x.com", "b@x.com"}, d.Projects[0].Roles[0].Users); diff != "" {
		t.Errorf("alias (-want +got):\n%s", diff)
	}
	_, err := LoadBytes("c.yaml", []byte("version: 1\nusers:\n  - &a {uniqueId: x, customInfo: {self: *a}}\n"))
	if err == nil {
		t.Error("an alias to an enclosing node was accepted")
	}
	// An alias bomb is refused rather than expanded.
	bomb := "version: 1\nusers:\n  - uniqueId: x\n    customInfo:\n      a: &a [x,x,x,x,x,x,x,x,x,x]\n"
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h"} {
		bomb += "      " + n + ": &" + n + " [" + strings.Repeat("*"+prev+",", 9) + "*" + prev + "]\n"
		prev = n
	}
	if _, err := LoadBytes("bomb.yaml", []byte(bomb)); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("alias bomb: got %v, want a 'too large' problem", err)
	}
}

func TestErrorsAreSortedAndComplete(t *testing.T) {
	_, err := LoadBytes("x.yaml", []byte(`version: 1
projects:
  - name: P
    roles:
      - name: R
        groups: [nope]
        level: 7
    bogus: 1
users:
  - nick: no id
`))
	want := []string{
		`x.yaml:6: projects[0].roles[0].groups[0]: unknown group "nope" (not among the groups of project "P")`,
		`x.yaml:7: projects[0].roles[0].level: invalid level 7 (want 1 or 2)`,
		`x.yaml:8: projects[0].bogus: unknown field "bogus"`,
		`x.yaml:10: users[0]: missing required field "uniqueId"`,
	}
	if diff := cmp.Diff(want, problemLines(err)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(strings.Join(want, "\n"), err.Error()); diff != "" {
		t.Errorf("Error() (-want +got):\n%s", diff)
	}
}

func TestExpandErrors(t *testing.T) {
	if _, err := Load(nil); err == nil {
		t.Error("Load(nil) succeeded")
	}
	missing := filepath.Join(t.TempDir(), "nope")
	_, err := Load([]string{missing})
	if got := problemLines(err); len(got) != 1 || !strings.HasPrefix(got[0], missing+": cannot read") {
		t.Errorf("missing path: %q", got)
	}
	dir := writeFiles(t, map[string]string{"a.yaml": "", "b.yml": "# only a comment\n"})
	_, err = Load([]string{dir})
	if got := problemLines(err); len(got) != 1 || !strings.Contains(got[0], "empty input") {
		t.Errorf("empty files: %q", got)
	}
}

func TestValidateProgrammatic(t *testing.T) {
	d := &Desired{
		Projects: []Project{{
			Src:  Source{File: "gen.yaml", Line: 3, Path: "projects[0]"},
			Name: "P",
			Roles: []Role{{
				Src:      Source{File: "gen.yaml", Line: 5, Path: "projects[0].roles[0]"},
				Name:     "R",
				Bindings: Bindings{Groups: []string{"G"}},
			}},
		}},
	}
	want := []string{`gen.yaml:5: projects[0].roles[0].groups[0]: unknown group "G" (not among the groups of project "P")`}
	if diff := cmp.Diff(want, problemLines(Validate(d))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	d.Projects[0].Groups = []Group{{Name: "G"}}
	if err := Validate(d); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if err := Validate(nil); err == nil {
		t.Error("Validate(nil) succeeded")
	}
}

func TestMaxDeletes(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		want MaxDeletes
	}{
		{"10", MaxDeletes{Count: 10}},
		{`"10"`, MaxDeletes{Count: 10}},
		{"0", MaxDeletes{}},
		{"10%", MaxDeletes{Share: 10, Percent: true}},
		{`"2.5%"`, MaxDeletes{Share: 2.5, Percent: true}},
		{"100%", MaxDeletes{Share: 100, Percent: true}},
	} {
		d := mustLoadBytes(t, "version: 1\nsettings:\n  maxDeletes: "+tc.yaml+"\n")
		if d.Settings.MaxDeletes == nil || *d.Settings.MaxDeletes != tc.want {
			t.Errorf("maxDeletes: %s decoded as %+v, want %+v", tc.yaml, d.Settings.MaxDeletes, tc.want)
		}
		b, err := json.Marshal(tc.want)
		if err != nil {
			t.Fatal(err)
		}
		var back MaxDeletes
		if err := json.Unmarshal(b, &back); err != nil || back != tc.want {
			t.Errorf("JSON round trip of %+v: %s → %+v, %v", tc.want, b, back, err)
		}
	}
	for _, bad := range []string{"-1", "101%", "-5%", "ten", "1.5", "[1]", "true", "abc%"} {
		if _, err := LoadBytes("m.yaml", []byte("version: 1\nsettings:\n  maxDeletes: "+bad+"\n")); err == nil {
			t.Errorf("maxDeletes: %s accepted", bad)
		}
	}
	var m MaxDeletes
	if err := json.Unmarshal([]byte(`"200%"`), &m); err == nil {
		t.Error(`UnmarshalJSON("200%") succeeded`)
	}
	for _, tc := range []struct {
		m     *MaxDeletes
		total int
		want  int
	}{
		{nil, 0, 1}, {nil, 5, 1}, {nil, 25, 2}, {nil, 100, 10},
		{&MaxDeletes{Count: 3}, 100, 3}, {&MaxDeletes{Count: 0}, 100, 0},
		{&MaxDeletes{Share: 50, Percent: true}, 9, 4},
		{&MaxDeletes{Share: 1, Percent: true}, 10, 1},
		{&MaxDeletes{Share: 0, Percent: true}, 10, 0},
	} {
		if got := tc.m.Limit(tc.total); got != tc.want {
			t.Errorf("%v.Limit(%d) = %d, want %d", tc.m, tc.total, got, tc.want)
		}
	}
}

// chdir changes the working directory for the rest of the test and back
// after it. Tests that call it must not run in parallel.
func chdir(t *testing.T, dir string) {
	t.Helper()
	old, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.Chdir(old); err != nil {
			t.Fatal(err)
		}
	})
}

func TestMaxDeletesMessages(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"99999999999999999999", "out of range"},
		{"-99999999999999999999", "out of range"},
		{"1.5", "a count must be a whole number"},
		{"ten", "neither a count"},
	} {
		_, err := ParseMaxDeletes(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseMaxDeletes(%q) = %v, want an error saying %q", tc.in, err, tc.want)
		}
	}
}

// TestExpandMountedLayouts reads the layouts Kubernetes and git-sync give:
// a ConfigMap volume (files are symlinks into a hidden ..data directory)
// and a worktree reached through a symlink. Each file is read once.
func TestExpandMountedLayouts(t *testing.T) {
	src, err := filepath.Abs("../examples/quickstart/desired")
	if err != nil {
		t.Fatal(err)
	}
	srcFiles, err := Expand([]string{src})
	if err != nil {
		t.Fatal(err)
	}
	// A ConfigMap is flat: one key per file.
	names := make([]string, len(srcFiles))
	for i, f := range srcFiles {
		names[i] = fmt.Sprintf("%02d-%s", i, filepath.Base(f))
	}

	// ConfigMap: vol/..2026_11_23/x.yaml, vol/..data -> ..2026_11_23,
	// vol/x.yaml -> ..data/x.yaml.
	vol := t.TempDir()
	if err := os.Mkdir(filepath.Join(vol, "..2026_11_23"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i, n := range names {
		b, err := os.ReadFile(srcFiles[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(vol, "..2026_11_23", n), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join("..data", n), filepath.Join(vol, n)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("..2026_11_23", filepath.Join(vol, "..data")); err != nil {
		t.Fatal(err)
	}

	// git-sync: root/current -> worktree (a symlinked directory).
	root := t.TempDir()
	if err := os.Symlink(src, filepath.Join(root, "current")); err != nil {
		t.Fatal(err)
	}

	for _, dir := range []string{vol, filepath.Join(root, "current")} {
		files, err := Expand([]string{dir})
		if err != nil {
			t.Fatalf("Expand(%s): %v", dir, err)
		}
		if len(files) != len(names) {
			t.Errorf("Expand(%s) = %q, want the %d files once each", dir, files, len(names))
		}
		if _, err := Load([]string{dir}); err != nil {
			t.Errorf("Load(%s): %v", dir, err)
		}
	}
}
