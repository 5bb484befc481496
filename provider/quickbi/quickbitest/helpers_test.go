package quickbitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// env is a decoded answer.
type env struct {
	HTTP      int
	Header    http.Header
	RequestId string          `json:"RequestId"`
	Success   *bool           `json:"Success"`
	Result    json.RawMessage `json:"Result"`
	HostId    string          `json:"HostId"`
	Code      string          `json:"Code"`
	Message   string          `json:"Message"`
	Recommend string          `json:"Recommend"`
	Raw       string
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// tc is a test client that signs every request like the reference says.
type tc struct {
	t     testing.TB
	s     *Server
	rpc   bool
	nonce int
	// now is the time the client signs with (default: the server's clock).
	now func() time.Time
	// host overrides the Host header.
	host string
	// token is the STS token sent; default the server's.
	token *string
	// secret signs; default the server's.
	secret string
}

func (c *tc) key() string {
	if c.secret != "" {
		return c.secret
	}
	return c.s.AccessKeySecret()
}

func (c *tc) stsToken() string {
	if c.token != nil {
		return *c.token
	}
	return c.s.SecurityToken()
}

func newServer(t testing.TB, seed string, opts ...func(*Options)) (*Server, *tc) {
	t.Helper()
	var sd *Seed
	if seed != "" {
		var err error
		if sd, err = ParseSeed([]byte(seed)); err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	o := Options{Seed: sd, AccessKeySecret: "test-secret"}
	for _, f := range opts {
		f(&o)
	}
	s, err := NewFromOptions(o)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(s.Close)
	return s, &tc{t: t, s: s}
}

func withClock(c *clock) func(*Options) { return func(o *Options) { o.Now = c.Now } }

// req is one request to build.
type reqSpec struct {
	method string            // default: the action's
	query  map[string]string // business parameters in the query
	body   map[string]string // form body (default: the action's inBody params taken from query)
	// edit changes the request after signing.
	edit func(r *http.Request)
	// sign changes signing inputs.
	nonce string
	date  string
	keyID string
}

func (c *tc) call(action string, params map[string]string) env {
	c.t.Helper()
	return c.send(action, reqSpec{query: params})
}

func (c *tc) send(action string, r reqSpec) env {
	c.t.Helper()
	return c.do(c.build(action, r))
}

// build makes and signs a request.
func (c *tc) build(action string, r reqSpec) *http.Request {
	c.t.Helper()
	method := r.method
	query := map[string]string{}
	body := map[string]string{}
	for k, v := range r.body {
		body[k] = v
	}
	act := c.s.actions[action]
	for k, v := range r.query {
		if act != nil && r.body == nil && isBodyParam(act, k) {
			body[k] = v
			continue
		}
		query[k] = v
	}
	if method == "" {
		method = http.MethodPost
		if act != nil {
			method = act.method
		}
	}
	now := c.s.now()
	if c.now != nil {
		now = c.now()
	}
	c.nonce++
	nonce := r.nonce
	if nonce == "" {
		nonce = fmt.Sprintf("nonce-%s-%d-%d", c.t.Name(), c.nonce, now.UnixNano())
	}
	date := r.date
	if date == "" {
		date = now.UTC().Format(timeLayout)
	}
	keyID := r.keyID
	if keyID == "" {
		keyID = c.s.AccessKeyID()
	}
	var bodyBytes []byte
	if len(body) > 0 {
		bodyBytes = []byte(formEncode(body))
	}
	var hr *http.Request
	if c.rpc {
		all := map[string]string{"Action": action, "Version": APIVersion, "Format": "json", "AccessKeyId": keyID,
			"SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "SignatureNonce": nonce, "Timestamp": date}
		if tok := c.stsToken(); tok != "" {
			all["SecurityToken"] = tok
		}
		for k, v := range query {
			all[k] = v
		}
		sign := map[string]string{}
		for k, v := range all {
			sign[k] = v
		}
		for k, v := range body {
			sign[k] = v
		}
		all["Signature"] = rpcSignature(c.key(), rpcStringToSign(method, sign))
		hr, _ = http.NewRequest(method, c.s.URL()+"/?"+formEncode(all), bytes.NewReader(bodyBytes))
		if len(bodyBytes) > 0 {
			hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		u := c.s.URL() + "/"
		if len(query) > 0 {
			u += "?" + formEncode(query)
		}
		hr, _ = http.NewRequest(method, u, bytes.NewReader(bodyBytes))
		if c.host != "" {
			hr.Host = c.host
		}
		h := map[string]string{"host": hr.URL.Host, "x-acs-action": action, "x-acs-version": APIVersion,
			"x-acs-date": date, "x-acs-signature-nonce": nonce, "x-acs-content-sha256": sha256Hex(bodyBytes)}
		if c.host != "" {
			h["host"] = c.host
		}
		if len(bodyBytes) > 0 {
			h["content-type"] = "application/x-www-form-urlencoded"
		}
		if tok := c.stsToken(); tok != "" {
			h["x-acs-security-token"] = tok
		}
		var names []string
		for k, v := range h {
			names = append(names, k)
			if k != "host" {
				hr.Header.Set(k, v)
			}
		}
		sort.Strings(names)
		cr := v3CanonicalRequest(method, "/", query, h, names, h["x-acs-content-sha256"])
		sig := v3Signature(c.key(), v3StringToSign(cr))
		hr.Header.Set("Authorization", "ACS3-HMAC-SHA256 Credential="+keyID+",SignedHeaders="+strings.Join(names, ";")+",Signature="+sig)
	}
	if r.edit != nil {
		r.edit(hr)
	}
	return hr
}

func isBodyParam(a *action, name string) bool {
	for _, p := range a.params {
		if p.name == name {
			return p.flags&inBody != 0
		}
	}
	return false
}

// formEncode encodes with %20 for spaces (RFC 3986), sorted.
func formEncode(m map[string]string) string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, percentEncode(k)+"="+percentEncode(m[k]))
	}
	return strings.Join(parts, "&")
}

func (c *tc) do(hr *http.Request) env {
	c.t.Helper()
	resp, err := c.s.Client().Do(hr)
	if err != nil {
		c.t.Fatalf("%s: %v", hr.Header.Get("x-acs-action"), err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	e := env{HTTP: resp.StatusCode, Header: resp.Header, Raw: string(raw)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &e); err != nil {
			c.t.Fatalf("answer is not JSON: %v: %s", err, raw)
		}
	}
	return e
}

// ok fails unless the answer is HTTP 200 with Success true, and decodes
// the Result into v.
func (e env) ok(t testing.TB, v any) env {
	t.Helper()
	if e.HTTP != http.StatusOK || e.Success == nil || !*e.Success {
		t.Fatalf("answer HTTP %d %s %q, want success: %s", e.HTTP, e.Code, e.Message, e.Raw)
	}
	if v != nil {
		if err := json.Unmarshal(e.Result, v); err != nil {
			t.Fatalf("decode Result: %v: %s", err, e.Result)
		}
	}
	return e
}

// fails fails unless the answer has that HTTP status and code.
func (e env) fails(t testing.TB, status int, code string) env {
	t.Helper()
	if e.HTTP != status || e.Code != code {
		t.Fatalf("answer HTTP %d %q %q, want HTTP %d %s: %s", e.HTTP, e.Code, e.Message, status, code, e.Raw)
	}
	if e.RequestId == "" || e.HostId == "" || e.Message == "" || !strings.Contains(e.Recommend, "requestId="+e.RequestId) {
		t.Fatalf("error answer lacks RequestId, HostId, Message or Recommend: %s", e.Raw)
	}
	if e.Success != nil || e.Result != nil {
		t.Fatalf("error answer carries Success or Result: %s", e.Raw)
	}
	return e
}

// bad is fails for a business error (HTTP 400).
func (e env) bad(t testing.TB, code string) env {
	t.Helper()
	return e.fails(t, http.StatusBadRequest, code)
}

func (c *tc) ok(action string, params map[string]string, v any) {
	c.t.Helper()
	c.call(action, params).ok(c.t, v)
}

func (c *tc) bad(action string, params map[string]string, code string) env {
	c.t.Helper()
	return c.call(action, params).bad(c.t, code)
}

// isTrue checks a boolean Result.
func (c *tc) isTrue(action string, params map[string]string) {
	c.t.Helper()
	var b bool
	c.ok(action, params, &b)
	if !b {
		c.t.Fatalf("%s: Result false, want true", action)
	}
}

func (c *tc) uid(account string) string {
	c.t.Helper()
	u := c.s.Snapshot().User(account)
	if u == nil {
		c.t.Fatalf("no member %q", account)
	}
	return u.UserID
}

type pagedOut[T any] struct {
	Data       []T `json:"Data"`
	PageNum    int `json:"PageNum"`
	PageSize   int `json:"PageSize"`
	TotalNum   int `json:"TotalNum"`
	TotalPages int `json:"TotalPages"`
}

func p(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// baseSeed is the organization most tests start from.
const baseSeed = `
organization:
  name: 测试组织
  admin: {account: ops, accountId: "1000000000000001", nick: 运维管理员}
orgRoles:
  - {id: 456, name: 数据管理员, authKeys: [quick_monitor]}
  - {id: 457, name: 审计员}
  - {id: 458, name: 观察员}
workspaceRoles:
  - {id: 1001, name: 报表审核员, authKeys: [dashboard_create]}
  - {id: 1002, name: 数据工程师, authKeys: [cube, datasource]}
tags:
  - {id: tag-region, name: region, description: 区域}
  - {id: tag-level, name: level}
users:
  - {account: "ops:zhangsan", accountId: "191476000023001", nick: 张三, type: developer, email: zs@example.com, phone: "13800000000", tags: {region: [华北, 东北]}}
  - {account: "ops:lisi", accountId: "191476000023002", nick: 李四, type: analyst}
  - {account: "ops:wangwu", nick: 王五, type: viewer}
  - {account: "ops:zhaoliu", nick: 赵六, type: developer, roles: [user, 数据管理员]}
  - {account: "other:zhangsan", nick: 张三丰, type: developer}
groups:
  - {id: hq, name: 总部}
  - {id: sales, name: 销售部, parent: hq, description: 销售, members: ["ops:zhangsan", "ops:lisi"]}
  - {id: sales-north, name: 华北销售, parent: sales, members: ["ops:zhangsan"]}
  - {id: finance, name: 财务部}
workspaces:
  - id: ws-sales
    name: 销售分析
    members:
      - {user: "ops:zhangsan", roles: [developer, 报表审核员]}
      - {user: "ops:lisi", roles: [analyst]}
      - {user: "ops:wangwu", roles: [viewer]}
    datasets:
      - id: cube-orders
        name: 订单
        rowLevel:
          enabled: true
          whitelist: {users: ["ops:zhangsan"], groups: [hq]}
          rules:
            - id: rule-north
              name: 华北数据
              users: ["ops:lisi"]
              groups: [sales-north]
              content: {conditionNode: {caption: 区域, name: region, relationOperator: in, value: {value: [华北], valueType: ENUM}}}
        columnLevel:
          rules:
            - {id: rule-cost, name: 隐藏成本, users: ["ops:wangwu"], content: {pathId: ["264b7a970b"]}}
      - {id: cube-stock, name: 库存}
    works:
      - {id: works-board, name: 销售看板, type: PAGE, owner: "ops:zhangsan", embedded: true, components: [cmpt-1, cmpt-2]}
      - {id: works-report, name: 销售报表, type: REPORT}
      - {id: works-screen, name: 销售大屏, type: SCREEN, embedded: true}
      - {id: works-portal, name: 销售门户, type: DATAPRODUCT, embedded: true}
  - id: ws-finance
    name: 财务
`

func sprintf(f string, a ...any) string { return fmt.Sprintf(f, a...) }

// unsaved fails unless the answer is HTTP 200 with Success false (a batch
// call that saved nothing), and decodes the Result into v.
func (e env) unsaved(t testing.TB, v any) {
	t.Helper()
	if e.HTTP != http.StatusOK || e.Success == nil || *e.Success {
		t.Fatalf("answer HTTP %d %s, want Success false: %s", e.HTTP, e.Code, e.Raw)
	}
	if err := json.Unmarshal(e.Result, v); err != nil {
		t.Fatalf("decode Result: %v: %s", err, e.Result)
	}
}
