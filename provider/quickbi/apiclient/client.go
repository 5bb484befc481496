package apiclient

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/permsync/permsync/internal/textsafe"
)

// Defaults of Config.
const (
	// DefaultTimeout bounds one HTTP exchange: above the 10 s after which
	// the gateway itself gives up on an action.
	DefaultTimeout          = 20 * time.Second
	DefaultMaxResponseBytes = 32 << 20
	// DefaultWriteRPS and DefaultReadRPS are the per-action rate limits:
	// Quick BI allows 50 requests/s per API; older editions of its guide
	// listed 30/s for the reads, so reads stay under that.
	DefaultWriteRPS    = 50
	DefaultReadRPS     = 30
	DefaultConcurrency = 8
	DefaultUserAgent   = "permsync/dev"
	// DefaultEndpoint is the central endpoint, used when neither a server
	// nor a region is given (the SDK's default too).
	DefaultEndpoint = "https://quickbi-public.aliyuncs.com"
	// MaxPageSize is the largest PageSize of the paged reads.
	MaxPageSize = 1000
)

// Config configures a Client. The zero value of every field but
// Credentials picks a sensible default.
type Config struct {
	// Server is the endpoint's URL, e.g. a VPC endpoint
	// https://quickbi-public-vpc.cn-hangzhou.aliyuncs.com or a simulator's
	// http://127.0.0.1:8080. Give Server or Region, not both.
	Server string
	// Region picks https://quickbi-public.<Region>.aliyuncs.com, e.g.
	// cn-hangzhou. With neither Server nor Region the client uses
	// DefaultEndpoint.
	Region      string
	Credentials Credentials
	// SignatureAlgorithm is SignatureV3 (default) or SignatureRPC.
	SignatureAlgorithm string
	// HTTPClient, when set, is used as is (its transport, TLS settings and
	// redirect policy); InsecureSkipTLSVerify must then be false. By
	// default the client uses its own transport (TLS 1.2 or later) and
	// follows no redirect.
	HTTPClient *http.Client
	// Timeout bounds each HTTP exchange (default DefaultTimeout).
	Timeout time.Duration
	// MaxResponseBytes caps a response body (default 32 MiB).
	MaxResponseBytes int64
	// WriteRPS and ReadRPS limit the requests per second of each action
	// (Quick BI counts per API): writes default to 50/s, reads to 30/s;
	// negative: unlimited. Alibaba Cloud counts the account's AccessKeys
	// and RAM users together, so runs in parallel share the server's
	// allowance.
	WriteRPS float64
	ReadRPS  float64
	// Burst of each action's rate limiter (default 1: requests evenly
	// spaced, so no one-second window holds more than the rate).
	Burst int
	// Concurrency is the number of requests in flight (default 8).
	Concurrency int
	// Retry bounds retries of retryable errors.
	Retry RetryPolicy
	// InsecureSkipTLSVerify turns TLS certificate verification off, with a
	// warning through Logf.
	InsecureSkipTLSVerify bool
	// UserAgent defaults to permsync/dev.
	UserAgent string
	// Debug, when set, receives one line per HTTP exchange (method,
	// action, status, duration, bytes) and the request's parameters. It
	// never shows the AccessKey secret, the security token, a signature,
	// the Authorization header or an embed ticket; the AccessKeyId only
	// redacted.
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
// limit and concurrency bound before the first attempt does not count.
type RetryPolicy struct {
	MaxAttempts int           // default 5; 1 disables retries
	MaxElapsed  time.Duration // default 30s, from the first failure
	BaseDelay   time.Duration // default 200ms
	MaxDelay    time.Duration // default 5s
	// MaxRetryAfter is the longest wait a throttled answer may ask for
	// (its TimeLeft; default MaxElapsed). A server asking for longer, or
	// for more than the budget left, ends the call at once with a
	// RetryAfterError.
	MaxRetryAfter time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 5
	}
	if p.MaxElapsed <= 0 {
		p.MaxElapsed = 30 * time.Second
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 200 * time.Millisecond
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

// Client is a Quick BI OpenAPI (quickbi-public 2022-01-01) client: RPC
// style requests to "/", signed, rate-limited per action, retried when
// that is safe. It is safe for concurrent use.
type Client struct {
	base      string // scheme://host[:port]
	host      string // host[:port], the signed host header
	creds     Credentials
	algorithm string
	hc        *http.Client
	timeout   time.Duration
	maxBytes  int64
	sem       chan struct{}
	retry     RetryPolicy
	userAgent string
	logf      func(format string, args ...any)
	observe   func(CallInfo)

	writeRPS, readRPS float64
	burst             int
	limMu             sync.Mutex
	limiters          map[string]*rate.Limiter

	debugMu sync.Mutex
	debug   io.Writer

	// scrubber replaces every form of the credentials in one pass.
	scrubber *strings.Replacer

	// sleep waits between retries and now reads the clock of the retry
	// budget; clock dates requests and nonce makes their nonces. Tests
	// replace them.
	sleep func(ctx context.Context, d time.Duration) error
	now   func() time.Time
	clock func() time.Time
	nonce func() string
}

var _ API = (*Client)(nil)

// New makes a Client. It does no I/O.
func New(cfg Config) (*Client, error) {
	base, err := NormalizeEndpoint(cfg.Server, cfg.Region)
	if err != nil {
		return nil, err
	}
	if err := cfg.Credentials.Validate(); err != nil {
		return nil, err
	}
	algorithm := cfg.SignatureAlgorithm
	switch algorithm {
	case "", "v3", SignatureV3:
		algorithm = SignatureV3
	case "rpc", "v2", SignatureRPC:
		// "v2" is what the Alibaba Cloud runtime calls the RPC signature.
		algorithm = SignatureRPC
	default:
		return nil, fmt.Errorf("apiclient: signature algorithm %q is neither %s nor %s", algorithm, SignatureV3, SignatureRPC)
	}
	u, _ := url.Parse(base)
	c := &Client{
		base:      base,
		host:      u.Host,
		creds:     cfg.Credentials,
		algorithm: algorithm,
		timeout:   cfg.Timeout,
		maxBytes:  cfg.MaxResponseBytes,
		retry:     cfg.Retry.withDefaults(),
		userAgent: cfg.UserAgent,
		debug:     cfg.Debug,
		observe:   cfg.Observe,
		writeRPS:  cfg.WriteRPS,
		readRPS:   cfg.ReadRPS,
		burst:     cfg.Burst,
		limiters:  map[string]*rate.Limiter{},
		sleep:     sleepCtx,
		now:       time.Now,
		clock:     time.Now,
		nonce:     randomNonce,
	}
	c.scrubber = newScrubber(cfg.Credentials)
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
	if c.writeRPS == 0 {
		c.writeRPS = DefaultWriteRPS
	}
	if c.readRPS == 0 {
		c.readRPS = DefaultReadRPS
	}
	if c.burst <= 0 {
		c.burst = 1
	}
	conc := cfg.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	c.sem = make(chan struct{}, conc)

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
			c.logf("warning: TLS certificate verification is OFF (--insecure-skip-tls-verify): the server's identity is not checked")
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

// Endpoint is the base URL the client sends to.
func (c *Client) Endpoint() string { return c.base }

// SignatureAlgorithm is SignatureV3 or SignatureRPC.
func (c *Client) SignatureAlgorithm() string { return c.algorithm }

var regionRE = regexp.MustCompile(`^[a-z]{2,}(-[a-z0-9]+)+$`)

// NormalizeEndpoint checks --server and --region and gives the base URL
// the client uses: the server URL without a trailing slash; or
// https://quickbi-public.<region>.aliyuncs.com; or DefaultEndpoint when
// both are empty.
func NormalizeEndpoint(server, region string) (string, error) {
	server, region = strings.TrimSpace(server), strings.TrimSpace(region)
	switch {
	case server != "" && region != "":
		return "", errors.New("apiclient: give a server (--server) or a region (--region), not both")
	case region != "":
		if !regionRE.MatchString(region) {
			return "", fmt.Errorf("apiclient: region %q is not a region id such as cn-hangzhou or ap-southeast-1", region)
		}
		return "https://quickbi-public." + region + ".aliyuncs.com", nil
	case server == "":
		return DefaultEndpoint, nil
	}
	u, err := url.Parse(server)
	// A URL with user information is never quoted: it may hold a secret.
	if err == nil && u.User != nil {
		return "", errors.New("apiclient: the server URL must not hold credentials: give the AccessKey through PERMSYNC_ACCESS_KEY_ID and PERMSYNC_ACCESS_KEY_SECRET")
	}
	if err != nil && strings.Contains(server, "@") {
		return "", errors.New("apiclient: the server URL is not a valid URL (not shown: it may hold a secret)")
	}
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("apiclient: server %q is not an http(s) URL", server)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return "", fmt.Errorf("apiclient: server %q must have no query or fragment", server)
	}
	if p := strings.TrimRight(u.Path, "/"); p != "" {
		return "", fmt.Errorf("apiclient: server %q must have no path: Quick BI's API is served at /", server)
	}
	return u.Scheme + "://" + u.Host, nil
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

func randomNonce() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand does not fail on supported platforms; a time-based
		// nonce is still unique per request.
		return fmt.Sprintf("%032x", time.Now().UnixNano())
	}
	return hex.EncodeToString(b[:])
}

// action is one Quick BI action and how it may be retried (see the table in
// actions.go).
type action struct {
	name string
	get  bool // GET; POST otherwise
	// write: the action changes the server.
	write bool
	// idempotent: repeating the write leaves the same state, so a
	// retryable failure may be retried.
	idempotent bool
}

func (a action) method() string {
	if a.get {
		return http.MethodGet
	}
	return http.MethodPost
}

// request is one call's business parameters.
type request struct {
	query map[string]string
	// form goes in an application/x-www-form-urlencoded body (AddUser's
	// RoleIds only).
	form map[string]string
	// idempotent overrides the action's, for this call (CreateUserGroup
	// with a caller-chosen id, SetDataLevelPermissionRuleConfig with a
	// rule id).
	idempotent *bool
}

// envelope is a success answer.
type envelope struct {
	RequestID string
	Result    json.RawMessage
}

// sensitiveParams are business parameters whose values are bearer
// secrets: never shown in Debug output, scrubbed from errors.
var sensitiveParams = map[string]bool{"Ticket": true}

func (r request) sensitiveValues() []string {
	var out []string
	for _, m := range []map[string]string{r.query, r.form} {
		for k, v := range m {
			if sensitiveParams[k] && v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

// limiter is the rate limiter of an action.
func (c *Client) limiter(a action) *rate.Limiter {
	c.limMu.Lock()
	defer c.limMu.Unlock()
	l := c.limiters[a.name]
	if l == nil {
		rps := c.readRPS
		if a.write {
			rps = c.writeRPS
		}
		if rps < 0 {
			l = rate.NewLimiter(rate.Inf, 1)
		} else {
			l = rate.NewLimiter(rate.Limit(rps), c.burst)
		}
		c.limiters[a.name] = l
	}
	return l
}

// mayRetry reports whether a failed call is made again: the error must be
// retryable, and either the request surely was not carried out (a
// throttling refusal, a connection never made) or repeating it is safe: a
// read, or an idempotent write whose first request is not still running
// on the server.
func mayRetry(a action, idempotent bool, err error) bool {
	if !IsRetryable(err) {
		return false
	}
	if notCarriedOut(err) || !a.write {
		return true
	}
	return idempotent && !mayStillRun(err)
}

// notCarriedOut reports whether a failed request surely changed nothing:
// the server refused it for flow control, or it never reached the server.
func notCarriedOut(err error) bool {
	var te *TransportError
	if errors.As(err, &te) && te.NotSent {
		return true
	}
	return IsThrottled(err)
}

// mayStillRun reports whether a failed request may still be running on
// the server: the client stopped waiting for it (timeout), or a gateway did
// (HTTP 504). Sending a write again would run two copies at once.
func mayStillRun(err error) bool {
	var te *TransportError
	if errors.As(err, &te) && te.Timeout {
		return true
	}
	var ae *APIError
	return errors.As(err, &ae) && ae.HTTPStatus == http.StatusGatewayTimeout
}

// call runs one action with retries and returns its success envelope.
func (c *Client) call(ctx context.Context, a action, r request) (*envelope, error) {
	idempotent := a.idempotent
	if r.idempotent != nil {
		idempotent = *r.idempotent
	}
	var firstFailure time.Time
	// earlier: an earlier attempt failed in a way that may have been
	// carried out (not a throttling refusal, not a connection never made).
	earlier := false
	for attempt := 1; ; attempt++ {
		t0 := time.Now()
		env, status, err := c.exchange(ctx, a, r)
		if c.observe != nil {
			c.observe(CallInfo{Action: a.name, Method: a.method(), Result: ResultClass(err), HTTPStatus: status, Duration: time.Since(t0), Attempt: attempt})
		}
		if err == nil {
			return env, nil
		}
		if !mayRetry(a, idempotent, err) || ctx.Err() != nil {
			return nil, c.finalErr(a, idempotent, err, earlier)
		}
		if attempt >= c.retry.MaxAttempts {
			return nil, c.finalErr(a, idempotent, fmt.Errorf("giving up after %d attempts: %w", attempt, err), earlier || !notCarriedOut(err))
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
				return nil, &RetryAfterError{Action: a.name, RetryAfter: ra, Allowed: max(allowed, 0), Budget: c.retry.MaxElapsed, ByBudget: byBudget, Attempts: attempt, Err: err}
			}
		}
		delay := c.backoff(attempt, err)
		if spent+delay > c.retry.MaxElapsed {
			return nil, c.finalErr(a, idempotent, fmt.Errorf("giving up after %d attempts (retry budget of %s spent): %w", attempt, c.retry.MaxElapsed, err), earlier || !notCarriedOut(err))
		}
		earlier = earlier || !notCarriedOut(err)
		c.logf("quickbi %s: attempt %d failed, retrying in %s: %v", a.name, attempt, delay.Round(time.Millisecond), err)
		if serr := c.sleep(ctx, delay); serr != nil {
			return nil, fmt.Errorf("quickbi %s: %w (while waiting to retry after: %w)", a.name, serr, err)
		}
	}
}

// finalErr notes when a failed write may nevertheless have been applied:
// a retryable failure that was not retried (but for one that surely was
// not carried out), or a failure after an attempt that may have been
// carried out (a retried delete may answer "not found", a retried
// CreateUserGroup Duplicate.UserGroup.Id).
func (c *Client) finalErr(a action, idempotent bool, err error, earlier bool) error {
	if !a.write {
		return err
	}
	switch {
	case IsRetryable(err) && !notCarriedOut(err) && !mayRetry(a, idempotent, err):
		why := "it may still be running on the server"
		if !idempotent {
			why = "the call is not idempotent"
		}
		return fmt.Errorf("%w (not retried: %s; the server may have applied it, plan again to see)", err, why)
	case earlier:
		return fmt.Errorf("%w (after a retry: an earlier attempt may have been applied)", err)
	}
	return err
}

// backoff is exponential backoff with full jitter, raised to the wait the
// server asked for (call has checked it is within the policy).
func (c *Client) backoff(attempt int, err error) time.Duration {
	ceil := c.retry.BaseDelay << min(attempt-1, 30)
	if ceil > c.retry.MaxDelay || ceil <= 0 {
		ceil = c.retry.MaxDelay
	}
	d := time.Duration(mrand.Int64N(int64(ceil) + 1))
	if ra := retryAfter(err); ra > 0 {
		d = max(d, ra)
	}
	return d
}

func retryAfter(err error) time.Duration {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.RetryAfter
	}
	return 0
}

// signed is a request ready to send.
type signed struct {
	rawQuery string
	body     []byte
	headers  http.Header
	// signature, to be scrubbed from anything the exchange reports.
	signature string
}

// sign places and signs a request. With V3 the query holds the business
// parameters only and the facts travel in x-acs-* headers; with the RPC
// signature the query holds the common parameters too, and Signature.
// Either way a form body (AddUser's RoleIds) is
// application/x-www-form-urlencoded.
func (c *Client) sign(a action, r request) signed {
	method := a.method()
	date := c.clock().UTC().Format(timeFormat)
	nonce := c.nonce()
	var s signed
	if len(r.form) > 0 {
		s.body = []byte(canonicalQuery(r.form))
	}
	s.headers = http.Header{}
	if s.body != nil {
		s.headers.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	switch c.algorithm {
	case SignatureRPC:
		all := make(map[string]string, len(r.query)+len(r.form)+10)
		for k, v := range r.query {
			all[k] = v
		}
		for k, v := range r.form {
			all[k] = v
		}
		common := map[string]string{
			"Action":           a.name,
			"Version":          APIVersion,
			"Format":           "json",
			"AccessKeyId":      c.creds.AccessKeyID,
			"SignatureMethod":  SignatureRPC,
			"SignatureVersion": "1.0",
			"SignatureNonce":   nonce,
			"Timestamp":        date,
		}
		if c.creds.SecurityToken != "" {
			common["SecurityToken"] = c.creds.SecurityToken
		}
		for k, v := range common {
			all[k] = v
		}
		s.signature = signRPC(c.creds.AccessKeySecret, method, all)
		q := make(map[string]string, len(r.query)+len(common)+1)
		for k, v := range r.query {
			q[k] = v
		}
		for k, v := range common {
			q[k] = v
		}
		q["Signature"] = s.signature
		s.rawQuery = canonicalQuery(q)
	default:
		h := map[string]string{
			"host":                  c.host,
			"x-acs-action":          a.name,
			"x-acs-version":         APIVersion,
			"x-acs-date":            date,
			"x-acs-signature-nonce": nonce,
			"x-acs-content-sha256":  emptySHA256,
		}
		if s.body != nil {
			h["x-acs-content-sha256"] = sha256Hex(s.body)
			h["content-type"] = "application/x-www-form-urlencoded"
		}
		if c.creds.SecurityToken != "" {
			h["x-acs-security-token"] = c.creds.SecurityToken
			h["x-acs-accesskey-id"] = c.creds.AccessKeyID
		}
		signedHeaders, sig := signV3(c.creds.AccessKeySecret, v3Input{Method: method, Query: r.query, Headers: h})
		s.signature = sig
		for k, v := range h {
			if k != "host" {
				s.headers.Set(k, v)
			}
		}
		s.headers.Set("Authorization", v3Authorization(c.creds.AccessKeyID, signedHeaders, sig))
		s.rawQuery = canonicalQuery(r.query)
	}
	return s
}

// exchange does one HTTP exchange under the rate limit and the concurrency
// bound and returns the success envelope and the HTTP status.
func (c *Client) exchange(ctx context.Context, a action, r request) (*envelope, int, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, 0, c.transportErr(ctx, a, nil, ctx.Err())
	}
	defer func() { <-c.sem }()
	if err := c.limiter(a).Wait(ctx); err != nil {
		// The context ended, or its deadline comes before the rate limit
		// lets the request go: either way a retry cannot help.
		te := c.transportErr(ctx, a, nil, err)
		te.Canceled = true
		return nil, 0, te
	}

	// Signed after the wait, so that the date is that of the sending.
	s := c.sign(a, r)
	extra := append(r.sensitiveValues(), s.signature)
	u := c.base + "/"
	if s.rawQuery != "" {
		u += "?" + s.rawQuery
	}
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rb io.Reader
	if s.body != nil {
		rb = bytes.NewReader(s.body)
	}
	req, err := http.NewRequestWithContext(rctx, a.method(), u, rb)
	if err != nil {
		return nil, 0, &TransportError{Action: a.name, Method: a.method(), msg: "building the request: " + c.scrub(err.Error(), extra...)}
	}
	req.Header = s.headers
	req.Host = c.host
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")

	t0 := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		terr := c.transportErr(ctx, a, extra, err)
		c.trace(a, r, 0, "", time.Since(t0), len(s.body), 0, terr)
		return nil, 0, terr
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBytes+1))
	if err != nil {
		terr := c.transportErr(ctx, a, extra, fmt.Errorf("reading the answer (HTTP %d) after %d bytes: %w", resp.StatusCode, len(data), err))
		c.trace(a, r, resp.StatusCode, "", time.Since(t0), len(s.body), len(data), terr)
		return nil, resp.StatusCode, terr
	}
	if int64(len(data)) > c.maxBytes {
		rerr := &ResponseError{Action: a.name, HTTPStatus: resp.StatusCode, Reason: fmt.Sprintf("answer larger than the %d-byte cap", c.maxBytes)}
		c.trace(a, r, resp.StatusCode, "", time.Since(t0), len(s.body), len(data), rerr)
		return nil, resp.StatusCode, rerr
	}
	env, derr := c.decodeEnvelope(a, resp, data, extra)
	code := ""
	var ae *APIError
	if errors.As(derr, &ae) {
		code = ae.Code
	}
	c.trace(a, r, resp.StatusCode, code, time.Since(t0), len(s.body), len(data), derr)
	return env, resp.StatusCode, derr
}

func (c *Client) transportErr(ctx context.Context, a action, extra []string, err error) *TransportError {
	inner := err
	var ue *url.Error
	if errors.As(err, &ue) {
		inner = ue.Err // the url.Error's text holds the URL, and with RPC the signature
	}
	te := &TransportError{Action: a.name, Method: a.method(), err: inner}
	if ctx.Err() != nil {
		te.Canceled = true
		te.msg = c.scrub(fmt.Sprintf("%v (%v)", ctx.Err(), inner), extra...)
		return te
	}
	var ne net.Error
	if errors.Is(inner, context.DeadlineExceeded) || (errors.As(inner, &ne) && ne.Timeout()) {
		te.Timeout = true
		te.msg = fmt.Sprintf("no answer within %s: %s", c.timeout, c.scrub(inner.Error(), extra...))
		return te
	}
	var oe *net.OpError
	if errors.As(inner, &oe) && oe.Op == "dial" {
		te.NotSent = true
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
	te.msg = c.scrub(inner.Error(), extra...)
	return te
}

// flexString is a JSON string, or a number or boolean taken as its text.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	if string(b) == "null" {
		*f = ""
		return nil
	}
	if !json.Valid(b) || b[0] == '{' || b[0] == '[' {
		return fmt.Errorf("not a string: %s", snippet(b))
	}
	*f = flexString(b)
	return nil
}

type rawEnvelope struct {
	RequestID flexString      `json:"RequestId"`
	HostID    flexString      `json:"HostId"`
	Success   *bool           `json:"Success"`
	Result    json.RawMessage `json:"Result"`
	Code      flexString      `json:"Code"`
	Message   flexString      `json:"Message"`
	Recommend flexString      `json:"Recommend"`
}

// maxMessage bounds the server's message in an error: it is scrubbed
// first, then cut, so a cut never leaves part of a secret.
const maxMessage = 500

// decodeEnvelope turns an answer into its envelope or an error.
func (c *Client) decodeEnvelope(a action, resp *http.Response, data []byte, extra []string) (*envelope, error) {
	status := resp.StatusCode
	trimmed := bytes.TrimSpace(data)
	var env rawEnvelope
	isEnv := len(trimmed) > 0 && trimmed[0] == '{' && json.Unmarshal(trimmed, &env) == nil
	apiErr := func() *APIError {
		ae := &APIError{
			Action:     a.name,
			HTTPStatus: status,
			Code:       c.scrub(string(env.Code), extra...),
			Message:    cut(c.scrub(string(env.Message), extra...), maxMessage),
			RequestID:  c.scrub(string(env.RequestID), extra...),
			HostID:     c.scrub(string(env.HostID), extra...),
			Recommend:  c.scrub(string(env.Recommend), extra...),
		}
		if ae.Throttled() || status == http.StatusServiceUnavailable {
			ae.RetryAfter = throttleWait(resp.Header, time.Now())
		}
		return ae
	}
	if status < 200 || status > 299 {
		if !isEnv {
			env = rawEnvelope{}
			if len(trimmed) > 0 {
				env.Message = flexString(fmt.Sprintf("(not a JSON envelope, %d bytes) %s", len(trimmed), snippet(trimmed)))
			}
		}
		ae := apiErr()
		if status >= 300 && status < 400 {
			ae.Message = strings.TrimSpace(ae.Message + " (redirect not followed)")
		}
		return nil, ae
	}
	if len(trimmed) == 0 {
		return nil, &ResponseError{Action: a.name, HTTPStatus: status, Reason: "empty body"}
	}
	if !isEnv {
		reason := "not a JSON envelope: " + c.scrub(snippet(trimmed), extra...)
		if json.Valid(trimmed) {
			reason = "not a JSON object: " + c.scrub(snippet(trimmed), extra...)
		} else if trimmed[0] == '{' || trimmed[0] == '[' {
			reason = fmt.Sprintf("truncated or malformed JSON (%d bytes): %s", len(trimmed), c.scrub(snippet(trimmed), extra...))
		}
		return nil, &ResponseError{Action: a.name, HTTPStatus: status, Reason: reason}
	}
	if env.Code != "" && (env.Success == nil || !*env.Success) {
		return nil, apiErr()
	}
	if env.Success != nil && !*env.Success {
		return nil, &NotAppliedError{Action: a.name, RequestID: c.scrub(string(env.RequestID), extra...), Reason: "the server answered Success=false (nothing was saved)"}
	}
	if len(env.Result) == 0 {
		env.Result = json.RawMessage("null")
	}
	return &envelope{RequestID: c.scrub(string(env.RequestID), extra...), Result: env.Result}, nil
}

// snippet is the start of a body, for error messages.
func snippet(b []byte) string {
	return cut(strings.Join(strings.Fields(strings.ToValidUTF8(string(b), "?")), " "), 200)
}

// cut shortens s to at most n bytes, on a character boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}

// newScrubber replaces every form of the credentials: the secret and the
// token by REDACTED, the AccessKeyId by its redacted form. Forms: plain,
// RFC 3986 encoded once and twice (an RPC string to sign quoted by the
// server encodes values twice), form-encoded and JSON-escaped. One pass,
// longest first, so a short secret never cuts into a longer one.
func newScrubber(cr Credentials) *strings.Replacer {
	type pair struct{ from, to string }
	var pairs []pair
	seen := map[string]bool{}
	add := func(sec, to string) {
		if sec == "" {
			return
		}
		for _, f := range secretForms(sec) {
			if f != "" && !seen[f] {
				seen[f] = true
				pairs = append(pairs, pair{f, to})
			}
		}
	}
	add(cr.AccessKeySecret, "REDACTED")
	add(cr.SecurityToken, "REDACTED")
	add(cr.AccessKeyID, redactID(cr.AccessKeyID))
	sort.SliceStable(pairs, func(i, j int) bool { return len(pairs[i].from) > len(pairs[j].from) })
	args := make([]string, 0, 2*len(pairs))
	for _, p := range pairs {
		args = append(args, p.from, p.to)
	}
	return strings.NewReplacer(args...)
}

func secretForms(sec string) []string {
	forms := []string{sec, percentEncode(sec), percentEncode(percentEncode(sec)), url.QueryEscape(sec), url.PathEscape(sec)}
	if j, err := json.Marshal(sec); err == nil {
		forms = append(forms, string(j[1:len(j)-1]))
	}
	return forms
}

// scrub replaces every form of the credentials, and of the extra values
// (this request's signature, an embed ticket), with REDACTED.
func (c *Client) scrub(s string, extra ...string) string {
	s = c.scrubber.Replace(s)
	for _, x := range extra {
		if len(x) < 6 {
			continue
		}
		for _, f := range secretForms(x) {
			if len(f) >= 6 {
				s = strings.ReplaceAll(s, f, "REDACTED")
			}
		}
	}
	return s
}

// trace writes one debug line per exchange and the request's business
// parameters: never a signature, the Authorization header, the secret, the
// token or a ticket; the AccessKeyId redacted.
func (c *Client) trace(a action, r request, status int, code string, d time.Duration, sent, received int, err error) {
	if c.debug == nil {
		return
	}
	st := fmt.Sprint(status)
	if code != "" {
		st += " " + code
	}
	if err != nil && code == "" {
		st += fmt.Sprintf(" error=%q", err.Error())
	}
	var b strings.Builder
	fmt.Fprintf(&b, "http: %s %s -> %s in %s (%s, key %s), sent %dB, received %dB\n",
		a.method(), a.name, st, d.Round(time.Microsecond), c.algorithm, c.creds.RedactedID(), sent, received)
	for _, part := range []struct {
		name string
		m    map[string]string
	}{{"query", r.query}, {"form", r.form}} {
		if len(part.m) == 0 {
			continue
		}
		names := make([]string, 0, len(part.m))
		for k := range part.m {
			names = append(names, k)
		}
		sort.Strings(names)
		b.WriteString("http:   " + part.name)
		for _, k := range names {
			v := part.m[k]
			if sensitiveParams[k] {
				v = "REDACTED"
			}
			const maxValue = 1024
			fmt.Fprintf(&b, " %s=%q", k, cut(v, maxValue))
		}
		b.WriteString("\n")
	}
	// Every line passes through textsafe: the values are the caller's and
	// the error may quote the server.
	lines := strings.SplitAfter(strings.TrimSuffix(c.scrub(b.String(), r.sensitiveValues()...), "\n"), "\n")
	var out strings.Builder
	for _, l := range lines {
		out.WriteString(textsafe.Line(strings.TrimSuffix(l, "\n")) + "\n")
	}
	c.debugMu.Lock()
	defer c.debugMu.Unlock()
	_, _ = io.WriteString(c.debug, out.String())
}
