package apiclient

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testKeyID  = "LTAI5tTESTKEYID0000wxyz"
	testSecret = "sEcReT/+=*~ key&value"
	testToken  = "CAIS-sts-TOKEN/+=&x y"
)

// testClock is the date tests sign with.
var testClock = time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)

// recorded is one request as the fake server saw it.
type recorded struct {
	Method   string
	Path     string
	Action   string            // x-acs-action, or the Action parameter
	Query    map[string]string // decoded query parameters
	Form     map[string]string // decoded form body, nil when no body
	Body     []byte
	Header   http.Header
	Host     string
	SigErr   error // the independent signature check
	RawQuery string
}

// fakeServer answers with a handler and records and verifies every request.
type fakeServer struct {
	*httptest.Server
	secret string
	token  string
	mu     sync.Mutex
	reqs   []recorded
}

func newFakeServer(t *testing.T, h func(w http.ResponseWriter, r *http.Request, rec recorded)) *fakeServer {
	t.Helper()
	fs := &fakeServer{secret: testSecret}
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec := recorded{Method: r.Method, Path: r.URL.Path, Body: body, Header: r.Header.Clone(), Host: r.Host, RawQuery: r.URL.RawQuery}
		rec.Query = flat(r.URL.Query())
		if len(body) > 0 {
			v, err := url.ParseQuery(string(body))
			if err != nil {
				rec.SigErr = fmt.Errorf("body is not form-encoded: %v", err)
			}
			rec.Form = flat(v)
		}
		rec.Action = r.Header.Get("x-acs-action")
		if rec.Action == "" {
			rec.Action = rec.Query["Action"]
		}
		if rec.SigErr == nil {
			rec.SigErr = verifySignature(r, rec, fs.secret, fs.token)
		}
		fs.mu.Lock()
		fs.reqs = append(fs.reqs, rec)
		fs.mu.Unlock()
		h(w, r, rec)
	}))
	t.Cleanup(fs.Close)
	return fs
}

func flat(v url.Values) map[string]string {
	m := map[string]string{}
	for k, vs := range v {
		m[k] = strings.Join(vs, "\x00")
	}
	return m
}

func (fs *fakeServer) requests() []recorded {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]recorded(nil), fs.reqs...)
}

func (fs *fakeServer) count(action string) int {
	n := 0
	for _, r := range fs.requests() {
		if r.Action == action {
			n++
		}
	}
	return n
}

// enc is RFC 3986 encoding written as the reference's equivalent: form
// encoding, then + -> %20, * -> %2A, %7E -> ~. Independent of the
// package's percentEncode.
func enc(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "+", "%20")
	e = strings.ReplaceAll(e, "*", "%2A")
	return strings.ReplaceAll(e, "%7E", "~")
}

func canon(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = enc(k) + "=" + enc(m[k])
	}
	return strings.Join(parts, "&")
}

// verifySignature checks a request as the gateway would, from the
// reference's algorithms.
func verifySignature(r *http.Request, rec recorded, secret, token string) error {
	if r.URL.Path != "/" {
		return fmt.Errorf("path %q, want /", r.URL.Path)
	}
	if auth := r.Header.Get("Authorization"); auth != "" {
		return verifyV3(r, rec, secret, token, auth)
	}
	return verifyRPC(r, rec, secret, token)
}

func verifyV3(r *http.Request, rec recorded, secret, token, auth string) error {
	rest, ok := strings.CutPrefix(auth, "ACS3-HMAC-SHA256 ")
	if !ok {
		return fmt.Errorf("Authorization %q: not ACS3-HMAC-SHA256", auth)
	}
	fields := map[string]string{}
	for _, kv := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) != k {
			return fmt.Errorf("Authorization %q: malformed (spaces after commas?)", auth)
		}
		fields[k] = v
	}
	if fields["Credential"] != testKeyID {
		return fmt.Errorf("Credential %q", fields["Credential"])
	}
	payloadHash := sha256.Sum256(rec.Body)
	if got := r.Header.Get("x-acs-content-sha256"); got != hex.EncodeToString(payloadHash[:]) {
		return fmt.Errorf("x-acs-content-sha256 %q does not match the body", got)
	}
	if r.Header.Get("x-acs-version") != "2022-01-01" || r.Header.Get("x-acs-action") == "" {
		return fmt.Errorf("x-acs-version %q, x-acs-action %q", r.Header.Get("x-acs-version"), r.Header.Get("x-acs-action"))
	}
	if _, err := time.Parse("2006-01-02T15:04:05Z", r.Header.Get("x-acs-date")); err != nil {
		return fmt.Errorf("x-acs-date %q", r.Header.Get("x-acs-date"))
	}
	if r.Header.Get("x-acs-signature-nonce") == "" {
		return fmt.Errorf("no x-acs-signature-nonce")
	}
	if token != "" && r.Header.Get("x-acs-security-token") != token {
		return fmt.Errorf("x-acs-security-token missing or wrong")
	}
	signed := strings.Split(fields["SignedHeaders"], ";")
	isSigned := map[string]bool{}
	for _, h := range signed {
		isSigned[h] = true
	}
	must := []string{"host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"}
	if len(rec.Body) > 0 {
		must = append(must, "content-type")
	}
	for name := range r.Header {
		if l := strings.ToLower(name); strings.HasPrefix(l, "x-acs-") {
			must = append(must, l)
		}
	}
	for _, h := range must {
		if !isSigned[h] {
			return fmt.Errorf("header %s is not signed (SignedHeaders %s)", h, fields["SignedHeaders"])
		}
	}
	if !sort.StringsAreSorted(signed) {
		return fmt.Errorf("SignedHeaders not sorted: %s", fields["SignedHeaders"])
	}
	var ch strings.Builder
	for _, h := range signed {
		v := r.Header.Get(h)
		if h == "host" {
			v = r.Host
		}
		ch.WriteString(h + ":" + strings.TrimSpace(v) + "\n")
	}
	cr := r.Method + "\n/\n" + canon(rec.Query) + "\n" + ch.String() + "\n" + fields["SignedHeaders"] + "\n" + r.Header.Get("x-acs-content-sha256")
	crHash := sha256.Sum256([]byte(cr))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("ACS3-HMAC-SHA256\n" + hex.EncodeToString(crHash[:])))
	if want := hex.EncodeToString(mac.Sum(nil)); fields["Signature"] != want {
		return fmt.Errorf("V3 signature %s, want %s", fields["Signature"], want)
	}
	return nil
}

func verifyRPC(r *http.Request, rec recorded, secret, token string) error {
	all := map[string]string{}
	for k, v := range rec.Query {
		all[k] = v
	}
	for k, v := range rec.Form {
		all[k] = v
	}
	sig := all["Signature"]
	delete(all, "Signature")
	for k, want := range map[string]string{"Version": "2022-01-01", "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "Format": "json", "AccessKeyId": testKeyID} {
		if all[k] != want {
			return fmt.Errorf("%s = %q, want %q", k, all[k], want)
		}
	}
	if token != "" && all["SecurityToken"] != token {
		return fmt.Errorf("SecurityToken missing or wrong")
	}
	if all["SignatureNonce"] == "" || all["Action"] == "" {
		return fmt.Errorf("no SignatureNonce or Action")
	}
	if _, err := time.Parse("2006-01-02T15:04:05Z", all["Timestamp"]); err != nil {
		return fmt.Errorf("Timestamp %q", all["Timestamp"])
	}
	sts := r.Method + "&%2F&" + enc(canon(all))
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(sts))
	if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); sig != want {
		return fmt.Errorf("RPC signature %s, want %s", sig, want)
	}
	return nil
}

// testConfig is a config for tests: no rate limit, tiny backoff.
func testConfig(server string) Config {
	return Config{
		Server:      server,
		Credentials: Credentials{AccessKeyID: testKeyID, AccessKeySecret: testSecret},
		WriteRPS:    -1,
		ReadRPS:     -1,
		Retry:       RetryPolicy{BaseDelay: time.Microsecond, MaxDelay: 10 * time.Microsecond},
		UserAgent:   "permsync/test",
	}
}

func newTestClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	c.clock = func() time.Time { return testClock }
	return c
}

// recordSleeps replaces the client's retry wait: it records the delays
// and does not wait.
func recordSleeps(c *Client) *[]time.Duration {
	var mu sync.Mutex
	var ds []time.Duration
	c.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		ds = append(ds, d)
		mu.Unlock()
		return ctx.Err()
	}
	return &ds
}

// writeJSON writes v as the answer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// okResult is a success envelope around a raw JSON Result.
func okResult(result string) string {
	return `{"RequestId":"D787E1A3-A93C-424A-B626-C2B05DF8D885","Success":true,"Result":` + result + `}`
}

func writeRaw(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.Copy(w, bytes.NewBufferString(body))
}

// apiErr is a failure envelope.
func apiErr(code, msg string) map[string]any {
	return map[string]any{"RequestId": "REQ-1", "HostId": "quickbi-public.aliyuncs.com", "Code": code, "Message": msg, "Recommend": "https://api.aliyun.com/troubleshoot?q=" + code}
}
