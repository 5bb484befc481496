package drill

import (
	"bytes"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/permsync/permsync/apiclient/youdatatest"
	"github.com/permsync/permsync/reconcile"
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
	state := filepath.Join(dir, "state", "state.json")
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
	srv := []string{"--server", sim.URL(), "--state", state, "--debug-http", "--rps", "0"}
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
		if _, err := os.Stat(reconcile.LockPath(lstate)); err != nil {
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
