package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// The Kubernetes packaging: the kustomize overlays are rendered with
// kustomize (installed by .ci/run; skipped where it is missing, unless
// PERMSYNC_REQUIRE_TOOLS=1) and the Helm chart with renderChart (compared
// with helm where helm is installed), and what they render
// is checked as the plain manifests are: commands and flags that exist,
// images, probes, one applier, a grace period above --shutdown-grace plus
// 15s, --max-read-objects within the memory limit, and references that
// resolve (volumes, the claim, the ServiceAccount, the Service's pods).

const chartDir = deployDir + "/helm/permsync"

// manifestSet is what one rendering produced.
type manifestSet struct {
	name string
	docs []map[string]any
}

func decodeDocs(t *testing.T, name string, b []byte) []map[string]any {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var docs []map[string]any
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, b)
		}
		if doc != nil {
			docs = append(docs, doc)
		}
	}
}

func kustomizeBuild(t *testing.T, overlay string) manifestSet {
	t.Helper()
	bin := lookTool(t, "kustomize")
	dir := filepath.Join(deployDir, "kubernetes", "overlays", overlay)
	out, err := exec.Command(bin, "build", dir).Output()
	if err != nil {
		t.Fatalf("kustomize build %s: %v\n%s", dir, err, stderrOf(err))
	}
	name := "kustomize overlays/" + overlay
	return manifestSet{name: name, docs: decodeDocs(t, name, out)}
}

// helmTemplate renders the chart with --set values, as `helm template
// permsync CHART --set ...` does (renderChart); a failed rendering
// returns its error.
func helmTemplate(t *testing.T, sets ...string) (manifestSet, string) {
	t.Helper()
	name := "helm template " + strings.Join(sets, " ")
	out, err := renderChart(t, chartDir, sets)
	if err != nil {
		return manifestSet{name: name}, err.Error()
	}
	return manifestSet{name: name, docs: decodeDocs(t, name, out)}, ""
}

// helmBinaryTemplate is helmTemplate with helm itself.
func helmBinaryTemplate(t *testing.T, bin string, sets ...string) (manifestSet, string) {
	t.Helper()
	args := []string{"template", "permsync", chartDir}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	name := "helm template " + strings.Join(sets, " ")
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		return manifestSet{name: name}, string(stderrOf(err))
	}
	return manifestSet{name: name, docs: decodeDocs(t, name, out)}, ""
}

func stderrOf(err error) []byte {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.Stderr
	}
	return []byte(err.Error())
}

func kinds(set manifestSet) []string {
	var out []string
	for _, d := range set.docs {
		out = append(out, str(d["kind"]))
	}
	return sortedCopy(out)
}

func TestPackagingKustomize(t *testing.T) {
	for _, c := range []struct {
		overlay, kinds, command string
	}{
		{"deployment", "Deployment,PersistentVolumeClaim,Service,ServiceAccount", "run"},
		{"cronjob", "CronJob,PersistentVolumeClaim,ServiceAccount", "apply"},
	} {
		set := kustomizeBuild(t, c.overlay)
		if got := strings.Join(kinds(set), ","); got != c.kinds {
			t.Errorf("%s: kinds %s, want %s", set.name, got, c.kinds)
		}
		if got := checkManifestSet(t, set); strings.Join(got, ",") != c.command {
			t.Errorf("%s runs permsync %v, want %s", set.name, got, c.command)
		}
	}
}

// TestPackagingKustomizeQuickBI builds each overlay with the quickbi
// component, as a user's overlay would: the region and the AccessKey's
// files instead of the server and the token key, mounted from the Secret.
func TestPackagingKustomizeQuickBI(t *testing.T) {
	bin := lookTool(t, "kustomize")
	kdir, err := filepath.Abs(filepath.Join(deployDir, "kubernetes"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ overlay, command string }{{"deployment", "run"}, {"cronjob", "apply"}} {
		dir := filepath.Join(t.TempDir(), c.overlay)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		// kustomize takes relative paths only.
		rel, err := filepath.Rel(dir, kdir)
		if err != nil {
			t.Fatal(err)
		}
		k := fmt.Sprintf("resources: [%s]\ncomponents: [%s]\n",
			filepath.ToSlash(filepath.Join(rel, "overlays", c.overlay)), filepath.ToSlash(filepath.Join(rel, "components", "quickbi")))
		if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, "build", dir).Output()
		if err != nil {
			t.Fatalf("kustomize build %s + components/quickbi: %v\n%s", c.overlay, err, stderrOf(err))
		}
		set := manifestSet{name: "kustomize overlays/" + c.overlay + " + components/quickbi"}
		set.docs = decodeDocs(t, set.name, out)
		if got := checkManifestSet(t, set); strings.Join(got, ",") != c.command {
			t.Errorf("%s runs permsync %v, want %s", set.name, got, c.command)
		}
		want := "PERMSYNC_REGION=cn-hangzhou,PERMSYNC_ACCESS_KEY_ID_FILE=/secrets/quickbi/access-key-id," +
			"PERMSYNC_ACCESS_KEY_SECRET_FILE=/secrets/quickbi/access-key-secret,PERMSYNC_TOKEN_USER=bi-bot@example.com"
		if got := strings.Join(permsyncEnv(set), ","); got != want {
			t.Errorf("%s: environment %s, want %s", set.name, got, want)
		}
		if !strings.Contains(string(out), "mountPath: /secrets/quickbi") || strings.Contains(string(out), "/secrets/youdata") {
			t.Errorf("%s: the credentials are not mounted at /secrets/quickbi alone:\n%s", set.name, out)
		}
	}
}

func TestPackagingHelm(t *testing.T) {
	for _, c := range []struct {
		sets    []string
		kinds   string
		command string
		check   func(t *testing.T, set manifestSet)
	}{
		{nil, "Deployment,PersistentVolumeClaim,Service,ServiceAccount", "run", func(t *testing.T, set manifestSet) {
			args := permsyncArgs(set)
			if !hasArgs(args, "-f", "/git/current/perms") || !hasArgs(args, "--mode", "apply") || !hasArgs(args, "--state", "/state/state.json") {
				t.Errorf("%s: permsync %q", set.name, args)
			}
		}},
		{[]string{"mode=plan", "timezone=Asia/Shanghai", "extraArgs={--rps,20}", "files.gitSync.path=/teams/bi/"}, "Deployment,PersistentVolumeClaim,Service,ServiceAccount", "run", func(t *testing.T, set manifestSet) {
			args := permsyncArgs(set)
			if !hasArgs(args, "--mode", "plan") || !hasArgs(args, "--timezone", "Asia/Shanghai") || !hasArgs(args, "--rps", "20") || !hasArgs(args, "-f", "/git/current/teams/bi") {
				t.Errorf("%s: permsync %q", set.name, args)
			}
		}},
		{[]string{"workload=cronjob"}, "CronJob,PersistentVolumeClaim,ServiceAccount", "apply", func(t *testing.T, set manifestSet) {
			if args := permsyncArgs(set); !hasArgs(args, "--auto-approve") {
				t.Errorf("%s: permsync %q, want an apply without a prompt", set.name, args)
			}
			var init any
			for _, d := range set.docs {
				if d["kind"] == "CronJob" {
					init = dig(d, "spec", "jobTemplate", "spec", "template", "spec")["initContainers"]
				}
			}
			if list, _ := init.([]any); len(list) != 1 || !contains(stringsOf(list[0].(map[string]any)["args"]), "--one-time") {
				t.Errorf("%s: init containers %v, want git-sync --one-time", set.name, init)
			}
		}},
		{[]string{"workload=cronjob", "mode=plan", "files.source=configMap", "state.existingClaim=my-state", "serviceAccount.create=false", "serviceAccount.name=bi"}, "CronJob", "plan", func(t *testing.T, set manifestSet) {
			if args := permsyncArgs(set); !hasArgs(args, "--detailed-exitcode") || !hasArgs(args, "-f", "/perms") {
				t.Errorf("%s: permsync %q, want a plan of the ConfigMap failing on drift", set.name, args)
			}
		}},
		{[]string{"workload=cronjob", "server=", "region=cn-hangzhou",
			"credentials.files[0].env=PERMSYNC_ACCESS_KEY_ID_FILE", "credentials.files[0].key=access-key-id",
			"credentials.files[1].env=PERMSYNC_ACCESS_KEY_SECRET_FILE", "credentials.files[1].key=access-key-secret"},
			"CronJob,PersistentVolumeClaim,ServiceAccount", "apply", func(t *testing.T, set manifestSet) {
				// Quick BI: the region instead of the server, the AccessKey from the Secret's files.
				want := "PERMSYNC_REGION=cn-hangzhou,PERMSYNC_TOKEN_USER=bi-bot@example.com," +
					"PERMSYNC_ACCESS_KEY_ID_FILE=/secrets/permsync/access-key-id,PERMSYNC_ACCESS_KEY_SECRET_FILE=/secrets/permsync/access-key-secret"
				if got := strings.Join(permsyncEnv(set), ","); got != want {
					t.Errorf("%s: environment %s, want %s", set.name, got, want)
				}
			}},
		{[]string{"resources.limits.memory=4Gi", "maxReadObjects=2000000", "service.enabled=false", "image.tag=v0.0.1-test"}, "Deployment,PersistentVolumeClaim,ServiceAccount", "run", func(t *testing.T, set manifestSet) {
			if img := ownImageOf(set); img != ownImage+"v0.0.1-test" {
				t.Errorf("%s: image %s", set.name, img)
			}
		}},
	} {
		set, errOut := helmTemplate(t, c.sets...)
		if errOut != "" {
			t.Errorf("%s: %s", set.name, errOut)
			continue
		}
		if got := strings.Join(kinds(set), ","); got != c.kinds {
			t.Errorf("%s: kinds %s, want %s", set.name, got, c.kinds)
		}
		if got := checkManifestSet(t, set); strings.Join(got, ",") != c.command {
			t.Errorf("%s runs permsync %v, want %s", set.name, got, c.command)
		}
		c.check(t, set)
	}
}

// TestPackagingHelmRefuses checks that the chart refuses values that
// would deploy a permsync that cannot work, naming the value.
func TestPackagingHelmRefuses(t *testing.T) {
	for _, c := range []struct {
		sets []string
		want string
	}{
		{[]string{"maxReadObjects=3000000"}, "maxReadObjects 3000000 is more than a memory limit of 2Gi holds"},
		{[]string{"resources.limits.memory=1024Mi", "maxReadObjects=600000"}, "at most 500000"},
		{[]string{"terminationGracePeriodSeconds=55"}, "terminationGracePeriodSeconds 55 must be above shutdownGraceSeconds 40 plus 15"},
		{[]string{"workload=statefulset"}, `workload "statefulset"`},
		{[]string{"mode=sync"}, `mode "sync"`},
		{[]string{"files.source=s3"}, `files.source "s3"`},
		{[]string{"server="}, "server: the URL of the BI server is required"},
		{[]string{"region=cn-hangzhou"}, "server and region: give one"},
		{[]string{"credentials.existingSecret="}, "credentials.existingSecret"},
		{[]string{"credentials.files[0].env=PERMSYNC_ACCESS_KEY_SECRET"}, `env "PERMSYNC_ACCESS_KEY_SECRET" is not one permsync reads`},
		{[]string{"credentials.files[0].env=PERMSYNC_TOKEN_KEY"}, `env "PERMSYNC_TOKEN_KEY" is not one permsync reads`},
		{[]string{"resources.limits.memory=2G"}, `resources.limits.memory "2G": give it in Mi or Gi`},
	} {
		set, errOut := helmTemplate(t, c.sets...)
		if errOut == "" {
			t.Errorf("%s: rendered %v, want a refusal", set.name, kinds(set))
		} else if !strings.Contains(errOut, c.want) {
			t.Errorf("%s: %s\nwant %q", set.name, errOut, c.want)
		}
	}
}

// TestPackagingManifests checks the plain manifests of the kustomize base
// and the cronjob overlay as one set (they apply as files too).
func TestPackagingManifests(t *testing.T) {
	var base, cron manifestSet
	base.name, cron.name = "deploy/kubernetes/base", "deploy/kubernetes/base + overlays/cronjob/cronjob.yaml"
	for _, f := range []string{"serviceaccount.yaml", "state-pvc.yaml", "deployment.yaml"} {
		docs := parseYAMLDocs(t, filepath.Join(deployDir, "kubernetes", "base", f))
		base.docs = append(base.docs, docs...)
		if f != "deployment.yaml" {
			cron.docs = append(cron.docs, docs...)
		}
	}
	cron.docs = append(cron.docs, parseYAMLDocs(t, filepath.Join(deployDir, "kubernetes", "overlays", "cronjob", "cronjob.yaml"))...)
	if got := checkManifestSet(t, base); strings.Join(got, ",") != "run" {
		t.Errorf("%s runs permsync %v", base.name, got)
	}
	if got := checkManifestSet(t, cron); strings.Join(got, ",") != "apply" {
		t.Errorf("%s runs permsync %v", cron.name, got)
	}
}

// TestPackagingChecksFail checks that checkManifestSet finds what it is
// meant to find, on manifests broken on purpose.
func TestPackagingChecksFail(t *testing.T) {
	docs := parseYAMLDocs(t, filepath.Join(deployDir, "kubernetes", "base", "deployment.yaml"))
	docs = append(docs, parseYAMLDocs(t, filepath.Join(deployDir, "kubernetes", "base", "state-pvc.yaml"))...)
	docs = append(docs, parseYAMLDocs(t, filepath.Join(deployDir, "kubernetes", "base", "serviceaccount.yaml"))...)
	for _, c := range []struct {
		name   string
		break_ func(d map[string]any)
		want   string
	}{
		{"grace", func(d map[string]any) { dig(d, "spec", "template", "spec")["terminationGracePeriodSeconds"] = 50 }, "terminationGracePeriodSeconds 50 is not above --shutdown-grace 40s + 15s"},
		{"max-read-objects", func(d map[string]any) { setArg(d, "--max-read-objects", "5000000") }, "--max-read-objects 5000000 is more than 2Gi of memory holds"},
		{"rolling", func(d map[string]any) { dig(d, "spec")["strategy"] = map[string]any{"type": "RollingUpdate"} }, "strategy RollingUpdate"},
		{"claim", func(d map[string]any) {
			for _, v := range dig(d, "spec", "template", "spec")["volumes"].([]any) {
				if pvc := dig(v.(map[string]any), "persistentVolumeClaim"); len(pvc) > 0 {
					pvc["claimName"] = "other"
				}
			}
		}, `claim "other"`},
		{"probe", func(d map[string]any) { dig(podContainers(d)[0], "livenessProbe", "httpGet")["path"] = "/metrics" }, `livenessProbe path "/metrics"`},
		{"max-read-objects missing", func(d map[string]any) { dropArg(d, "--max-read-objects") }, "a memory limit of 2Gi and no --max-read-objects"},
		{"selector", func(d map[string]any) {
			dig(d, "spec", "template", "metadata", "labels")["app.kubernetes.io/name"] = "other"
		}, "Service permsync selects app.kubernetes.io/name=permsync, which the pods do not have"},
		{"mount", func(d map[string]any) { dig(d, "spec", "template", "spec")["volumes"] = []any{} }, `mounts "state", which is no volume`},
	} {
		broken := cloneDocs(t, docs)
		for _, d := range broken {
			if d["kind"] == "Deployment" {
				c.break_(d)
			}
		}
		ft := &fakeT{}
		checkManifestChecks(ft, manifestSet{name: c.name, docs: broken})
		if !strings.Contains(strings.Join(ft.errors, "\n"), c.want) {
			t.Errorf("%s: the checks said %q, want %q", c.name, ft.errors, c.want)
		}
	}
}

// fakeT collects what the checks report.
type fakeT struct{ errors []string }

func (f *fakeT) Errorf(format string, args ...any) {
	f.errors = append(f.errors, strings.TrimSpace(fmt.Sprintf(format, args...)))
}

// reporter is what checkManifestChecks reports to.
type reporter interface {
	Errorf(format string, args ...any)
}

// checkManifestSet checks a set and returns the permsync commands its
// workloads run.
func checkManifestSet(t *testing.T, set manifestSet) []string {
	t.Helper()
	cmds := checkManifestChecks(t, set)
	// Commands and flags: as the deploy files'.
	var calls []invocation
	for _, d := range set.docs {
		for _, c := range podContainers(d) {
			if strings.HasPrefix(str(c["image"]), ownImage) {
				calls = append(calls, invocation{file: repoRoot + "/" + set.name, args: stringsOf(c["args"])})
			}
		}
	}
	checkInvocations(t, calls)
	return cmds
}

// checkManifestChecks are the checks of a set that need no permsync -h.
func checkManifestChecks(r reporter, set manifestSet) []string {
	byKind := map[string][]map[string]any{}
	for _, d := range set.docs {
		byKind[str(d["kind"])] = append(byKind[str(d["kind"])], d)
	}
	names := func(kind string) map[string]bool {
		m := map[string]bool{}
		for _, d := range byKind[kind] {
			m[str(dig(d, "metadata")["name"])] = true
		}
		return m
	}
	var cmds []string
	for _, d := range set.docs {
		kind := str(d["kind"])
		if kind != "Deployment" && kind != "CronJob" {
			continue
		}
		pod := dig(d, "spec", "template", "spec")
		podMeta := dig(d, "spec", "template", "metadata")
		if kind == "CronJob" {
			pod = dig(d, "spec", "jobTemplate", "spec", "template", "spec")
			podMeta = dig(d, "spec", "jobTemplate", "spec", "template", "metadata")
			if p := str(dig(d, "spec")["concurrencyPolicy"]); p != "Forbid" {
				r.Errorf("%s: CronJob concurrencyPolicy %q, want Forbid: two applies at once", set.name, p)
			}
		} else {
			spec := dig(d, "spec")
			if n, _ := spec["replicas"].(int); n != 1 {
				r.Errorf("%s: Deployment replicas %v, want 1", set.name, spec["replicas"])
			}
			if s := str(dig(spec, "strategy")["type"]); s != "Recreate" {
				r.Errorf("%s: Deployment strategy %s, want Recreate: the new pod would apply beside the old", set.name, s)
			}
		}
		if str(pod["hostname"]) == "" {
			r.Errorf("%s: %s has no fixed hostname: the state lock of a killed pod would not be recognised", set.name, kind)
		}
		if pod["automountServiceAccountToken"] != false {
			r.Errorf("%s: %s mounts a service account token permsync never uses", set.name, kind)
		}
		if sa := str(pod["serviceAccountName"]); sa != "" && len(byKind["ServiceAccount"]) > 0 && !names("ServiceAccount")[sa] {
			r.Errorf("%s: serviceAccountName %q is not among %v", set.name, sa, sortedKeys(names("ServiceAccount")))
		}
		volumes := map[string]map[string]any{}
		list, _ := pod["volumes"].([]any)
		for _, v := range list {
			volumes[str(v.(map[string]any)["name"])] = v.(map[string]any)
		}
		for _, v := range volumes {
			if claim := str(dig(v, "persistentVolumeClaim")["claimName"]); claim != "" && len(byKind["PersistentVolumeClaim"]) > 0 && !names("PersistentVolumeClaim")[claim] {
				r.Errorf("%s: claim %q is not among %v", set.name, claim, sortedKeys(names("PersistentVolumeClaim")))
			}
		}
		for _, c := range podContainers(d) {
			mounts, _ := c["volumeMounts"].([]any)
			for _, m := range mounts {
				if n := str(m.(map[string]any)["name"]); volumes[n] == nil {
					r.Errorf("%s: container %s mounts %q, which is no volume", set.name, str(c["name"]), n)
				}
			}
			if !strings.HasPrefix(str(c["image"]), ownImage) {
				repo, _, _ := strings.Cut(str(c["image"]), ":")
				if !otherImages[repo] {
					r.Errorf("%s: image %s is neither permsync's nor one of %v", set.name, c["image"], sortedKeys(otherImages))
				}
				continue
			}
			args := stringsOf(c["args"])
			if len(args) == 0 {
				r.Errorf("%s: container %s runs permsync without a command", set.name, str(c["name"]))
				continue
			}
			cmds = append(cmds, args[0])
			checkMemory(r, set.name, c, args)
			if args[0] != "run" {
				continue
			}
			grace := 40 * time.Second
			if v := argValue(args, "--shutdown-grace"); v != "" {
				g, err := time.ParseDuration(v)
				if err != nil {
					r.Errorf("%s: --shutdown-grace %q: %v", set.name, v, err)
				}
				grace = g
			}
			if tg, _ := pod["terminationGracePeriodSeconds"].(int); time.Duration(tg)*time.Second <= grace+15*time.Second {
				r.Errorf("%s: terminationGracePeriodSeconds %v is not above --shutdown-grace %s + 15s", set.name, pod["terminationGracePeriodSeconds"], grace)
			}
			_, port, _ := strings.Cut(argValue(args, "--listen"), ":")
			ports := map[string]string{}
			plist, _ := c["ports"].([]any)
			for _, p := range plist {
				ports[str(p.(map[string]any)["name"])] = fmt.Sprintf("%v", p.(map[string]any)["containerPort"])
			}
			for probe, want := range map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz"} {
				get := dig(c, probe, "httpGet")
				if path := str(get["path"]); path != want {
					r.Errorf("%s: %s path %q, want %s (what permsync run serves)", set.name, probe, path, want)
				}
				if p := fmt.Sprintf("%v", get["port"]); p != port && ports[p] != port {
					r.Errorf("%s: %s port %s is not --listen's %s", set.name, probe, p, port)
				}
			}
		}
		// The metrics Service selects these pods.
		for _, s := range byKind["Service"] {
			for k, v := range dig(s, "spec", "selector") {
				if dig(podMeta, "labels")[k] != v {
					r.Errorf("%s: Service %s selects %s=%v, which the pods do not have", set.name, str(dig(s, "metadata")["name"]), k, v)
				}
			}
		}
	}
	return sortedCopy(cmds)
}

// checkMemory: a container with a memory limit passes --max-read-objects,
// at most about 1,000,000 objects per 2Gi (docs/run.md).
func checkMemory(r reporter, name string, c map[string]any, args []string) {
	limit := str(dig(c, "resources", "limits")["memory"])
	if limit == "" || args[0] == "version" {
		return
	}
	m := regexp.MustCompile(`^(\d+)(Mi|Gi)$`).FindStringSubmatch(limit)
	if m == nil {
		r.Errorf("%s: memory limit %q: the checks read Mi or Gi", name, limit)
		return
	}
	mib, _ := strconv.ParseInt(m[1], 10, 64)
	if m[2] == "Gi" {
		mib *= 1024
	}
	v := argValue(args, "--max-read-objects")
	if v == "" {
		r.Errorf("%s: a memory limit of %s and no --max-read-objects (its default, 5,000,000, needs about 10Gi)", name, limit)
		return
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		r.Errorf("%s: --max-read-objects %q: %v", name, v, err)
		return
	}
	if most := mib * 1000000 / 2048; n > most {
		r.Errorf("%s: --max-read-objects %d is more than %s of memory holds (about %d)", name, n, limit, most)
	}
}

// permsyncEnv is the environment of the permsync container, as
// "NAME=value" in its order.
func permsyncEnv(set manifestSet) []string {
	var out []string
	for _, d := range set.docs {
		for _, c := range podContainers(d) {
			if !strings.HasPrefix(str(c["image"]), ownImage) {
				continue
			}
			env, _ := c["env"].([]any)
			for _, e := range env {
				m, _ := e.(map[string]any)
				out = append(out, str(m["name"])+"="+str(m["value"]))
			}
			return out
		}
	}
	return nil
}

func permsyncArgs(set manifestSet) []string {
	for _, d := range set.docs {
		for _, c := range podContainers(d) {
			if strings.HasPrefix(str(c["image"]), ownImage) {
				return stringsOf(c["args"])
			}
		}
	}
	return nil
}

// hasArgs: args holds want, consecutive.
func hasArgs(args []string, want ...string) bool {
	for i := 0; i+len(want) <= len(args); i++ {
		if strings.Join(args[i:i+len(want)], "\x00") == strings.Join(want, "\x00") {
			return true
		}
	}
	return false
}

func argValue(args []string, flag string) string {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, flag+"="); ok {
			return v
		}
	}
	return ""
}

func stringsOf(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, e := range list {
		out = append(out, fmt.Sprintf("%v", e))
	}
	return out
}

func setArg(d map[string]any, flag, value string) {
	c := podContainers(d)[0]
	args, _ := c["args"].([]any)
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			args[i+1] = value
		}
	}
}

func dropArg(d map[string]any, flag string) {
	c := podContainers(d)[0]
	args, _ := c["args"].([]any)
	var kept []any
	for i := 0; i < len(args); i++ {
		if args[i] == flag {
			i++
			continue
		}
		kept = append(kept, args[i])
	}
	c["args"] = kept
}

func ownImageOf(set manifestSet) string {
	for _, d := range set.docs {
		for _, c := range podContainers(d) {
			if strings.HasPrefix(str(c["image"]), ownImage) {
				return str(c["image"])
			}
		}
	}
	return ""
}

func cloneDocs(t *testing.T, docs []map[string]any) []map[string]any {
	t.Helper()
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	for _, d := range docs {
		if err := enc.Encode(d); err != nil {
			t.Fatal(err)
		}
	}
	return decodeDocs(t, "clone", b.Bytes())
}

// TestPackagingHelmRenderer checks renderChart against helm itself, where
// helm is installed (CI renders the chart with renderChart alone): the
// same manifests for the values the tests render, the same refusals.
func TestPackagingHelmRenderer(t *testing.T) {
	bin, err := exec.LookPath("helm")
	if err != nil {
		t.Skip("helm is not on PATH: renderChart is not compared with it")
	}
	for _, sets := range [][]string{
		nil,
		{"mode=plan", "timezone=Asia/Shanghai", "extraArgs={--rps,20}", "files.gitSync.path=/teams/bi/"},
		{"workload=cronjob"},
		{"workload=cronjob", "mode=plan", "files.source=configMap", "state.existingClaim=my-state", "serviceAccount.create=false", "serviceAccount.name=bi"},
		{"workload=cronjob", "server=", "region=cn-hangzhou", "credentials.files[0].env=PERMSYNC_ACCESS_KEY_ID_FILE,credentials.files[0].key=access-key-id"},
		{"resources.limits.memory=4Gi", "maxReadObjects=2000000", "service.enabled=false", "image.tag=v0.0.1-test"},
		{"maxReadObjects=3000000"},
		{"resources.limits.memory=1024Mi", "maxReadObjects=600000"},
		{"terminationGracePeriodSeconds=55"},
		{"workload=statefulset"},
		{"server="},
		{"region=cn-hangzhou"},
		{"credentials.files[0].env=PERMSYNC_TOKEN_KEY"},
		{"resources.limits.memory=2G"},
	} {
		ours, ourErr := helmTemplate(t, sets...)
		theirs, theirErr := helmBinaryTemplate(t, bin, sets...)
		switch {
		case ourErr == "" && theirErr == "":
			// helm orders the documents by kind, renderChart by file.
			if !reflect.DeepEqual(byKindAndName(ours.docs), byKindAndName(theirs.docs)) {
				t.Errorf("%s: renderChart and helm differ:\n%v\n%v", ours.name, ours.docs, theirs.docs)
			}
		case ourErr != "" && theirErr != "":
			_, msg, _ := strings.Cut(ourErr, "error calling fail: ")
			if msg == "" || !strings.Contains(theirErr, msg) {
				t.Errorf("%s: renderChart refuses with %q, helm with %q", ours.name, ourErr, theirErr)
			}
		default:
			t.Errorf("%s: renderChart: %q; helm: %q", ours.name, ourErr, theirErr)
		}
	}
}

func byKindAndName(docs []map[string]any) []map[string]any {
	out := append([]map[string]any(nil), docs...)
	key := func(d map[string]any) string { return str(d["kind"]) + "/" + str(dig(d, "metadata")["name"]) }
	sort.Slice(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out
}
