package plan

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzFastAttrs: Strings, String and Int give what json.Unmarshal gives
// for any attribute text, the fast paths included.
func FuzzFastAttrs(f *testing.F) {
	for _, s := range []string{
		`[]`, ` [ ] `, `["a","b"]`, `["a", "b" ]`, `["销售","x"]`, `["a\"b"]`, `["a\u0041"]`,
		`[null]`, `null`, `["a",]`, `[,"a"]`, `["a" "b"]`, `"x"`, `"x\n"`, " \"x\" ", `"\u00e9"`,
		"\"\xff\"", "[\"\xff\"]", "\u00a0[]", `0`, `-0`, `01`, `-`, `12`, `-12`, `1.5`, `1e3`,
		`9223372036854775807`, `9223372036854775808`, `-9223372036854775808`, `"5"`, `true`, `{}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		a := Attrs{"v": json.RawMessage(raw)}
		var ss []string
		if json.Unmarshal(raw, &ss) != nil {
			ss = nil
		}
		if got := a.Strings("v"); !reflect.DeepEqual(got, ss) {
			t.Errorf("Strings(%q) = %#v, json.Unmarshal gives %#v", raw, got, ss)
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			s = ""
		}
		if got := a.String("v"); got != s {
			t.Errorf("String(%q) = %q, json.Unmarshal gives %q", raw, got, s)
		}
		var n int64
		if json.Unmarshal(raw, &n) != nil {
			n = 0
		}
		if got := a.Int("v"); got != n {
			t.Errorf("Int(%q) = %d, json.Unmarshal gives %d", raw, got, n)
		}
	})
}

// BenchmarkStrings: a role's users, 2,000 of them.
func BenchmarkStrings(b *testing.B) {
	users := make([]string, 2000)
	for i := range users {
		users[i] = "user" + string(rune('a'+i%26)) + "@example.com"
	}
	raw, _ := json.Marshal(users)
	a := Attrs{"users": raw}
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		if len(a.Strings("users")) != len(users) {
			b.Fatal("wrong length")
		}
	}
}
