package planfile

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/state"
)

func samplePlan() *plan.Plan {
	return &plan.Plan{
		Changes: []plan.Change{
			{Action: plan.Create, Kind: plan.Kind("user"), Key: "alice@corp.com", Reason: "not on the server",
				Source: "desired/users.yaml:3", After: plan.Attrs{"nick": json.RawMessage(`"Alice"`)},
				NewState: &state.Object{Created: true, Facets: map[string]state.Facet{"departments": {Hash: "abc"}}}},
			{Action: plan.Replace, Kind: plan.Kind("role"), Key: "销售分析/通用/报告阅览",
				Before: plan.Attrs{"groups": json.RawMessage(`["a","b"]`)}, After: plan.Attrs{"groups": json.RawMessage(`["a"]`)},
				NewState: &state.Object{ID: 42, Facets: map[string]state.Facet{"groups": {Hash: "h", Items: []string{"a"}}}}},
		},
		NoOps:    map[plan.Kind]int{plan.Kind("user"): 3},
		Warnings: []string{"a warning"},
		Refusals: refusals("a refusal"),
	}
}

// desiredFiles writes two files in dir and returns their refs.
func desiredFiles(t *testing.T, dir string) []FileRef {
	t.Helper()
	a, b := filepath.Join(dir, "users.yaml"), filepath.Join(dir, "roles.yaml")
	if err := os.WriteFile(a, []byte("users: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte("roles: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	refs, err := HashFiles(a, b, a)
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != 2 || refs[0].Path != b || refs[1].Path != a {
		t.Fatalf("HashFiles = %+v, want the two files sorted, once each", refs)
	}
	if sum := sha256.Sum256([]byte("users: []\n")); refs[1].SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("SHA256 = %q", refs[1].SHA256)
	}
	return refs
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	f := &File{
		CreatedBy:   "permsync 1.2.3",
		Server:      "https://bi.corp.com:8443/youdata",
		StatePath:   ".permsync/state.json",
		StateSerial: 7,
		Files:       desiredFiles(t, dir),
		Options:     Options{AllowMassDelete: true},
		Plan:        samplePlan(),
	}
	path := filepath.Join(dir, "plan.out")
	if err := Write(path, f); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	want := *f
	want.FormatVersion = FormatVersion
	if d := cmp.Diff(&want, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	if f.FormatVersion != "" {
		t.Error("Write modified its argument")
	}
	if err := got.CheckFiles(); err != nil {
		t.Errorf("CheckFiles on unchanged files: %v", err)
	}

	// Writing the same plan again gives the same bytes.
	first, _ := os.ReadFile(path)
	if err := Write(path, f); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(path)
	if string(first) != string(second) {
		t.Error("two writes of one plan differ")
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %v, want 0600", fi.Mode().Perm())
		}
	}
}

func TestWriteStripsCredentials(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "plan.out")
	f := &File{Server: "https://admin:s3cretpw@bi.corp.com/api/?token=tok-abc123&x=1#frag-secret", Plan: samplePlan()}
	if err := Write(path, f); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"admin", "s3cretpw", "tok-abc123", "frag-secret", "token"} {
		if strings.Contains(string(data), secret) {
			t.Errorf("plan file contains %q", secret)
		}
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Server != "https://bi.corp.com/api/" {
		t.Errorf("Server = %q", got.Server)
	}
	if f.Server != "https://admin:s3cretpw@bi.corp.com/api/?token=tok-abc123&x=1#frag-secret" {
		t.Error("Write modified its argument")
	}

	err = Write(path, &File{Server: "http://user:pa ss@[bad", Plan: samplePlan()})
	if err == nil || strings.Contains(err.Error(), "pa ss") {
		t.Errorf("invalid URL: err = %v, want an error not repeating the URL", err)
	}
}

func TestWriteIsAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "plan.out")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, &File{Plan: samplePlan()}); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "plan.out" {
		t.Errorf("directory holds %v, want only plan.out", names(entries))
	}

	// A write that fails at the rename (the target is a directory) leaves
	// no temporary file behind.
	target := filepath.Join(dir, "adir")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(target, "keep"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(target, &File{Plan: samplePlan()}); err == nil {
		t.Fatal("writing over a directory succeeded")
	}
	entries, _ = os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("after a failed write the directory holds %v", names(entries))
	}

	if err := Write(filepath.Join(dir, "missing", "plan.out"), &File{Plan: samplePlan()}); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
	if err := Write(path, &File{}); err == nil {
		t.Error("writing a file without a plan succeeded")
	}
}

func names(es []os.DirEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func TestCheckFilesReportsEveryChange(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for _, n := range []string{"a.yaml", "b.yaml", "c.yaml", "d.yaml"} {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, []byte(n), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	refs, err := HashFiles(paths...)
	if err != nil {
		t.Fatal(err)
	}
	f := &File{Files: refs, Plan: samplePlan()}
	if err := f.CheckFiles(); err != nil {
		t.Fatalf("unchanged: %v", err)
	}
	if err := os.WriteFile(paths[0], []byte("a.yaml changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(paths[2], []byte("c.yamL"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(paths[1]); err != nil {
		t.Fatal(err)
	}
	err = f.CheckFiles()
	var fc *FilesChangedError
	if !errors.As(err, &fc) {
		t.Fatalf("err = %v, want a *FilesChangedError", err)
	}
	want := &FilesChangedError{Changed: []string{paths[0], paths[2]}, Missing: []string{paths[1]}}
	if d := cmp.Diff(want, fc); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	for _, p := range []string{paths[0], paths[1], paths[2]} {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not name %s", err, p)
		}
	}
	if strings.Contains(err.Error(), paths[3]) {
		t.Errorf("error %q names the unchanged file", err)
	}
}

func TestReadIsStrict(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, content string
		wantErr       []string
	}{
		{"future.plan", `{"format_version": "2", "plan": {"changes": []}, "something_new": 1}`,
			[]string{"future.plan", `"2"`, `"1"`}},
		{"noversion.plan", `{"plan": {"changes": []}}`, []string{"noversion.plan", "not a permsync plan file"}},
		{"garbage.plan", `version: 1`, []string{"garbage.plan", "not a permsync plan file"}},
		{"unknown.plan", `{"format_version": "1", "plan": {"changes": []}, "extra": true}`, []string{"unknown.plan", "extra"}},
		{"noplan.plan", `{"format_version": "1"}`, []string{"noplan.plan", "no plan"}},
		{"trailing.plan", `{"format_version": "1", "plan": {"changes": []}} {}`, []string{"trailing.plan"}},
		{"badhash.plan", `{"format_version": "1", "plan": {"changes": []}, "files": [{"path": "a", "sha256": "xyz"}]}`,
			[]string{"badhash.plan", "sha256"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Read(write(tt.name, tt.content))
			if err == nil {
				t.Fatalf("Read succeeded: %+v", f)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	if _, err := Read(filepath.Join(dir, "absent.plan")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("absent file: err = %v, want one wrapping ErrNotExist", err)
	}
	ok := write("ok.plan", `{"format_version": "1", "plan": {"changes": []}}`)
	if _, err := Read(ok); err != nil {
		t.Errorf("minimal plan file: %v", err)
	}
}

// refusals makes refusals of the messages, of no kind in particular.
func refusals(msgs ...string) []plan.Refusal {
	out := make([]plan.Refusal, len(msgs))
	for i, m := range msgs {
		out[i] = plan.Refusal{Kind: plan.RefuseOther, Message: m}
	}
	return out
}
