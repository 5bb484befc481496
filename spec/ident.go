package spec

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/permsync/permsync/internal/sets"
)

// Identifiers are the strings that name or refer to something on the
// server: uniqueIds, emails, phones, department codes, the names of
// projects, groups, roles, data permissions, system roles and folders,
// attribute names, resource paths and every reference to these. They
// cannot hold control characters (Unicode Cc, and the line and paragraph
// separators), nor invisible ones (format characters, Cf, such as
// zero-width spaces and joiners and bidirectional controls, and the other
// default-ignorable characters): a name that prints as two lines, or two
// names that print the same, would let a plan say what it does not do.
//
// Texts (nicks, positions, the names of departments, users' department
// and company) cannot hold control characters; invisible ones they may
// hold (an emoji sequence joins with U+200D). Descriptions, customInfo,
// attribute values and data-permission details are kept as written.

// controlRune reports a rune that no identifier or text may hold.
func controlRune(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}

// invisibleRune reports a rune that prints as nothing: a format character
// or another default-ignorable code point.
func invisibleRune(r rune) bool {
	switch {
	case unicode.Is(unicode.Cf, r),
		r == '\u034f', r == '\u115f', r == '\u1160', r == '\u17b4', r == '\u17b5',
		r >= '\u180b' && r <= '\u180f', r == '\u3164', r == '\uffa0',
		r >= '\ufe00' && r <= '\ufe0f', r >= 0xe0100 && r <= 0xe01ef:
		return true
	}
	return false
}

// badRune returns the first rune of s an identifier (ident) or a text
// cannot hold.
func badRune(s string, ident bool) (rune, bool) {
	ascii := true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c == 0x7f:
			return rune(c), true
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	if ascii {
		return 0, false
	}
	for _, r := range s {
		if controlRune(r) || ident && invisibleRune(r) {
			return r, true
		}
	}
	return 0, false
}

var runeNames = map[rune]string{
	0x00: "NUL", 0x07: "bell", 0x08: "backspace", '\t': "tab", '\n': "line feed",
	0x0b: "vertical tab", 0x0c: "form feed", '\r': "carriage return", 0x1b: "escape",
	0x7f: "delete", 0x85: "next line", 0x2028: "line separator", 0x2029: "paragraph separator",
	0xad: "soft hyphen", 0x061c: "Arabic letter mark", 0x180e: "Mongolian vowel separator",
	0x200b: "zero-width space", 0x200c: "zero-width non-joiner", 0x200d: "zero-width joiner",
	0x200e: "left-to-right mark", 0x200f: "right-to-left mark",
	0x202a: "left-to-right embedding", 0x202b: "right-to-left embedding", 0x202c: "pop directional formatting",
	0x202d: "left-to-right override", 0x202e: "right-to-left override",
	0x2060: "word joiner", 0x2066: "left-to-right isolate", 0x2067: "right-to-left isolate",
	0x2068: "first strong isolate", 0x2069: "pop directional isolate", 0xfeff: "zero-width no-break space",
}

// runeName names a rune for a message: "U+000A (line feed)".
func runeName(r rune) string {
	name, ok := runeNames[r]
	switch {
	case ok:
	case controlRune(r):
		name = "a control character"
	case invisibleRune(r):
		name = "an invisible formatting character"
	case r >= 0xd800 && r <= 0xdfff:
		name = "a surrogate"
	default:
		name = "a noncharacter"
	}
	return fmt.Sprintf("U+%04X (%s)", r, name)
}

// lookalikes maps letters of other scripts, and signs, that print like a
// Latin letter to that letter. It is a small table of the look-alikes that
// matter in names written with Latin letters (Unicode's confusables.txt
// has thousands, most between other scripts); fullwidth forms and
// mathematical letters are mapped by range in unlike.
var lookalikes = map[rune]rune{
	// Cyrillic
	'А': 'A', 'В': 'B', 'Е': 'E', 'К': 'K', 'М': 'M', 'Н': 'H', 'О': 'O', 'Р': 'P',
	'С': 'C', 'Т': 'T', 'У': 'Y', 'Х': 'X', 'Ѕ': 'S', 'І': 'I', 'Ј': 'J', 'Ԛ': 'Q',
	'Ԝ': 'W', 'Ү': 'Y', 'Һ': 'H', 'Ӏ': 'I',
	'а': 'a', 'е': 'e', 'о': 'o', 'р': 'p', 'с': 'c', 'у': 'y', 'х': 'x', 'ѕ': 's',
	'і': 'i', 'ј': 'j', 'һ': 'h', 'ԁ': 'd', 'ԛ': 'q', 'ԝ': 'w', 'ӏ': 'l', 'ү': 'y',
	// Greek
	'Α': 'A', 'Β': 'B', 'Ε': 'E', 'Ζ': 'Z', 'Η': 'H', 'Ι': 'I', 'Κ': 'K', 'Μ': 'M',
	'Ν': 'N', 'Ο': 'O', 'Ρ': 'P', 'Τ': 'T', 'Υ': 'Y', 'Χ': 'X', 'Ϲ': 'C', 'Ϳ': 'J',
	'α': 'a', 'ο': 'o', 'ν': 'v', 'ι': 'i', 'ρ': 'p', 'υ': 'u', 'χ': 'x', 'γ': 'y',
	'κ': 'k', 'ϲ': 'c', 'ϳ': 'j',
	// Armenian
	'Օ': 'O', 'Ս': 'U', 'օ': 'o', 'ս': 'u', 'հ': 'h', 'ո': 'n', 'զ': 'q',
	// Cherokee
	'Ꭺ': 'A', 'Ᏼ': 'B', 'Ꮯ': 'C', 'Ꭼ': 'E', 'Ꮋ': 'H', 'Ꭻ': 'J', 'Ꮶ': 'K', 'Ꮇ': 'M',
	'Ꮲ': 'P', 'Ꮪ': 'S', 'Ꭲ': 'T', 'Ꮃ': 'W',
	// Latin letters and signs that print like other Latin letters
	'ı': 'i', 'ɑ': 'a', 'ɡ': 'g', 'ǀ': 'l', '\u212a': 'K', '\u212b': 'Å', 'ℎ': 'h',
}

// unlike maps a rune to the ASCII (or Latin) rune it prints like, and
// reports whether it did.
func unlike(r rune) (rune, bool) {
	switch {
	case r >= 0xff01 && r <= 0xff5e: // fullwidth ASCII
		return r - 0xfee0, true
	case r != ' ' && unicode.Is(unicode.Zs, r): // other spaces
		return ' ', true
	case r >= 0x1d400 && r <= 0x1d6a3: // mathematical letters, 52 a style
		if i := (r - 0x1d400) % 52; i < 26 {
			return 'A' + i, true
		} else {
			return 'a' + i - 26, true
		}
	case r >= 0x1d7ce && r <= 0x1d7ff: // mathematical digits, 10 a style
		return '0' + (r-0x1d7ce)%10, true
	}
	if l, ok := lookalikes[r]; ok {
		return l, true
	}
	return r, false
}

// skeleton is what s looks like, as a key: invisible characters dropped,
// look-alikes (other spaces among them) replaced by what they look like,
// letter case folded. Two names with the same skeleton cannot be told
// apart in a plan, or only by letter case.
func skeleton(s string) string {
	ascii := true
	for i := 0; i < len(s) && ascii; i++ {
		ascii = s[i] < utf8.RuneSelf
	}
	if ascii {
		return strings.ToLower(s)
	}
	var b strings.Builder
	for _, r := range s {
		if invisibleRune(r) {
			continue
		}
		r, _ = unlike(r)
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// lookDiff compares two different strings of the same skeleton. When they
// differ only in letter case it returns "". Else it says, for a message,
// which look-alike the second holds where the first has another letter.
func lookDiff(first, second string) string {
	a, b := visible(first), visible(second)
	caseOnly := len(a) == len(b)
	for i := 0; caseOnly && i < len(a); i++ {
		_, ma := unlike(a[i])
		_, mb := unlike(b[i])
		if a[i] != b[i] && (ma || mb || unicode.ToLower(a[i]) != unicode.ToLower(b[i])) {
			caseOnly = false
		}
	}
	if caseOnly {
		return ""
	}
	for i := 0; i < len(a) && i < len(b); i++ {
		_, ma := unlike(a[i])
		_, mb := unlike(b[i])
		if a[i] != b[i] && (ma || mb) {
			return fmt.Sprintf("it has %s where the other has %s", lookName(b[i]), lookName(a[i]))
		}
	}
	return "they differ only in characters that look alike"
}

// visible returns the runes of s without the invisible ones.
func visible(s string) []rune {
	var out []rune
	for _, r := range s {
		if !invisibleRune(r) {
			out = append(out, r)
		}
	}
	return out
}

// lookName names a look-alike: "U+0435 (Cyrillic 'е')"; an ASCII
// character is only quoted.
func lookName(r rune) string {
	if r < utf8.RuneSelf {
		return fmt.Sprintf("%q", r)
	}
	script := ""
	switch {
	case r >= 0xff01 && r <= 0xff5e:
		script = "fullwidth "
	case r >= 0x1d400 && r <= 0x1d7ff:
		script = "mathematical "
	case unicode.Is(unicode.Zs, r):
		return fmt.Sprintf("U+%04X (a space of another width)", r)
	case unicode.Is(unicode.Cyrillic, r):
		script = "Cyrillic "
	case unicode.Is(unicode.Greek, r):
		script = "Greek "
	case unicode.Is(unicode.Armenian, r):
		script = "Armenian "
	case unicode.Is(unicode.Cherokee, r):
		script = "Cherokee "
	}
	return fmt.Sprintf("U+%04X (%s%q)", r, script, r)
}

// characters reports every identifier that holds a control or an
// invisible character and every text that holds a control character. A
// field reported here is not reported again by the other checks.
func (v *validator) characters() {
	d := v.d
	s := &d.Settings
	for i, u := range s.ProtectedUsers {
		v.chars(s.Src, fmt.Sprintf(".protectedUsers[%d]", i), u, true)
	}
	if o := d.Orgs; o != nil {
		v.chars(o.Src, ".company", o.Company, true)
		for i := range o.Departments {
			dp := &o.Departments[i]
			v.chars(dp.Src, ".code", dp.Code, true)
			v.chars(dp.Src, ".name", dp.Name, false)
			v.chars(dp.Src, ".parent", dp.Parent, true)
			v.list(dp.Src, ".admins", dp.Admins)
		}
	}
	for i := range d.Users {
		u := &d.Users[i]
		v.chars(u.Src, ".uniqueId", u.UniqueID, true)
		for _, f := range []struct {
			sub   string
			val   *string
			ident bool
		}{
			{".email", u.Email, true}, {".phone", u.Phone, true}, {".nick", u.Nick, false},
			{".department", u.Department, false}, {".company", u.Company, false}, {".position", u.Position, false},
		} {
			if f.val != nil {
				v.chars(u.Src, f.sub, *f.val, f.ident)
			}
		}
		for j, o := range u.Orgs {
			v.chars(u.Src, fmt.Sprintf(".orgs[%d].code", j), o.Code, true)
		}
		for _, k := range sets.SortedKeys(u.Attrs) {
			v.chars(u.Src, ".attrs"+keyPath("", k), k, true)
		}
	}
	for i := range d.SystemRoles {
		v.chars(d.SystemRoles[i].Src, ".name", d.SystemRoles[i].Name, true)
	}
	for i := range d.Projects {
		p := &d.Projects[i]
		v.chars(p.Src, ".name", p.Name, true)
		for j := range p.Members {
			m := &p.Members[j]
			v.chars(m.Src, ".user", m.User, true)
			v.list(m.Src, ".systemRoles", m.SystemRoles)
		}
		for j := range p.Groups {
			g := &p.Groups[j]
			v.chars(g.Src, ".name", g.Name, true)
			v.chars(g.Src, ".folder", g.Folder, true)
			v.list(g.Src, ".members", g.Members)
		}
		for j := range p.Roles {
			r := &p.Roles[j]
			v.chars(r.Src, ".name", r.Name, true)
			v.chars(r.Src, ".folder", r.Folder, true)
			v.bindingChars(r.Src, &r.Bindings)
			for k := range r.Resources {
				v.list(r.Src, fmt.Sprintf(".resources[%d].path", k), r.Resources[k].Path)
			}
		}
		for j := range p.DataPermissions {
			dp := &p.DataPermissions[j]
			v.chars(dp.Src, ".name", dp.Name, true)
			v.chars(dp.Src, ".folder", dp.Folder, true)
			v.bindingChars(dp.Src, &dp.Bindings)
		}
		for j := range p.ResourceMembers {
			rm := &p.ResourceMembers[j]
			for k, m := range rm.Members {
				v.chars(rm.Src, fmt.Sprintf(".members[%d].user", k), m.User, true)
			}
		}
	}
}

func (v *validator) bindingChars(src Source, b *Bindings) {
	v.list(src, ".users", b.Users)
	v.list(src, ".groups", b.Groups)
	v.list(src, ".orgs", b.Orgs)
	for _, k := range sets.SortedKeys(b.Expires) {
		v.chars(src, ".expires"+keyPath("", k), k, true)
	}
}

func (v *validator) list(src Source, sub string, list []string) {
	for i, s := range list {
		v.chars(src, fmt.Sprintf("%s[%d]", sub, i), s, true)
	}
}

// chars reports the first character of value, at src+sub, that an
// identifier (ident) or a text cannot hold.
func (v *validator) chars(src Source, sub, value string, ident bool) {
	r, bad := badRune(value, ident)
	if !bad {
		return
	}
	what := "names, codes and references cannot hold control characters or invisible ones"
	if !ident {
		what = "this text cannot hold control characters"
	}
	v.at(src, sub, "%s in %q: %s", runeName(r), value, what)
	v.undecoded[src.File+"\x00"+src.Path+sub] = true
}
