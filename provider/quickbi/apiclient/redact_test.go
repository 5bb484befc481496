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
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const testTicket = "ccd3428c-TICKET-a608-26bae29dffee"

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

// forbidden is every form in which a secret could show: the secret, the
// token and the ticket plain, encoded once and twice, form-encoded and
// JSON-escaped; the full AccessKeyId; and the signatures the client sent.
func forbidden(sigs []string) []string {
	var out []string
	for _, s := range append([]string{testSecret, testToken, testTicket, testKeyID}, sigs...) {
		out = append(out, s, enc(s), enc(enc(s)), url.QueryEscape(s))
		if j, err := json.Marshal(s); err == nil {
			out = append(out, string(j[1:len(j)-1]))
		}
	}
	return append(out, "sEcReT", "TOKEN", "TICKET")
}

func assertNoSecret(t *testing.T, what, s string, sigs []string) {
	t.Helper()
	for _, f := range forbidden(sigs) {
		if f != "" && strings.Contains(s, f) {
			t.Errorf("%s shows a secret or a signature (%q):\n%s", what, f, s)
		}
	}
}

var sigRE = regexp.MustCompile(`Signature=([0-9a-f]{64})`)

// signatures are the signatures of the requests a server saw.
func signatures(fs *fakeServer) []string {
	var out []string
	for _, r := range fs.requests() {
		if m := sigRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
			out = append(out, m[1])
		}
		if s := r.Query["Signature"]; s != "" {
			out = append(out, s)
		}
	}
	return out
}

// echo is a server that quotes everything it received in its answers:
// query, headers (Authorization among them), body, as a gateway quoting
// its string to sign would, plus the RPC string to sign encoded twice.
func echo(status int, code string) func(w http.ResponseWriter, r *http.Request, rec recorded) {
	return func(w http.ResponseWriter, r *http.Request, rec recorded) {
		var hs []string
		for k, v := range r.Header {
			hs = append(hs, k+": "+strings.Join(v, ","))
		}
		msg := fmt.Sprintf("string to sign: %s&%%2F&%s headers: %s body: %s query: %s", r.Method, enc(r.URL.RawQuery), strings.Join(hs, "; "), rec.Body, r.URL.RawQuery)
		writeJSON(w, status, map[string]any{
			"RequestId": "REQ " + r.Header.Get("Authorization"),
			"HostId":    r.Header.Get("x-acs-security-token"),
			"Code":      code,
			"Message":   msg,
			"Recommend": "https://api.aliyun.com/troubleshoot?q=" + code + "&sig=" + url.QueryEscape(rec.Query["Signature"]),
		})
	}
}

// TestSecretsNeverShown: no AccessKey secret, security token, signature,
// Authorization value or embed ticket appears in errors, Debug output,
// logs or Observe, even when the server echoes the whole request; the
// AccessKeyId shows only redacted.
func TestSecretsNeverShown(t *testing.T) {
	for _, alg := range []string{SignatureV3, SignatureRPC} {
		t.Run(alg, func(t *testing.T) {
			var throttled atomic.Int32
			fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, rec recorded) {
				if rec.Action == "QueryTicketInfo" && throttled.Add(1) == 1 {
					echo(400, "Throttling.User")(w, r, rec) // retried: the retry notice quotes the error
					return
				}
				echo(400, "IncompleteSignature")(w, r, rec)
			})
			fs.token = testToken
			var debug bytes.Buffer
			logs := &logSink{}
			var obsMu sync.Mutex
			var observed []string
			cfg := testConfig(fs.URL)
			cfg.SignatureAlgorithm = alg
			cfg.Credentials.SecurityToken = testToken
			cfg.Debug, cfg.Logf = &debug, logs.logf
			cfg.Observe = func(ci CallInfo) {
				obsMu.Lock()
				observed = append(observed, fmt.Sprintf("%+v", ci))
				obsMu.Unlock()
			}
			c := newTestClient(t, cfg)
			recordSleeps(c)
			ctx := context.Background()
			_, err1 := c.AddUser(ctx, AddUserRequest{NickName: "张三", UserType: 1, RoleIDs: []int64{OrgRoleUser}})
			_, err2 := c.QueryTicketInfo(ctx, testTicket)
			err3 := c.DeleteTicket(ctx, testTicket)
			_, err4 := c.QueryUserList(ctx, QueryUserListRequest{Keyword: "k"})
			sigs := signatures(fs)
			if len(sigs) != 5 {
				t.Fatalf("%d signatures seen, want 5", len(sigs))
			}
			for i, err := range []error{err1, err2, err3, err4} {
				if err == nil {
					t.Fatalf("call %d: no error", i)
				}
				assertNoSecret(t, "error", err.Error(), sigs)
				assertNoSecret(t, "error %+v", fmt.Sprintf("%+v %#v", err, err), sigs)
				if !strings.Contains(err.Error(), "check PERMSYNC_ACCESS_KEY_SECRET") {
					t.Errorf("no hint in %v", err)
				}
			}
			var ae *APIError
			if !errors.As(err1, &ae) || !strings.Contains(ae.RequestID+ae.Message, "LTAI****wxyz") {
				t.Errorf("the AccessKeyId is not shown redacted: %v", err1)
			}
			out := debug.String()
			assertNoSecret(t, "debug output", out, sigs)
			assertNoSecret(t, "logs", logs.String(), sigs)
			assertNoSecret(t, "observe", strings.Join(observed, "\n"), sigs)
			if strings.Contains(out, "Authorization") {
				t.Errorf("debug output names the Authorization header:\n%s", out)
			}
			for _, want := range []string{"POST AddUser -> 400 IncompleteSignature", "key LTAI****wxyz", alg, `query NickName="张三" UserType="1"`, `form RoleIds="111111113"`,
				"POST QueryTicketInfo -> 400 Throttling.User", `Ticket="REDACTED"`, `GET QueryUserList -> 400`, `Keyword="k"`} {
				if !strings.Contains(out, want) {
					t.Errorf("debug output lacks %q:\n%s", want, out)
				}
			}
			if !strings.Contains(logs.String(), "retrying") {
				t.Errorf("no retry notice in the logs:\n%s", logs)
			}
			if len(observed) != 5 {
				t.Errorf("%d observed attempts, want 5", len(observed))
			}
		})
	}

	t.Run("network error with the signature in the URL", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		u := srv.URL
		srv.Close()
		var debug bytes.Buffer
		cfg := testConfig(u)
		cfg.SignatureAlgorithm = SignatureRPC
		cfg.Credentials.SecurityToken = testToken
		cfg.Debug = &debug
		cfg.Retry.MaxAttempts = 2
		c := newTestClient(t, cfg)
		recordSleeps(c)
		err := c.DeleteTicket(context.Background(), testTicket)
		var te *TransportError
		if !errors.As(err, &te) {
			t.Fatalf("err = %v", err)
		}
		assertNoSecret(t, "error", err.Error(), nil)
		assertNoSecret(t, "debug output", debug.String(), nil)
		if strings.Contains(err.Error(), "Signature=") || strings.Contains(debug.String(), "Signature=") {
			t.Errorf("a signature parameter shows: %v\n%s", err, debug.String())
		}
	})

	t.Run("timeout", func(t *testing.T) {
		fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, rec recorded) { <-r.Context().Done() })
		var debug bytes.Buffer
		cfg := testConfig(fs.URL)
		cfg.SignatureAlgorithm = SignatureRPC
		cfg.Credentials.SecurityToken = testToken
		cfg.Debug = &debug
		cfg.Timeout = 20 * time.Millisecond
		cfg.Retry.MaxAttempts = 1
		c := newTestClient(t, cfg)
		_, err := c.QueryTicketInfo(context.Background(), testTicket)
		if err == nil {
			t.Fatal("no error")
		}
		assertNoSecret(t, "error", err.Error(), signatures(fs))
		assertNoSecret(t, "debug output", debug.String(), signatures(fs))
	})

	t.Run("a Result of unexpected shape", func(t *testing.T) {
		fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, rec recorded) {
			writeRaw(w, 200, okResult(`{"echo":"`+testSecret+` `+testToken+`"}`))
		})
		cfg := testConfig(fs.URL)
		cfg.Credentials.SecurityToken = testToken
		fs.token = testToken
		c := newTestClient(t, cfg)
		_, err := c.AddUserTagMeta(context.Background(), "t", "")
		var re *ResponseError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), "REDACTED") {
			t.Fatalf("err = %v, want a ResponseError quoting the redacted answer", err)
		}
		assertNoSecret(t, "error", err.Error(), nil)
	})

	t.Run("printing credentials", func(t *testing.T) {
		cr := Credentials{AccessKeyID: testKeyID, AccessKeySecret: testSecret, SecurityToken: testToken}
		b, _ := json.Marshal(cr)
		s := fmt.Sprintf("%v %+v %#v %s %q", cr, cr, cr, cr, cr) + cr.String() + cr.GoString() + string(b) + fmt.Sprint(&cr) + fmt.Sprintf("%v", struct{ C Credentials }{cr})
		assertNoSecret(t, "printed credentials", s, nil)
		if !strings.Contains(s, "REDACTED") || !strings.Contains(s, "LTAI****wxyz") {
			t.Errorf("printed credentials: %s", s)
		}
	})
}

// TestTLSVerification: verification is on by default; turning it off logs
// a warning.
func TestTLSVerification(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeRaw(w, 200, okResult(`[]`))
	}))
	defer srv.Close()

	cfg := testConfig(srv.URL)
	c := newTestClient(t, cfg)
	_, err := c.ListOrganizationRoles(context.Background())
	var te *TransportError
	if !errors.As(err, &te) || !te.Permanent || IsRetryable(err) {
		t.Fatalf("self-signed certificate accepted or retried: %v", err)
	}

	logs := &logSink{}
	cfg.InsecureSkipTLSVerify = true
	cfg.Logf = logs.logf
	c = newTestClient(t, cfg)
	if _, err := c.ListOrganizationRoles(context.Background()); err != nil {
		t.Fatalf("insecure: %v", err)
	}
	if !strings.Contains(logs.String(), "TLS certificate verification is OFF") {
		t.Errorf("no warning: %q", logs.String())
	}
	if tr := c.hc.Transport.(*http.Transport); tr.TLSClientConfig.MinVersion != tls.VersionTLS12 {
		t.Errorf("MinVersion %x", tr.TLSClientConfig.MinVersion)
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	var hit atomic.Bool
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit.Store(true) }))
	defer target.Close()
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, rec recorded) {
		http.Redirect(w, r, target.URL+r.URL.RequestURI(), http.StatusFound)
	})
	c := newTestClient(t, testConfig(fs.URL))
	_, err := c.ListOrganizationRoles(context.Background())
	var ae *APIError
	if !errors.As(err, &ae) || ae.HTTPStatus != http.StatusFound || !strings.Contains(err.Error(), "redirect not followed") {
		t.Fatalf("err = %v", err)
	}
	if hit.Load() {
		t.Error("the redirect was followed")
	}
}
