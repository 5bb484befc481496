package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The GitHub Action (action.yml, action/*.sh) and the GitLab template
// (templates/permsync.yml), run here: the install against a release
// served on loopback, the plan and the apply against the embedded
// simulator, the comments and notes against fake GitHub and GitLab APIs.

const (
	quickstartSeed    = "examples/quickstart/server-before.yaml"
	quickstartDesired = "examples/quickstart/desired"
)

func abs(t *testing.T, rel string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join(repoRoot, rel))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// scriptEnv is the environment of a CI script run here: the test's, with
// the built permsync first on PATH, and vars.
func scriptEnv(t *testing.T, vars map[string]string) []string {
	t.Helper()
	bin := permsyncBinary(t, currentVersion(t))
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PERMSYNC_") || strings.HasPrefix(k, "GITHUB_") || strings.HasPrefix(k, "CI_") || k == "GH_TOKEN" || k == "PATH" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}

// runScript runs a bash script (a file, or -c text) and returns its exit
// code and output.
func runScript(t *testing.T, vars map[string]string, args ...string) (int, string) {
	t.Helper()
	bash := lookTool(t, "bash")
	for _, tool := range []string{"curl", "jq", "tar", "unzip"} {
		lookTool(t, tool)
	}
	cmd := exec.Command(bash, args...)
	cmd.Env = scriptEnv(t, vars)
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("bash %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return code, string(out)
}

func actionScript(name string) string {
	p, err := filepath.Abs(filepath.Join(repoRoot, "action", name))
	if err != nil {
		panic(err)
	}
	return p
}

// outputs reads a GITHUB_OUTPUT file.
func outputs(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = v
		}
	}
	return m
}

func TestActionMetadata(t *testing.T) {
	path := filepath.Join(repoRoot, "action.yml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	docs := parseYAMLDocs(t, path)
	action := docs[0]
	if using := str(dig(action, "runs")["using"]); using != "composite" {
		t.Errorf("action.yml runs using %q, want composite", using)
	}
	declared := dig(action, "inputs")
	for _, want := range []string{"version", "files", "state", "state-branch", "server", "mode", "args", "annotations", "comment", "github-token"} {
		if declared[want] == nil {
			t.Errorf("action.yml has no input %s", want)
		}
	}
	if v := str(dig(declared, "version")["default"]); v != currentVersion(t) {
		t.Errorf("action.yml: version defaults to %q, VERSION says %s", v, currentVersion(t))
	}
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`inputs\.([a-z][a-z-]*)`).FindAllSubmatch(b, -1) {
		used[string(m[1])] = true
	}
	for name := range used {
		if declared[name] == nil {
			t.Errorf("action.yml uses the input %s, which it does not declare", name)
		}
	}
	for name := range declared {
		if !used[name] {
			t.Errorf("action.yml declares the input %s and never uses it", name)
		}
	}
	steps, _ := dig(action, "runs")["steps"].([]any)
	ids := map[string]bool{}
	for _, s := range steps {
		step := s.(map[string]any)
		ids[str(step["id"])] = true
		if run := str(step["run"]); run != "" {
			if str(step["shell"]) != "bash" {
				t.Errorf("action.yml: step %q has shell %q, want bash (every runner has it)", step["name"], step["shell"])
			}
			// Inputs reach scripts through env, never pasted into them.
			if strings.Contains(run, "${{") {
				t.Errorf("action.yml: step %q expands an expression inside its script: pass it through env", step["name"])
			}
			for _, m := range regexp.MustCompile(`\$GITHUB_ACTION_PATH/(action/[a-z-]+\.sh)`).FindAllStringSubmatch(run, -1) {
				if _, err := os.Stat(filepath.Join(repoRoot, m[1])); err != nil {
					t.Errorf("action.yml: step %q runs %s: %v", step["name"], m[1], err)
				}
			}
		}
	}
	for name, o := range dig(action, "outputs") {
		m := regexp.MustCompile(`steps\.([a-z-]+)\.outputs`).FindStringSubmatch(str(o.(map[string]any)["value"]))
		if m == nil || !ids[m[1]] {
			t.Errorf("action.yml: output %s is not a step's output", name)
		}
	}

	// The workflows that use it pass inputs it has.
	modes := map[string]bool{}
	for _, f := range []string{"deploy/ci/github-actions.yml", ".github/workflows/action.yml"} {
		wf := parseYAMLDocs(t, filepath.Join(repoRoot, f))[0]
		n := 0
		for _, job := range dig(wf, "jobs") {
			list, _ := job.(map[string]any)["steps"].([]any)
			for _, s := range list {
				step := s.(map[string]any)
				u := str(step["uses"])
				if u != "./" && !strings.HasPrefix(u, "permsync/permsync@") {
					continue
				}
				n++
				if u != "./" && u != "permsync/permsync@"+currentVersion(t) {
					t.Errorf("%s uses %s, want permsync/permsync@%s", f, u, currentVersion(t))
				}
				for k, v := range dig(step, "with") {
					if declared[k] == nil {
						t.Errorf("%s: the Action has no input %s", f, k)
					}
					if k == "mode" {
						modes[str(v)] = true
					}
				}
			}
		}
		if n == 0 {
			t.Errorf("%s does not use the Action", f)
		}
	}
	if !modes["plan"] || !modes["apply"] {
		t.Errorf("deploy/ci/github-actions.yml uses the Action in modes %v, want plan and apply", sortedKeys(modes))
	}
}

// fakeRelease serves a release's archive for this platform and its
// checksums, as .goreleaser.yaml names them.
type fakeRelease struct {
	srv      *httptest.Server
	archive  string
	sums     string
	files    map[string][]byte
	mu       sync.Mutex
	requests []string
}

func newFakeRelease(t *testing.T, version, binary string) *fakeRelease {
	t.Helper()
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skipf("the install test builds a tar.gz release for linux or darwin, not %s", runtime.GOOS)
	}
	archive, sums := releaseAssets(t, strings.TrimPrefix(version, "v"), runtime.GOOS, runtime.GOARCH)
	bin, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	// Stored, not compressed: the race detector makes deflate slow.
	gz, err := gzip.NewWriterLevel(&buf, gzip.NoCompression)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(gz)
	for name, body := range map[string][]byte{"README.md": []byte("# permsync\n"), "permsync": bin} {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	r := &fakeRelease{archive: archive, sums: sums, files: map[string][]byte{
		archive: buf.Bytes(),
		sums:    []byte("0000000000000000000000000000000000000000000000000000000000000000  permsync_other.zip\n" + hex.EncodeToString(sum[:]) + "  " + archive + "\n"),
	}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.requests = append(r.requests, req.URL.Path)
		name, ok := strings.CutPrefix(req.URL.Path, "/"+version+"/")
		body, found := r.files[name]
		if !ok || !found {
			http.NotFound(w, req)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *fakeRelease) remove(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.files, name)
}

func (r *fakeRelease) requested() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.requests...)
}

func (r *fakeRelease) set(name string, body []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.files[name] = body
}

func TestActionInstall(t *testing.T) {
	version := currentVersion(t)
	good := permsyncBinary(t, version)
	other := permsyncBinary(t, "v0.0.9")
	install := func(t *testing.T, r *fakeRelease, v string) (int, string, string) {
		dir := filepath.Join(t.TempDir(), "bin")
		code, out := runScript(t, map[string]string{
			"PERMSYNC_VERSION": v, "PERMSYNC_INSTALL_DIR": dir, "PERMSYNC_RELEASE_URL": r.srv.URL,
		}, actionScript("install.sh"))
		return code, out, dir
	}
	installed := func(dir string) bool {
		_, err := os.Stat(filepath.Join(dir, "permsync"))
		return err == nil
	}

	t.Run("release", func(t *testing.T) {
		r := newFakeRelease(t, version, good)
		code, out, dir := install(t, r, version)
		if code != 0 || !strings.Contains(out, "permsync "+version+"\n") {
			t.Fatalf("install: exit %d\n%s", code, out)
		}
		got, err := exec.Command(filepath.Join(dir, "permsync"), "version", "--json").Output()
		if err != nil || !strings.Contains(string(got), `"version": "`+version+`"`) {
			t.Errorf("the installed permsync: %v %s", err, got)
		}
		if want := []string{"/" + version + "/" + r.sums, "/" + version + "/" + r.archive}; strings.Join(r.requested(), " ") != strings.Join(want, " ") {
			t.Errorf("downloaded %v, want %v", r.requested(), want)
		}
	})
	for _, c := range []struct {
		name   string
		change func(r *fakeRelease)
		want   string
	}{
		{"tampered archive", func(r *fakeRelease) {
			r.mu.Lock()
			b := append([]byte(nil), r.files[r.archive]...)
			r.mu.Unlock()
			b[len(b)/2] ^= 1
			r.set(r.archive, b)
		}, "has the SHA-256"},
		{"no checksum", func(r *fakeRelease) {
			r.set(r.sums, []byte("0000000000000000000000000000000000000000000000000000000000000000  permsync_other.zip\n"))
		}, "lists no checksum for"},
		{"missing archive", func(r *fakeRelease) { r.remove(r.archive) }, "downloading "},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newFakeRelease(t, version, good)
			c.change(r)
			code, out, dir := install(t, r, version)
			if code == 0 || !strings.Contains(out, c.want) || installed(dir) {
				t.Errorf("install: exit %d, installed %v, want a refusal saying %q:\n%s", code, installed(dir), c.want, out)
			}
		})
	}
	t.Run("another version inside", func(t *testing.T) {
		// The archive's checksum is right, but it holds v0.0.9.
		r := newFakeRelease(t, version, other)
		code, out, dir := install(t, r, version)
		if code == 0 || !strings.Contains(out, "holds permsync v0.0.9, not "+version) || installed(dir) {
			t.Errorf("install: exit %d, installed %v:\n%s", code, installed(dir), out)
		}
	})
	t.Run("not a version", func(t *testing.T) {
		r := newFakeRelease(t, version, good)
		code, out, dir := install(t, r, "v1; touch pwned")
		if code == 0 || !strings.Contains(out, "is neither a release") || installed(dir) || len(r.requested()) > 0 {
			t.Errorf("install: exit %d:\n%s", code, out)
		}
	})
	t.Run("source", func(t *testing.T) {
		if testing.Short() {
			t.Skip("builds permsync: skipped with -short")
		}
		lookTool(t, "go")
		dir := filepath.Join(t.TempDir(), "bin")
		code, out := runScript(t, map[string]string{
			"PERMSYNC_VERSION": "source", "PERMSYNC_INSTALL_DIR": dir, "PERMSYNC_SOURCE_DIR": abs(t, "."),
			"HOME": os.Getenv("HOME"), "GOFLAGS": "-buildvcs=false",
		}, actionScript("install.sh"))
		if code != 0 || !installed(dir) {
			t.Errorf("install from source: exit %d\n%s", code, out)
		}
	})
}

// TestActionInstallSnapshot installs from a snapshot build of GoReleaser
// (.ci/run makes one and sets PERMSYNC_DIST to its dist/): the archive and
// checksums GoReleaser really wrote.
func TestActionInstallSnapshot(t *testing.T) {
	dist := os.Getenv("PERMSYNC_DIST")
	if dist == "" {
		t.Skip("PERMSYNC_DIST is not set (.ci/run sets it after goreleaser release --snapshot)")
	}
	var meta struct {
		Version string `json:"version"`
		Commit  string `json:"commit"`
	}
	b, err := os.ReadFile(filepath.Join(dist, "metadata.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	version := "v" + meta.Version
	srv := httptest.NewServer(http.StripPrefix("/"+version, http.FileServer(http.Dir(dist))))
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "bin")
	code, out := runScript(t, map[string]string{
		"PERMSYNC_VERSION": version, "PERMSYNC_INSTALL_DIR": dir, "PERMSYNC_RELEASE_URL": srv.URL,
	}, actionScript("install.sh"))
	if code != 0 || !strings.Contains(out, "permsync "+version+"\n") {
		t.Fatalf("install %s from %s: exit %d\n%s", version, dist, code, out)
	}
	// What the release build stamped: the version, the commit it was
	// built from and that commit's date (dist/ is inside the checkout).
	b, err = exec.Command(filepath.Join(dir, "permsync"), "version", "--json").Output()
	if err != nil {
		t.Fatalf("the installed permsync version --json: %v", err)
	}
	var got buildInfo
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("permsync version --json: %v\n%s", err, b)
	}
	if got.Version != version || got.Commit != meta.Commit || len(meta.Commit) != 40 {
		t.Errorf("the snapshot's permsync version: %+v, want version %s, commit %s", got, version, meta.Commit)
	}
	git := exec.Command("git", "show", "-s", "--format=%cI", meta.Commit)
	git.Dir = filepath.Dir(dist)
	cd, err := git.Output()
	if err != nil {
		t.Fatalf("the date of %s: %v", meta.Commit, err)
	}
	want, err1 := time.Parse(time.RFC3339, strings.TrimSpace(string(cd)))
	built, err2 := time.Parse(time.RFC3339, got.Date)
	if err1 != nil || err2 != nil || !built.Equal(want) {
		t.Errorf("the snapshot's permsync was built on %q, want the commit's date %s (%v, %v)", got.Date, want, err1, err2)
	}
}

// planEnv is the environment of plan.sh for the quickstart against the
// simulator.
func planEnv(t *testing.T, files string) (map[string]string, string) {
	t.Helper()
	dir := t.TempDir()
	return map[string]string{
		"PERMSYNC_FILES":   files,
		"PERMSYNC_STATE":   filepath.Join(dir, "state", "state.json"),
		"PERMSYNC_ARGS":    "--simulator " + abs(t, quickstartSeed),
		"PERMSYNC_OUT":     filepath.Join(dir, "out"),
		"GITHUB_OUTPUT":    filepath.Join(dir, "github-output"),
		"PERMSYNC_RUN_URL": "https://ci.example/run/1",
	}, dir
}

func TestActionPlan(t *testing.T) {
	env, dir := planEnv(t, abs(t, quickstartDesired))
	code, out := runScript(t, env, actionScript("plan.sh"))
	got := outputs(t, env["GITHUB_OUTPUT"])
	if code != 0 || got["exitcode"] != "2" || got["has-changes"] != "true" {
		t.Fatalf("plan.sh: exit %d, outputs %v\n%s", code, got, out)
	}
	comment, err := os.ReadFile(filepath.Join(dir, "out", "comments", "plan-1.md"))
	if err != nil || !strings.Contains(string(comment), "**Plan: 15 to add, 18 to change, 1 to destroy.**") {
		t.Errorf("comments/plan-1.md: %v\n%s", err, comment)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "out", "exitcode")); err != nil || string(b) != "2\n" {
		t.Errorf("out/exitcode: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "release.plan")); err != nil {
		t.Errorf("no plan file kept: %v", err)
	}

	t.Run("invalid files", func(t *testing.T) {
		bad := t.TempDir()
		if err := os.WriteFile(filepath.Join(bad, "users.yaml"), []byte("users:\n  - uniqueId: a\n    nmae: typo\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		env, dir := planEnv(t, bad)
		code, out := runScript(t, env, actionScript("plan.sh"))
		got := outputs(t, env["GITHUB_OUTPUT"])
		comment, _ := os.ReadFile(filepath.Join(dir, "out", "comments", "plan-1.md"))
		if code != 0 || got["exitcode"] != "1" || !strings.Contains(string(comment), "The files do not validate") || !strings.Contains(string(comment), "users.yaml:3") {
			t.Errorf("plan.sh of invalid files: exit %d, outputs %v, comment:\n%s\n%s", code, got, comment, out)
		}
		if _, err := os.Stat(filepath.Join(dir, "out", "release.plan")); err == nil {
			t.Error("a plan file was kept for files that do not validate")
		}
	})
	t.Run("server down", func(t *testing.T) {
		env, dir := planEnv(t, abs(t, quickstartDesired))
		env["PERMSYNC_ARGS"] = "--server http://127.0.0.1:1 --retry-budget 1s --timeout 1s"
		env["PERMSYNC_TOKEN"] = "secret-token-value"
		code, out := runScript(t, env, actionScript("plan.sh"))
		got := outputs(t, env["GITHUB_OUTPUT"])
		comment, _ := os.ReadFile(filepath.Join(dir, "out", "comments", "plan-1.md"))
		if code != 0 || got["exitcode"] != "1" || !strings.Contains(string(comment), "**The plan failed**") || !strings.Contains(string(comment), "https://ci.example/run/1") {
			t.Errorf("plan.sh against no server: exit %d, outputs %v, comment:\n%s\n%s", code, got, comment, out)
		}
		if strings.Contains(out+string(comment), "secret-token-value") {
			t.Error("the token appears in the output or the comment")
		}
	})
	t.Run("annotations", func(t *testing.T) {
		env, _ := planEnv(t, abs(t, quickstartDesired))
		env["PERMSYNC_ANNOTATIONS"] = "true"
		code, out := runScript(t, env, actionScript("plan.sh"))
		got := outputs(t, env["GITHUB_OUTPUT"])
		_, _, help := runCmd(t, nil, "plan", "-h")
		hasFlag := regexp.MustCompile(`(?m)^\s+-annotations`).MatchString(help)
		if code != 0 || got["exitcode"] != "2" || strings.Contains(out, "is not a flag of this release") == hasFlag {
			t.Errorf("plan.sh with annotations (flag present: %v): exit %d, outputs %v\n%s", hasFlag, code, got, out)
		}
		env, _ = planEnv(t, abs(t, quickstartDesired))
		env["PERMSYNC_ANNOTATIONS"] = "yes"
		runScript(t, env, actionScript("plan.sh"))
		if got := outputs(t, env["GITHUB_OUTPUT"]); got["exitcode"] != "1" {
			t.Errorf("plan.sh with annotations=yes: outputs %v, want a failure", got)
		}
	})
}

// fakeForge is a GitHub or GitLab API holding the comments of one pull
// (merge) request, and answering what apply.sh and the GitLab apply job
// ask.
type fakeForge struct {
	t        *testing.T
	srv      *httptest.Server
	gitlab   bool
	token    string
	mu       sync.Mutex
	next     int
	comments map[int]string
	calls    []string
	routes   map[string]func(w http.ResponseWriter, r *http.Request)
}

func newFakeForge(t *testing.T, gitlab bool) *fakeForge {
	f := &fakeForge{t: t, gitlab: gitlab, token: "secret-api-token", next: 1000, comments: map[int]string{}, routes: map[string]func(http.ResponseWriter, *http.Request){}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// list is the comments collection's path; item the path of one.
func (f *fakeForge) list() string {
	if f.gitlab {
		return "/api/v4/projects/3/merge_requests/7/notes"
	}
	return "/repos/o/r/issues/7/comments"
}

func (f *fakeForge) item(id int) string {
	if f.gitlab {
		return fmt.Sprintf("%s/%d", f.list(), id)
	}
	return fmt.Sprintf("/repos/o/r/issues/comments/%d", id)
}

// route answers method and escaped path with fn.
func (f *fakeForge) route(key string, fn func(http.ResponseWriter, *http.Request)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[key] = fn
}

func (f *fakeForge) callsMade() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeForge) add(body string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	f.comments[f.next] = body
	return f.next
}

func (f *fakeForge) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	authOK := r.Header.Get("Authorization") == "Bearer "+f.token
	if f.gitlab {
		authOK = r.Header.Get("PRIVATE-TOKEN") == f.token
	}
	path := r.URL.EscapedPath()
	f.calls = append(f.calls, r.Method+" "+path)
	route := f.routes[r.Method+" "+path]
	f.mu.Unlock()
	if !authOK {
		http.Error(w, "bad credentials", http.StatusUnauthorized)
		return
	}
	if route != nil {
		route(w, r)
		return
	}
	body := func() string {
		var in struct {
			Body string `json:"body"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Body == "" {
			f.t.Errorf("%s %s: a body that is not {\"body\": ...}: %v", r.Method, path, err)
		}
		return in.Body
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Method == "GET" && path == f.list():
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
		if page < 1 || per != 100 {
			http.Error(w, "page and per_page=100 wanted", http.StatusBadRequest)
			return
		}
		var ids []int
		for id := range f.comments {
			ids = append(ids, id)
		}
		sort.Ints(ids)
		out := []map[string]any{}
		for i, id := range ids {
			if i >= (page-1)*per && i < page*per {
				out = append(out, map[string]any{"id": id, "body": f.comments[id]})
			}
		}
		json.NewEncoder(w).Encode(out)
	case r.Method == "POST" && path == f.list():
		f.next++
		f.comments[f.next] = body()
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"id": %d}`, f.next)
	default:
		for id := range f.comments {
			if path != f.item(id) {
				continue
			}
			switch {
			case r.Method == "DELETE":
				delete(f.comments, id)
				w.WriteHeader(http.StatusNoContent)
			case (r.Method == "PATCH" && !f.gitlab) || (r.Method == "PUT" && f.gitlab):
				f.comments[id] = body()
				fmt.Fprintf(w, `{"id": %d}`, id)
			default:
				http.Error(w, "method", http.StatusMethodNotAllowed)
			}
			return
		}
		http.NotFound(w, r)
	}
}

// state is the comments, sorted by id.
func (f *fakeForge) state() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []int
	for id := range f.comments {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	var out []string
	for _, id := range ids {
		first, _, _ := strings.Cut(f.comments[id], "\n")
		out = append(out, fmt.Sprintf("%d %s", id, first))
	}
	return out
}

func (f *fakeForge) body(id int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.comments[id]
}

func writeParts(t *testing.T, dir string, parts ...string) {
	t.Helper()
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, p := range parts {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("plan-%d.md", i+1)), []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// testComments runs a comment poster three times against f: a first plan
// (posted), a longer one (updated and extended), a shorter one (updated,
// the extra part deleted), checking that other comments are left alone.
func testComments(t *testing.T, f *fakeForge, post func(dir string) (int, string)) {
	t.Helper()
	// Comments of people, on two pages, and of another permsync.
	for i := 0; i < 120; i++ {
		f.add(fmt.Sprintf("LGTM %d", i))
	}
	other := f.add("<!-- permsync-plan key=other part=1 -->\n### another plan")
	dir := filepath.Join(t.TempDir(), "comments")
	marker := "<!-- permsync-plan key=perms/_ part="

	writeParts(t, dir, "### permsync plan\n\nfirst\n")
	if code, out := post(dir); code != 0 {
		t.Fatalf("first post: exit %d\n%s", code, out)
	}
	st := f.state()
	if len(st) != 122 || !strings.HasSuffix(st[121], marker+"1 -->") {
		t.Fatalf("after the first post: %v", st[120:])
	}
	first, _ := strconv.Atoi(strings.Fields(st[121])[0])
	if !strings.Contains(f.body(first), "first") {
		t.Errorf("the comment holds %q", f.body(first))
	}

	writeParts(t, dir, "### permsync plan\n\nsecond, part 1\n", "### permsync plan (continued, part 2 of 2)\n\nsecond, part 2\n")
	if code, out := post(dir); code != 0 {
		t.Fatalf("second post: exit %d\n%s", code, out)
	}
	st = f.state()
	if len(st) != 123 || !strings.Contains(f.body(first), "second, part 1") || !strings.HasSuffix(st[122], marker+"2 -->") {
		t.Errorf("after the second post: %v; the first comment holds %q", st[120:], f.body(first))
	}

	writeParts(t, dir, "### permsync plan\n\nNo changes.\n")
	if code, out := post(dir); code != 0 {
		t.Fatalf("third post: exit %d\n%s", code, out)
	}
	st = f.state()
	if len(st) != 122 || !strings.Contains(f.body(first), "No changes.") || f.body(other) == "" {
		t.Errorf("after the third post: %v; the first comment holds %q", st[119:], f.body(first))
	}
	for i, s := range st[:120] {
		if !strings.HasSuffix(s, fmt.Sprintf("LGTM %d", i)) {
			t.Errorf("a person's comment changed: %s", s)
			break
		}
	}
}

func TestActionComment(t *testing.T) {
	f := newFakeForge(t, false)
	testComments(t, f, func(dir string) (int, string) {
		return runScript(t, map[string]string{
			"GITHUB_API_URL": f.srv.URL, "GITHUB_REPOSITORY": "o/r", "PERMSYNC_PR": "7", "GH_TOKEN": f.token,
			"PERMSYNC_COMMENT_DIR": dir, "PERMSYNC_COMMENT_KEY": "perms/ ",
		}, actionScript("comment.sh"))
	})
}

// zipOf is a zip archive holding one file, as GitHub serves an artifact.
func zipOf(t *testing.T, name string, body []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(body)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jsonRoute(body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, body) }
}

func TestActionApply(t *testing.T) {
	// The plan a pull request reviewed.
	env, dir := planEnv(t, abs(t, quickstartDesired))
	if code, out := runScript(t, env, actionScript("plan.sh")); code != 0 || outputs(t, env["GITHUB_OUTPUT"])["exitcode"] != "2" {
		t.Fatalf("plan.sh: exit %d\n%s", code, out)
	}
	reviewed, err := os.ReadFile(filepath.Join(dir, "out", "release.plan"))
	if err != nil {
		t.Fatal(err)
	}
	apply := func(t *testing.T, f *fakeForge, reviewedPlan string) (int, string, map[string]string) {
		out := filepath.Join(t.TempDir(), "github-output")
		code, log := runScript(t, map[string]string{
			"GITHUB_API_URL": f.srv.URL, "GITHUB_REPOSITORY": "o/r", "GH_TOKEN": f.token,
			"GITHUB_SHA": "merge0", "GITHUB_WORKFLOW_REF": "o/r/.github/workflows/permsync.yml@refs/heads/main",
			"GITHUB_OUTPUT": out, "PERMSYNC_REVIEWED": reviewedPlan,
			"PERMSYNC_FILES": env["PERMSYNC_FILES"], "PERMSYNC_STATE": env["PERMSYNC_STATE"], "PERMSYNC_ARGS": env["PERMSYNC_ARGS"],
		}, actionScript("apply.sh"))
		return code, log, outputs(t, out)
	}
	forge := func(t *testing.T, pulls, artifacts string) *fakeForge {
		f := newFakeForge(t, false)
		f.route("GET /repos/o/r/commits/merge0/pulls", jsonRoute(pulls))
		f.route("GET /repos/o/r/actions/workflows/permsync.yml/runs", func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			if q.Get("head_sha") != "head7" || q.Get("event") != "pull_request" || q.Get("status") != "success" {
				io.WriteString(w, `{"workflow_runs": []}`)
				return
			}
			io.WriteString(w, `{"workflow_runs": [{"id": 99}]}`)
		})
		f.route("GET /repos/o/r/actions/runs/99/artifacts", jsonRoute(artifacts))
		f.route("GET /repos/o/r/actions/artifacts/5/zip", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/blob/5.zip", http.StatusFound)
		})
		f.route("GET /blob/5.zip", func(w http.ResponseWriter, _ *http.Request) { w.Write(zipOf(t, "release.plan", reviewed)) })
		return f
	}
	const merged = `[{"number": 6, "merged_at": null, "head": {"sha": "head6"}}, {"number": 7, "merged_at": "2026-11-23T00:00:00Z", "head": {"sha": "head7"}}]`
	const artifact = `{"artifacts": [{"id": 5, "name": "permsync-plan", "expired": false}]}`

	t.Run("reviewed", func(t *testing.T) {
		code, log, out := apply(t, forge(t, merged, artifact), "true")
		if code != 0 || out["applied"] != "true" || !strings.Contains(log, "Applying the plan reviewed on pull request #7 (run 99)") || !strings.Contains(log, "No changes. The server matches the desired state.") {
			t.Errorf("apply.sh: exit %d, outputs %v\n%s", code, out, log)
		}
	})
	t.Run("no changes reviewed", func(t *testing.T) {
		code, log, out := apply(t, forge(t, merged, `{"artifacts": []}`), "true")
		if code != 0 || out["applied"] != "false" || !strings.Contains(log, "had no changes: nothing to apply") {
			t.Errorf("apply.sh: exit %d, outputs %v\n%s", code, out, log)
		}
	})
	t.Run("expired", func(t *testing.T) {
		code, log, _ := apply(t, forge(t, merged, `{"artifacts": [{"id": 5, "name": "permsync-plan", "expired": true}]}`), "true")
		if code == 0 || !strings.Contains(log, "has expired") || strings.Contains(log, "Apply complete") {
			t.Errorf("apply.sh: exit %d\n%s", code, log)
		}
	})
	t.Run("not from a pull request", func(t *testing.T) {
		code, log, _ := apply(t, forge(t, `[]`, artifact), "true")
		if code == 0 || !strings.Contains(log, "did not come from a merged pull request") {
			t.Errorf("apply.sh: exit %d\n%s", code, log)
		}
	})
	t.Run("afresh", func(t *testing.T) {
		// A new state: the one above records the reviewed apply.
		env["PERMSYNC_STATE"] = filepath.Join(t.TempDir(), "state.json")
		f := newFakeForge(t, false)
		code, log, _ := apply(t, f, "false")
		if code != 0 || !strings.Contains(log, "Apply complete") || len(f.callsMade()) > 0 {
			t.Errorf("apply.sh afresh: exit %d, API calls %v\n%s", code, f.callsMade(), log)
		}
	})
}

// gitlabTemplate is templates/permsync.yml with its inputs interpolated.
type gitlabTemplate struct {
	inputs map[string]string
	jobs   map[string]any
}

var gitlabInput = regexp.MustCompile(`\$\[\[\s*inputs\.([a-z][a-z-]*)\s*\]\]`)

func loadGitLabTemplate(t *testing.T, set map[string]string) gitlabTemplate {
	t.Helper()
	path := filepath.Join(repoRoot, "templates", "permsync.yml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	head, body, ok := strings.Cut(string(b), "\n---\n")
	if !ok {
		t.Fatalf("%s: no spec header", path)
	}
	spec := decodeDocs(t, path, []byte(head))[0]
	inputs := map[string]string{}
	for name, in := range dig(spec, "spec", "inputs") {
		inputs[name] = fmt.Sprint(in.(map[string]any)["default"])
		if in.(map[string]any)["default"] == nil {
			inputs[name] = ""
		}
	}
	for k, v := range set {
		if _, ok := inputs[k]; !ok {
			t.Fatalf("the template has no input %s", k)
		}
		inputs[k] = v
	}
	used := map[string]bool{}
	body = gitlabInput.ReplaceAllStringFunc(body, func(m string) string {
		name := gitlabInput.FindStringSubmatch(m)[1]
		used[name] = true
		v, ok := inputs[name]
		if !ok {
			t.Errorf("%s uses the input %s, which its spec does not declare", path, name)
		}
		return v
	})
	for name := range inputs {
		if !used[name] {
			t.Errorf("%s declares the input %s and never uses it", path, name)
		}
	}
	return gitlabTemplate{inputs: inputs, jobs: decodeDocs(t, path, []byte(body))[0]}
}

// scriptBody is a script file without its shebang and header comment:
// what the template holds in parentheses.
func scriptBody(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(actionScript(name))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	i := 0
	for i < len(lines) && strings.HasPrefix(lines[i], "#") {
		i++
	}
	return strings.Trim(strings.Join(lines[i:], "\n"), "\n") + "\n"
}

func TestGitLabTemplateRunsTheActionsScripts(t *testing.T) {
	tpl := loadGitLabTemplate(t, nil)
	if v := tpl.inputs["version"]; v != currentVersion(t) {
		t.Errorf("templates/permsync.yml: version defaults to %q, VERSION says %s", v, currentVersion(t))
	}
	item := func(job, key string, i int) string {
		list, _ := dig(tpl.jobs, job)[key].([]any)
		if i >= len(list) {
			t.Fatalf("%s has %d %s lines", job, len(list), key)
		}
		return str(list[i])
	}
	for _, c := range []struct {
		job, key string
		i        int
		script   string
		args     string
	}{
		{".permsync", "before_script", 0, "install.sh", ""},
		{"permsync-plan", "script", 0, "state.sh", "fetch plan"},
		{"permsync-plan", "script", 1, "plan.sh", ""},
		{"permsync-plan", "script", 2, "comment.sh", ""},
		{"permsync-apply", "script", 0, "state.sh", "fetch apply"},
		{"permsync-apply", "after_script", 0, "state.sh", "save"},
	} {
		want := "(\n" + scriptBody(t, c.script) + ")\n"
		if c.args != "" {
			want = "(\nset -- " + c.args + "\n" + scriptBody(t, c.script) + ")\n"
		}
		if got := item(c.job, c.key, c.i); got != want {
			t.Errorf("%s %s[%d] is not action/%s (set -- %s) verbatim: regenerate it", c.job, c.key, c.i, c.script, c.args)
		}
	}
}

// gitlabJob is the bash script a GitLab runner would run for a job: its
// variables (GitLab expands $VAR in them), then before_script and script
// in one shell with errexit; or its after_script.
func gitlabJob(t *testing.T, tpl gitlabTemplate, job string, ci map[string]string, after bool) (string, map[string]string) {
	t.Helper()
	vars := map[string]string{}
	expand := func(s string) string {
		return os.Expand(s, func(k string) string {
			if v, ok := vars[k]; ok {
				return v
			}
			return ci[k]
		})
	}
	spec := dig(tpl.jobs, job)
	parent := dig(tpl.jobs, str(spec["extends"]))
	for _, m := range []map[string]any{dig(parent, "variables"), dig(spec, "variables")} {
		for k, v := range m {
			if v == nil {
				vars[k] = "" // an empty input
				continue
			}
			vars[k] = expand(fmt.Sprint(v))
		}
	}
	for k, v := range ci {
		if _, ok := vars[k]; !ok {
			vars[k] = v
		}
	}
	var lines []string
	keys := []string{"before_script", "script"}
	if after {
		keys = []string{"after_script"}
	}
	for _, key := range keys {
		// extends merges maps; a job's own list replaces its parent's.
		list, _ := parent[key].([]any)
		if own, ok := spec[key].([]any); ok {
			list = own
		}
		for _, l := range list {
			lines = append(lines, str(l))
		}
	}
	return "set -eo pipefail\n" + strings.Join(lines, "\n"), vars
}

func TestGitLabTemplate(t *testing.T) {
	version := currentVersion(t)
	release := newFakeRelease(t, version, permsyncBinary(t, version))
	project := t.TempDir()
	tpl := loadGitLabTemplate(t, map[string]string{
		"files":        abs(t, quickstartDesired),
		"args":         "--simulator " + abs(t, quickstartSeed),
		"state":        filepath.Join(project, "state", "state.json"),
		"state-branch": "",
		"release-url":  release.srv.URL,
	})
	f := newFakeForge(t, true)
	ci := map[string]string{
		"CI_PROJECT_DIR": project, "CI_API_V4_URL": f.srv.URL + "/api/v4", "CI_PROJECT_ID": "3",
		"CI_MERGE_REQUEST_IID": "7", "GITLAB_API_TOKEN": f.token, "CI_JOB_URL": "https://gitlab.example/jobs/1",
		"CI_COMMIT_SHA": "merge0", "CI_SERVER_HOST": "gitlab.example", "CI_PROJECT_PATH": "bi/perms",
	}
	run := func(t *testing.T, job string, after bool) (int, string) {
		script, vars := gitlabJob(t, tpl, job, ci, after)
		return runScript(t, vars, "-c", script)
	}

	code, out := run(t, "permsync-plan", false)
	if code != 0 || !strings.Contains(out, "permsync plan: exit code 2") || !strings.Contains(out, "posted part 1 of 1") {
		t.Fatalf("permsync-plan: exit %d\n%s", code, out)
	}
	if st := f.state(); len(st) != 1 || !strings.HasSuffix(st[0], "<!-- permsync-plan key=permsync part=1 -->") {
		t.Errorf("the merge request's notes: %v", st)
	}
	if code, out := run(t, "permsync-plan", false); code != 0 || !strings.Contains(out, "updated part 1 of 1") || len(f.state()) != 1 {
		t.Errorf("permsync-plan again: exit %d, notes %v\n%s", code, f.state(), out)
	}
	artifacts := filepath.Join(project, "permsync-plan")

	serve := func(f *fakeForge, name string) func(http.ResponseWriter, *http.Request) {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("job") != "permsync-plan" {
				http.NotFound(w, r)
				return
			}
			b, err := os.ReadFile(filepath.Join(artifacts, name))
			if err != nil {
				http.NotFound(w, r)
				return
			}
			w.Write(b)
		}
	}
	const base = "/api/v4/projects/3/jobs/artifacts/refs%2Fmerge-requests%2F7%2Fhead/raw/permsync-plan/"
	f.route("GET /api/v4/projects/3/repository/commits/merge0/merge_requests", jsonRoute(`[{"iid": 7, "state": "merged"}]`))
	f.route("GET "+base+"exitcode", serve(f, "exitcode"))
	f.route("GET "+base+"release.plan", serve(f, "release.plan"))
	code, out = run(t, "permsync-apply", false)
	if code != 0 || !strings.Contains(out, "Applying the plan reviewed on merge request !7.") || !strings.Contains(out, "No changes. The server matches the desired state.") {
		t.Errorf("permsync-apply: exit %d\n%s", code, out)
	}
	if code, out := run(t, "permsync-apply", true); code != 0 {
		t.Errorf("permsync-apply's after_script without a state branch: exit %d\n%s", code, out)
	}

	if err := os.WriteFile(filepath.Join(artifacts, "exitcode"), []byte("0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := run(t, "permsync-apply", false); code != 0 || !strings.Contains(out, "had no changes: nothing to apply") || strings.Contains(out, "Apply complete") {
		t.Errorf("permsync-apply of a plan without changes: exit %d\n%s", code, out)
	}
	os.Remove(filepath.Join(artifacts, "exitcode"))
	if code, out := run(t, "permsync-apply", false); code == 0 || !strings.Contains(out, "no successful permsync-plan job on merge request !7") {
		t.Errorf("permsync-apply without a plan: exit %d\n%s", code, out)
	}
	f.route("GET /api/v4/projects/3/repository/commits/merge0/merge_requests", jsonRoute(`[{"iid": 7, "state": "opened"}]`))
	if code, out := run(t, "permsync-apply", false); code == 0 || !strings.Contains(out, "did not come from a merged merge request") {
		t.Errorf("permsync-apply of a commit from no merge request: exit %d\n%s", code, out)
	}
}

// TestGitLabTemplateServerAndRegion: the inputs server and region set
// PERMSYNC_SERVER and PERMSYNC_REGION for the jobs, over the CI/CD
// variables; left empty, the variables stay.
func TestGitLabTemplateServerAndRegion(t *testing.T) {
	for _, c := range []struct {
		inputs map[string]string
		want   string
	}{
		{map[string]string{"server": "https://bi.example.com", "region": "cn-shanghai"}, "https://bi.example.com|cn-shanghai"},
		{map[string]string{}, "https://variable.example|cn-hangzhou"},
	} {
		tpl := loadGitLabTemplate(t, c.inputs)
		_, vars := gitlabJob(t, tpl, "permsync-plan", map[string]string{}, false)
		var lines []string
		for _, l := range dig(tpl.jobs, ".permsync")["before_script"].([]any) {
			if strings.Contains(str(l), "_INPUT") {
				lines = append(lines, str(l))
			}
		}
		if len(lines) != 2 {
			t.Fatalf("the template's before_script has %d lines of the server and region inputs, want 2", len(lines))
		}
		vars["PERMSYNC_SERVER"], vars["PERMSYNC_REGION"] = "https://variable.example", "cn-hangzhou"
		script := "set -e\n" + strings.Join(lines, "\n") + "\necho \"$PERMSYNC_SERVER|$PERMSYNC_REGION\"\n"
		code, out := runScript(t, vars, "-c", script)
		if code != 0 || strings.TrimSpace(out) != c.want {
			t.Errorf("inputs %v: exit %d, the jobs see %q, want %q", c.inputs, code, strings.TrimSpace(out), c.want)
		}
	}
}

func TestGitLabComments(t *testing.T) {
	tpl := loadGitLabTemplate(t, nil)
	comment := str(dig(tpl.jobs, "permsync-plan")["script"].([]any)[2])
	f := newFakeForge(t, true)
	testComments(t, f, func(dir string) (int, string) {
		return runScript(t, map[string]string{
			"CI_API_V4_URL": f.srv.URL + "/api/v4", "CI_PROJECT_ID": "3", "CI_MERGE_REQUEST_IID": "7", "GITLAB_API_TOKEN": f.token,
			"PERMSYNC_COMMENT_DIR": dir, "PERMSYNC_COMMENT_KEY": "perms/ ",
		}, "-c", comment)
	})
}

// TestActionScriptsShellcheck runs shellcheck on the Action's scripts and
// the GitLab template's own lines.
func TestActionScriptsShellcheck(t *testing.T) {
	sc := lookTool(t, "shellcheck")
	files, err := filepath.Glob(filepath.Join(repoRoot, "action", "*.sh"))
	if err != nil {
		t.Fatal(err)
	}
	tpl := loadGitLabTemplate(t, nil)
	apply := filepath.Join(t.TempDir(), "gitlab-apply.sh")
	if err := os.WriteFile(apply, []byte("#!/usr/bin/env bash\n"+str(dig(tpl.jobs, "permsync-apply")["script"].([]any)[1])), 0o644); err != nil {
		t.Fatal(err)
	}
	files = append(files, apply)
	if out, err := exec.Command(sc, append([]string{"-s", "bash"}, files...)...).CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}
