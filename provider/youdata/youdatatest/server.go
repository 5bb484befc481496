// Package youdatatest is an in-memory Youdata (网易有数) server behind
// net/http/httptest, for tests, benchmarks, the examples and newcomers.
//
// It serves the endpoints permsync uses with the envelope, methods, token
// checks, paging and error messages of the vendor document, and it keeps
// the document's sharp edges: batchImport options apply to every user of
// the call, userOrgs replaces departments, importDataPermissions only adds
// holders and wipes permissions, syncOrg deletes recursively and freezes
// users unless forceDeleteOrg is false, and nothing that the real API cannot
// read (departments, attributes, resource permissions, groups as such) can
// be read over HTTP. Tests look inside with Snapshot.
//
// See docs/simulator.md for the seed format and the choices made where the
// document is silent.
package youdatatest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// PathPrefix is the prefix of every endpoint.
const PathPrefix = "/api/dash/"

// Envelope codes the simulator answers with. The document only fixes 200;
// the others are the simulator's choice (see docs/simulator.md).
const (
	CodeOK           = 200
	CodeBadRequest   = 400 // invalid parameters
	CodeTokenInvalid = 401 // missing, unknown or expired token
	CodeForbidden    = 403 // not allowed (deleting oneself, the domain owner)
	CodeNotFound     = 404 // unknown project, user, group, role, ...
	CodeConflict     = 409 // duplicate name
	CodeInternal     = 500 // injected failures ("内部错误")
)

// Messages the document names.
const (
	MsgTokenInvalid   = "token无效或已过期"
	MsgNoProject      = "对应的项目不存在"
	MsgNoUser         = "对应的用户不存在"
	MsgNoGroup        = "对应的用户组不存在"
	MsgNoRole         = "对应的角色不存在"
	MsgNoOrg          = "对应的部门不存在"
	MsgNoSystemRole   = "对应的系统角色不存在"
	MsgInternal       = "内部错误"
	MsgDeleteSelf     = "不能删除自己"
	MsgOutsideTypes   = "导入的权限超出 importResourceTypes 指定的范围"
	maxBodyBytes      = 32 << 20
	maxPageSize       = 1000
	defaultPageOffset = 0
)

// Options configure a Server.
type Options struct {
	// Seed is the initial content; nil is an empty domain with an admin.
	Seed *Seed
	// Token is the token accepted from the start; empty: a random one.
	Token string
	// TokenKey is the key util/genToken accepts with tokenType tokenKey;
	// empty: genToken with a tokenKey always fails.
	TokenKey string
	// Email and Password of the domain admin for genToken with tokenType
	// userPassword. Email defaults to the admin's email or uniqueId;
	// an empty Password refuses every password.
	Email    string
	Password string
	// Rand seeds the draws of fault injection (tokens are always random).
	Rand int64
	// Logf, when set, receives one line per request (tokens redacted).
	Logf func(format string, args ...any)
	// NoCallLog keeps no log of the requests: CallLog returns none, while
	// Calls and TotalCalls still count them. A long run (the benchmark's
	// hundreds of thousands of calls) would otherwise keep every body.
	NoCallLog bool
}

// Call is one request as the call log keeps it. Tokens, passwords and keys
// are redacted.
type Call struct {
	Method   string
	Endpoint string // e.g. "user/batchImport"
	Query    string
	Body     []byte
}

// Server is a simulated Youdata server.
type Server struct {
	opts    Options
	handler http.Handler
	table   map[string]route

	mu     sync.Mutex
	st     *State
	ids    idCounters
	token  string
	tokens map[string]bool // issued token → valid
	rnd    *mrand.Rand
	faults map[string]*faultState
	// faultCounts counts the faults injected, by kind.
	faultCounts map[faultKind]int
	objFaults   map[string][]string
	expireIn    int // calls left before every token expires; <0: never
	embed       *embedState
	calls       map[string]int
	callLog     []Call
	total       int // requests since the last ResetCalls
	seq         int64

	ts *httptest.Server
}

type idCounters struct {
	user, project, role, group, folder, member, systemRole, attr int64
}

func newIDs() idCounters {
	return idCounters{user: 0, project: 100, role: 200000, group: 500000,
		folder: 800000, member: 900000, systemRole: 100, attr: 0}
}

// New starts a simulated server on a loopback address.
func New(opts Options) *Server {
	s := NewUnstarted(opts)
	s.Start()
	return s
}

// NewUnstarted builds a server without listening: serve Handler() yourself,
// or call Start. It panics on an invalid seed (LoadSeed validates first).
func NewUnstarted(opts Options) *Server {
	s, err := build(opts)
	if err != nil {
		panic("youdatatest: " + err.Error())
	}
	return s
}

// NewFromOptions is NewUnstarted returning the seed's error instead of
// panicking.
func NewFromOptions(opts Options) (*Server, error) { return build(opts) }

func build(opts Options) (*Server, error) {
	s := &Server{
		opts:        opts,
		st:          emptyState(),
		ids:         newIDs(),
		tokens:      map[string]bool{},
		rnd:         mrand.New(mrand.NewSource(opts.Rand)),
		faults:      map[string]*faultState{},
		faultCounts: map[faultKind]int{},
		objFaults:   map[string][]string{},
		expireIn:    -1,
		calls:       map[string]int{},
	}
	if err := s.applySeed(opts.Seed); err != nil {
		return nil, err
	}
	s.token = opts.Token
	if s.token == "" {
		s.token = randomToken()
	}
	s.tokens[s.token] = true
	s.table = s.routes()
	mux := http.NewServeMux()
	mux.HandleFunc("/", s.serveHTTP)
	s.handler = mux
	return s, nil
}

// Start listens on a loopback address (httptest).
func (s *Server) Start() {
	if s.ts != nil {
		return
	}
	s.ts = httptest.NewServer(s.handler)
}

// Handler is the HTTP handler, to serve on an address of your choice.
func (s *Server) Handler() http.Handler { return s.handler }

// URL is the base URL of a started server ("" when not started). Endpoints
// are under URL()+"/api/dash/".
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

// Token is the token accepted from the start (Options.Token or a random
// one). After ExpireTokenAfter has expired it, util/genToken issues new ones.
func (s *Server) Token() string { return s.token }

// TokenUser is the uniqueId of the user every token belongs to: the domain
// admin.
func (s *Server) TokenUser() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.Admin
}

// Close shuts a started server down.
func (s *Server) Close() {
	if s.ts != nil {
		s.ts.Close()
	}
}

// Snapshot returns a deep copy of the whole state.
func (s *Server) Snapshot() *State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.Clone()
}

// Calls returns the number of requests per endpoint path
// ("user/batchImport"), faulted ones included.
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
	return s.total
}

// CallLog returns every request since the last ResetCalls, in order.
func (s *Server) CallLog() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.callLog))
	for i, c := range s.callLog {
		c.Body = append([]byte(nil), c.Body...)
		out[i] = c
	}
	return out
}

// ResetCalls empties the call log and the counts.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = map[string]int{}
	s.callLog = nil
	s.total = 0
}

// ExpireTokenAfter makes every token invalid after n more authenticated
// calls, including tokens util/genToken issues in the meantime; the n+1-th
// call answers code 401. util/genToken then issues a new token that stays
// valid. n < 0 turns expiry off.
func (s *Server) ExpireTokenAfter(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireIn = n
	if n == 0 {
		s.expireAll()
	}
}

func (s *Server) expireAll() {
	for t := range s.tokens {
		s.tokens[t] = false
	}
	s.expireIn = -1
}

// Fault is the failure injected into one endpoint.
type Fault struct {
	// Latency is added before every answer.
	Latency time.Duration
	// Share5xx, Share429 and ShareAPIError are the shares (0..1) of calls
	// answered with HTTP 503 (a text body, as a proxy would), HTTP 429, and
	// HTTP 200 with {"code": 500, "message": "内部错误"}. One draw per call
	// from the server's seeded source, so a given sequence of calls fails
	// the same way every run.
	Share5xx      float64
	Share429      float64
	ShareAPIError float64
	// ShareTimeout and ShareReset are the shares (0..1) of calls whose
	// answer is held until the client gives up waiting (a timeout; after
	// Hold, HTTP 504 as a gateway would answer), and of calls whose
	// connection is closed without an answer (a reset). They are drawn
	// after the three above, from the same draw.
	ShareTimeout float64
	ShareReset   float64
	// Hold bounds how long a timeout holds the answer (default 30s).
	Hold time.Duration
	// FailNext answers the next FailNext calls with HTTP 503.
	FailNext int
	// Permanent answers every call with code 500 "内部错误".
	Permanent bool
	// AfterApply applies a write before answering with the injected
	// failure: the answer is lost but the change is made, as when a
	// connection drops after the server committed. An HTTP 429 is never
	// applied: a rate limit refuses the request before the server sees it.
	AfterApply bool
}

type faultState struct {
	Fault
}

// SetFaults sets the faults of one endpoint ("user/batchImport"), or of
// every endpoint without faults of its own with "*". A zero Fault clears.
func (s *Server) SetFaults(endpoint string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	endpoint = strings.TrimPrefix(endpoint, PathPrefix)
	if f == (Fault{}) {
		delete(s.faults, endpoint)
		return
	}
	s.faults[endpoint] = &faultState{Fault: f}
}

// FaultCounts returns the number of faults injected since the server
// started, by kind: "HTTP 503", "HTTP 429", "code 500", "timeout", "reset".
// Object failures (FailObject) and token expiry are not counted.
func (s *Server) FaultCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.faultCounts))
	for k, v := range s.faultCounts {
		out[string(k)] = v
	}
	return out
}

// FailObject makes every call to endpoint whose query or JSON body holds
// the string value (at any depth: a roleName, a uniqueId, a group title,
// an org code ...) answer code 500 "内部错误" until ClearFaults.
func (s *Server) FailObject(endpoint, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	endpoint = strings.TrimPrefix(endpoint, PathPrefix)
	s.objFaults[endpoint] = append(s.objFaults[endpoint], value)
}

// ClearFaults removes every fault and object failure (not token expiry).
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = map[string]*faultState{}
	s.objFaults = map[string][]string{}
}

// apiError is an answer with code != 200.
type apiError struct {
	code int
	msg  string
}

func (e *apiError) Error() string { return fmt.Sprintf("code %d: %s", e.code, e.msg) }

func errf(code int, format string, args ...any) *apiError {
	return &apiError{code: code, msg: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *apiError {
	return errf(CodeBadRequest, format, args...)
}

func notFound(msg string) *apiError { return &apiError{code: CodeNotFound, msg: msg} }

// request is what a handler sees. Handlers run with s.mu held.
type request struct {
	method   string
	endpoint string
	query    url.Values
	body     []byte
	user     string // the token's owner
}

// decode parses the JSON body strictly into v: unknown fields are refused,
// so a misspelt parameter is an error rather than silently ignored.
func (r *request) decode(v any) error {
	if len(bytes.TrimSpace(r.body)) == 0 {
		return badRequest("请求体不能为空")
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("参数错误: %v", err)
	}
	return nil
}

// base is the token every POST body carries.
type base struct {
	Token string `json:"token"`
}

type handlerFunc func(r *request) (any, error)

type route struct {
	method string
	auth   bool
	h      handlerFunc
}

func (s *Server) routes() map[string]route {
	return map[string]route{
		"util/genToken":                   {http.MethodPost, false, s.genToken},
		"util/renewToken":                 {http.MethodGet, false, s.renewToken},
		"util/rmToken":                    {http.MethodGet, false, s.rmToken},
		"user/getAllUsers":                {http.MethodGet, true, s.getAllUsers},
		"project/list":                    {http.MethodGet, true, s.listProjects},
		"projectUser/list":                {http.MethodGet, true, s.listProjectUsers},
		"role/list":                       {http.MethodGet, true, s.listRoles},
		"user/permissions":                {http.MethodGet, true, s.userPermissions},
		"systemRole/list":                 {http.MethodPost, true, s.listSystemRoles},
		"user/batchImport":                {http.MethodPost, true, s.batchImport},
		"userAttr/update":                 {http.MethodPost, true, s.updateUserAttrs},
		"role/importDataPermissions":      {http.MethodPost, true, s.importDataPermissions},
		"user/delRoles":                   {http.MethodPost, true, s.delRoles},
		"role/ext/delete":                 {http.MethodPost, true, s.deleteRole},
		"role/folder/add":                 {http.MethodPost, true, s.addRoleFolder},
		"group/add":                       {http.MethodPost, true, s.addGroup},
		"group/ext/update":                {http.MethodPost, true, s.updateGroup},
		"group/dels":                      {http.MethodPost, true, s.deleteGroups},
		"group/ext/delUsers":              {http.MethodPost, true, s.deleteGroupUsers},
		"orgStructure/syncOrg":            {http.MethodPost, true, s.syncOrg},
		"projectUser/delUsersByUniqueIds": {http.MethodPost, true, s.deleteProjectUsers},
		"domain/user/delete":              {http.MethodPost, true, s.deleteDomainUsers},
		"systemRole/add":                  {http.MethodPost, true, s.addSystemRole},
		"systemRole/update":               {http.MethodPost, true, s.updateSystemRole},
		"systemRole/dels":                 {http.MethodPost, true, s.deleteSystemRoles},
		"project/add":                     {http.MethodPost, true, s.addProject},
		"project/update":                  {http.MethodPost, true, s.updateProject},
		"project/del":                     {http.MethodDelete, true, s.deleteProject},
		"directResourcePerm/syncMembers":  {http.MethodPost, true, s.syncResourceMembers},
	}
}

// Endpoints lists every endpoint the simulator serves, sorted.
func Endpoints() []string {
	s := &Server{}
	var out []string
	for k := range s.routes() {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (s *Server) serveHTTP(w http.ResponseWriter, hr *http.Request) {
	if !strings.HasPrefix(hr.URL.Path, PathPrefix) {
		writeEnvelope(w, http.StatusNotFound, CodeNotFound, nil, "接口不存在", "")
		return
	}
	endpoint := strings.TrimPrefix(hr.URL.Path, PathPrefix)
	rt, ok := s.table[endpoint]
	if !ok {
		writeEnvelope(w, http.StatusNotFound, CodeNotFound, nil, "接口不存在: "+endpoint, "")
		return
	}
	body, err := io.ReadAll(io.LimitReader(hr.Body, maxBodyBytes+1))
	if err != nil {
		writeEnvelope(w, http.StatusBadRequest, CodeBadRequest, nil, "读取请求体失败", "")
		return
	}
	if len(body) > maxBodyBytes {
		writeEnvelope(w, http.StatusRequestEntityTooLarge, CodeBadRequest, nil, "请求体过大", "")
		return
	}
	req := &request{method: hr.Method, endpoint: endpoint, query: hr.URL.Query(), body: body}

	// Record the call and draw its fault. The redaction runs before the
	// lock: other requests need not wait for it.
	var logged Call
	if !s.opts.NoCallLog {
		logged = Call{Method: hr.Method, Endpoint: endpoint, Query: redactQuery(req.query), Body: redactBody(body)}
	}
	s.mu.Lock()
	s.calls[endpoint]++
	s.total++
	if !s.opts.NoCallLog {
		s.callLog = append(s.callLog, logged)
	}
	s.seq++
	logPath := fmt.Sprintf("http://127.0.0.1:8009/operation/log/sim%08d", s.seq)
	fault := s.drawFault(endpoint)
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
	// A 429 comes from a rate limit in front of the server: it refuses the
	// request, AfterApply or not.
	if fault.kind != faultNone && (!fault.afterApply || fault.kind == fault429) {
		s.logf("%s %s → injected %s", hr.Method, endpoint, fault.kind)
		writeFault(w, hr, fault)
		return
	}

	code, result, msg := s.handle(rt, req)
	if fault.kind != faultNone {
		s.logf("%s %s → code %d, then injected %s", hr.Method, endpoint, code, fault.kind)
		writeFault(w, hr, fault)
		return
	}
	s.logf("%s %s → code %d", hr.Method, endpoint, code)
	writeEnvelope(w, http.StatusOK, code, result, msg, logPath)
}

// handle checks the method and the token and runs the handler under the
// state lock.
func (s *Server) handle(rt route, req *request) (int, any, string) {
	if req.method != rt.method {
		return 405, nil, fmt.Sprintf("请求方法错误: %s 需要使用 %s", req.endpoint, rt.method)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if rt.auth {
		tok := s.requestToken(req)
		if tok == "" || !s.tokens[tok] {
			return CodeTokenInvalid, nil, MsgTokenInvalid
		}
		if s.expireIn == 0 {
			s.expireAll()
			return CodeTokenInvalid, nil, MsgTokenInvalid
		}
		if s.expireIn > 0 {
			s.expireIn--
		}
		req.user = s.st.Admin
	}
	for _, v := range s.objFaults[req.endpoint] {
		if requestHolds(req, v) {
			return CodeInternal, nil, MsgInternal
		}
	}
	result, err := rt.h(req)
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			return ae.code, nil, ae.msg
		}
		return CodeInternal, nil, MsgInternal
	}
	return CodeOK, result, ""
}

// requestToken finds the token where the document puts it: the query
// string for GET, the JSON body for POST; DELETE (project/del) accepts
// either.
func (s *Server) requestToken(req *request) string {
	fromBody := func() string {
		var b struct {
			Token string `json:"token"`
		}
		if json.Unmarshal(req.body, &b) != nil {
			return ""
		}
		return b.Token
	}
	switch req.method {
	case http.MethodGet:
		return req.query.Get("token")
	case http.MethodPost:
		return fromBody()
	default:
		if t := fromBody(); t != "" {
			return t
		}
		return req.query.Get("token")
	}
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf("youdatatest: "+format, args...)
	}
}

type faultKind string

const (
	faultNone     faultKind = ""
	fault5xx      faultKind = "HTTP 503"
	fault429      faultKind = "HTTP 429"
	faultAPIError faultKind = "code 500"
	faultTimeout  faultKind = "timeout"
	faultReset    faultKind = "reset"
)

// defaultHold is how long a timeout fault holds the answer by default.
const defaultHold = 30 * time.Second

type drawnFault struct {
	latency    time.Duration
	hold       time.Duration
	kind       faultKind
	afterApply bool
}

// drawFault decides the fault of one call; s.mu is held.
func (s *Server) drawFault(endpoint string) drawnFault {
	f := s.faults[endpoint]
	if f == nil {
		f = s.faults["*"]
	}
	if f == nil {
		return drawnFault{}
	}
	d := drawnFault{latency: f.Latency, afterApply: f.AfterApply, hold: f.Hold}
	switch {
	case f.Permanent:
		d.kind = faultAPIError
	case f.FailNext > 0:
		f.FailNext--
		d.kind = fault5xx
	case f.Share5xx > 0 || f.Share429 > 0 || f.ShareAPIError > 0 || f.ShareTimeout > 0 || f.ShareReset > 0:
		x := s.rnd.Float64()
		switch {
		case x < f.Share5xx:
			d.kind = fault5xx
		case x < f.Share5xx+f.Share429:
			d.kind = fault429
		case x < f.Share5xx+f.Share429+f.ShareAPIError:
			d.kind = faultAPIError
		case x < f.Share5xx+f.Share429+f.ShareAPIError+f.ShareTimeout:
			d.kind = faultTimeout
		case x < f.Share5xx+f.Share429+f.ShareAPIError+f.ShareTimeout+f.ShareReset:
			d.kind = faultReset
		}
	}
	if d.kind != faultNone {
		s.faultCounts[d.kind]++
	}
	return d
}

func writeFault(w http.ResponseWriter, hr *http.Request, f drawnFault) {
	switch f.kind {
	case faultTimeout:
		// Hold the answer until the client gives up; a client that waits
		// longer than Hold gets what a gateway answers.
		hold := f.hold
		if hold <= 0 {
			hold = defaultHold
		}
		t := time.NewTimer(hold)
		defer t.Stop()
		select {
		case <-t.C:
		case <-hr.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusGatewayTimeout)
		_, _ = io.WriteString(w, "<html><body><h1>504 Gateway Time-out</h1></body></html>\n")
		return
	case faultReset:
		// Close the connection without an answer; a reset (RST) rather
		// than an orderly close where the platform allows.
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic(http.ErrAbortHandler)
		}
		conn, _, err := hj.Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = conn.Close()
		return
	case fault5xx:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>\n")
	case fault429:
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, "Too Many Requests\n")
	default:
		writeEnvelope(w, http.StatusOK, CodeInternal, nil, MsgInternal, "")
	}
}

func writeEnvelope(w http.ResponseWriter, status, code int, result any, msg, logPath string) {
	env := struct {
		Code    int    `json:"code"`
		Result  any    `json:"result,omitempty"`
		Message string `json:"message,omitempty"`
		LogPath string `json:"logPath,omitempty"`
	}{code, result, msg, logPath}
	b, err := json.Marshal(env)
	if err != nil {
		b = []byte(`{"code":500,"message":"内部错误"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if code == 405 {
		w.Header().Set("Allow", "GET, POST, DELETE")
	}
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

var secretKeys = map[string]bool{"token": true, "t": true, "password": true,
	"defaultPassword": true, "key": true, "integrateToken": true}

const redacted = "REDACTED"

func redactQuery(q url.Values) string {
	c := url.Values{}
	for k, v := range q {
		if secretKeys[k] {
			c[k] = []string{redacted}
			continue
		}
		c[k] = v
	}
	return c.Encode()
}

// redactBody replaces secrets in a JSON body; a body that is not JSON is
// kept only as its length.
func redactBody(body []byte) []byte {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return []byte(fmt.Sprintf("<%d bytes, not JSON>", len(body)))
	}
	v = redactValue(v)
	out, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return out
}

func redactValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if secretKeys[k] {
				x[k] = redacted
				continue
			}
			x[k] = redactValue(e)
		}
	case []any:
		for i, e := range x {
			x[i] = redactValue(e)
		}
	}
	return v
}

// requestHolds reports whether a string value occurs in the query or the
// JSON body of a request.
func requestHolds(req *request, value string) bool {
	for k, vs := range req.query {
		if secretKeys[k] {
			continue
		}
		for _, v := range vs {
			if v == value {
				return true
			}
		}
	}
	var v any
	if json.Unmarshal(req.body, &v) != nil {
		return false
	}
	return holds(v, value)
}

func holds(v any, value string) bool {
	switch x := v.(type) {
	case string:
		return x == value
	case map[string]any:
		for k, e := range x {
			if !secretKeys[k] && holds(e, value) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if holds(e, value) {
				return true
			}
		}
	}
	return false
}

func randomToken() string {
	var b [18]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("youdatatest: no randomness: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}
