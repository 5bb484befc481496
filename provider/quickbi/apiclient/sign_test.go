package apiclient

import "testing"

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
