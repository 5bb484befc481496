package spec

import "fmt"

// Near-duplicates: two identifiers of one kind and scope (two users of the
// domain, two groups of a project) that print the same, or the same but
// for letter case.
//
// The server compares every name exactly (batchImport finds a user by its
// uniqueId as given, importDataPermissions a role by its name, and so on),
// so it keeps both as two objects. A pair that differs in a look-alike
// letter (Cyrillic "е" for Latin "e", a fullwidth "ｅ") is an error for
// every kind: no one reading a plan can tell the two apart, and no real
// pair of names depends on a Cyrillic letter standing for a Latin one.
// (Invisible characters, the zero-width ones, are refused outright.) A
// pair that differs only in letter case is a warning, for every kind: the
// two are visibly different, and on a server that keeps them apart they
// may both be meant (a uniqueId may be a case-sensitive uid, or two
// accounts from two sign-on systems); it names both places so that a
// person decides.

// nearIndex holds the identifiers of one kind and scope met so far, by
// skeleton.
type nearIndex struct {
	what string // "user", "group", ...
	// seen holds the distinct values of each skeleton, first met first.
	seen   map[string][]nearEntry
	warned map[string]bool
}

type nearEntry struct {
	value string
	src   Source
	sub   string
	// builtin names a built-in (a system role) instead of a place.
	builtin bool
}

func newNearIndex(what string) *nearIndex {
	return &nearIndex{what: what, seen: map[string][]nearEntry{}, warned: map[string]bool{}}
}

// builtin adds a name the server has without any file declaring it.
func (x *nearIndex) builtin(name string) {
	k := skeleton(name)
	x.seen[k] = append(x.seen[k], nearEntry{value: name, builtin: true})
}

// closest returns the identifier met that looks like value but is not
// it, preferring one that differs only in letter case, and whether that
// is how it differs.
func (x *nearIndex) closest(value string) (e nearEntry, caseOnly, ok bool) {
	list := x.seen[skeleton(value)]
	for _, c := range list {
		if c.value == value {
			return nearEntry{}, false, false
		}
	}
	for _, c := range list {
		if lookDiff(c.value, value) == "" {
			return c, true, true
		}
	}
	if len(list) > 0 {
		return list[0], false, true
	}
	return nearEntry{}, false, false
}

// near adds value, written at src+sub, to x: an error when an identifier
// met before looks the same, a warning when it differs only in letter
// case. Empty values and values refused for their characters are left to
// the checks that report them.
func (v *validator) near(x *nearIndex, src Source, sub, value string) {
	if value == "" {
		return
	}
	if _, bad := badRune(value, true); bad {
		return
	}
	e, caseOnly, ok := x.closest(value)
	if k := skeleton(value); !slicesContainValue(x.seen[k], value) {
		x.seen[k] = append(x.seen[k], nearEntry{value: value, src: src, sub: sub})
	}
	if !ok {
		return
	}
	where := "a built-in " + x.what
	if !e.builtin {
		where = v.where(e.src, e.sub)
	}
	if !caseOnly {
		v.at(src, sub, "%s %q looks the same as %q (%s), but the server takes it for another %s: %s; write both the same way",
			x.what, value, e.value, where, x.what, lookDiff(e.value, value))
		return
	}
	if x.warned[value] {
		return
	}
	x.warned[value] = true
	v.warn(src, sub, "%s %q differs only in letter case from %q (%s): the server keeps them apart, as two %ss; if they are one, write it the same way in both places",
		x.what, value, e.value, where, x.what)
}

func slicesContainValue(list []nearEntry, value string) bool {
	for _, e := range list {
		if e.value == value {
			return true
		}
	}
	return false
}

// warn records a warning at src's path + sub.
func (v *validator) warn(src Source, sub, format string, args ...any) {
	path := src.Path + sub
	if v.undecoded[src.File+"\x00"+path] {
		return
	}
	v.ws.add(&Problem{File: src.File, Line: v.line(src, path), Path: path, Msg: fmt.Sprintf(format, args...)})
}

// nearHint is the "did you mean" of a reference that names no declared
// object, when one looks like it.
func (v *validator) nearHint(x *nearIndex, value string) string {
	e, caseOnly, ok := x.closest(value)
	if !ok {
		return ""
	}
	where := "a built-in " + x.what
	if !e.builtin {
		where = "at " + v.where(e.src, e.sub)
	}
	if caseOnly {
		return fmt.Sprintf(" (did you mean %q, %s? it differs in letter case)", e.value, where)
	}
	return fmt.Sprintf(" (did you mean %q, %s? it looks the same but holds other characters)", e.value, where)
}
