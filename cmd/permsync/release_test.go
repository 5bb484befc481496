package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"text/template"

	"go.yaml.in/yaml/v3"
)

// The release: .goreleaser.yaml builds what permsync version prints, the
// archive names the installers download, and the image; the release
// workflow runs it on a tag equal to VERSION; and every example and doc
// pins the version VERSION names and runs commands and flags that exist.

const repoRoot = "../.."

// requireTools makes a missing kustomize, helm or shellcheck a failure
// rather than a skip: CI sets it, after installing them (.ci/run).
func requireTools() bool { return os.Getenv("PERMSYNC_REQUIRE_TOOLS") == "1" }

// lookTool finds an external tool, or skips the test (fails it in CI).
func lookTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if requireTools() {
			t.Fatalf("%s is not on PATH, and PERMSYNC_REQUIRE_TOOLS=1", name)
		}
		t.Skipf("%s is not on PATH (.ci/run installs it)", name)
	}
	return p
}

var versionRE = regexp.MustCompile(`^v\d+\.\d+\.\d+$`)

// currentVersion is the content of VERSION: the release the docs and
// examples pin.
func currentVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	v := strings.TrimSpace(string(b))
	if !versionRE.MatchString(v) || string(b) != v+"\n" {
		t.Fatalf("VERSION holds %q, want one line vX.Y.Z", b)
	}
	return v
}

var (
	builtMu  sync.Mutex
	builtDir string
	built    = map[string]string{}
)

// permsyncBinary builds permsync once per version, stamped as the
// release build stamps it, and returns its path.
func permsyncBinary(t *testing.T, version string) string {
	t.Helper()
	builtMu.Lock()
	defer builtMu.Unlock()
	if p, ok := built[version]; ok {
		return p
	}
	if builtDir == "" {
		d, err := os.MkdirTemp("", "permsync-release-test")
		if err != nil {
			t.Fatal(err)
		}
		builtDir = d
	}
	dir := filepath.Join(builtDir, fmt.Sprint(len(built)))
	name := "permsync"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	bin := filepath.Join(dir, name)
	ldflags := "-X main.version=" + version + " -X main.commit=0123456789abcdef -X main.date=2026-11-23T00:00:00Z"
	buildBinary(t, ldflags, bin)
	built[version] = bin
	return bin
}

func buildBinary(t *testing.T, ldflags, out string) {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	build := exec.Command(goCmd, "build", "-trimpath", "-ldflags", ldflags, "-o", out, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -ldflags %q: %v\n%s", ldflags, err, b)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builtDir != "" {
		os.RemoveAll(builtDir)
	}
	os.Exit(code)
}

// checkStamp builds permsync with ldflags and checks that permsync
// version reports the values they set.
func checkStamp(t *testing.T, what, ldflags, version, commit, date string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "permsync")
	buildBinary(t, ldflags, bin)
	out, err := exec.Command(bin, "version", "--json").Output()
	if err != nil {
		t.Fatalf("permsync version --json: %v", err)
	}
	var got buildInfo
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("permsync version --json: %v\n%s", err, out)
	}
	if got.Version != version || got.Commit != commit || got.Date != date {
		t.Errorf("%s: permsync version --json = %+v, want version %s, commit %s, date %s", what, got, version, commit, date)
	}
}

// goreleaser is the part of .goreleaser.yaml the tests read.
type goreleaser struct {
	Version     int    `yaml:"version"`
	ProjectName string `yaml:"project_name"`
	Builds      []struct {
		ID      string   `yaml:"id"`
		Main    string   `yaml:"main"`
		Binary  string   `yaml:"binary"`
		Env     []string `yaml:"env"`
		Flags   []string `yaml:"flags"`
		Ldflags []string `yaml:"ldflags"`
		Goos    []string `yaml:"goos"`
		Goarch  []string `yaml:"goarch"`
		Ignore  []any    `yaml:"ignore"`
	} `yaml:"builds"`
	Archives []struct {
		IDs             []string `yaml:"ids"`
		Formats         []string `yaml:"formats"`
		NameTemplate    string   `yaml:"name_template"`
		FormatOverrides []struct {
			Goos    string   `yaml:"goos"`
			Formats []string `yaml:"formats"`
		} `yaml:"format_overrides"`
	} `yaml:"archives"`
	Checksum struct {
		NameTemplate string `yaml:"name_template"`
		Algorithm    string `yaml:"algorithm"`
	} `yaml:"checksum"`
	SBOMs []struct {
		Artifacts string   `yaml:"artifacts"`
		Cmd       string   `yaml:"cmd"`
		Documents []string `yaml:"documents"`
	} `yaml:"sboms"`
	Dockers []struct {
		IDs        []string `yaml:"ids"`
		Dockerfile string   `yaml:"dockerfile"`
		Images     []string `yaml:"images"`
		Tags       []string `yaml:"tags"`
		Platforms  []string `yaml:"platforms"`
	} `yaml:"dockers_v2"`
}

func loadGoreleaser(t *testing.T) goreleaser {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var g goreleaser
	if err := yaml.Unmarshal(b, &g); err != nil {
		t.Fatalf(".goreleaser.yaml: %v", err)
	}
	return g
}

// renderTemplate executes one of GoReleaser's templates with the given fields.
func renderTemplate(t *testing.T, tmpl string, fields map[string]any) string {
	t.Helper()
	tp, err := template.New("").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		t.Fatalf("template %q: %v", tmpl, err)
	}
	var b bytes.Buffer
	if err := tp.Execute(&b, fields); err != nil {
		t.Fatalf("template %q: %v", tmpl, err)
	}
	return b.String()
}

// releaseAssets are the names a release's archive for goos/goarch and its
// checksums file have, as .goreleaser.yaml names them. version has no v.
func releaseAssets(t *testing.T, version, goos, goarch string) (archive, checksums string) {
	t.Helper()
	g := loadGoreleaser(t)
	if len(g.Archives) != 1 {
		t.Fatalf(".goreleaser.yaml: %d archives, want one", len(g.Archives))
	}
	a := g.Archives[0]
	fields := map[string]any{"ProjectName": g.ProjectName, "Version": version, "Os": goos, "Arch": goarch}
	format := a.Formats
	for _, o := range a.FormatOverrides {
		if o.Goos == goos {
			format = o.Formats
		}
	}
	if len(format) != 1 {
		t.Fatalf(".goreleaser.yaml: %s archives in formats %v, want one", goos, format)
	}
	return renderTemplate(t, a.NameTemplate, fields) + "." + format[0], renderTemplate(t, g.Checksum.NameTemplate, fields)
}

func TestReleaseBuilds(t *testing.T) {
	g := loadGoreleaser(t)
	if g.Version != 2 || g.ProjectName != "permsync" {
		t.Errorf(".goreleaser.yaml: version %d, project %q; want 2, permsync", g.Version, g.ProjectName)
	}
	if len(g.Builds) != 1 {
		t.Fatalf(".goreleaser.yaml: %d builds, want one", len(g.Builds))
	}
	b := g.Builds[0]
	if b.Main != "./cmd/permsync" || b.Binary != "permsync" {
		t.Errorf("build: main %q, binary %q; want ./cmd/permsync, permsync", b.Main, b.Binary)
	}
	if !contains(b.Env, "CGO_ENABLED=0") || !contains(b.Flags, "-trimpath") {
		t.Errorf("build: env %v, flags %v; want a static (CGO_ENABLED=0), -trimpath build", b.Env, b.Flags)
	}
	if got := sortedCopy(b.Goos); strings.Join(got, ",") != "darwin,linux,windows" {
		t.Errorf("build: goos %v, want linux, darwin and windows", b.Goos)
	}
	if got := sortedCopy(b.Goarch); strings.Join(got, ",") != "amd64,arm64" || len(b.Ignore) > 0 {
		t.Errorf("build: goarch %v, ignore %v; want amd64 and arm64 for each", b.Goarch, b.Ignore)
	}
	if len(b.Ldflags) != 1 {
		t.Fatalf("build: ldflags %q, want one line", b.Ldflags)
	}
	ldflags := renderTemplate(t, b.Ldflags[0], map[string]any{
		"Version": "9.8.7", "FullCommit": "0123456789abcdef", "CommitDate": "2026-11-23T00:00:00Z",
	})
	if testing.Short() {
		t.Skip("building permsync with the release's -ldflags: skipped with -short")
	}
	// As go install ...@v9.8.7 would report it: with the v.
	checkStamp(t, ".goreleaser.yaml", ldflags, "v9.8.7", "0123456789abcdef", "2026-11-23T00:00:00Z")
}

func TestReleaseArchives(t *testing.T) {
	g := loadGoreleaser(t)
	for _, c := range []struct{ goos, goarch, archive string }{
		{"linux", "amd64", "permsync_1.2.3_linux_amd64.tar.gz"},
		{"darwin", "arm64", "permsync_1.2.3_darwin_arm64.tar.gz"},
		{"windows", "amd64", "permsync_1.2.3_windows_amd64.zip"},
	} {
		// action/install.sh and the GitLab template download these names.
		archive, sums := releaseAssets(t, "1.2.3", c.goos, c.goarch)
		if archive != c.archive || sums != "permsync_1.2.3_checksums.txt" {
			t.Errorf("%s/%s: archive %s, checksums %s; want %s, permsync_1.2.3_checksums.txt", c.goos, c.goarch, archive, sums, c.archive)
		}
	}
	if g.Checksum.Algorithm != "sha256" {
		t.Errorf("checksum algorithm %q, want sha256 (what the installers check)", g.Checksum.Algorithm)
	}
	if len(g.SBOMs) == 0 || g.SBOMs[0].Artifacts != "archive" || g.SBOMs[0].Cmd != "cyclonedx-gomod" || len(g.SBOMs[0].Documents) != 1 {
		t.Errorf("sboms %+v, want a CycloneDX SBOM (cyclonedx-gomod) of each archive", g.SBOMs)
	}
}

func TestReleaseImage(t *testing.T) {
	g := loadGoreleaser(t)
	if len(g.Dockers) != 1 {
		t.Fatalf(".goreleaser.yaml: %d dockers_v2, want one", len(g.Dockers))
	}
	d := g.Dockers[0]
	if strings.Join(d.Images, ",")+":" != ownImage {
		t.Errorf("image %v, want %s", d.Images, strings.TrimSuffix(ownImage, ":"))
	}
	if got := sortedCopy(d.Platforms); strings.Join(got, ",") != "linux/amd64,linux/arm64" {
		t.Errorf("image platforms %v, want linux/amd64 and linux/arm64", d.Platforms)
	}
	if !contains(d.Tags, "{{ .Tag }}") {
		t.Errorf("image tags %v: the release's tag is missing (the manifests pin it)", d.Tags)
	}
	if len(d.IDs) != 1 || d.IDs[0] != g.Builds[0].ID {
		t.Errorf("image ids %v, want the build %q", d.IDs, g.Builds[0].ID)
	}
	// The release image is deploy/Dockerfile's final stage, with the
	// binary GoReleaser built instead of one built in a golang stage.
	release := finalStage(t, filepath.Join(repoRoot, d.Dockerfile))
	source := finalStage(t, filepath.Join(deployDir, "Dockerfile"))
	var copies []string
	var rest []string
	for _, ins := range release {
		if strings.HasPrefix(ins, "COPY ") {
			copies = append(copies, ins)
		} else if ins != "ARG TARGETPLATFORM" {
			rest = append(rest, ins)
		}
	}
	var sourceRest []string
	for _, ins := range source {
		if !strings.HasPrefix(ins, "COPY ") {
			sourceRest = append(sourceRest, ins)
		}
	}
	if strings.Join(rest, "\n") != strings.Join(sourceRest, "\n") {
		t.Errorf("%s and deploy/Dockerfile have different final stages:\n%s\n---\n%s", d.Dockerfile, strings.Join(rest, "\n"), strings.Join(sourceRest, "\n"))
	}
	if want := "COPY $TARGETPLATFORM/" + g.Builds[0].Binary + " /usr/local/bin/permsync"; len(copies) != 1 || copies[0] != want {
		t.Errorf("%s copies %q, want %q (buildx puts each platform's binary there)", d.Dockerfile, copies, want)
	}
}

// finalStage is the instructions of a Dockerfile's last stage, from its
// FROM, one per line with continuations joined and comments dropped.
func finalStage(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(strings.ReplaceAll(string(b), "\\\n", " "), "\n") {
		line = strings.Join(strings.Fields(line), " ")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(strings.ToUpper(line), "FROM ") {
			out = nil
		}
		out = append(out, line)
	}
	return out
}

// ciToolVersion is the version .ci/run installs a Go tool at.
func ciToolVersion(t *testing.T, module string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(regexp.QuoteMeta(module) + `@(v[0-9][^\s"']*)`).FindSubmatch(b)
	if m == nil {
		t.Fatalf(".ci/run does not install %s", module)
	}
	return string(m[1])
}

func TestReleaseWorkflow(t *testing.T) {
	path := filepath.Join(repoRoot, ".github", "workflows", "release.yml")
	docs := parseYAMLDocs(t, path)
	if len(docs) != 1 {
		t.Fatalf("%s: %d documents", path, len(docs))
	}
	wf := docs[0]
	tags, _ := dig(wf, "on", "push")["tags"].([]any)
	if len(tags) != 1 || tags[0] != "v*" {
		t.Errorf("release.yml runs on tags %v, want v*", tags)
	}
	if perms := dig(wf, "permissions"); perms["contents"] != "write" || perms["packages"] != "write" {
		t.Errorf("release.yml permissions %v: the release needs contents and packages (ghcr.io) write", perms)
	}
	var uses []string
	var steps []map[string]any
	for _, job := range dig(wf, "jobs") {
		list, _ := job.(map[string]any)["steps"].([]any)
		for _, s := range list {
			step := s.(map[string]any)
			steps = append(steps, step)
			if u := str(step["uses"]); u != "" {
				uses = append(uses, u)
			}
		}
	}
	order := map[string]int{}
	for i, u := range uses {
		name, _, _ := strings.Cut(u, "@")
		order[name] = i + 1
	}
	for _, name := range []string{"docker/setup-qemu-action", "docker/setup-buildx-action", "docker/login-action"} {
		if order[name] == 0 || order[name] > order["goreleaser/goreleaser-action"] {
			t.Errorf("release.yml: %s does not come before GoReleaser (the arm64 image needs it); steps use %v", name, uses)
		}
	}
	var tagCheck string
	for _, step := range steps {
		switch {
		case strings.HasPrefix(str(step["uses"]), "goreleaser/goreleaser-action@"):
			with := dig(step, "with")
			if want := ciToolVersion(t, "github.com/goreleaser/goreleaser/v2"); str(with["version"]) != want {
				t.Errorf("release.yml runs GoReleaser %v, .ci/run checks the configuration with %s", with["version"], want)
			}
			if str(with["args"]) != "release --clean" {
				t.Errorf("release.yml: goreleaser %v, want release --clean", with["args"])
			}
		case strings.Contains(str(step["run"]), "cyclonedx-gomod@"):
			want := ciToolVersion(t, "github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod")
			if !strings.Contains(str(step["run"]), "@"+want) {
				t.Errorf("release.yml: %q, want cyclonedx-gomod %s as .ci/run", step["run"], want)
			}
		case strings.Contains(str(step["run"]), "VERSION"):
			tagCheck = str(step["run"])
		}
	}
	if tagCheck == "" {
		t.Fatal("release.yml: no step compares the tag with VERSION")
	}
	// The check itself: run from the repository root with a tag.
	version := currentVersion(t)
	for tag, ok := range map[string]bool{version: true, "v0.0.0-not-released": false} {
		cmd := exec.Command("bash", "-e", "-c", tagCheck)
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), "GITHUB_REF_NAME="+tag)
		out, err := cmd.CombinedOutput()
		if (err == nil) != ok {
			t.Errorf("release.yml's tag check with the tag %s: %v, %s", tag, err, out)
		}
	}
}

// The files that show how to install or run permsync, which must pin the
// version VERSION names.
func pinnedFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{"README.md", "docs/*.md", "action.yml", "action/*", "templates/*", ".github/workflows/*"} {
		m, err := filepath.Glob(filepath.Join(repoRoot, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	err := filepath.WalkDir(deployDir, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

const semver = `v\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?`

// versionPins find the versions of permsync that a file names.
var versionPins = []*regexp.Regexp{
	regexp.MustCompile(`ghcr\.io/permsync/permsync:(` + semver + `)`),
	regexp.MustCompile(`github\.com/permsync/permsync/cmd/permsync@(` + semver + `)`),
	regexp.MustCompile(`\bpermsync/permsync@(` + semver + `)`),
	regexp.MustCompile(`raw\.githubusercontent\.com/permsync/permsync/(` + semver + `)/`),
	regexp.MustCompile(`permsync/permsync/releases/download/(` + semver + `)`),
	regexp.MustCompile(`\bpermsync_(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)_(?:linux|darwin|windows|checksums)`),
	regexp.MustCompile(`(?m)^\s*(?:PERMSYNC_VERSION|newTag|appVersion|version|default):\s*"?(` + semver + `)"?\s*$`),
	regexp.MustCompile(`(?m)^version:\s*(\d+\.\d+\.\d+)\s*$`), // the chart's own version
}

func TestReleaseVersionPinned(t *testing.T) {
	version := currentVersion(t)
	pins := map[string]int{}
	for _, f := range pinnedFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(repoRoot, f)
		for _, re := range versionPins {
			for _, m := range re.FindAllSubmatchIndex(b, -1) {
				got := string(b[m[2]:m[3]])
				line := bytes.Count(b[:m[0]], []byte("\n")) + 1
				// Other tools' versions in the workflows (GoReleaser's).
				if rel == filepath.Join(".github", "workflows", "release.yml") && re == versionPins[6] {
					continue
				}
				want := version
				if !strings.HasPrefix(got, "v") {
					want = strings.TrimPrefix(version, "v")
				}
				if got != want {
					t.Errorf("%s:%d: pins permsync %s, VERSION says %s", rel, line, got, version)
				}
				pins[rel]++
			}
		}
	}
	for _, f := range []string{
		"action.yml", "templates/permsync.yml", "deploy/ci/github-actions.yml", "deploy/ci/gitlab-ci.yml",
		"deploy/kubernetes/base/deployment.yaml", "deploy/kubernetes/overlays/cronjob/cronjob.yaml",
		"deploy/kubernetes/overlays/deployment/kustomization.yaml", "deploy/kubernetes/overlays/cronjob/kustomization.yaml",
		"deploy/helm/permsync/Chart.yaml", "docs/deploy.md", "docs/release.md",
	} {
		if pins[filepath.FromSlash(f)] == 0 {
			t.Errorf("%s pins no version of permsync (found pins in %v)", f, sortedKeys(pins))
		}
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
