package plan

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// The executors decode the same attributes again and again while no call
// runs (a role's users, thousands of them at 50,000 users): these read the
// common shapes, arrays of plain strings, plain strings and integers,
// without encoding/json, and leave everything else to it. They give what
// json.Unmarshal gives (FuzzFastAttrs).

// fastStrings reads a JSON array of strings without escapes or control
// characters; ok is false when raw is anything else. The strings share one
// allocation: the text of the array.
func fastStrings(raw []byte) (out []string, ok bool) {
	b := trimJSONSpace(raw)
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return nil, false
	}
	text := string(b[1 : len(b)-1])
	out = make([]string, 0, bytes.Count(b, []byte{','})+1)
	i := skipJSONSpace(text, 0)
	if i == len(text) {
		return out, true
	}
	for {
		end, ok := plainStringAt(text, i)
		if !ok {
			return nil, false
		}
		out = append(out, text[i+1:end])
		i = skipJSONSpace(text, end+1)
		if i == len(text) {
			return out, true
		}
		if text[i] != ',' {
			return nil, false
		}
		i = skipJSONSpace(text, i+1)
	}
}

// plainStringAt finds the closing quote of the JSON string at s[i], when
// it has no escape, no control character and is valid UTF-8.
func plainStringAt(s string, i int) (end int, ok bool) {
	if i >= len(s) || s[i] != '"' {
		return 0, false
	}
	ascii := true
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '"':
			if !ascii && !utf8.ValidString(s[i+1:j]) {
				return 0, false
			}
			return j, true
		case c == '\\' || c < 0x20:
			return 0, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return 0, false
}

func skipJSONSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
		i++
	}
	return i
}

// fastString reads a JSON string without escapes.
func fastString(raw []byte) (string, bool) {
	text := string(trimJSONSpace(raw))
	end, ok := plainStringAt(text, 0)
	if !ok || end != len(text)-1 {
		return "", false
	}
	return text[1:end], true
}

// fastInt reads a JSON integer: -?(0|[1-9][0-9]*) in the range of int64.
func fastInt(raw []byte) (int64, bool) {
	b := trimJSONSpace(raw)
	d := b
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || len(d) > 1 && d[0] == '0' {
		return 0, false
	}
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	return n, err == nil
}

// trimJSONSpace trims the white space JSON allows around values.
func trimJSONSpace(b []byte) []byte {
	return bytes.Trim(b, " \t\r\n")
}
