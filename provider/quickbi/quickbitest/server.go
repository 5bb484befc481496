package quickbitest

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// Product facts.
const (
	// APIVersion is the only Version served.
	APIVersion = "2022-01-01"
	// DefaultAccessKeyID is the access key id accepted when Options gives
	// none.
	DefaultAccessKeyID = "LTAI5tQuickBISimulator01"
	// DefaultRateLimit is the requests per second and action allowed when
	// Options.Throttle is on.
	DefaultRateLimit = 50
	maxBodyBytes     = 8 << 20
	maxPageSize      = 1000
	defaultPageSize  = 10
	recommendBase    = "https://api.aliyun.com/troubleshoot?product=quickbi-public"
)

// serverZone is the zone of the "yyyy-MM-dd HH:mm:ss" times in answers.
var serverZone = time.FixedZone("UTC+8", 8*3600)

// TimeLayout is the layout of the times answers show as strings
// (groups, workspaces, tickets), in UTC+08:00.
const TimeLayout = "2006-01-02 15:04:05"

// Options configure a Server.
type Options struct {
	// Seed is the initial content; nil is an organization with its admin
	// only.
	Seed *Seed
	// AccessKeyID and AccessKeySecret are the only credentials accepted;
	// they belong to the organization's admin. Defaults:
	// DefaultAccessKeyID and a random secret.
	AccessKeyID     string
	AccessKeySecret string
	// SecurityToken, when set, makes the key an STS key: every request
	// must carry this token (x-acs-security-token or SecurityToken).
	// When empty, a request carrying a token is refused.
	SecurityToken string
	// Now is the server's clock (timestamps, ticket expiry, throttling
	// windows, JoinedDate); default time.Now.
	Now func() time.Time
	// Rand seeds the draws of fault injection.
	Rand int64
	// Throttle turns on the per-action rate limit of RateLimit requests a
	// second (default DefaultRateLimit). Off by default.
	Throttle  bool
	RateLimit int
	// Seats, when set, overrides the seed's seat quotas.
	Seats *Seats
	// MaxTags, when > 0, overrides the seed's cap on tag definitions.
	MaxTags int
	// Logf, when set, receives one line per request (no parameter values,
	// no signatures).
	Logf func(format string, args ...any)
}

// Seats are the seat quotas per UserType; 0 is unlimited.
type Seats struct {
	Developers int `yaml:"developers,omitempty" json:"developers,omitempty"`
	Analysts   int `yaml:"analysts,omitempty" json:"analysts,omitempty"`
	Viewers    int `yaml:"viewers,omitempty" json:"viewers,omitempty"`
}

// Call is one request as the call log keeps it. Signatures and security
// tokens are redacted.
type Call struct {
	Action  string
	Method  string
	Signing string // "V3" or "RPC"
	// Query and Body are the request's parameters, form-encoded, with
	// Signature and SecurityToken redacted.
	Query string
	Body  string
	// Status and Code are what was answered ("" on success); a reset
	// leaves Status 0.
	Status int
	Code   string

	id int64 // matches the answer to its entry
}

// Server is a simulated Quick BI OpenAPI endpoint.
type Server struct {
	opts    Options
	handler http.Handler
	actions map[string]*action
	now     func() time.Time

	mu          sync.Mutex
	w           *world
	keyID       string
	keySecret   string
	nonces      map[string]time.Time
	noncePrune  time.Time
	rnd         *mrand.Rand
	faults      map[string]*Fault
	faultCounts map[faultKind]int
	objFaults   map[string][]string
	windows     map[string]*rateWindow
	calls       map[string]int
	callLog     []Call
	requests    int64

	ts *httptest.Server
}

type rateWindow struct {
	start time.Time
	count int
}

// New starts a simulated server on a loopback address. It panics on an
// invalid seed (LoadSeed validates first).
func New(opts Options) *Server {
	s := NewUnstarted(opts)
	s.Start()
	return s
}

// NewUnstarted builds a server without listening: serve Handler()
// yourself, or call Start.
func NewUnstarted(opts Options) *Server {
	s, err := NewFromOptions(opts)
	if err != nil {
		panic("quickbitest: " + err.Error())
	}
	return s
}

// NewFromOptions is NewUnstarted returning the seed's error instead of
// panicking.
func NewFromOptions(opts Options) (*Server, error) {
	s := &Server{
		opts:        opts,
		w:           newWorld(),
		keyID:       opts.AccessKeyID,
		keySecret:   opts.AccessKeySecret,
		nonces:      map[string]time.Time{},
		rnd:         mrand.New(mrand.NewSource(opts.Rand)),
		faults:      map[string]*Fault{},
		faultCounts: map[faultKind]int{},
		objFaults:   map[string][]string{},
		windows:     map[string]*rateWindow{},
		calls:       map[string]int{},
		now:         opts.Now,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.keyID == "" {
		s.keyID = DefaultAccessKeyID
	}
	if s.keySecret == "" {
		s.keySecret = randomSecret()
	}
	if err := s.applySeed(opts.Seed); err != nil {
		return nil, err
	}
	if opts.Seats != nil {
		s.w.org.seats = *opts.Seats
	}
	if opts.MaxTags > 0 {
		s.w.org.maxTags = opts.MaxTags
	}
	s.actions = s.routes()
	mux := http.NewServeMux()
	mux.HandleFunc("/", s.serveHTTP)
	s.handler = mux
	return s, nil
}

// Start listens on a loopback address (httptest).
func (s *Server) Start() {
	if s.ts == nil {
		s.ts = httptest.NewServer(s.handler)
	}
}

// Handler is the HTTP handler, to serve on an address of your choice or
// to wrap.
func (s *Server) Handler() http.Handler { return s.handler }

// URL is the endpoint of a started server ("" when not started).
func (s *Server) URL() string {
	if s.ts == nil {
		return ""
	}
	return s.ts.URL
}

// Client is an HTTP client for a started server.
func (s *Server) Client() *http.Client {
	if s.ts == nil {
		return http.DefaultClient
	}
	return s.ts.Client()
}

// Close shuts a started server down.
func (s *Server) Close() {
	if s.ts != nil {
		s.ts.Close()
	}
}

// AccessKeyID is the access key id the server accepts.
func (s *Server) AccessKeyID() string { return s.keyID }

// AccessKeySecret is the secret of that key.
func (s *Server) AccessKeySecret() string { return s.keySecret }

// SecurityToken is the STS token required with the key ("" for none).
func (s *Server) SecurityToken() string { return s.opts.SecurityToken }

// AdminUserID is the UserId of the organization's admin, the account the
// access key belongs to.
func (s *Server) AdminUserID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.org.adminID
}

// Snapshot returns a deep copy of the whole state, what HTTP cannot read
// included, in a deterministic order.
func (s *Server) Snapshot() *State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.snapshot()
}

// Calls returns the number of requests per Action, faulted and refused
// ones included.
func (s *Server) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

// TotalCalls is the number of requests since the last ResetCalls.
func (s *Server) TotalCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.callLog)
}

// CallLog returns every request since the last ResetCalls, in order.
func (s *Server) CallLog() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.callLog...)
}

// ResetCalls empties the call log and the counts.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = map[string]int{}
	s.callLog = nil
}

// Actions lists every Action the simulator serves, sorted.
func Actions() []string {
	s := &Server{}
	var out []string
	for k := range s.routes() {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Parameter kinds: every value is a string on the wire; the gateway
// checks int (int32), long (int64) and bool ("true"/"false") forms.
type kind int

const (
	kStr kind = iota
	kInt
	kLong
	kBool
)

type pflag int

const (
	req     pflag = 1 << iota // required (absent: Missing<Param>)
	inBody                    // travels in the form body
	emptyOK                   // may be sent empty
)

type param struct {
	name  string
	kind  kind
	flags pflag
}

func pStr(name string, f ...pflag) param  { return mkParam(name, kStr, f) }
func pInt(name string, f ...pflag) param  { return mkParam(name, kInt, f) }
func pLong(name string, f ...pflag) param { return mkParam(name, kLong, f) }
func pBool(name string, f ...pflag) param { return mkParam(name, kBool, f) }

func mkParam(name string, k kind, f []pflag) param {
	p := param{name: name, kind: k}
	for _, x := range f {
		p.flags |= x
	}
	return p
}

// action is one served Action.
type action struct {
	method  string
	params  []param
	rowPerm bool // needs the new row-permission model
	h       func(c *call) (any, error)
}

// call is what a handler sees; handlers run with s.mu held.
type call struct {
	action string
	params map[string]string
	now    time.Time
}

func (c *call) has(name string) bool   { _, ok := c.params[name]; return ok }
func (c *call) str(name string) string { return c.params[name] }

// num reads an int or long already checked by the gateway.
func (c *call) num(name string) int64 {
	var n int64
	fmt.Sscan(c.params[name], &n)
	return n
}

func (c *call) boolean(name string) bool { return c.params[name] == "true" }

// unsaved wraps a batch result when nothing was saved: Success false.
type unsaved struct{ result any }

var rpcCommon = map[string]bool{"Action": true, "Version": true, "Format": true, "AccessKeyId": true,
	"SignatureMethod": true, "SignatureVersion": true, "SignatureNonce": true, "Timestamp": true,
	"Signature": true, "SecurityToken": true}

// exchange is one request in flight.
type exchange struct {
	hr      *http.Request
	host    string
	reqID   string
	query   map[string]string
	body    map[string]string
	rawBody []byte
	v3      bool
	action  string
	logID   int64
}

func (s *Server) serveHTTP(w http.ResponseWriter, hr *http.Request) {
	raw, err := io.ReadAll(io.LimitReader(hr.Body, maxBodyBytes+1))
	s.mu.Lock()
	s.requests++
	x := &exchange{hr: hr, host: hr.Host, reqID: requestID(s.requests), rawBody: raw, logID: s.requests}
	s.mu.Unlock()
	if err != nil {
		s.answerErr(w, x, gatewayErr(http.StatusBadRequest, CodeInvalidParamError, "The request body could not be read."))
		return
	}
	if len(raw) > maxBodyBytes {
		s.answerErr(w, x, gatewayErr(http.StatusRequestEntityTooLarge, CodeInvalidParamError, "The request body is too large."))
		return
	}
	x.v3 = hr.Header.Get("Authorization") != ""
	if e := x.parse(); e != nil {
		s.record(x)
		s.answerErr(w, x, e)
		return
	}
	s.record(x)
	if hr.URL.Path != "/" {
		s.answerErr(w, x, gatewayErr(http.StatusNotFound, CodeInvalidAPI, "Specified api is not found, please check your url and method."))
		return
	}
	version := x.query["Version"]
	if x.v3 {
		version = hr.Header.Get("x-acs-version")
	}
	if x.action == "" {
		s.answerErr(w, x, missing("Action"))
		return
	}
	if version == "" {
		s.answerErr(w, x, missing("Version"))
		return
	}
	act := s.actions[x.action]
	if act == nil || version != APIVersion {
		s.answerErr(w, x, gatewayErr(http.StatusNotFound, CodeInvalidAPI,
			"Specified api is not found, please check your url and method."))
		return
	}

	s.mu.Lock()
	fault := s.drawFault(x.action)
	s.mu.Unlock()
	if fault.latency > 0 {
		t := time.NewTimer(fault.latency)
		select {
		case <-t.C:
		case <-hr.Context().Done():
			t.Stop()
			return
		}
	}
	if fault.kind != faultNone && !fault.afterApply {
		s.logf("%s %s → injected %s", hr.Method, x.action, fault.kind)
		s.writeFault(w, x, fault)
		return
	}

	result, e := s.handle(x, act)
	if fault.kind != faultNone {
		s.logf("%s %s → applied, then injected %s", hr.Method, x.action, fault.kind)
		s.writeFault(w, x, fault)
		return
	}
	if e != nil {
		s.answerErr(w, x, e)
		return
	}
	success := true
	if u, ok := result.(unsaved); ok {
		success, result = false, u.result
	}
	s.logf("%s %s → 200", hr.Method, x.action)
	s.writeJSON(w, x, http.StatusOK, "", map[string]any{"RequestId": x.reqID, "Success": success, "Result": result})
}

// parse reads the query and the form body, refusing repeated parameters,
// and finds the Action.
func (x *exchange) parse() *apiError {
	q, err := url.ParseQuery(x.hr.URL.RawQuery)
	if err != nil {
		return invalid("the query string is not valid URL encoding")
	}
	if x.query, err = single(q); err != nil {
		return invalid("%v", err)
	}
	x.body = map[string]string{}
	if len(x.rawBody) > 0 {
		ct, _, err := mime.ParseMediaType(x.hr.Header.Get("Content-Type"))
		if err != nil || ct != "application/x-www-form-urlencoded" {
			return invalid("a request body must be application/x-www-form-urlencoded")
		}
		f, err := url.ParseQuery(string(x.rawBody))
		if err != nil {
			return invalid("the form body is not valid URL encoding")
		}
		if x.body, err = single(f); err != nil {
			return invalid("%v", err)
		}
	}
	if x.v3 {
		x.action = x.hr.Header.Get("x-acs-action")
	} else {
		x.action = x.query["Action"]
	}
	return nil
}

func single(v url.Values) (map[string]string, error) {
	out := make(map[string]string, len(v))
	for k, vs := range v {
		if len(vs) != 1 {
			return nil, fmt.Errorf("parameter %s is repeated", k)
		}
		out[k] = vs[0]
	}
	return out, nil
}

// record counts the call and appends it to the log.
func (s *Server) record(x *exchange) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[x.action]++
	signing := "RPC"
	if x.v3 {
		signing = "V3"
	}
	s.callLog = append(s.callLog, Call{Action: x.action, Method: x.hr.Method, Signing: signing,
		Query: redactForm(x.query), Body: redactForm(x.body), id: x.logID})
}

func redactForm(m map[string]string) string {
	v := url.Values{}
	for k, val := range m {
		if k == "Signature" || k == "SecurityToken" {
			val = "REDACTED"
		}
		v.Set(k, val)
	}
	return v.Encode()
}

// handle authenticates, throttles, validates and runs the handler under
// the state lock.
func (s *Server) handle(x *exchange, act *action) (any, *apiError) {
	if x.hr.Method != act.method {
		return nil, gatewayErr(http.StatusBadRequest, CodeUnsupportedMethod,
			"The HTTP method %s is not supported by %s; use %s.", x.hr.Method, x.action, act.method)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if e := s.authenticate(x, now); e != nil {
		return nil, e
	}
	if e := s.throttle(x.action, now); e != nil {
		return nil, e
	}
	params, e := s.validate(x, act)
	if e != nil {
		return nil, e
	}
	if act.rowPerm && !s.w.org.newRowModel {
		return nil, invalid("the organization has not upgraded to the new row-level permission model")
	}
	for _, v := range s.objFaults[x.action] {
		if paramsHold(params, v) {
			return nil, bizErr(CodeInternalSystem, "An internal system error occurred.")
		}
	}
	result, err := act.h(&call{action: x.action, params: params, now: now})
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			return nil, ae
		}
		return nil, bizErr(CodeInternalSystem, "An internal system error occurred.")
	}
	return result, nil
}

// validate checks the business parameters against the action's list:
// placement (query, or the form body where the SDK puts it), unknown
// names, presence, emptiness and the gateway's type forms.
func (s *Server) validate(x *exchange, act *action) (map[string]string, *apiError) {
	known := map[string]param{}
	for _, p := range act.params {
		known[p.name] = p
	}
	params := map[string]string{}
	for k, v := range x.query {
		if !x.v3 && rpcCommon[k] {
			continue
		}
		p, ok := known[k]
		if !ok {
			return nil, invalid("%s is not a parameter of %s", k, x.action)
		}
		if p.flags&inBody != 0 {
			return nil, invalid("%s travels in the form body, not in the query string", k)
		}
		params[k] = v
	}
	for k, v := range x.body {
		p, ok := known[k]
		if !ok {
			return nil, invalid("%s is not a parameter of %s", k, x.action)
		}
		if p.flags&inBody == 0 {
			return nil, invalid("%s travels in the query string, not in the body", k)
		}
		params[k] = v
	}
	for _, p := range act.params {
		v, ok := params[p.name]
		if !ok {
			if p.flags&req != 0 {
				return nil, missing(p.name)
			}
			continue
		}
		if v == "" {
			if p.flags&emptyOK != 0 {
				continue
			}
			return nil, paramEmpty(p.name)
		}
		if !typeOK(p.kind, v) {
			return nil, invalidType(p.name)
		}
	}
	return params, nil
}

func typeOK(k kind, v string) bool {
	switch k {
	case kInt, kLong:
		var n int64
		var rest string
		if c, _ := fmt.Sscanf(v, "%d%s", &n, &rest); c != 1 {
			return false
		}
		if fmt.Sprint(n) != v {
			return false
		}
		if k == kInt && (n < -1<<31 || n > 1<<31-1) {
			return false
		}
		return true
	case kBool:
		return v == "true" || v == "false"
	}
	return true
}

// paramsHold reports whether a value occurs in a parameter, as a whole,
// as a list item, or as a string anywhere inside JSON text.
func paramsHold(params map[string]string, value string) bool {
	for _, v := range params {
		if v == value {
			return true
		}
		for _, item := range strings.Split(v, ",") {
			if item == value {
				return true
			}
		}
		var j any
		if json.Unmarshal([]byte(v), &j) == nil && jsonHolds(j, value) {
			return true
		}
	}
	return false
}

func jsonHolds(v any, value string) bool {
	switch x := v.(type) {
	case string:
		if x == value {
			return true
		}
		var inner any
		if json.Unmarshal([]byte(x), &inner) == nil {
			if _, ok := inner.(string); !ok {
				return jsonHolds(inner, value)
			}
		}
	case map[string]any:
		for _, e := range x {
			if jsonHolds(e, value) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if jsonHolds(e, value) {
				return true
			}
		}
	}
	return false
}

// authenticate verifies the credentials, timestamp, nonce and signature
// of either method; s.mu is held.
func (s *Server) authenticate(x *exchange, now time.Time) *apiError {
	if x.v3 {
		return s.authV3(x, now)
	}
	return s.authRPC(x, now)
}

func (s *Server) authV3(x *exchange, now time.Time) *apiError {
	h := x.hr.Header
	for _, k := range []string{"Signature", "SignatureNonce", "AccessKeyId"} {
		if _, ok := x.query[k]; ok {
			return gatewayErr(http.StatusBadRequest, CodeIncompleteSignature,
				"The request carries both an Authorization header and the RPC parameter %s.", k)
		}
	}
	a, e := parseV3Authorization(h.Get("Authorization"))
	if e != nil {
		return e
	}
	if a.credential != s.keyID {
		return gatewayErr(http.StatusNotFound, CodeAccessKeyNotFound, "Specified access key is not found.")
	}
	if id := h.Get("x-acs-accesskey-id"); id != "" && id != s.keyID {
		return gatewayErr(http.StatusNotFound, CodeAccessKeyNotFound, "Specified access key is not found.")
	}
	// Every header the method signs must be signed, and every signed
	// header must be present once.
	headers := map[string]string{"host": x.host}
	for name, vs := range h {
		l := strings.ToLower(name)
		if len(vs) != 1 {
			if strings.HasPrefix(l, "x-acs-") || l == "content-type" {
				return gatewayErr(http.StatusBadRequest, CodeIncompleteSignature, "The header %s is repeated.", l)
			}
			continue
		}
		headers[l] = vs[0]
	}
	signed := map[string]bool{}
	for _, n := range a.signed {
		signed[n] = true
		if _, ok := headers[n]; !ok {
			return gatewayErr(http.StatusBadRequest, CodeIncompleteSignature, "The signed header %s is not in the request.", n)
		}
	}
	for _, n := range []string{"host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"} {
		if _, ok := headers[n]; !ok {
			return gatewayErr(http.StatusBadRequest, CodeIncompleteSignature, "The header %s is required.", n)
		}
	}
	for n := range headers {
		if (strings.HasPrefix(n, "x-acs-") || n == "host" || n == "content-type") && !signed[n] {
			return gatewayErr(http.StatusBadRequest, CodeIncompleteSignature, "The header %s must be signed.", n)
		}
	}
	if e := s.checkTimestamp(headers["x-acs-date"], now); e != nil {
		return e
	}
	if e := s.checkToken(headers["x-acs-security-token"]); e != nil {
		return e
	}
	cr := v3CanonicalRequest(x.hr.Method, x.hr.URL.Path, x.query, headers, a.signed, headers["x-acs-content-sha256"])
	sts := v3StringToSign(cr)
	if !hmacEqual(v3Signature(s.keySecret, sts), a.signature) {
		return gatewayErr(http.StatusBadRequest, CodeSignatureDoesNotMatch,
			"Specified signature is not matched with our calculation. server string to sign is:%s", sts)
	}
	if got := sha256Hex(x.rawBody); headers["x-acs-content-sha256"] != got {
		return gatewayErr(http.StatusBadRequest, CodeSignatureDoesNotMatch,
			"The x-acs-content-sha256 header does not match the request body.")
	}
	return s.useNonce(headers["x-acs-signature-nonce"], now)
}

func (s *Server) authRPC(x *exchange, now time.Time) *apiError {
	q := x.query
	for _, k := range []string{"AccessKeyId", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp", "Signature"} {
		if q[k] == "" {
			return missing(k)
		}
	}
	if f, ok := q["Format"]; ok && !strings.EqualFold(f, "JSON") {
		if strings.EqualFold(f, "XML") {
			return gatewayErr(http.StatusBadRequest, CodeInvalidFormat, "The simulator answers JSON only.")
		}
		return gatewayErr(http.StatusBadRequest, CodeInvalidFormat, "Specified parameter Format is not valid.")
	}
	if q["AccessKeyId"] != s.keyID {
		return gatewayErr(http.StatusNotFound, CodeAccessKeyNotFound, "Specified access key is not found.")
	}
	if q["SignatureMethod"] != rpcMethod {
		return gatewayErr(http.StatusBadRequest, CodeInvalidSignatureMethod, "The signature method %q is not supported.", q["SignatureMethod"])
	}
	if q["SignatureVersion"] != rpcVersion {
		return gatewayErr(http.StatusBadRequest, "InvalidSignatureVersion", "Specified signature version is not valid.")
	}
	if e := s.checkTimestamp(q["Timestamp"], now); e != nil {
		return e
	}
	if e := s.checkToken(q["SecurityToken"]); e != nil {
		return e
	}
	all := map[string]string{}
	for k, v := range q {
		all[k] = v
	}
	for k, v := range x.body {
		if _, dup := all[k]; dup {
			return invalid("parameter %s is in both the query and the body", k)
		}
		all[k] = v
	}
	sts := rpcStringToSign(x.hr.Method, all)
	if !hmacEqual(rpcSignature(s.keySecret, sts), q["Signature"]) {
		return gatewayErr(http.StatusBadRequest, CodeSignatureDoesNotMatch,
			"Specified signature is not matched with our calculation. server string to sign is:%s", sts)
	}
	return s.useNonce(q["SignatureNonce"], now)
}

func hmacEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var d byte
	for i := 0; i < len(a); i++ {
		d |= a[i] ^ b[i]
	}
	return d == 0
}

func (s *Server) checkTimestamp(v string, now time.Time) *apiError {
	t, ok := parseTimestamp(v)
	if !ok {
		return gatewayErr(http.StatusBadRequest, CodeTimestampFormat,
			"Specified time stamp or date value is not well formatted.")
	}
	if d := now.Sub(t); d > maxClockSkew || d < -maxClockSkew {
		return gatewayErr(http.StatusBadRequest, CodeTimestampExpired,
			"Specified time stamp or date value is expired.")
	}
	return nil
}

func (s *Server) checkToken(tok string) *apiError {
	want := s.opts.SecurityToken
	if want == "" && tok == "" {
		return nil
	}
	if want == "" || tok != want {
		return gatewayErr(http.StatusBadRequest, CodeSecurityTokenMismatch, "Specified SecurityToken is not valid.")
	}
	return nil
}

// useNonce refuses a nonce seen before. Nonces are remembered twice the
// clock skew allowed: an older request is refused by its timestamp.
func (s *Server) useNonce(n string, now time.Time) *apiError {
	if n == "" {
		return missing("SignatureNonce")
	}
	if _, seen := s.nonces[n]; seen {
		return gatewayErr(http.StatusBadRequest, CodeNonceUsed, "Specified signature nonce was used already.")
	}
	s.nonces[n] = now
	if now.Sub(s.noncePrune) > maxClockSkew {
		for k, t := range s.nonces {
			if now.Sub(t) > 2*maxClockSkew {
				delete(s.nonces, k)
			}
		}
		s.noncePrune = now
	}
	return nil
}

// throttle applies the per-action limit (Options.Throttle): a fixed
// one-second window on the server's clock.
func (s *Server) throttle(actionName string, now time.Time) *apiError {
	if !s.opts.Throttle {
		return nil
	}
	limit := s.opts.RateLimit
	if limit <= 0 {
		limit = DefaultRateLimit
	}
	sec := now.Truncate(time.Second)
	win := s.windows[actionName]
	if win == nil || !win.start.Equal(sec) {
		win = &rateWindow{start: sec}
		s.windows[actionName] = win
	}
	win.count++
	if win.count <= limit {
		return nil
	}
	left := sec.Add(time.Second).Sub(now).Milliseconds()
	if left < 1 {
		left = 1
	}
	return &apiError{status: http.StatusBadRequest, code: CodeThrottlingUser,
		msg: "Request was denied due to user flow control.", rateLimit: rateHeader(limit, left, sec.Add(time.Second))}
}

func rateHeader(limit int, leftMS int64, reset time.Time) string {
	return fmt.Sprintf("Limit:%d,Remain:0,TimeLeft:%d,Reset:%d", limit, leftMS, reset.UnixMilli())
}

func (s *Server) answerErr(w http.ResponseWriter, x *exchange, e *apiError) {
	s.logf("%s %s → %d %s", x.hr.Method, x.action, e.status, e.code)
	if e.rateLimit != "" {
		w.Header().Set("x-ratelimit-user-api", e.rateLimit)
	}
	s.writeJSON(w, x, e.status, e.code, map[string]any{
		"RequestId": x.reqID,
		"HostId":    x.host,
		"Code":      e.code,
		"Message":   e.msg,
		"Recommend": recommendBase + "&q=" + url.QueryEscape(e.code) + "&requestId=" + x.reqID,
	})
}

func (s *Server) writeJSON(w http.ResponseWriter, x *exchange, status int, code string, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	b := bytes.TrimRight(buf.Bytes(), "\n")
	if err != nil {
		status, code = http.StatusInternalServerError, CodeInternalError
		b = []byte(`{"Code":"InternalError","Message":"The request processing has failed due to some unknown error."}`)
	}
	s.finish(x, status, code)
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.Header().Set("x-acs-request-id", x.reqID)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// finish notes the answer in the call log.
func (s *Server) finish(x *exchange, status int, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.callLog) - 1; i >= 0; i-- {
		if s.callLog[i].id == x.logID {
			s.callLog[i].Status = status
			s.callLog[i].Code = code
			return
		}
	}
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf("quickbitest: "+format, args...)
	}
}

// requestID is a deterministic upper-case UUID-shaped RequestId.
func requestID(n int64) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("quickbitest/request/%d", n)))
	h := strings.ToUpper(hex.EncodeToString(sum[:16]))
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func randomSecret() string {
	var b [15]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("quickbitest: no randomness: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}
