package youdatatest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// env is a decoded answer.
type env struct {
	HTTP    int
	Code    int             `json:"code"`
	Result  json.RawMessage `json:"result"`
	Message string          `json:"message"`
	Raw     string
}

// get calls a GET endpoint with the server's token (unless query has one).
func get(t testing.TB, s *Server, endpoint string, query map[string]string) env {
	t.Helper()
	q := url.Values{}
	q.Set("token", s.Token())
	for k, v := range query {
		q.Set(k, v)
	}
	if v, ok := query["token"]; ok && v == "" {
		q.Del("token")
	}
	return do(t, s, http.MethodGet, endpoint+"?"+q.Encode(), nil)
}

// post calls a POST endpoint with the server's token in the body (unless
// body sets "token").
func post(t testing.TB, s *Server, endpoint string, body map[string]any) env {
	t.Helper()
	b := map[string]any{"token": s.Token()}
	for k, v := range body {
		b[k] = v
	}
	if v, ok := body["token"]; ok && v == nil {
		delete(b, "token")
	}
	raw, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, s, http.MethodPost, endpoint, raw)
}

func do(t testing.TB, s *Server, method, endpoint string, body []byte) env {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+PathPrefix+endpoint, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	e := env{HTTP: resp.StatusCode, Raw: string(raw)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatalf("%s %s: answer is not JSON: %v: %s", method, endpoint, err, raw)
		}
	}
	return e
}

// ok fails unless the answer is code 200 and decodes its result into v.
func (e env) ok(t *testing.T, v any) {
	t.Helper()
	if e.HTTP != http.StatusOK || e.Code != CodeOK {
		t.Fatalf("answer HTTP %d code %d %q, want code 200: %s", e.HTTP, e.Code, e.Message, e.Raw)
	}
	if v != nil {
		if err := json.Unmarshal(e.Result, v); err != nil {
			t.Fatalf("decode result: %v: %s", err, e.Result)
		}
	}
}

// fails fails unless the answer is HTTP 200 with the code and a message
// containing msg.
func (e env) fails(t *testing.T, code int, msg string) {
	t.Helper()
	if e.HTTP != http.StatusOK || e.Code != code || !strings.Contains(e.Message, msg) {
		t.Fatalf("answer HTTP %d code %d %q, want code %d with %q: %s", e.HTTP, e.Code, e.Message, code, msg, e.Raw)
	}
}

func mustSeed(t *testing.T, yml string) *Seed {
	t.Helper()
	seed, err := ParseSeed([]byte(yml))
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	return seed
}

func newServer(t *testing.T, yml string) *Server {
	t.Helper()
	s := New(Options{Seed: mustSeed(t, yml), Token: "tok-test", TokenKey: "key-1",
		Password: "pw-1", Rand: 1})
	t.Cleanup(s.Close)
	return s
}

// baseSeed is a small company used by most tests.
const baseSeed = `
admin: {uniqueId: admin, email: admin@example.com, nick: 管理员}
orgs:
  company: 测试公司
  departments:
    - {code: HQ, name: 总部}
    - {code: SALES, name: 销售部, parent: HQ}
    - {code: SALES_N, name: 华北, parent: SALES}
    - {code: FIN, name: 财务部, parent: HQ}
attributes:
  - {id: 1, name: region}
users:
  - {uniqueId: alice, email: alice@example.com, nick: Alice, orgs: [{code: SALES_N}]}
  - {uniqueId: bob, email: bob@example.com, nick: Bob, orgs: [{code: SALES}]}
  - {uniqueId: carol, email: carol@example.com, nick: Carol}
  - {uniqueId: dave, nick: Dave}
systemRoles:
  - {name: 审计员, description: 审计}
projects:
  - name: 销售分析
    members:
      - {user: admin, systemRoles: [admin]}
      - {user: alice, systemRoles: [editor]}
    groups:
      - {name: 华北组, folder: 区域组, description: 华北的人, members: [alice]}
      - {name: 空组}
    roles:
      - {name: 阅览, description: 看报告}
      - {name: 编辑, folder: 通用, level: 2}
    dataPermissions:
      - name: 华北数据
        folder: 区域
        rules:
          - connection: 2010
            details:
              - {tableName: 订单, filterType: listFilter, selectType: select, filter: {dim: {field: 地区, dataType: String}, select: [华北, 东北]}}
  - name: 财务
    members:
      - {user: admin, systemRoles: [admin]}
`

func projectID(t *testing.T, s *Server, name string) int64 {
	t.Helper()
	p := s.Snapshot().ProjectByName(name)
	if p == nil {
		t.Fatalf("no project %q", name)
	}
	return p.ID
}
