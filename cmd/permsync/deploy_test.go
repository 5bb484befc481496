package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	qbclient "github.com/permsync/permsync/provider/quickbi/apiclient"
	"github.com/permsync/permsync/provider/youdata/apiclient"
)

// The deployment pieces in deploy/ are checked here: every file parses,
// every permsync command they run exists with the flags they pass, the
// images they name are this project's (built by deploy/Dockerfile) or
// the few others they are documented to use, and the Dockerfile's
// -ldflags set what `permsync version` prints.

const (
	deployDir = "../../deploy"
	ownImage  = "ghcr.io/permsync/permsync:"
)

// otherImages are the images the deployment files may name besides
// permsync's own.
var otherImages = map[string]bool{
	"registry.k8s.io/git-sync/git-sync": true, // the checkout sidecar
	"golang":                            true, // GitLab jobs that go install permsync
}

// invocation is one permsync command line found in a deployment file.
type invocation struct {
	file string
	args []string
}

func TestDeployFilesParse(t *testing.T) {
	files := deployYAMLFiles(t)
	if len(files) < 10 {
		t.Fatalf("found %d YAML files under %s, want the Kubernetes manifests, the overlays, the chart and both CI pipelines", len(files), deployDir)
	}
	for _, f := range files {
		docs := parseYAMLDocs(t, f)
		if len(docs) == 0 {
			t.Errorf("%s: no YAML document", f)
		}
	}
}

func TestDeployCommandsExist(t *testing.T) {
	var calls []invocation
	for _, f := range deployYAMLFiles(t) {
		for _, doc := range parseYAMLDocs(t, f) {
			if kind, _ := doc["kind"].(string); kind != "" {
				calls = append(calls, manifestInvocations(t, f, doc)...)
				continue
			}
			calls = append(calls, scriptInvocations(f, doc)...)
		}
	}
	seen := map[string]bool{}
	for _, c := range calls {
		seen[filepath.Base(c.file)+" "+c.args[0]] = true
	}
	// Each piece runs what the docs say it runs. (The CI pipelines use
	// the Action and the GitLab template: release_action_test.go.)
	for _, want := range []string{"deployment.yaml run", "cronjob.yaml apply"} {
		if !seen[want] {
			t.Errorf("no %q invocation found; found %v", want, sortedKeys(seen))
		}
	}
	flagsOf := map[string]map[string]bool{}
	for _, c := range calls {
		name := c.args[0]
		if _, ok := commands[name]; !ok {
			t.Errorf("%s: permsync %s: no such command", c.file, name)
			continue
		}
		if flagsOf[name] == nil {
			flagsOf[name] = commandFlags(t, name)
		}
		for _, a := range c.args[1:] {
			if !strings.HasPrefix(a, "-") || a == "-" {
				continue
			}
			flagName := strings.TrimLeft(a, "-")
			flagName, _, _ = strings.Cut(flagName, "=")
			if !flagsOf[name][flagName] {
				t.Errorf("%s: permsync %s: no flag %s (flags: %v)", c.file, name, a, sortedKeys(flagsOf[name]))
			}
		}
	}
}

// TestDeployEnvironment checks that the environment variables the
// manifests give permsync are ones it reads.
func TestDeployEnvironment(t *testing.T) {
	known := map[string]bool{"PERMSYNC_TOKEN_USER": true, "PERMSYNC_REGION": true}
	for _, v := range []string{apiclient.EnvServer, apiclient.EnvToken, apiclient.EnvTokenKey, apiclient.EnvEmail, apiclient.EnvPassword,
		qbclient.EnvAccessKeyID, qbclient.EnvAccessKeySecret, qbclient.EnvSecurityToken} {
		known[v] = true
		known[v+"_FILE"] = true
	}
	n := 0
	for _, f := range deployYAMLFiles(t) {
		for _, doc := range parseYAMLDocs(t, f) {
			for _, c := range podContainers(doc) {
				if !strings.HasPrefix(str(c["image"]), ownImage) {
					continue
				}
				env, _ := c["env"].([]any)
				for _, e := range env {
					name := str(e.(map[string]any)["name"])
					n++
					if strings.HasPrefix(name, "PERMSYNC_") && !known[name] {
						t.Errorf("%s: container %s sets %s, which permsync does not read", f, str(c["name"]), name)
					}
					if v := str(e.(map[string]any)["value"]); secretEnv(name) && v != "" && !strings.HasSuffix(name, "_FILE") {
						t.Errorf("%s: %s has a literal value: secrets come from a Secret", f, name)
					}
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no environment found in the manifests")
	}
}

// secretEnv: the variable holds a secret (a token, a key, a password).
func secretEnv(name string) bool {
	for _, s := range []string{"TOKEN_KEY", "PASSWORD", "ACCESS_KEY", "SECURITY_TOKEN"} {
		if strings.Contains(name, s) {
			return true
		}
	}
	return name == apiclient.EnvToken
}

func TestDeployImages(t *testing.T) {
	dockerfile, err := os.ReadFile(filepath.Join(deployDir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(dockerfile, []byte(`org.opencontainers.image.source="https://github.com/permsync/permsync"`)) {
		t.Error("Dockerfile: the image does not name its source")
	}
	own := 0
	for _, f := range deployYAMLFiles(t) {
		for _, doc := range parseYAMLDocs(t, f) {
			var images []string
			for _, c := range podContainers(doc) {
				images = append(images, str(c["image"]))
			}
			walkStrings(doc, func(key, v string) {
				if key == "image" && doc["kind"] == nil {
					images = append(images, v)
				}
			})
			for _, img := range images {
				if strings.HasPrefix(img, ownImage) {
					own++
					continue
				}
				repo, _, _ := strings.Cut(img, ":")
				if !otherImages[repo] {
					t.Errorf("%s: image %s is neither permsync's (%s...) nor one of %v", f, img, ownImage, sortedKeys(otherImages))
				}
			}
			// go install names this project's command.
			walkStrings(doc, func(_, v string) {
				for _, m := range regexp.MustCompile(`go install "?([^"@\s]+)@`).FindAllStringSubmatch(v, -1) {
					if m[1] != "github.com/permsync/permsync/cmd/permsync" {
						t.Errorf("%s: go install %s: not this project's command", f, m[1])
					}
				}
			})
		}
	}
	if own < 2 {
		t.Errorf("the manifests name permsync's image %d times, want the Deployment and the CronJob", own)
	}
}

// TestDockerfile checks the shape of the image build: multi-stage, a
// static binary of ./cmd/permsync, non-root, and -ldflags that set what
// `permsync version` prints (built and run here, unless -short).
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(deployDir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	var froms []string
	var user string
	for _, line := range strings.Split(text, "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		switch strings.ToUpper(fields[0]) {
		case "FROM":
			froms = append(froms, fields[1])
		case "USER":
			user = fields[1]
		}
	}
	if len(froms) < 2 {
		t.Errorf("Dockerfile: %d stages, want a build stage and a small final stage", len(froms))
	} else if final := froms[len(froms)-1]; strings.Contains(final, "golang") {
		t.Errorf("Dockerfile: the final stage is %s, the build image", final)
	}
	if user == "" || user == "root" || strings.HasPrefix(user, "0") {
		t.Errorf("Dockerfile: USER %q, want a non-root user", user)
	}
	if !strings.Contains(text, "CGO_ENABLED=0") {
		t.Error("Dockerfile: the binary is not built static (CGO_ENABLED=0)")
	}
	if !strings.Contains(text, "./cmd/permsync") {
		t.Error("Dockerfile: does not build ./cmd/permsync")
	}
	m := regexp.MustCompile(`-ldflags "([^"]*)"`).FindStringSubmatch(text)
	if m == nil {
		t.Fatal("Dockerfile: no -ldflags")
	}
	ldflags := strings.NewReplacer("${VERSION}", "v9.8.7", "${COMMIT}", "0123456789abcdef", "${DATE}", "2026-11-23T00:00:00Z").Replace(m[1])
	for _, v := range []string{"main.version=v9.8.7", "main.commit=0123456789abcdef", "main.date=2026-11-23T00:00:00Z"} {
		if !strings.Contains(ldflags, v) {
			t.Errorf("Dockerfile: -ldflags %q does not set %s", m[1], v)
		}
	}
	if testing.Short() {
		t.Skip("building the binary with the Dockerfile's -ldflags: skipped with -short")
	}
	checkStamp(t, "Dockerfile", ldflags, "v9.8.7", "0123456789abcdef", "2026-11-23T00:00:00Z")
}

func deployYAMLFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(deployDir, func(p string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		// The chart's templates are not YAML until rendered
		// (packaging_test.go renders and checks them).
		if e.IsDir() && e.Name() == "templates" && filepath.Base(filepath.Dir(filepath.Dir(p))) == "helm" {
			return filepath.SkipDir
		}
		if ext := filepath.Ext(p); !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

func parseYAMLDocs(t *testing.T, file string) []map[string]any {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	var docs []map[string]any
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		docs = append(docs, doc)
	}
}

// podContainers are the containers and init containers of a Deployment's
// or a CronJob's pod template.
func podContainers(doc map[string]any) []map[string]any {
	spec := dig(doc, "spec", "template", "spec")
	if doc["kind"] == "CronJob" {
		spec = dig(doc, "spec", "jobTemplate", "spec", "template", "spec")
	}
	var out []map[string]any
	for _, key := range []string{"initContainers", "containers"} {
		list, _ := spec[key].([]any)
		for _, c := range list {
			if m, ok := c.(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	return out
}

// manifestInvocations are the permsync command lines of a manifest's
// containers running permsync's image (its entrypoint is permsync).
func manifestInvocations(t *testing.T, file string, doc map[string]any) []invocation {
	var out []invocation
	for _, c := range podContainers(doc) {
		if !strings.HasPrefix(str(c["image"]), ownImage) {
			continue
		}
		if c["command"] != nil {
			t.Errorf("%s: container %s overrides the image's entrypoint", file, str(c["name"]))
		}
		var args []string
		list, _ := c["args"].([]any)
		for _, a := range list {
			args = append(args, str(a))
		}
		if len(args) == 0 {
			t.Errorf("%s: container %s runs permsync without a command", file, str(c["name"]))
			continue
		}
		out = append(out, invocation{file: file, args: args})
		// The probes reach what run --listen serves.
		if args[0] == "run" {
			for _, probe := range []string{"livenessProbe", "readinessProbe"} {
				path := str(dig(c, probe, "httpGet")["path"])
				if path != "/healthz" && path != "/readyz" {
					t.Errorf("%s: %s path %q is not served by permsync run", file, probe, path)
				}
			}
		}
	}
	return out
}

var permsyncCall = regexp.MustCompile(`(?m)(?:^|[\s;&|(])permsync\s+([a-z][a-z-]*)([^\n|;&>]*)`)

// scriptInvocations are the permsync command lines in a CI file's
// scripts.
func scriptInvocations(file string, doc map[string]any) []invocation {
	var out []invocation
	walkStrings(doc, func(_, v string) {
		v = strings.ReplaceAll(v, "\\\n", " ")
		for _, m := range permsyncCall.FindAllStringSubmatch(v, -1) {
			args := []string{m[1]}
			for _, f := range strings.Fields(m[2]) {
				args = append(args, strings.Trim(f, `"'`))
			}
			out = append(out, invocation{file: file, args: args})
		}
	})
	return out
}

// commandFlags lists the flags of a subcommand, as its -h prints them.
func commandFlags(t *testing.T, name string) map[string]bool {
	t.Helper()
	_, _, help := runCmd(t, nil, name, "-h")
	flags := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s+-(\S+)`).FindAllStringSubmatch(help, -1) {
		flags[m[1]] = true
	}
	// A command whose usage line names no flag (help, completion) has
	// none; any other that lists none means the help was not parsed.
	usage, _, _ := strings.Cut(help, "\n")
	if len(flags) == 0 && strings.Contains(usage, " -") {
		t.Fatalf("permsync %s -h lists no flags:\n%s", name, help)
	}
	return flags
}

func walkStrings(v any, fn func(key, value string)) {
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch x := v.(type) {
		case string:
			fn(key, x)
		case map[string]any:
			for k, e := range x {
				walk(k, e)
			}
		case []any:
			for _, e := range x {
				walk(key, e)
			}
		}
	}
	walk("", v)
}

func dig(m map[string]any, path ...string) map[string]any {
	for _, p := range path {
		next, _ := m[p].(map[string]any)
		if next == nil {
			return map[string]any{}
		}
		m = next
	}
	return m
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
