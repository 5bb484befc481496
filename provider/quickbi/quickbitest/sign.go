package quickbitest

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"sort"
	"strings"
	"time"
)

// The simulator's own implementation of the reference's two signature
// methods (section "Signatures"). It is deliberately independent of any
// client: a request is accepted only when these functions, written from
// the reference alone, compute the signature it carries.

const (
	v3Algorithm   = "ACS3-HMAC-SHA256"
	rpcMethod     = "HMAC-SHA1"
	rpcVersion    = "1.0"
	timeLayout    = "2006-01-02T15:04:05Z"
	maxClockSkew  = 15 * time.Minute
	emptyBodyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// percentEncode is the reference's enc: RFC 3986, A-Z a-z 0-9 - _ . ~
// unchanged, every other byte of the UTF-8 form %XY in upper-case hex.
func percentEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

// canonicalPairs sorts the parameters by name (byte order) and joins
// enc(name)=enc(value) with "&". Every name has exactly one value (the
// simulator refuses repeated parameters before it gets here).
func canonicalPairs(params map[string]string) string {
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = percentEncode(k) + "=" + percentEncode(params[k])
	}
	return strings.Join(parts, "&")
}

// rpcStringToSign is HTTPMethod & enc("/") & enc(canonicalized query),
// over every parameter but Signature.
func rpcStringToSign(method string, params map[string]string) string {
	p := make(map[string]string, len(params))
	for k, v := range params {
		if k != "Signature" {
			p[k] = v
		}
	}
	return method + "&" + percentEncode("/") + "&" + percentEncode(canonicalPairs(p))
}

// rpcSignature is Base64(HMAC-SHA1(secret + "&", stringToSign)).
func rpcSignature(secret, stringToSign string) string {
	m := hmac.New(sha1.New, []byte(secret+"&"))
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// v3CanonicalRequest builds the canonical request of the V3 method.
// headers are lower-case names to values; signed are the SignedHeaders
// names, sorted.
func v3CanonicalRequest(method, path string, query map[string]string, headers map[string]string, signed []string, payloadHash string) string {
	var ch strings.Builder
	for _, h := range signed {
		ch.WriteString(h)
		ch.WriteByte(':')
		ch.WriteString(strings.TrimSpace(headers[h]))
		ch.WriteByte('\n')
	}
	return strings.Join([]string{method, path, canonicalPairs(query), ch.String(), strings.Join(signed, ";"), payloadHash}, "\n")
}

// v3StringToSign is ACS3-HMAC-SHA256 \n hex(SHA-256(canonical request)).
func v3StringToSign(canonicalRequest string) string {
	sum := sha256.Sum256([]byte(canonicalRequest))
	return v3Algorithm + "\n" + hex.EncodeToString(sum[:])
}

// v3Signature is hex(HMAC-SHA256(secret, stringToSign)).
func v3Signature(secret, stringToSign string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(stringToSign))
	return hex.EncodeToString(m.Sum(nil))
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// v3Auth is a parsed Authorization header.
type v3Auth struct {
	credential string
	signed     []string
	signature  string
}

// parseV3Authorization reads
// "ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<a;b>,Signature=<hex>"
// strictly: the three keys in that order, no spaces after the commas,
// SignedHeaders lower case, sorted and without repeats.
func parseV3Authorization(h string) (*v3Auth, *apiError) {
	incomplete := func(why string) *apiError {
		return gatewayErr(http.StatusBadRequest, CodeIncompleteSignature,
			"The request signature does not conform to Aliyun standards: %s.", why)
	}
	alg, rest, ok := strings.Cut(h, " ")
	if !ok {
		return nil, incomplete("the Authorization header has no algorithm")
	}
	if alg != v3Algorithm {
		return nil, gatewayErr(http.StatusBadRequest, CodeInvalidSignatureMethod,
			"The signature method %q is not supported.", alg)
	}
	parts := strings.Split(rest, ",")
	keys := []string{"Credential", "SignedHeaders", "Signature"}
	if len(parts) != len(keys) {
		return nil, incomplete("the Authorization header needs Credential, SignedHeaders and Signature")
	}
	vals := make([]string, len(keys))
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k != keys[i] || v == "" {
			return nil, incomplete("the Authorization header needs Credential, SignedHeaders and Signature, in that order, without spaces")
		}
		vals[i] = v
	}
	a := &v3Auth{credential: vals[0], signed: strings.Split(vals[1], ";"), signature: vals[2]}
	for i, name := range a.signed {
		if name == "" || name != strings.ToLower(name) {
			return nil, incomplete("SignedHeaders must be lower-case names")
		}
		if i > 0 && a.signed[i-1] >= name {
			return nil, incomplete("SignedHeaders must be sorted and without repeats")
		}
	}
	if len(a.signature) != 64 || strings.ToLower(a.signature) != a.signature {
		return nil, incomplete("the signature is not 64 lower-case hex digits")
	}
	if _, err := hex.DecodeString(a.signature); err != nil {
		return nil, incomplete("the signature is not 64 lower-case hex digits")
	}
	return a, nil
}

// parseTimestamp reads a UTC yyyy-MM-ddTHH:mm:ssZ time.
func parseTimestamp(v string) (time.Time, bool) {
	t, err := time.Parse(timeLayout, v)
	if err != nil || t.Format(timeLayout) != v {
		return time.Time{}, false
	}
	return t, true
}
