package apiclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	secretKey      = "tk-SECRETKEY-0042"
	secretPassword = "pw S3cret&x=1\"<>"
	secretToken    = "tok-SECRET-77aa"
	secretRaw      = "raw-SECRET-99bb"
)

// logSink collects Logf output.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logSink) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(&l.buf, format+"\n", args...)
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func assertNoSecret(t *testing.T, what, s string) {
	t.Helper()
	for _, sec := range []string{secretKey, secretPassword, secretToken, secretRaw, "S3cret", "SECRET"} {
		if strings.Contains(s, sec) {
			t.Errorf("%s shows a secret (%q):\n%s", what, sec, s)
		}
	}
}

// TestSecretsNeverShown: no token, token key or password appears in
// errors, debug output or logs, even when the server echoes them and when
// a network error names a URL holding the token.
func TestSecretsNeverShown(t *testing.T) {
	echo := func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		// A server that quotes the request in its error message.
		writeJSON(w, 200, map[string]any{"code": 500, "message": fmt.Sprintf("bad request %v %s", body, r.URL.RawQuery)})
	}

	t.Run("token key, server echoes the token", func(t *testing.T) {
		fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/api/dash/util/genToken" {
				writeJSON(w, 200, ok(secretToken))
				return
			}
			if r.URL.Path == "/api/dash/user/getAllUsers" {
				w.Header().Set("Retry-After", "0")
				writeJSON(w, 503, map[string]any{"code": 503, "message": "busy, token=" + r.URL.Query().Get("token")})
				return
			}
			echo(w, r)
		})
		var debug bytes.Buffer
		logs := &logSink{}
		cfg := testConfig(fs.URL)
		cfg.Credentials = Credentials{TokenKey: secretKey}
		cfg.Debug, cfg.Logf = &debug, logs.logf
		c := newTestClient(t, cfg)
		recordSleeps(c)
		_, err1 := c.GetAllUsers(context.Background(), 0, 10)
		_, err2 := c.ImportDataPermissions(context.Background(), ImportDataPermissionsRequest{ProjectID: 1, RoleName: "r"})
		err3 := c.DeleteProject(context.Background(), 9)
		for i, err := range []error{err1, err2, err3} {
			if err == nil {
				t.Fatalf("call %d: no error", i)
			}
			assertNoSecret(t, "error", err.Error())
			assertNoSecret(t, "error %+v", fmt.Sprintf("%+v", err))
		}
		out := debug.String()
		assertNoSecret(t, "debug output", out)
		assertNoSecret(t, "logs", logs.String())
		for _, want := range []string{"GET /api/dash/user/getAllUsers?", "token=REDACTED", `"token":"REDACTED"`, "DELETE /api/dash/project/del?", "-> 503", `"key":"REDACTED"`} {
			if !strings.Contains(out, want) {
				t.Errorf("debug output lacks %q:\n%s", want, out)
			}
		}
		if !strings.Contains(logs.String(), "retrying") {
			t.Errorf("no retry notice in the logs:\n%s", logs)
		}
	})

	t.Run("failing genToken with a password", func(t *testing.T) {
		fs := newFakeServer(t, echo)
		var debug bytes.Buffer
		logs := &logSink{}
		cfg := testConfig(fs.URL)
		cfg.Credentials = Credentials{Email: "admin@x.com", Password: secretPassword}
		cfg.Debug, cfg.Logf = &debug, logs.logf
		c := newTestClient(t, cfg)
		_, err := c.ListProjects(context.Background())
		if err == nil || !strings.Contains(err.Error(), "util/genToken") {
			t.Fatalf("err = %v", err)
		}
		assertNoSecret(t, "error", err.Error())
		assertNoSecret(t, "debug output", debug.String())
		assertNoSecret(t, "logs", logs.String())
		if !strings.Contains(debug.String(), `"password":"REDACTED"`) {
			t.Errorf("debug output does not show the redacted password:\n%s", debug.String())
		}
	})

	t.Run("network error with the token in the URL", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close() // connection refused from now on
		var debug bytes.Buffer
		logs := &logSink{}
		cfg := testConfig(url)
		cfg.Credentials = Credentials{Token: secretRaw}
		cfg.Debug, cfg.Logf = &debug, logs.logf
		cfg.Retry.MaxAttempts = 2
		c := newTestClient(t, cfg)
		recordSleeps(c)
		_, err := c.GetAllUsers(context.Background(), 0, 10)
		var te *TransportError
		if !errors.As(err, &te) || !IsRetryable(err) {
			t.Fatalf("err = %v", err)
		}
		assertNoSecret(t, "error", err.Error())
		assertNoSecret(t, "debug output", debug.String())
		assertNoSecret(t, "logs", logs.String())
	})

	t.Run("timeout with the token in the URL", func(t *testing.T) {
		fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		var debug bytes.Buffer
		cfg := testConfig(fs.URL)
		cfg.Credentials = Credentials{Token: secretRaw}
		cfg.Debug = &debug
		cfg.Timeout = 20 * time.Millisecond
		cfg.Retry.MaxAttempts = 1
		c := newTestClient(t, cfg)
		_, err := c.UserPermissions(context.Background(), 1, "u")
		if err == nil {
			t.Fatal("no error")
		}
		assertNoSecret(t, "error", err.Error())
		assertNoSecret(t, "debug output", debug.String())
	})

	t.Run("printing credentials", func(t *testing.T) {
		for _, c := range []Credentials{{Token: secretRaw}, {TokenKey: secretKey}, {Email: "a@x.com", Password: secretPassword}} {
			b, _ := json.Marshal(c)
			s := fmt.Sprintf("%v %+v %#v %s %q", c, c, c, c, c) + c.String() + c.GoString() + string(b) + fmt.Sprint(&c) + fmt.Sprintf("%v", struct{ C Credentials }{c})
			assertNoSecret(t, "printed credentials", s)
			if !strings.Contains(s, "REDACTED") {
				t.Errorf("printed credentials do not say REDACTED: %s", s)
			}
		}
	})
}

// TestTLSVerification: verification is on by default; turning it off
// logs a warning.
func TestTLSVerification(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, ok(map[string]any{"list": []any{}}))
	}))
	defer srv.Close()

	cfg := testConfig(srv.URL)
	c := newTestClient(t, cfg)
	_, err := c.ListProjects(context.Background())
	var te *TransportError
	if !errors.As(err, &te) || !te.Permanent || IsRetryable(err) {
		t.Fatalf("self-signed certificate accepted or retried: %v", err)
	}

	logs := &logSink{}
	cfg.InsecureSkipTLSVerify = true
	cfg.Logf = logs.logf
	c = newTestClient(t, cfg)
	if _, err := c.ListProjects(context.Background()); err != nil {
		t.Fatalf("insecure: %v", err)
	}
	if !strings.Contains(logs.String(), "TLS certificate verification is OFF") {
		t.Errorf("no warning: %q", logs.String())
	}
	if tr := c.hc.Transport.(*http.Transport); tr.TLSClientConfig.MinVersion != tls.VersionTLS12 {
		t.Errorf("MinVersion %x", tr.TLSClientConfig.MinVersion)
	}
}

func TestNewValidates(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Credentials: Credentials{Token: "t"}}, "no server"},
		{Config{Server: "ftp://x", Credentials: Credentials{Token: "t"}}, "not an http(s) URL"},
		{Config{Server: "https://u:p@x", Credentials: Credentials{Token: "t"}}, "must not hold credentials"},
		{Config{Server: "https://x"}, "no credentials"},
		{Config{Server: "https://x", Credentials: Credentials{Email: "a"}}, "without a password"},
		{Config{Server: "https://x", Credentials: Credentials{Token: "t"}, HTTPClient: &http.Client{}, InsecureSkipTLSVerify: true}, "cannot be combined"},
	} {
		_, err := New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%v) = %v, want %q", tc.cfg.Server, err, tc.want)
		}
	}
	for in, want := range map[string]string{
		"https://bi.example.com":                "https://bi.example.com",
		"https://bi.example.com/":               "https://bi.example.com",
		"https://bi.example.com/api/dash/":      "https://bi.example.com",
		"http://10.0.0.1:8080/youdata?x=1":      "http://10.0.0.1:8080/youdata",
		"http://10.0.0.1:8080/youdata/api/dash": "http://10.0.0.1:8080/youdata",
	} {
		c, err := New(Config{Server: in, Credentials: Credentials{Token: "t"}})
		if err != nil || c.base != want {
			t.Errorf("server %q: base %q, %v; want %q", in, c.base, err, want)
		}
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	var hit bool
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit = true }))
	defer target.Close()
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+r.URL.RequestURI(), http.StatusFound)
	})
	c := newTestClient(t, testConfig(fs.URL))
	_, err := c.ListProjects(context.Background())
	var ae *APIError
	if !errors.As(err, &ae) || ae.HTTPStatus != http.StatusFound {
		t.Fatalf("err = %v", err)
	}
	if hit {
		t.Error("the redirect was followed with the token")
	}
}

// TestResultOfUnexpectedShapeIsScrubbed: a result that cannot be read is
// quoted in the error, scrubbed of secrets.
func TestResultOfUnexpectedShapeIsScrubbed(t *testing.T) {
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, ok("echo "+secretRaw))
	})
	cfg := testConfig(fs.URL)
	cfg.Credentials = Credentials{Token: secretRaw}
	c := newTestClient(t, cfg)
	_, err := c.ImportDataPermissions(context.Background(), ImportDataPermissionsRequest{ProjectID: 1, RoleName: "r"})
	var re *ResponseError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "REDACTED") {
		t.Fatalf("err = %v, want a ResponseError quoting the redacted answer", err)
	}
	assertNoSecret(t, "error", err.Error())
}

// A short secret is replaced in one pass: it never cuts into a longer
// secret, nor into the REDACTED written for another.
func TestScrubOnePass(t *testing.T) {
	c := newTestClient(t, testConfig("http://127.0.0.1:1"))
	c.addSecret("T", "tok-T-long")
	got := c.scrub("GET /x?token=T&key=tok-T-long")
	if want := "GEREDACTED /x?token=REDACTED&key=REDACTED"; got != want {
		t.Errorf("scrub = %q, want %q", got, want)
	}
}
