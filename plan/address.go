package plan

import (
	"fmt"
	"strings"
)

// Address names one object a plan can change: its kind, the project or
// workspace it lives in (Scope, "" for objects of the whole domain or
// organization) and the rest of its key (Path: a name, or a folder and a
// name). It is printed and parsed here and nowhere else.
//
// The key is the scope and the path joined by "/": "销售分析/通用/报告阅览"
// (a role in a folder), "销售分析//报告阅览" (a role at the root: an empty
// folder), "alice@example.com" (a user). Names may hold "/": parsing a key
// back needs the kind's shape and the scopes known (see ParseKey).
type Address struct {
	Kind  Kind
	Scope string
	Path  []string
}

// Addr makes an address.
func Addr(k Kind, scope string, path ...string) Address {
	return Address{Kind: k, Scope: scope, Path: path}
}

// Key is the address without its kind, as plans and states print it.
func (a Address) Key() string {
	rest := strings.Join(a.Path, "/")
	if a.Scope == "" {
		return rest
	}
	return a.Scope + "/" + rest
}

// String is "kind key", the form of the state's object keys.
func (a Address) String() string { return string(a.Kind) + " " + a.Key() }

// Name is the last element of the path: the object's own name.
func (a Address) Name() string {
	if len(a.Path) == 0 {
		return ""
	}
	return a.Path[len(a.Path)-1]
}

// Equal reports whether two addresses name the same object.
func (a Address) Equal(b Address) bool {
	if a.Kind != b.Kind || a.Scope != b.Scope || len(a.Path) != len(b.Path) {
		return false
	}
	for i := range a.Path {
		if a.Path[i] != b.Path[i] {
			return false
		}
	}
	return true
}

// In returns the address of a kind scoped like a: the same scope.
func (a Address) In(k Kind, path ...string) Address {
	return Address{Kind: k, Scope: a.Scope, Path: path}
}

// Shape is how the key of a kind is made: whether it starts with a scope,
// and how many parts follow it.
type Shape struct {
	Scoped bool
	Parts  int
}

// ParseKey parses the key of a kind back into an address. A scoped key
// starts with the longest of scopes it is prefixed by (names may hold
// "/"), else with its text up to the first "/"; the rest splits into
// shape.Parts parts, the last taking whatever remains.
func ParseKey(k Kind, shape Shape, key string, scopes []string) (Address, error) {
	a := Address{Kind: k}
	rest := key
	if shape.Scoped {
		best := ""
		for _, s := range scopes {
			if len(s) > len(best) && strings.HasPrefix(key, s+"/") {
				best = s
			}
		}
		if best == "" {
			i := strings.IndexByte(key, '/')
			if i < 0 {
				return Address{}, fmt.Errorf("address %s %q: no scope in the key", k, key)
			}
			best = key[:i]
		}
		a.Scope, rest = best, key[len(best)+1:]
	}
	parts := shape.Parts
	if parts < 1 {
		parts = 1
	}
	a.Path = strings.SplitN(rest, "/", parts)
	if len(a.Path) != parts {
		return Address{}, fmt.Errorf("address %s %q: want %d parts after the scope, found %d", k, key, parts, len(a.Path))
	}
	return a, nil
}
