package canon

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math/rand"
	"strings"
	"testing"
)

// TestFingerprintOfObjectsUnchanged: fingerprints are stored in states;
// computing an object's fingerprint value by value must give exactly the
// fingerprint of its whole canonical JSON, or every state on disk would
// look changed.
func TestFingerprintOfObjectsUnchanged(t *testing.T) {
	whole := func(v any) string {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Bytes(raw)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(c)
		return "sha256:" + hex.EncodeToString(sum[:])
	}
	type rule struct {
		Dim    string   `json:"dim"`
		Values []string `json:"values,omitempty"`
		Op     string   `json:"op"`
	}
	values := []map[string]any{
		{},
		{"name": "示例科技 <R&D>"},
		{"department": "d1", "left": true, "n": int64(1 << 53), "f": 1.5e21},
		{"groups": []string{"b", "a<"}, "group_expires": map[string]string{"a<": "2026-01-01 00:00:00"}},
		{"groups": []string(nil), "group_expires": map[string]string{}},
		{"rules": []rule{{Dim: "区域", Values: []string{"华东", "\"q\""}, Op: "in"}, {Dim: "x", Op: "all"}}},
		{"attrs": map[string]any{"z": []any{1, "a", nil, map[string]any{"b": 2, "a": "\u2028"}}}},
	}
	for _, v := range values {
		if got, want := Fingerprint(v), whole(v); got != want {
			t.Errorf("Fingerprint(%v) = %s, want %s (the whole object's)", v, got, want)
		}
		raw := map[string]json.RawMessage{}
		for k, x := range v {
			raw[k] = JSON(x)
		}
		if got, want := FingerprintRaw(raw), whole(v); got != want {
			t.Errorf("FingerprintRaw(%v) = %s, want %s", v, got, want)
		}
	}
}

// TestCanonicalFastPathsMatchTheEncoder: the values Canonical writes
// directly come out byte for byte as encoding/json writes them, or every
// fingerprint in the states on disk would change.
func TestCanonicalFastPathsMatchTheEncoder(t *testing.T) {
	rnd := rand.New(rand.NewSource(1))
	alphabet := []string{"a", "Z", "销售", "\"", "\\", "\n", "\r", "\t", "\x00", "\x01", "\x1f", "\x7f", "<", ">", "&", "/", " ", "\u2028", "\u2029", "\xff", "\xe2\x80", "é", "😀"}
	str := func() string {
		var sb strings.Builder
		for n := rnd.Intn(6); n > 0; n-- {
			sb.WriteString(alphabet[rnd.Intn(len(alphabet))])
		}
		return sb.String()
	}
	values := []any{nil, true, false, 0, -7, int64(1) << 62, []string(nil), []string{}}
	for i := 0; i < 500; i++ {
		values = append(values, str())
		list := []string{}
		for n := rnd.Intn(4); n > 0; n-- {
			list = append(list, str())
		}
		values = append(values, list)
	}
	for _, v := range values {
		if got, want := string(JSON(v)), string(encoded(v)); got != want {
			t.Errorf("JSON(%#v) = %s, want %s", v, got, want)
		}
	}
}
