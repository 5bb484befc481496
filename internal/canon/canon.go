// Package canon writes canonical JSON (object keys sorted, no
// insignificant whitespace, no HTML escaping, numbers as written) and the
// fingerprints of values that the state keeps. The bytes are part of the
// state format: every fingerprint on disk depends on them.
package canon

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// JSON returns v as canonical JSON: object keys sorted, no
// insignificant whitespace, no HTML escaping, numbers as written. It panics
// only on values that cannot be JSON (channels, functions), which the diff
// never holds.
func JSON(v any) json.RawMessage {
	// The most common values, written directly: an encoder per value was
	// most of diff.Compute's remaining CPU. The output is byte for byte
	// what the encoder below writes (a test pins it).
	switch x := v.(type) {
	case nil:
		return json.RawMessage("null")
	case bool:
		return json.RawMessage(strconv.FormatBool(x))
	case int:
		return json.RawMessage(strconv.Itoa(x))
	case int64:
		return json.RawMessage(strconv.FormatInt(x, 10))
	case string:
		if b, ok := appendString(nil, x); ok {
			return b
		}
	case []string:
		if x == nil {
			return json.RawMessage("null")
		}
		b := make([]byte, 0, 2+16*len(x))
		b = append(b, '[')
		ok := true
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			if b, ok = appendString(b, e); !ok {
				break
			}
		}
		if ok {
			return append(b, ']')
		}
	}
	return encoded(v)
}

// AppendString appends s as a JSON string, as encoding/json writes it
// without HTML escaping (the canonical form fingerprints use).
func AppendString(b []byte, s string) []byte {
	if out, ok := appendString(b, s); ok {
		return out
	}
	return append(b, encoded(s)...)
}

// appendString appends s as encoding/json writes it without HTML
// escaping, or reports false for strings that take more than the common
// escapes (invalid UTF-8, U+2028, U+2029); b is then to be dropped.
func appendString(b []byte, s string) ([]byte, bool) {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
				return b, false
			}
			i += size - 1
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"'), true
}

// encoded is Canonical through encoding/json.
func encoded(v any) json.RawMessage {
	switch v.(type) {
	case nil, string, bool, int, int64, []string, map[string]string, map[string]int64, map[string]bool:
		// Already canonical once encoded: no objects with unsorted keys.
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			panic(fmt.Sprintf("canon: canonical JSON: %v", err))
		}
		return json.RawMessage(bytes.TrimRight(buf.Bytes(), "\n"))
	}
	raw, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("canon: canonical JSON: %v", err))
	}
	out, err := Bytes(raw)
	if err != nil {
		panic(fmt.Sprintf("canon: canonical JSON: %v", err))
	}
	return out
}

// Bytes re-encodes JSON text with sorted keys and compact form.
func Bytes(raw []byte) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return json.RawMessage(bytes.TrimRight(buf.Bytes(), "\n")), nil
}

// Fingerprint is the SHA-256 of v's canonical JSON, "sha256:<hex>". The
// state keeps fingerprints of write-only facets.
func Fingerprint(v any) string {
	if m, ok := v.(map[string]any); ok {
		// The canonical JSON of an object is its keys, sorted, with each
		// value's canonical JSON: canonicalising the values one by one
		// gives the same text as canonicalising the whole, without
		// encoding, decoding and encoding it all again.
		raw := make(map[string]json.RawMessage, len(m))
		for k, x := range m {
			raw[k] = JSON(x)
		}
		return FingerprintRaw(raw)
	}
	return fingerprintOf(JSON(v))
}

// FingerprintRaw is the fingerprint of an object whose values are
// already canonical JSON (as Attrs holds them).
func FingerprintRaw(m map[string]json.RawMessage) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		panic(fmt.Sprintf("canon: canonical JSON: %v", err))
	}
	return fingerprintOf(bytes.TrimRight(buf.Bytes(), "\n"))
}

func fingerprintOf(canonical []byte) string {
	sum := sha256.Sum256(canonical)
	return "sha256:" + hex.EncodeToString(sum[:])
}
