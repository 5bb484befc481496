package drill

import (
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/permsync/permsync/internal/textsafe"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/state"
)

// Known secrets of the secrets drill: distinctive, so any copy is found.
const (
	secretToken    = "SECRETTOKEN7f3a9c1e5b"
	secretPassword = "SecretPassw0rd-q8v2z"
	secretKey      = "SECRETKEY5d1e8b2a4c"
)

var secrets = []string{secretToken, secretPassword, secretKey}

// leaks lists where a secret shows in text.
func leaks(where, text string) []string {
	var out []string
	for _, s := range secrets {
		if strings.Contains(text, s) {
			out = append(out, where+" holds "+s[:6]+"...")
		}
	}
	return out
}

// TestDrill7Secrets: every command, with --debug-http, the token and the
// password known: no secret in stdout, stderr, plan files, Markdown
// comments, exports, state or lock files; the token in a URL query is
// redacted from every error message.
func TestDrill7Secrets(t *testing.T) {
	needBinary(t)
	dir := t.TempDir()
	sim := youdatatest.New(youdatatest.Options{Seed: mustSeed(t, quickSeed), Token: secretToken, TokenKey: secretKey,
		Email: "bi.admin@example.com", Password: secretPassword})
	defer sim.Close()
	stPath := filepath.Join(dir, "state", "state.json")
	credSets := map[string][]string{
		"token":    {"PERMSYNC_TOKEN=" + secretToken},
		"password": {"PERMSYNC_EMAIL=bi.admin@example.com", "PERMSYNC_PASSWORD=" + secretPassword},
		"tokenKey": {"PERMSYNC_TOKEN_KEY=" + secretKey},
	}
	var found []string
	commands := 0
	check := func(name string, r run) {
		commands++
		found = append(found, leaks(name+" stdout", r.stdout)...)
		found = append(found, leaks(name+" stderr", r.stderr)...)
		if !strings.Contains(r.stderr, "/api/dash/") && strings.Contains(name, "debug") {
			t.Errorf("%s: --debug-http traced nothing:\n%s", name, r)
		}
	}
	srv := []string{"--server", sim.URL(), "--state", stPath, "--debug-http", "--rps", "0"}
	for cname, env := range credSets {
		r := runBin(t, env, "validate", "-f", quickDesired)
		check(cname+" validate", r)
		for _, o := range []string{"text", "json", "markdown"} {
			r = runBin(t, env, append([]string{"plan", "-f", quickDesired, "-o", o}, srv...)...)
			check(cname+" debug plan -o "+o, r)
		}
		planFile := filepath.Join(dir, cname+".plan")
		r = runBin(t, env, append([]string{"plan", "-f", quickDesired, "--out", planFile, "--markdown-dir", filepath.Join(dir, cname+"-md")}, srv...)...)
		check(cname+" debug plan --out", r)
	}
	// Apply a saved plan, then apply from the files, then export.
	env := credSets["password"]
	r := runBin(t, env, "apply", filepath.Join(dir, "password.plan"), "--server", sim.URL(), "--debug-http", "--rps", "0")
	check("password debug apply PLANFILE", r)
	if r.code != 0 {
		t.Errorf("%s: %s", "password debug apply PLANFILE", r)
	}
	r = runBin(t, credSets["tokenKey"], append([]string{"apply", "-f", quickDesired, "--auto-approve"}, srv...)...)
	check("tokenKey debug apply", r)
	if r.code != 0 {
		t.Errorf("%s: %s", "tokenKey debug apply", r)
	}
	r = runBin(t, credSets["token"], "export", "--out", filepath.Join(dir, "export"), "--server", sim.URL(), "--debug-http", "--rps", "0")
	check("token debug export", r)
	if r.code != 0 {
		t.Errorf("%s: %s", "token debug export", r)
	}

	// Errors that carry the request: a proxy's 502 echoing its URL and
	// body (the token in a query, the password or token key in a body), a
	// closed port; under each kind of credentials.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<html>bad gateway for " + r.URL.String() + " with " + string(body) + "</html>"))
	}))
	defer echo.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	for _, cname := range []string{"password", "token", "tokenKey"} {
		for _, tgt := range []struct{ name, url string }{{"echoing 502", echo.URL}, {"closed port", closedURL}} {
			// A state of its own: the state of sim names another server,
			// and plan would stop before any call.
			estate := filepath.Join(dir, "errors", cname+"-"+strings.ReplaceAll(tgt.name, " ", "-"), "state.json")
			r := runBin(t, credSets[cname], "plan", "-f", quickDesired, "--server", tgt.url, "--state", estate, "--rps", "0")
			if r.code == 0 {
				t.Errorf("%s %s: plan succeeded", cname, tgt.name)
			}
			if want := map[bool]string{true: "bad gateway for", false: "connect"}[tgt.url == echo.URL]; !strings.Contains(r.stderr, want) {
				t.Errorf("%s %s: the error does not say %q: the request never left, so the drill checks nothing: %s", cname, tgt.name, want, r)
			}
			check(cname+" "+tgt.name+" plan error", r)
		}
	}

	// A lock file, left by an apply killed in the middle (SIGKILL after
	// its first write call), and the error of the next apply naming it.
	{
		lsim := youdatatest.NewUnstarted(youdatatest.Options{Seed: mustSeed(t, quickSeed), Token: secretToken})
		h := &killer{next: lsim.Handler(), k: 1}
		ts := httptest.NewServer(h)
		defer ts.Close()
		lstate := filepath.Join(dir, "killed", "state.json")
		args := []string{"apply", "-f", quickDesired, "--auto-approve", "--server", ts.URL, "--state", lstate, "--debug-http", "--rps", "0"}
		cmd := binCmd(credSets["token"], args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		h.mu.Lock()
		h.cmd = cmd
		err := cmd.Start()
		h.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		commands++
		found = append(found, leaks("killed apply output", out.String())...)
		if _, err := os.Stat(state.LockPath(lstate)); err != nil {
			t.Errorf("the killed apply left no lock file to search: %v\n%s", err, out.String())
		}
		r := runBin(t, credSets["token"], args...)
		if r.code == 0 {
			t.Errorf("apply over the killed apply's lock succeeded: %s", r)
		}
		check("token apply over a stale lock", r)
	}

	// Every file written: plans, Markdown, exports, state, lock.
	files := 0
	kinds := map[string]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files++
		switch {
		case strings.HasSuffix(p, ".plan"):
			kinds["plan"] = true
		case strings.HasSuffix(p, ".md"):
			kinds["markdown"] = true
		case strings.HasSuffix(p, ".lock"):
			kinds["lock"] = true
		case filepath.Base(p) == "state.json":
			kinds["state"] = true
		case strings.Contains(p, string(filepath.Separator)+"export"+string(filepath.Separator)):
			kinds["export"] = true
		}
		found = append(found, leaks(p, string(b))...)
		if bytes.Contains(b, []byte("REDACTED")) && filepath.Ext(p) == ".json" {
			t.Logf("%s mentions a redacted secret", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"plan", "markdown", "lock", "state", "export"} {
		if !kinds[k] {
			t.Errorf("no %s file was written under %s, so none was searched", k, dir)
		}
	}
	for _, f := range found {
		t.Errorf("secret leaked: %s", f)
	}
	t.Logf("secrets: %d command runs with --debug-http or errors, %d files written (plans, Markdown, exports, states, a lock), %d leaks", commands, files, len(found))
}

// Server text meant to rewrite a terminal or a CI log: a screen clear, a
// forged report line, GitHub and Azure workflow commands, a bidirectional
// override.
const (
	hostileMessage = "\x1b[2J\x1b[H\rApply complete: 0 failed\r\n::error::forged by the server\n##vso[task.setvariable variable=PERMSYNC_OK]true\n##[error]x \u202eevil"
	hostileLogPath = "http://x/log\n::add-mask::y\x1b]0;title\x07"
	// hostileUser replaces old.staff of the quickstart's server: its
	// removal from a project and a role shows in every plan.
	hostileUser = `"old\e[2J\r\n::error::forged name\n##vso[task.complete]\u202e@example.com"`
)

// hostileTextServer serves the quickstart's server with old.staff renamed
// hostileUser; the endpoints of failing answer with an error whose
// message and logPath are hostile.
func hostileTextServer(t *testing.T, failing ...string) string {
	t.Helper()
	b, err := os.ReadFile(quickSeed)
	if err != nil {
		t.Fatal(err)
	}
	seedPath := filepath.Join(t.TempDir(), "seed.yaml")
	writeFile(t, seedPath, strings.ReplaceAll(string(b), "old.staff@example.com", hostileUser))
	sim := youdatatest.NewUnstarted(youdatatest.Options{Seed: mustSeed(t, seedPath), Token: "drill-token"})
	if _, ok := sim.Snapshot().Users["old\x1b[2J\r\n::error::forged name\n##vso[task.complete]\u202e@example.com"]; !ok {
		t.Fatal("the hostile user is not on the simulated server: the drill would check nothing")
	}
	fail := map[string]bool{}
	for _, ep := range failing {
		fail[ep] = true
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail[strings.TrimPrefix(r.URL.Path, youdatatest.PathPrefix)] {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"code": 500, "message": hostileMessage, "logPath": hostileLogPath})
			return
		}
		sim.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// TestDrill7HostileServerText: a server whose names and error messages
// hold ESC sequences, CR/LF, '::error::' and '##vso[...]': plan (text,
// JSON, Markdown and its files), apply, export and run (JSON and text
// logs, /readyz) print no raw control character, no line that starts with
// a GitHub workflow command and no Azure command, and still show the
// server's text, escaped.
func TestDrill7HostileServerText(t *testing.T) {
	needBinary(t)
	env := []string{"PERMSYNC_TOKEN=drill-token"}
	names := hostileTextServer(t, "user/batchImport")
	readFails := hostileTextServer(t, "projectUser/list")
	dir := t.TempDir()
	checked, findings := 0, 0
	check := func(name, out string, want ...string) {
		t.Helper()
		checked++
		for _, bad := range textsafe.Unsafe(out) {
			findings++
			t.Errorf("%s: %s", name, bad)
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("%s does not show %q (escaped): the drill checks nothing\n%s", name, w, out)
			}
		}
	}
	const name, message = `old\u001b[2J`, "forged by the server"
	stPath := func(n string) []string { return []string{"--state", filepath.Join(dir, n, "state.json"), "--rps", "0"} }

	for _, o := range []string{"text", "json", "markdown"} {
		r := runBin(t, env, append([]string{"plan", "-f", quickDesired, "--server", names, "-o", o, "--markdown-dir", filepath.Join(dir, "md")}, stPath("plan")...)...)
		want := name
		if o == "json" {
			want = `old\u001b[2J` // JSON's own escape
		}
		check("plan -o "+o, r.stdout+r.stderr, want)
	}
	mds, _ := filepath.Glob(filepath.Join(dir, "md", "*.md"))
	for _, md := range mds {
		b, _ := os.ReadFile(md)
		check(md, string(b), name)
	}
	r := runBin(t, env, append([]string{"plan", "-f", quickDesired, "--server", readFails}, stPath("plan-fails")...)...)
	if r.code != 1 {
		t.Errorf("plan against a failing read: %s", r)
	}
	check("plan, a read fails", r.stdout+r.stderr, message)
	r = runBin(t, env, append([]string{"apply", "-f", quickDesired, "--server", names, "--auto-approve"}, stPath("apply")...)...)
	if r.code != 1 || !strings.Contains(r.stdout, "  failed ") {
		t.Errorf("apply against a failing write: %s", r)
	}
	check("apply, a write fails", r.stdout+r.stderr, message, name)
	r = runBin(t, env, "export", "--server", readFails, "--out", filepath.Join(dir, "export"), "--rps", "0")
	check("export, a read fails", r.stdout+r.stderr, message)

	for _, format := range []string{"json", "text"} {
		args := runArgs(quickDesired, names, filepath.Join(dir, "run-"+format, "state.json"))
		for i := range args {
			if args[i] == "json" {
				args[i] = format
			}
		}
		c := startChild(t, env, args...)
		c.waitFor(t, "the summary line", func() bool { return strings.Contains(c.stderr.String(), "run finished") })
		addr := ""
		c.waitFor(t, "the listen address", func() bool {
			for _, l := range strings.Split(c.stderr.String(), "\n") {
				if i := strings.Index(l, "127.0.0.1:"); i >= 0 && strings.Contains(l, "serving /healthz") {
					addr = strings.TrimRight(strings.Fields(l[i:])[0], `"}`)
					return true
				}
			}
			return false
		})
		code, body := httpGet(t, addr, "/readyz")
		if code != http.StatusServiceUnavailable {
			t.Errorf("run %s: /readyz %d after a failed run", format, code)
		}
		if exit := c.terminate(t); exit != 0 {
			t.Errorf("run %s: SIGTERM exit %d", format, exit)
		}
		check("run "+format+" logs", c.stdout.String()+c.stderr.String(), message)
		check("run "+format+" /readyz", body)
	}
	t.Logf("hostile server text: %d outputs checked (plan text, JSON, Markdown and its files, plan and export errors, apply, run logs in JSON and text, /readyz): %d raw control characters or workflow commands", checked, findings)
}
