package apiclient

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // HMAC-SHA1 is what the RPC signature v1 specifies
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"sort"
	"strings"
)

// Signature algorithms of Config.SignatureAlgorithm.
const (
	// SignatureV3 is ACS3-HMAC-SHA256: the request's facts travel in
	// x-acs-* headers, signed in an Authorization header. The default.
	SignatureV3 = "ACS3-HMAC-SHA256"
	// SignatureRPC is the RPC signature v1 (HMAC-SHA1): the facts travel
	// as common parameters in the query string, signed in a Signature
	// parameter.
	SignatureRPC = "HMAC-SHA1"
)

// APIVersion is the Quick BI OpenAPI version every request names.
const APIVersion = "2022-01-01"

// emptySHA256 is the hex SHA-256 of an empty payload.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// timeFormat is the UTC time of x-acs-date and Timestamp.
const timeFormat = "2006-01-02T15:04:05Z"

// percentEncode is RFC 3986 encoding: A-Z a-z 0-9 - _ . ~ stay, every other
// byte of the UTF-8 form becomes %XY with upper-case hex (so a space is
// %20 and * is %2A).
func percentEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hexDigits[c>>4], hexDigits[c&0x0f])
	}
	return string(b)
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
}

// canonicalQuery is the parameters sorted by name in byte order, each as
// enc(name)=enc(value) (an empty value gives "name="), joined with &. It is
// also the query string and the form body the client sends, so that what
// the server decodes is exactly what was signed.
func canonicalQuery(params map[string]string) string {
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for i, k := range names {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(percentEncode(k))
		b.WriteByte('=')
		b.WriteString(percentEncode(params[k]))
	}
	return b.String()
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// v3Input is what the V3 signature covers.
type v3Input struct {
	Method string
	// Query holds the query parameters (not the form body's).
	Query map[string]string
	// Headers are the headers to sign, names in lower case: host,
	// content-type when there is a body, and every x-acs-* header
	// (x-acs-content-sha256 included).
	Headers map[string]string
}

// v3CanonicalRequest builds the CanonicalRequest of ACS3-HMAC-SHA256 and the
// SignedHeaders list: METHOD, CanonicalURI "/", CanonicalQueryString,
// CanonicalHeaders (each "name:trimmed-value\n", sorted, then an empty
// line from the separator), SignedHeaders, HashedRequestPayload.
func v3CanonicalRequest(in v3Input) (canonical, signedHeaders string) {
	names := make([]string, 0, len(in.Headers))
	for k := range in.Headers {
		names = append(names, strings.ToLower(k))
	}
	sort.Strings(names)
	lower := make(map[string]string, len(in.Headers))
	for k, v := range in.Headers {
		lower[strings.ToLower(k)] = v
	}
	var hb strings.Builder
	for _, k := range names {
		hb.WriteString(k)
		hb.WriteByte(':')
		hb.WriteString(strings.TrimSpace(lower[k]))
		hb.WriteByte('\n')
	}
	signedHeaders = strings.Join(names, ";")
	canonical = strings.Join([]string{
		in.Method,
		"/",
		canonicalQuery(in.Query),
		hb.String(),
		signedHeaders,
		lower["x-acs-content-sha256"],
	}, "\n")
	return canonical, signedHeaders
}

// signV3 gives the SignedHeaders list and the hex signature of a request:
// HMAC-SHA256(key = secret, "ACS3-HMAC-SHA256\n" + hex(SHA-256(CanonicalRequest))).
func signV3(secret string, in v3Input) (signedHeaders, signature string) {
	canonical, signedHeaders := v3CanonicalRequest(in)
	stringToSign := SignatureV3 + "\n" + sha256Hex([]byte(canonical))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(stringToSign))
	return signedHeaders, hex.EncodeToString(mac.Sum(nil))
}

// v3Authorization is the Authorization header: no spaces after the commas.
func v3Authorization(accessKeyID, signedHeaders, signature string) string {
	return SignatureV3 + " Credential=" + accessKeyID + ",SignedHeaders=" + signedHeaders + ",Signature=" + signature
}

// rpcStringToSign is HTTPMethod & enc("/") & enc(canonicalized query
// string) over every parameter but Signature, from the query and the form
// body alike.
func rpcStringToSign(method string, params map[string]string) string {
	return method + "&" + percentEncode("/") + "&" + percentEncode(canonicalQuery(params))
}

// signRPC is Base64(HMAC-SHA1(key = secret + "&", StringToSign)).
func signRPC(secret, method string, params map[string]string) string {
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(rpcStringToSign(method, params)))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
