package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func serverEnv(vars map[string]string, stderr io.Writer) *cmdEnv {
	return &cmdEnv{stdout: io.Discard, stderr: stderr, getenv: func(k string) string { return vars[k] }}
}

func TestServerFlags(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	f := addServerFlags(fs)
	err := fs.Parse([]string{"--server", "https://bi.example.com", "--insecure-skip-tls-verify", "--debug-http",
		"--rps", "2.5", "--concurrency", "3", "--timeout", "5s"})
	if err != nil {
		t.Fatal(err)
	}
	if f.server != "https://bi.example.com" || !f.insecure || !f.debugHTTP || f.rps != 2.5 || f.concurrency != 3 || f.timeout != 5*time.Second {
		t.Errorf("flags = %+v", *f)
	}
}

func TestNewClientErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{nil, map[string]string{"PERMSYNC_TOKEN": "t"}, "no server"},
		{[]string{"--server", "https://x"}, nil, "no credentials"},
		{nil, map[string]string{"PERMSYNC_SERVER": "https://x", "PERMSYNC_EMAIL": "a@x"}, "without a password"},
		{[]string{"--server", "https://x", "--concurrency", "0"}, map[string]string{"PERMSYNC_TOKEN": "t"}, "--concurrency"},
	} {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		f := addServerFlags(fs)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		_, err := f.newClient(context.Background(), serverEnv(tc.env, io.Discard))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: err = %v, want %q", tc.args, tc.env, err, tc.want)
		}
	}
}

// TestNewClientFromEnv: server from PERMSYNC_SERVER, token from
// PERMSYNC_TOKEN, --debug-http traces to stderr with the token redacted.
func TestNewClientFromEnv(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("token") != "secret-tok" || !strings.HasPrefix(r.UserAgent(), "permsync/") {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		_, _ = w.Write([]byte(`{"code":200,"result":{"list":[{"id":1,"name":"p"}],"count":1}}`))
	}))
	defer srv.Close()
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	f := addServerFlags(fs)
	if err := fs.Parse([]string{"--debug-http"}); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	c, err := f.newClient(context.Background(), serverEnv(map[string]string{"PERMSYNC_SERVER": srv.URL, "PERMSYNC_TOKEN": "secret-tok"}, &stderr))
	if err != nil {
		t.Fatal(err)
	}
	ps, err := c.ListProjects(context.Background())
	if err != nil || len(ps) != 1 {
		t.Fatalf("ListProjects = %v, %v", ps, err)
	}
	if !strings.Contains(stderr.String(), "GET /api/dash/project/list?token=REDACTED") || strings.Contains(stderr.String(), "secret-tok") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}

func TestServerURL(t *testing.T) {
	f := &serverFlags{}
	env := serverEnv(map[string]string{"PERMSYNC_SERVER": "https://bi.example.com/api/dash/"}, io.Discard)
	if got := f.serverURL(env); got != "https://bi.example.com" {
		t.Errorf("from env: %q", got)
	}
	f.server = "https://other.example.com/"
	if got := f.serverURL(env); got != "https://other.example.com" {
		t.Errorf("flag over env: %q", got)
	}
}

// TestNewClientDoesNotShowURLCredentials: a server URL holding a password
// is refused without quoting it.
func TestNewClientDoesNotShowURLCredentials(t *testing.T) {
	for _, server := range []string{"https://admin:hunter2@bi.example.com", "ftp://admin:hunter2@bi.example.com"} {
		f := addServerFlags(flag.NewFlagSet("x", flag.ContinueOnError))
		_, err := f.newClient(context.Background(), serverEnv(map[string]string{"PERMSYNC_SERVER": server, "PERMSYNC_TOKEN": "t"}, io.Discard))
		if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "must not hold credentials") {
			t.Errorf("%s: err = %v, want a refusal that does not show the password", server, err)
		}
	}
}

// TestReadLimitFlags: the bounds of a read reach it from the flags, and a
// read that passes one stops with a message naming the flag; nothing is
// planned.
func TestReadLimitFlags(t *testing.T) {
	code, stdout, stderr := runCmd(t, nil, append([]string{"plan"}, quickstartArgs(t, "--max-list-objects", "2")...)...)
	if code != exitError {
		t.Fatalf("plan with --max-list-objects 2 exited %d, want %d\n%s%s", code, exitError, stdout, stderr)
	}
	if !strings.Contains(stderr, "--max-list-objects") || strings.Contains(stdout, "Plan:") {
		t.Errorf("want a read stopped at the limit, naming the flag, and no plan; stdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
	code, stdout, stderr = runCmd(t, nil, append([]string{"plan"}, quickstartArgs(t, "--max-read-objects", "3")...)...)
	if code != exitError || !strings.Contains(stderr, "--max-read-objects") {
		t.Errorf("plan with --max-read-objects 3 exited %d, want %d naming the flag\n%s%s", code, exitError, stdout, stderr)
	}
	code, _, stderr = runCmd(t, nil, append([]string{"plan"}, quickstartArgs(t, "--max-list-objects", "100000")...)...)
	if code != exitOK {
		t.Errorf("plan within the limit exited %d\n%s", code, stderr)
	}
}
