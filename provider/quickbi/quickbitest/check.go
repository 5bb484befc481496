package quickbitest

import (
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Value checks where the reference gives lengths and characters.

// nameRunes reports whether every rune of v is CJK, an ASCII letter or
// digit, or one of extra.
func nameRunes(v, extra string) bool {
	for _, r := range v {
		switch {
		case unicode.Is(unicode.Han, r), 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		case strings.ContainsRune(extra, r):
		default:
			return false
		}
	}
	return true
}

const (
	nickExtra  = `_\/|()[]`
	groupExtra = `_\/|()[]`
	tagExtra   = `/\|[]()`
)

// checkNick: NickName ≤50; CJK, letters, digits and _ \ / | ( ) [ ].
func checkNick(v string) *apiError {
	if v == "" {
		return paramEmpty("NickName")
	}
	if utf8.RuneCountInString(v) > 50 {
		return tooLong("NickName")
	}
	if !nameRunes(v, nickExtra) {
		return invalid("NickName may hold only CJK characters, letters, digits and _ \\ / | ( ) [ ]")
	}
	return nil
}

// checkAccountName: ≤50, "primary" or "primary:sub", where a part may
// carry an @domain; no spaces, commas or other separators.
func checkAccountName(v string) *apiError {
	if utf8.RuneCountInString(v) > 50 {
		return tooLong("AccountName")
	}
	parts := strings.Split(v, ":")
	if len(parts) > 2 {
		return invalid("AccountName is primary or primary:sub")
	}
	for _, p := range parts {
		if p == "" || strings.HasPrefix(p, "@") {
			return invalid("AccountName is primary or primary:sub")
		}
		for _, r := range p {
			if !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("_-.@", r)) {
				return invalid("AccountName holds letters, digits and _ - . @ only")
			}
		}
	}
	return nil
}

// normalizeAccount strips the @domain of each part: answers show
// "master_test:subaccount" for "master_test@aliyun.com:subaccount".
func normalizeAccount(v string) string {
	parts := strings.Split(v, ":")
	for i, p := range parts {
		if at := strings.IndexByte(p, '@'); at > 0 {
			parts[i] = p[:at]
		}
	}
	return strings.Join(parts, ":")
}

// checkTagName: TagName ≤50; CJK, letters, digits, / \ | [ ] ( ).
func checkTagName(v string) *apiError {
	if v == "" {
		return paramEmpty("TagName")
	}
	if utf8.RuneCountInString(v) > 50 {
		return bizErr(CodeNameLength, "The name is too long: at most 50 characters.")
	}
	if !nameRunes(v, tagExtra) {
		return bizErr(CodeNameRegexp, "The name may hold only CJK characters, letters, digits and / \\ | [ ] ( ).")
	}
	return nil
}

// checkGroupID: a caller-chosen UserGroupId is ≤64 characters of letters,
// digits, - and _, and not -1.
func checkGroupID(v string) *apiError {
	if v == RootGroupID {
		return invalid("UserGroupId -1 is the root")
	}
	if !groupIDRe.MatchString(v) {
		return invalid("UserGroupId is 1 to 64 letters, digits, - and _")
	}
	return nil
}

// checkGroupText: UserGroupName / UserGroupDescription ≤255; CJK, letters,
// digits, _ \ / | ( ) [ ].
func checkGroupText(what, v string, required bool) *apiError {
	name := "UserGroupName"
	if what == "description" {
		name = "UserGroupDescription"
	}
	if v == "" {
		if required {
			return paramEmpty(name)
		}
		return nil
	}
	if utf8.RuneCountInString(v) > 255 {
		return tooLong(name)
	}
	if !nameRunes(v, groupExtra) {
		return invalid("%s may hold only CJK characters, letters, digits and _ \\ / | ( ) [ ]", name)
	}
	return nil
}

// splitList reads a comma-separated list: no empty items; repeats are
// dropped, the first occurrence keeps its place.
func splitList(name, v string) ([]string, *apiError) {
	if v == "" {
		return nil, paramEmpty(name)
	}
	var out []string
	seen := map[string]bool{}
	for _, item := range strings.Split(v, ",") {
		if item == "" || strings.TrimSpace(item) != item {
			return nil, invalid("%s is a comma-separated list without empty items or spaces", name)
		}
		if !seen[item] {
			seen[item] = true
			out = append(out, item)
		}
	}
	return out, nil
}

// strictJSON decodes JSON text into v refusing unknown keys and trailing
// data.
func strictJSON(name, text string, v any) *apiError {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return invalid("%s is not the expected JSON: %v", name, err)
	}
	if dec.More() {
		return invalid("%s holds more than one JSON value", name)
	}
	var rest json.RawMessage
	if err := dec.Decode(&rest); err == nil {
		return invalid("%s holds more than one JSON value", name)
	}
	return nil
}

// page reads PageNum (from 1, default 1) and PageSize (1..1000, default
// 10).
func page(c *call) (num, size int, e *apiError) {
	num, size = 1, defaultPageSize
	if c.has("PageNum") {
		num = int(c.num("PageNum"))
		if num < 1 {
			return 0, 0, invalidType("PageNum")
		}
	}
	if c.has("PageSize") {
		size = int(c.num("PageSize"))
		if size < 1 || size > maxPageSize {
			return 0, 0, invalidType("PageSize")
		}
	}
	return num, size, nil
}

// paged is the answer of a paged read.
type paged struct {
	Data       any `json:"Data"`
	PageNum    int `json:"PageNum"`
	PageSize   int `json:"PageSize"`
	TotalNum   int `json:"TotalNum"`
	TotalPages int `json:"TotalPages"`
}

// pageOf cuts items (already in order) to one page.
func pageOf[T any](items []T, num, size int) paged {
	total := len(items)
	from := (num - 1) * size
	if from > total {
		from = total
	}
	to := from + size
	if to > total {
		to = total
	}
	data := append([]T{}, items[from:to]...)
	return paged{Data: data, PageNum: num, PageSize: size, TotalNum: total, TotalPages: (total + size - 1) / size}
}
