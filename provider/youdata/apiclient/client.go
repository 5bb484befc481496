package apiclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Defaults of Config.
const (
	DefaultTimeout          = 30 * time.Second
	DefaultMaxResponseBytes = 32 << 20
	DefaultRPS              = 10
	DefaultConcurrency      = 4
	DefaultUserAgent        = "permsync/dev"
	DefaultPageSize         = 100
)

// Config configures a Client. The zero value of every field but Server and
// Credentials picks a sensible default.
type Config struct {
	// Server is the base URL, e.g. https://youdata.example.com (a trailing
	// /api/dash is accepted and ignored).
	Server      string
	Credentials Credentials
	// HTTPClient, when set, is used as is (its transport, TLS settings and
	// redirect policy); InsecureSkipTLSVerify must then be false. By
	// default the client uses its own transport and follows no redirect
	// (a redirect would carry the token elsewhere).
	HTTPClient *http.Client
	// Timeout bounds each HTTP exchange (default 30s).
	Timeout time.Duration
	// MaxResponseBytes caps a response body (default 32 MiB).
	MaxResponseBytes int64
	// RPS is the request rate limit (default 10/s); negative: unlimited.
	RPS float64
	// Burst of the rate limiter (default: RPS rounded up, at least 1).
	Burst int
	// Concurrency is the number of requests in flight (default 4).
	Concurrency int
	// Retry bounds retries of retryable errors.
	Retry RetryPolicy
	// InsecureSkipTLSVerify turns TLS certificate verification off, with a
	// warning through Logf.
	InsecureSkipTLSVerify bool
	// UserAgent defaults to permsync/dev.
	UserAgent string
	// Debug, when set, receives one line per HTTP exchange (method, path,
	// status, duration, bytes) and the request body, secrets redacted.
	Debug io.Writer
	// Logf receives warnings and retry notices, secrets redacted.
	Logf func(format string, args ...any)
	// Observe, when set, is told of every HTTP attempt as it ends (see
	// CallInfo; it holds no secret). It must be safe for concurrent use
	// and quick: it runs on the caller's goroutine.
	Observe func(CallInfo)
}

// RetryPolicy bounds retries: exponential backoff with full jitter, at most
// MaxAttempts attempts, and no retry that would end more than MaxElapsed
// after the first failure. Time spent waiting for the client's own rate
// limit and concurrency bound before the first attempt does not count, so
// a call queued behind many others keeps its retries.
type RetryPolicy struct {
	MaxAttempts int           // default 4; 1 disables retries
	MaxElapsed  time.Duration // default 30s, from the first failure
	BaseDelay   time.Duration // default 250ms
	MaxDelay    time.Duration // default 5s
	// MaxRetryAfter is the longest Retry-After the client waits for
	// (default MaxElapsed). A server asking for longer, or for more than
	// the budget left, ends the call at once with a RetryAfterError: a
	// retry before the time it gave would only be refused again.
	MaxRetryAfter time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 4
	}
	if p.MaxElapsed <= 0 {
		p.MaxElapsed = 30 * time.Second
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 250 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 5 * time.Second
	}
	if p.MaxDelay < p.BaseDelay {
		p.MaxDelay = p.BaseDelay
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = p.MaxElapsed
	}
	return p
}

// Client is a Youdata open API client. It is safe for concurrent use.
type Client struct {
	base      string // scheme://host[:port][/prefix], no trailing slash
	creds     Credentials
	hc        *http.Client
	timeout   time.Duration
	maxBytes  int64
	limiter   *rate.Limiter
	sem       chan struct{}
	retry     RetryPolicy
	userAgent string
	logf      func(format string, args ...any)
	observe   func(CallInfo)

	debugMu sync.Mutex
	debug   io.Writer

	// tokenLock serialises token generation (a channel so waiting honours
	// the context); token and tokenGen are guarded by it.
	tokenLock chan struct{}
	token     string
	tokenGen  int
	// authErr is the server's definitive refusal of the credentials: once
	// refused, they are not offered again in this run, so a wrong
	// password costs one login attempt, not one per waiting call.
	authErr error

	secretsMu sync.Mutex
	secrets   []string
	// scrubber replaces every form of every secret in one pass.
	scrubber *strings.Replacer

	// sleep waits between retries and now reads the clock of the retry
	// budget; tests replace them.
	sleep func(ctx context.Context, d time.Duration) error
	now   func() time.Time
}

var _ API = (*Client)(nil)

// New makes a Client. It does no I/O: the token is obtained on first use.
func New(cfg Config) (*Client, error) {
	base, err := normaliseServer(cfg.Server)
	if err != nil {
		return nil, err
	}
	if err := cfg.Credentials.Validate(); err != nil {
		return nil, err
	}
	c := &Client{
		base:      base,
		creds:     cfg.Credentials,
		timeout:   cfg.Timeout,
		maxBytes:  cfg.MaxResponseBytes,
		retry:     cfg.Retry.withDefaults(),
		userAgent: cfg.UserAgent,
		debug:     cfg.Debug,
		observe:   cfg.Observe,
		tokenLock: make(chan struct{}, 1),
		sleep:     sleepCtx,
		now:       time.Now,
	}
	c.logf = func(string, ...any) {}
	if cfg.Logf != nil {
		logf := cfg.Logf
		c.logf = func(format string, args ...any) { logf("%s", c.scrub(fmt.Sprintf(format, args...))) }
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxBytes <= 0 {
		c.maxBytes = DefaultMaxResponseBytes
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	rps := cfg.RPS
	if rps == 0 {
		rps = DefaultRPS
	}
	if rps < 0 {
		c.limiter = rate.NewLimiter(rate.Inf, 1)
	} else {
		burst := cfg.Burst
		if burst <= 0 {
			burst = max(1, int(rps+0.999))
		}
		c.limiter = rate.NewLimiter(rate.Limit(rps), burst)
	}
	conc := cfg.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	c.sem = make(chan struct{}, conc)
	c.addSecret(cfg.Credentials.Token, cfg.Credentials.TokenKey, cfg.Credentials.Password)
	if cfg.Credentials.Kind() == "token" {
		c.token = cfg.Credentials.Token
		c.tokenGen = 1
	}

	if cfg.HTTPClient != nil {
		if cfg.InsecureSkipTLSVerify {
			return nil, errors.New("apiclient: InsecureSkipTLSVerify cannot be combined with a custom HTTPClient")
		}
		c.hc = cfg.HTTPClient
	} else {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		tr.MaxIdleConnsPerHost = conc
		if cfg.InsecureSkipTLSVerify {
			tr.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // asked for by the user, with a warning
			c.logf("warning: TLS certificate verification is OFF (--insecure-skip-tls-verify): the server's identity is not checked and the token can be intercepted")
		}
		c.hc = &http.Client{
			Transport: tr,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	}
	return c, nil
}

// NormalizeServer checks a server URL and gives the form the client uses:
// no trailing slash, no /api/dash suffix, no query.
func NormalizeServer(s string) (string, error) { return normaliseServer(s) }

// Server is the server's base URL, normalised.
func (c *Client) Server() string { return c.base }

func normaliseServer(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("apiclient: no server (--server or PERMSYNC_SERVER)")
	}
	u, err := url.Parse(s)
	// A URL with user information is never quoted: it may hold a password.
	if err == nil && u.User != nil {
		return "", errors.New("apiclient: the server URL must not hold credentials: give the token or password through the environment (PERMSYNC_TOKEN, PERMSYNC_TOKEN_KEY, or PERMSYNC_EMAIL and PERMSYNC_PASSWORD)")
	}
	if err != nil && strings.Contains(s, "@") {
		return "", errors.New("apiclient: the server URL is not a valid URL (not shown: it may hold a password)")
	}
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("apiclient: server %q is not an http(s) URL", s)
	}
	u.RawQuery, u.Fragment = "", ""
	p := strings.TrimRight(u.Path, "/")
	p = strings.TrimSuffix(p, "/api/dash")
	u.Path, u.RawPath = p, ""
	return strings.TrimRight(u.String(), "/"), nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// endpoint is one API call: its path under /api/dash/, HTTP method, and
// whether a retryable failure may be retried (see idempotency in
// endpoints.go).
type endpoint struct {
	path   string
	method string
	auth   bool // the request carries the client's token
	retry  bool
	// lenient accepts an answer without "code" as success: the document
	// shows such answers for these endpoints (systemRole/add, systemRole/list,
	// role/folder/add).
	lenient bool
}

// write reports whether the endpoint changes the server (systemRole/list
// and util/genToken are POSTs that do not).
func (ep endpoint) write() bool {
	return ep.method != http.MethodGet && ep != epSystemRoleList && ep != epGenToken
}

// mayRetry reports whether a failed call of ep is made again: the error
// must be retryable and the endpoint idempotent, and a write is not
// retried while its first request may still be running on the server.
func mayRetry(ep endpoint, err error) bool {
	return ep.retry && IsRetryable(err) && !(ep.write() && mayStillRun(err))
}

// mayStillRun reports whether a failed request may still be running on
// the server: the client stopped waiting for it (timeout), or a gateway
// did (HTTP 504). Sending a write again then runs two copies at once, and
// an upsert by name (importDataPermissions, which also creates a missing
// folder) can create the same object twice.
func mayStillRun(err error) bool {
	var te *TransportError
	if errors.As(err, &te) && te.Timeout {
		return true
	}
	var ae *APIError
	return errors.As(err, &ae) && ae.HTTPStatus == http.StatusGatewayTimeout
}

// call runs one endpoint with retries and one transparent token renewal,
// and decodes the result into out (when out is not nil).
func (c *Client) call(ctx context.Context, ep endpoint, query url.Values, body any, out any) error {
	var payload []byte
	if body != nil {
		var err error
		payload, err = json.Marshal(body)
		if err != nil {
			return fmt.Errorf("youdata %s: encoding the request: %w", ep.path, err)
		}
	}
	var firstFailure time.Time
	renewed := false
	for attempt := 1; ; attempt++ {
		tok, gen := "", 0
		if ep.auth {
			var err error
			if tok, gen, err = c.currentToken(ctx); err != nil {
				return err
			}
		}
		t0 := time.Now()
		raw, err := c.exchange(ctx, ep, query, payload, tok)
		if c.observe != nil {
			c.observe(CallInfo{Endpoint: ep.path, Method: ep.method, Result: ResultClass(err), Duration: time.Since(t0), Attempt: attempt})
		}
		if err == nil {
			if out == nil {
				return nil
			}
			if err := json.Unmarshal(raw, out); err != nil {
				return &ResponseError{Endpoint: ep.path, HTTPStatus: http.StatusOK, Reason: "unexpected result: " + c.scrub(err.Error())}
			}
			return nil
		}
		if ep.auth && isTokenInvalid(err) {
			if !c.creds.renewable() {
				return fmt.Errorf("youdata %s: %w; a fixed token (PERMSYNC_TOKEN) cannot be renewed, get a new one or use PERMSYNC_TOKEN_KEY: %w", ep.path, ErrTokenExpired, err)
			}
			if renewed {
				return fmt.Errorf("youdata %s: %w even after renewing it: %w", ep.path, ErrTokenExpired, err)
			}
			renewed = true
			c.logf("youdata %s: token invalid or expired, renewing it", ep.path)
			if rerr := c.renewToken(ctx, gen); rerr != nil {
				return fmt.Errorf("youdata %s: renewing the token: %w", ep.path, rerr)
			}
			attempt-- // a renewal is not a failed attempt
			continue
		}
		if !mayRetry(ep, err) || ctx.Err() != nil {
			return c.finalErr(ep, err, attempt)
		}
		if attempt >= c.retry.MaxAttempts {
			return fmt.Errorf("giving up after %d attempts: %w", attempt, err)
		}
		if firstFailure.IsZero() {
			firstFailure = c.now()
		}
		spent := c.now().Sub(firstFailure)
		if ra := retryAfter(err); ra > 0 {
			// The server said when to come back: sooner is refused again,
			// and a wait beyond the budget ends the call now, saying so.
			left := c.retry.MaxElapsed - spent
			allowed, byBudget := min(left, c.retry.MaxRetryAfter), left <= c.retry.MaxRetryAfter
			if ra > allowed {
				return &RetryAfterError{Endpoint: ep.path, RetryAfter: ra, Allowed: max(allowed, 0), Budget: c.retry.MaxElapsed, ByBudget: byBudget, Attempts: attempt, Err: err}
			}
		}
		delay := c.backoff(attempt, err)
		if spent+delay > c.retry.MaxElapsed {
			return fmt.Errorf("giving up after %d attempts (retry budget of %s spent): %w", attempt, c.retry.MaxElapsed, err)
		}
		c.logf("youdata %s: attempt %d failed, retrying in %s: %v", ep.path, attempt, delay.Round(time.Millisecond), err)
		if serr := c.sleep(ctx, delay); serr != nil {
			return fmt.Errorf("youdata %s: %w (while waiting to retry after: %w)", ep.path, serr, err)
		}
	}
}

// finalErr notes when a failed write may nevertheless have been applied:
// a retryable failure that was not retried (the server may have applied
// it, but for an HTTP 429, which refuses the request), or a failure after
// a retry (a retried delete may answer "not found").
func (c *Client) finalErr(ep endpoint, err error, attempt int) error {
	if !ep.write() {
		return err
	}
	var ae *APIError
	refused := errors.As(err, &ae) && ae.HTTPStatus == http.StatusTooManyRequests
	switch {
	case IsRetryable(err) && !refused && !mayRetry(ep, err):
		why := "it may still be running on the server"
		if !ep.retry {
			why = "the call is not idempotent"
		}
		return fmt.Errorf("%w (not retried: %s; the server may have applied it, plan again to see)", err, why)
	case attempt > 1:
		return fmt.Errorf("%w (attempt %d; an earlier attempt may have been applied)", err, attempt)
	}
	return err
}

// backoff is exponential backoff with full jitter, raised to the server's
// Retry-After when it gave one (call has checked it is within the policy).
func (c *Client) backoff(attempt int, err error) time.Duration {
	ceil := c.retry.BaseDelay << min(attempt-1, 30)
	if ceil > c.retry.MaxDelay || ceil <= 0 {
		ceil = c.retry.MaxDelay
	}
	d := time.Duration(rand.Int64N(int64(ceil) + 1))
	if ra := retryAfter(err); ra > 0 {
		d = max(d, ra)
	}
	return d
}

// exchange does one HTTP exchange under the rate limit and the concurrency
// bound and returns the envelope's result.
func (c *Client) exchange(ctx context.Context, ep endpoint, query url.Values, payload []byte, tok string) (json.RawMessage, error) {
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	var body []byte
	switch ep.method {
	case http.MethodGet:
		if tok != "" {
			q.Set("token", tok)
		}
	case http.MethodDelete:
		// project/del: the document lists token and projectId as
		// parameters and shows them as a JSON body. Servers often ignore a
		// DELETE body, so both go in the query string and in the body.
		if tok != "" {
			q.Set("token", tok)
		}
		body = withToken(payload, tok)
	default:
		body = withToken(payload, tok)
	}
	u := c.base + "/api/dash/" + ep.path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}

	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, c.transportErr(ctx, ep, ctx.Err())
	}
	defer func() { <-c.sem }()
	if err := c.limiter.Wait(ctx); err != nil {
		// The context ended, or its deadline comes before the rate limit
		// lets the request go: either way a retry cannot help.
		te := c.transportErr(ctx, ep, err)
		te.Canceled = true
		return nil, te
	}

	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rb io.Reader
	if body != nil {
		rb = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(rctx, ep.method, u, rb)
	if err != nil {
		return nil, &TransportError{Endpoint: ep.path, Method: ep.method, msg: "building the request: " + c.scrub(err.Error())}
	}
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	t0 := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		terr := c.transportErr(ctx, ep, err)
		c.trace(ep, u, body, 0, time.Since(t0), 0, terr)
		return nil, terr
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBytes+1))
	if err != nil {
		terr := c.transportErr(ctx, ep, fmt.Errorf("reading the answer (HTTP %d) after %d bytes: %w", resp.StatusCode, len(data), err))
		c.trace(ep, u, body, resp.StatusCode, time.Since(t0), len(data), terr)
		return nil, terr
	}
	if int64(len(data)) > c.maxBytes {
		rerr := &ResponseError{Endpoint: ep.path, HTTPStatus: resp.StatusCode, Reason: fmt.Sprintf("answer larger than the %d-byte cap", c.maxBytes)}
		c.trace(ep, u, body, resp.StatusCode, time.Since(t0), len(data), rerr)
		return nil, rerr
	}
	c.trace(ep, u, body, resp.StatusCode, time.Since(t0), len(data), nil)
	return c.decodeEnvelope(ep, resp, data)
}

// withToken adds "token" to a JSON object body.
func withToken(payload []byte, tok string) []byte {
	if tok == "" {
		if payload == nil {
			return []byte("{}")
		}
		return payload
	}
	qt, _ := json.Marshal(tok)
	var b bytes.Buffer
	b.WriteString(`{"token":`)
	b.Write(qt)
	rest := bytes.TrimSpace(payload)
	if len(rest) > 2 { // more than "{}"
		b.WriteByte(',')
		b.Write(rest[1:])
	} else {
		b.WriteByte('}')
	}
	return b.Bytes()
}

func (c *Client) transportErr(ctx context.Context, ep endpoint, err error) *TransportError {
	inner := err
	var ue *url.Error
	if errors.As(err, &ue) {
		inner = ue.Err // the url.Error's text holds the URL, and so the token
	}
	te := &TransportError{Endpoint: ep.path, Method: ep.method, err: inner}
	if ctx.Err() != nil {
		te.Canceled = true
		te.msg = c.scrub(fmt.Sprintf("%v (%v)", ctx.Err(), inner))
		return te
	}
	var ne net.Error
	if errors.Is(inner, context.DeadlineExceeded) || (errors.As(inner, &ne) && ne.Timeout()) {
		te.Timeout = true
		te.msg = fmt.Sprintf("no answer within %s: %s", c.timeout, c.scrub(inner.Error()))
		return te
	}
	var certErr *tls.CertificateVerificationError
	var hostErr x509.HostnameError
	var authErr x509.UnknownAuthorityError
	var invalidErr x509.CertificateInvalidError
	var recErr tls.RecordHeaderError
	if errors.As(inner, &certErr) || errors.As(inner, &hostErr) || errors.As(inner, &authErr) ||
		errors.As(inner, &invalidErr) || errors.As(inner, &recErr) {
		te.Permanent = true
	}
	te.msg = c.scrub(inner.Error())
	return te
}

type rawEnvelope struct {
	Code    *int            `json:"code"`
	Result  json.RawMessage `json:"result"`
	Message string          `json:"message"`
	LogPath string          `json:"logPath"`
}

// decodeEnvelope turns an answer into its result or an error.
func (c *Client) decodeEnvelope(ep endpoint, resp *http.Response, data []byte) (json.RawMessage, error) {
	status := resp.StatusCode
	trimmed := bytes.TrimSpace(data)
	if status < 200 || status > 299 {
		ae := &APIError{HTTPStatus: status, Endpoint: ep.path}
		var env rawEnvelope
		if json.Unmarshal(trimmed, &env) == nil && (env.Code != nil || env.Message != "") {
			if env.Code != nil {
				ae.Code = *env.Code
			}
			ae.Message, ae.LogPath = c.scrub(env.Message), env.LogPath
		} else if len(trimmed) > 0 {
			ae.Message = c.scrub(snippet(trimmed))
		}
		if loc := resp.Header.Get("Location"); status >= 300 && status < 400 && loc != "" {
			ae.Message = strings.TrimSpace(ae.Message + " (redirect not followed)")
		}
		if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
			ae.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		}
		return nil, ae
	}
	if len(trimmed) == 0 {
		return nil, &ResponseError{Endpoint: ep.path, HTTPStatus: status, Reason: "empty body"}
	}
	if !json.Valid(trimmed) {
		reason := "not JSON: " + c.scrub(snippet(trimmed))
		if trimmed[0] == '{' || trimmed[0] == '[' {
			reason = fmt.Sprintf("truncated or malformed JSON (%d bytes): %s", len(trimmed), c.scrub(snippet(trimmed)))
		}
		return nil, &ResponseError{Endpoint: ep.path, HTTPStatus: status, Reason: reason}
	}
	if trimmed[0] == '[' && ep.lenient {
		return trimmed, nil // systemRole/list as documented: a bare array
	}
	var env rawEnvelope
	if err := json.Unmarshal(trimmed, &env); err != nil {
		return nil, &ResponseError{Endpoint: ep.path, HTTPStatus: status, Reason: "not an envelope: " + c.scrub(snippet(trimmed))}
	}
	if env.Code == nil {
		if env.Message != "" {
			return nil, &APIError{HTTPStatus: status, Endpoint: ep.path, Message: c.scrub(env.Message), LogPath: env.LogPath}
		}
		if !ep.lenient {
			return nil, &ResponseError{Endpoint: ep.path, HTTPStatus: status, Reason: "answer without a code: " + c.scrub(snippet(trimmed))}
		}
		if env.Result == nil {
			return trimmed, nil // role/folder/add as documented: {"id": ...}
		}
		return env.Result, nil
	}
	if *env.Code != 200 {
		return nil, &APIError{HTTPStatus: status, Code: *env.Code, Message: c.scrub(env.Message), Endpoint: ep.path, LogPath: env.LogPath}
	}
	if env.Result == nil {
		return json.RawMessage("null"), nil
	}
	return env.Result, nil
}

// snippet is the start of a body, for error messages.
func snippet(b []byte) string {
	const n = 200
	s := strings.ToValidUTF8(string(b), "?")
	if len(s) > n {
		s = s[:n]
		s = strings.ToValidUTF8(s, "") + "..."
	}
	return strings.Join(strings.Fields(s), " ")
}
