package quickbitest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The reference's check values (section "Check values").
var checkTime = time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)

var rpcCheckParams = map[string]string{
	"Action": "QueryUserList", "Version": "2022-01-01", "Format": "json", "AccessKeyId": "testid",
	"SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
	"SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "Timestamp": "2024-01-01T12:00:00Z",
	"Keyword": "张 三*~", "PageNum": "1", "PageSize": "100",
}

const rpcCheckSignature = "gGG80/t659bnIkUmPsYmUFxu3zY="

const (
	v3CheckBody      = "RoleIds=111111113%2C456"
	v3CheckBodyHash  = "e7f77758ead88ac5c907f03f1ac7a6dfc4ab5b7e692608b35bde3dd1bf65a8cf"
	v3CheckSigned    = "content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version"
	v3CheckSignature = "987cb5509054adedb278a5c8657b5cf9aa0a26466241e031201b0d7b0cc71a0a"
)

var v3CheckQuery = map[string]string{"NickName": "张三", "UserType": "1", "AccountId": "191476000023754"}

var v3CheckHeaders = map[string]string{
	"host": "quickbi-public.cn-hangzhou.aliyuncs.com", "x-acs-action": "AddUser", "x-acs-version": "2022-01-01",
	"x-acs-date": "2024-01-01T12:00:00Z", "x-acs-signature-nonce": "d410180a5abf7fe235dd9b74aca91fc0",
	"content-type": "application/x-www-form-urlencoded", "x-acs-content-sha256": v3CheckBodyHash,
}

func TestSignatureCheckValues(t *testing.T) {
	if got := rpcSignature("testsecret", rpcStringToSign("GET", rpcCheckParams)); got != rpcCheckSignature {
		t.Errorf("RPC signature %s, want %s", got, rpcCheckSignature)
	}
	if got := sha256Hex([]byte(v3CheckBody)); got != v3CheckBodyHash {
		t.Errorf("body hash %s, want %s", got, v3CheckBodyHash)
	}
	if got := sha256Hex(nil); got != emptyBodyHash {
		t.Errorf("empty body hash %s", got)
	}
	cr := v3CanonicalRequest("POST", "/", v3CheckQuery, v3CheckHeaders, strings.Split(v3CheckSigned, ";"), v3CheckBodyHash)
	if got := v3Signature("testsecret", v3StringToSign(cr)); got != v3CheckSignature {
		t.Errorf("V3 signature %s, want %s\ncanonical request:\n%s", got, v3CheckSignature, cr)
	}
	if got := percentEncode("张 三*~"); got != "%E5%BC%A0%20%E4%B8%89%2A~" {
		t.Errorf("percentEncode = %s", got)
	}
}

// checkServer accepts the check values' key at the check values' time.
func checkServer(t *testing.T) *Server {
	t.Helper()
	seed, err := ParseSeed([]byte(`orgRoles: [{id: 456, name: 自定义角色}]`))
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{Seed: seed, AccessKeyID: "testid", AccessKeySecret: "testsecret",
		Now: func() time.Time { return checkTime.Add(3 * time.Minute) }})
	t.Cleanup(s.Close)
	return s
}

func rpcCheckRequest(t *testing.T, s *Server, edit func(q url.Values)) *http.Request {
	q := url.Values{}
	for k, v := range rpcCheckParams {
		q.Set(k, v)
	}
	q.Set("Signature", rpcCheckSignature)
	if edit != nil {
		edit(q)
	}
	hr, err := http.NewRequest(http.MethodGet, s.URL()+"/?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return hr
}

func v3CheckRequest(t *testing.T, s *Server, body string, query map[string]string) *http.Request {
	q := url.Values{}
	for k, v := range query {
		q.Set(k, v)
	}
	hr, err := http.NewRequest(http.MethodPost, s.URL()+"/?"+q.Encode(), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	hr.Host = v3CheckHeaders["host"]
	for k, v := range v3CheckHeaders {
		if k != "host" {
			hr.Header.Set(k, v)
		}
	}
	hr.Header.Set("Authorization", "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders="+v3CheckSigned+",Signature="+v3CheckSignature)
	return hr
}

// TestCheckValuesAccepted sends the reference's two signed requests, byte
// for byte, and they are accepted; changing one byte is refused.
func TestCheckValuesAccepted(t *testing.T) {
	s := checkServer(t)
	c := &tc{t: t, s: s}
	var users pagedOut[userJSON]
	c.do(rpcCheckRequest(t, s, nil)).ok(t, &users)
	if users.PageSize != 100 || users.PageNum != 1 {
		t.Errorf("paging %+v", users)
	}

	var added struct {
		UserId     string
		NickName   string
		RoleIdList []int64
	}
	c.do(v3CheckRequest(t, s, v3CheckBody, v3CheckQuery)).ok(t, &added)
	if len(added.UserId) != 32 || added.NickName != "张三" || len(added.RoleIdList) != 2 {
		t.Fatalf("AddUser answered %+v", added)
	}
	u := s.Snapshot().UserByID(added.UserId)
	if u == nil || u.AccountID != "191476000023754" || u.UserType != UserTypeDeveloper {
		t.Fatalf("member %+v", u)
	}

	// The same requests again: the nonces are spent.
	c.do(rpcCheckRequest(t, s, nil)).fails(t, 400, CodeNonceUsed)
	c.do(v3CheckRequest(t, s, v3CheckBody, v3CheckQuery)).fails(t, 400, CodeNonceUsed)
}

func TestChangedByteRefused(t *testing.T) {
	cases := []struct {
		name string
		req  func(t *testing.T, s *Server) *http.Request
	}{
		{"RPC parameter value", func(t *testing.T, s *Server) *http.Request {
			return rpcCheckRequest(t, s, func(q url.Values) { q.Set("PageSize", "101") })
		}},
		{"RPC keyword", func(t *testing.T, s *Server) *http.Request {
			return rpcCheckRequest(t, s, func(q url.Values) { q.Set("Keyword", "张 三*!") })
		}},
		{"RPC signature", func(t *testing.T, s *Server) *http.Request {
			return rpcCheckRequest(t, s, func(q url.Values) { q.Set("Signature", "hGG80/t659bnIkUmPsYmUFxu3zY=") })
		}},
		{"RPC method", func(t *testing.T, s *Server) *http.Request {
			hr := rpcCheckRequest(t, s, nil)
			hr.Method = http.MethodPost
			return hr
		}},
		{"V3 query", func(t *testing.T, s *Server) *http.Request {
			return v3CheckRequest(t, s, v3CheckBody, map[string]string{"NickName": "张四", "UserType": "1", "AccountId": "191476000023754"})
		}},
		{"V3 body", func(t *testing.T, s *Server) *http.Request {
			return v3CheckRequest(t, s, "RoleIds=111111113%2C457", v3CheckQuery)
		}},
		{"V3 header", func(t *testing.T, s *Server) *http.Request {
			hr := v3CheckRequest(t, s, v3CheckBody, v3CheckQuery)
			hr.Header.Set("x-acs-signature-nonce", "e410180a5abf7fe235dd9b74aca91fc0")
			return hr
		}},
		{"V3 host", func(t *testing.T, s *Server) *http.Request {
			hr := v3CheckRequest(t, s, v3CheckBody, v3CheckQuery)
			hr.Host = "quickbi-public.cn-shanghai.aliyuncs.com"
			return hr
		}},
		{"V3 signature", func(t *testing.T, s *Server) *http.Request {
			hr := v3CheckRequest(t, s, v3CheckBody, v3CheckQuery)
			hr.Header.Set("Authorization", strings.Replace(hr.Header.Get("Authorization"), "987cb", "987cc", 1))
			return hr
		}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			s := checkServer(t)
			c := &tc{t: t, s: s}
			e := c.do(tt.req(t, s))
			if tt.name == "RPC method" {
				e.fails(t, 400, CodeUnsupportedMethod)
				return
			}
			e.fails(t, 400, CodeSignatureDoesNotMatch)
			if len(s.Snapshot().Users) != 1 {
				t.Fatal("a refused request changed the state")
			}
		})
	}
}

// TestSignatureBodyHashMismatch: a body whose hash is not the signed
// x-acs-content-sha256 is refused even though the signature matches the
// header.
func TestSignatureBodyHashMismatch(t *testing.T) {
	s := checkServer(t)
	c := &tc{t: t, s: s}
	// Same headers and signature, different body bytes of the same length.
	e := c.do(v3CheckRequest(t, s, "RoleIds=111111113%2C457", v3CheckQuery))
	e.fails(t, 400, CodeSignatureDoesNotMatch)
	if !strings.Contains(e.Message, "x-acs-content-sha256") {
		t.Errorf("message %q does not name the body hash", e.Message)
	}
}

func TestSignatureErrors(t *testing.T) {
	clk := &clock{t: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)}
	for _, rpc := range []bool{false, true} {
		name := map[bool]string{false: "V3", true: "RPC"}[rpc]
		t.Run(name, func(t *testing.T) {
			s, c := newServer(t, "", withClock(clk))
			c.rpc = rpc
			c.call("QueryUserList", nil).ok(t, nil)
			c.send("QueryUserList", reqSpec{keyID: "LTAIunknown"}).fails(t, 404, CodeAccessKeyNotFound)
			c.send("QueryUserList", reqSpec{date: "2025-03-01 10:00:00"}).fails(t, 400, CodeTimestampFormat)
			c.send("QueryUserList", reqSpec{date: "2025-03-01T10:16:00Z"}).fails(t, 400, CodeTimestampExpired)
			c.send("QueryUserList", reqSpec{date: "2025-03-01T09:44:00Z"}).fails(t, 400, CodeTimestampExpired)
			c.send("QueryUserList", reqSpec{date: "2025-03-01T10:14:00Z"}).ok(t, nil)
			c.send("QueryUserList", reqSpec{nonce: "n-1"}).ok(t, nil)
			c.send("QueryUserList", reqSpec{nonce: "n-1"}).fails(t, 400, CodeNonceUsed)
			// The wrong secret.
			c.secret = "other"
			e := c.call("QueryUserList", nil)
			e.fails(t, 400, CodeSignatureDoesNotMatch)
			if !strings.Contains(e.Message, "server string to sign is:") || strings.Contains(e.Raw, s.AccessKeySecret()) {
				t.Errorf("mismatch message %q", e.Message)
			}
		})
	}
}

func TestV3HeaderRules(t *testing.T) {
	_, c := newServer(t, "")
	// An x-acs header that is not signed.
	c.send("QueryUserList", reqSpec{edit: func(r *http.Request) { r.Header.Set("x-acs-extra", "1") }}).
		fails(t, 400, CodeIncompleteSignature)
	// A signed header that is missing.
	c.send("QueryUserList", reqSpec{edit: func(r *http.Request) {
		r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), ";x-acs-version,", ";x-acs-version;x-acs-zzz,", 1))
	}}).fails(t, 400, CodeIncompleteSignature)
	// A header the method requires that is neither sent nor signed.
	c.send("QueryUserList", reqSpec{edit: func(r *http.Request) {
		r.Header.Del("x-acs-signature-nonce")
		r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), ";x-acs-signature-nonce", "", 1))
	}}).fails(t, 400, CodeIncompleteSignature)
	// SignedHeaders out of order.
	c.send("QueryUserList", reqSpec{edit: func(r *http.Request) {
		r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "host;x-acs-action", "x-acs-action;host", 1))
	}}).fails(t, 400, CodeIncompleteSignature)
	// Spaces after the commas.
	c.send("QueryUserList", reqSpec{edit: func(r *http.Request) {
		r.Header.Set("Authorization", strings.ReplaceAll(r.Header.Get("Authorization"), ",", ", "))
	}}).fails(t, 400, CodeIncompleteSignature)
	// Another algorithm.
	c.send("QueryUserList", reqSpec{edit: func(r *http.Request) {
		r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "ACS3-HMAC-SHA256", "ACS3-HMAC-SM3", 1))
	}}).fails(t, 400, CodeInvalidSignatureMethod)
	// Upper-case hex.
	c.send("QueryUserList", reqSpec{edit: func(r *http.Request) {
		a := r.Header.Get("Authorization")
		i := strings.Index(a, "Signature=") + len("Signature=")
		r.Header.Set("Authorization", a[:i]+strings.ToUpper(a[i:]))
	}}).fails(t, 400, CodeIncompleteSignature)
	// RPC parameters beside the header.
	c.send("QueryUserList", reqSpec{edit: func(r *http.Request) { r.URL.RawQuery = "SignatureNonce=x" }}).
		fails(t, 400, CodeIncompleteSignature)
}

func TestRPCParameterRules(t *testing.T) {
	_, c := newServer(t, "")
	c.rpc = true
	edit := func(k, v string) reqSpec {
		return reqSpec{edit: func(r *http.Request) {
			q := r.URL.Query()
			if v == "" {
				q.Del(k)
			} else {
				q.Set(k, v)
			}
			r.URL.RawQuery = q.Encode()
		}}
	}
	c.send("QueryUserList", edit("SignatureMethod", "HMAC-SHA256")).fails(t, 400, CodeInvalidSignatureMethod)
	c.send("QueryUserList", edit("SignatureVersion", "2.0")).fails(t, 400, "InvalidSignatureVersion")
	c.send("QueryUserList", edit("Format", "XML")).fails(t, 400, CodeInvalidFormat)
	c.send("QueryUserList", edit("Format", "YAML")).fails(t, 400, CodeInvalidFormat)
	c.send("QueryUserList", edit("Signature", "")).fails(t, 400, "MissingSignature")
	c.send("QueryUserList", edit("SignatureNonce", "")).fails(t, 400, "MissingSignatureNonce")
	c.send("QueryUserList", edit("Timestamp", "")).fails(t, 400, "MissingTimestamp")
	c.send("QueryUserList", edit("Version", "2020-08-01")).fails(t, 404, CodeInvalidAPI)
	c.send("QueryUserList", edit("Version", "")).fails(t, 400, "MissingVersion")
	c.send("QueryUserList", edit("Action", "")).fails(t, 400, "MissingAction")
	// AddUser's RoleIds travels in the form body and is signed there.
	var added struct{ UserId string }
	c.call("AddUser", p("NickName", "小明", "UserType", "3", "AccountName", "ops:xiaoming", "RoleIds", "111111113,111111112")).ok(t, &added)
	if r := c.s.Snapshot().UserByID(added.UserId).Roles; len(r) != 2 {
		t.Fatalf("roles %v", r)
	}
}

func TestSecurityToken(t *testing.T) {
	none, wrong := "", "sts-token-2"
	for _, rpc := range []bool{false, true} {
		s, c := newServer(t, "", func(o *Options) { o.SecurityToken = "sts-token-1" })
		c.rpc = rpc
		c.call("QueryUserList", nil).ok(t, nil)
		c.token = &none
		c.call("QueryUserList", nil).fails(t, 400, CodeSecurityTokenMismatch)
		c.token = &wrong
		c.call("QueryUserList", nil).fails(t, 400, CodeSecurityTokenMismatch)
		for _, call := range s.CallLog() {
			if strings.Contains(call.Query+call.Body, "sts-token") {
				t.Errorf("the call log shows the security token: %+v", call)
			}
		}
		// A token sent to a server that has none.
		_, c2 := newServer(t, "")
		c2.rpc = rpc
		c2.token = &wrong
		c2.call("QueryUserList", nil).fails(t, 400, CodeSecurityTokenMismatch)
	}
}

func TestActionVersionAndMethod(t *testing.T) {
	_, c := newServer(t, "")
	c.call("NoSuchAction", nil).fails(t, 404, CodeInvalidAPI)
	c.call("queryUserList", nil).fails(t, 404, CodeInvalidAPI) // case-sensitive
	c.send("QueryUserList", reqSpec{edit: func(r *http.Request) { r.Header.Set("x-acs-version", "2020-07-31") }}).
		fails(t, 404, CodeInvalidAPI)
	c.send("QueryUserList", reqSpec{method: http.MethodPost}).fails(t, 400, CodeUnsupportedMethod)
	c.send("QueryUserTagMetaList", reqSpec{method: http.MethodPost}).fails(t, 400, CodeUnsupportedMethod)
	c.send("QueryUserTagValueList", reqSpec{method: http.MethodPost, query: p("UserId", "x")}).fails(t, 400, CodeUnsupportedMethod)
	c.send("ListOrganizationRoles", reqSpec{method: http.MethodGet}).fails(t, 400, CodeUnsupportedMethod)
	c.send("QueryUserList", reqSpec{edit: func(r *http.Request) { r.URL.Path = "/api" }}).fails(t, 404, CodeInvalidAPI)
	for _, a := range []string{"QueryUserList", "QueryUserTagMetaList", "QueryUserTagValueList"} {
		if m := c.s.actions[a].method; m != http.MethodGet {
			t.Errorf("%s is %s, want GET", a, m)
		}
	}
	for _, a := range Actions() {
		if a != "QueryUserList" && a != "QueryUserTagMetaList" && a != "QueryUserTagValueList" && c.s.actions[a].method != http.MethodPost {
			t.Errorf("%s is %s, want POST", a, c.s.actions[a].method)
		}
	}
}
