package apiclient

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestRPCSignatureCheckValue reproduces the reference's RPC check value.
func TestRPCSignatureCheckValue(t *testing.T) {
	params := map[string]string{
		"Action":           "QueryUserList",
		"Version":          "2022-01-01",
		"Format":           "json",
		"AccessKeyId":      "testid",
		"SignatureMethod":  "HMAC-SHA1",
		"SignatureVersion": "1.0",
		"SignatureNonce":   "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
		"Timestamp":        "2024-01-01T12:00:00Z",
		"Keyword":          "张 三*~",
		"PageNum":          "1",
		"PageSize":         "100",
	}
	if got, want := signRPC("testsecret", "GET", params), "gGG80/t659bnIkUmPsYmUFxu3zY="; got != want {
		t.Errorf("signature %s, want %s\nstring to sign: %s", got, want, rpcStringToSign("GET", params))
	}
}

// TestV3SignatureCheckValue reproduces the reference's V3 check value.
func TestV3SignatureCheckValue(t *testing.T) {
	body := "RoleIds=111111113%2C456"
	if got, want := sha256Hex([]byte(body)), "e7f77758ead88ac5c907f03f1ac7a6dfc4ab5b7e692608b35bde3dd1bf65a8cf"; got != want {
		t.Fatalf("body hash %s, want %s", got, want)
	}
	in := v3Input{
		Method: "POST",
		Query:  map[string]string{"NickName": "张三", "UserType": "1", "AccountId": "191476000023754"},
		Headers: map[string]string{
			"host":                  "quickbi-public.cn-hangzhou.aliyuncs.com",
			"x-acs-action":          "AddUser",
			"x-acs-version":         "2022-01-01",
			"x-acs-date":            "2024-01-01T12:00:00Z",
			"x-acs-signature-nonce": "d410180a5abf7fe235dd9b74aca91fc0",
			"x-acs-content-sha256":  sha256Hex([]byte(body)),
			"content-type":          "application/x-www-form-urlencoded",
		},
	}
	sh, sig := signV3("testsecret", in)
	if want := "content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version"; sh != want {
		t.Errorf("SignedHeaders %s, want %s", sh, want)
	}
	if want := "987cb5509054adedb278a5c8657b5cf9aa0a26466241e031201b0d7b0cc71a0a"; sig != want {
		cr, _ := v3CanonicalRequest(in)
		t.Errorf("signature %s, want %s\ncanonical request:\n%s", sig, want, cr)
	}
	if got, want := v3Authorization("testid", sh, sig), "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders="+sh+",Signature="+sig; got != want {
		t.Errorf("Authorization %q, want %q", got, want)
	}
}

func TestPercentEncode(t *testing.T) {
	for in, want := range map[string]string{
		"":           "",
		"AZaz09-_.~": "AZaz09-_.~",
		"a b":        "a%20b",
		"*":          "%2A",
		"+/=&,:":     "%2B%2F%3D%26%2C%3A",
		"张":          "%E5%BC%A0",
		"%":          "%25",
	} {
		if got := percentEncode(in); got != want {
			t.Errorf("percentEncode(%q) = %q, want %q", in, got, want)
		}
	}
	if got, want := canonicalQuery(map[string]string{"b": "", "a": "x y", "B": "1"}), "B=1&a=x%20y&b="; got != want {
		t.Errorf("canonicalQuery = %q, want %q", got, want)
	}
}

// captureTransport answers every request with a fixed body and keeps the
// last request.
type captureTransport struct {
	req  *http.Request
	body []byte
	answ string
}

func (ct *captureTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	ct.req = r
	if r.Body != nil {
		ct.body, _ = io.ReadAll(r.Body)
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(ct.answ)), Request: r}, nil
}

// TestClientPlacesTheCheckRequests: the client itself, given the inputs of
// the reference's check values, sends requests carrying exactly those
// signatures.
func TestClientPlacesTheCheckRequests(t *testing.T) {
	date := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	creds := Credentials{AccessKeyID: "testid", AccessKeySecret: "testsecret"}

	t.Run("RPC", func(t *testing.T) {
		ct := &captureTransport{answ: `{"RequestId":"r","Success":true,"Result":{"Data":[],"PageNum":1,"PageSize":100,"TotalNum":0,"TotalPages":0}}`}
		c, err := New(Config{Region: "cn-hangzhou", Credentials: creds, SignatureAlgorithm: SignatureRPC, HTTPClient: &http.Client{Transport: ct}})
		if err != nil {
			t.Fatal(err)
		}
		c.clock = func() time.Time { return date }
		c.nonce = func() string { return "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf" }
		if _, err := c.QueryUserList(context.Background(), QueryUserListRequest{Keyword: "张 三*~", PageNum: 1, PageSize: 100}); err != nil {
			t.Fatal(err)
		}
		r := ct.req
		if r.Method != "GET" || r.URL.Host != "quickbi-public.cn-hangzhou.aliyuncs.com" || r.URL.Scheme != "https" || r.URL.Path != "/" {
			t.Errorf("request %s %s", r.Method, r.URL)
		}
		q := r.URL.Query()
		if got := q.Get("Signature"); got != "gGG80/t659bnIkUmPsYmUFxu3zY=" {
			t.Errorf("Signature %q, want the reference's gGG80/t659bnIkUmPsYmUFxu3zY=", got)
		}
		if !strings.Contains(r.URL.RawQuery, "Keyword=%E5%BC%A0%20%E4%B8%89%2A~") {
			t.Errorf("Keyword not RFC 3986 encoded: %s", r.URL.RawQuery)
		}
		if len(ct.body) != 0 || r.Header.Get("Authorization") != "" {
			t.Errorf("body %q, Authorization %q", ct.body, r.Header.Get("Authorization"))
		}
	})

	t.Run("V3", func(t *testing.T) {
		ct := &captureTransport{answ: `{"RequestId":"r","Success":true,"Result":{"UserId":"u1"}}`}
		c, err := New(Config{Region: "cn-hangzhou", Credentials: creds, HTTPClient: &http.Client{Transport: ct}})
		if err != nil {
			t.Fatal(err)
		}
		c.clock = func() time.Time { return date }
		c.nonce = func() string { return "d410180a5abf7fe235dd9b74aca91fc0" }
		if _, err := c.AddUser(context.Background(), AddUserRequest{NickName: "张三", UserType: 1, AccountID: "191476000023754", RoleIDs: []int64{111111113, 456}}); err != nil {
			t.Fatal(err)
		}
		r := ct.req
		want := "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=987cb5509054adedb278a5c8657b5cf9aa0a26466241e031201b0d7b0cc71a0a"
		if got := r.Header.Get("Authorization"); got != want {
			t.Errorf("Authorization\n %s\nwant\n %s", got, want)
		}
		if string(ct.body) != "RoleIds=111111113%2C456" {
			t.Errorf("body %q", ct.body)
		}
		for h, v := range map[string]string{"x-acs-action": "AddUser", "x-acs-version": "2022-01-01", "x-acs-date": "2024-01-01T12:00:00Z",
			"x-acs-signature-nonce": "d410180a5abf7fe235dd9b74aca91fc0", "x-acs-content-sha256": "e7f77758ead88ac5c907f03f1ac7a6dfc4ab5b7e692608b35bde3dd1bf65a8cf",
			"content-type": "application/x-www-form-urlencoded"} {
			if got := r.Header.Get(h); got != v {
				t.Errorf("%s = %q, want %q", h, got, v)
			}
		}
		if r.Method != "POST" || r.Host != "quickbi-public.cn-hangzhou.aliyuncs.com" {
			t.Errorf("%s host %q", r.Method, r.Host)
		}
	})
}
