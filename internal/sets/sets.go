// Package sets holds the small generic helpers for have/want set arithmetic
// that every layer of permsync uses: sorted keys of a map (never map order),
// sorted unique lists, and differences.
package sets

import (
	"cmp"
	"slices"
)

// SortedKeys returns the keys of m in ascending order: an empty slice (not
// nil) for an empty map.
func SortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Uniq returns the distinct elements of in, sorted: an empty slice (not
// nil) for an empty or nil input.
func Uniq[T cmp.Ordered](in []T) []T {
	out := append(make([]T, 0, len(in)), in...)
	slices.Sort(out)
	return slices.Compact(out)
}

// Minus returns the elements of a that are not in b, sorted; nil when there
// are none.
func Minus[T cmp.Ordered](a, b []T) []T {
	in := make(map[T]bool, len(b))
	for _, y := range b {
		in[y] = true
	}
	var out []T
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return out
}

// Same reports whether a and b hold the same elements, ignoring order and
// repetition.
func Same[T cmp.Ordered](a, b []T) bool {
	return len(Minus(a, b)) == 0 && len(Minus(b, a)) == 0
}

// Of returns a set of the elements of list.
func Of[T comparable](list []T) map[T]bool {
	m := make(map[T]bool, len(list))
	for _, x := range list {
		m[x] = true
	}
	return m
}

// Sorted returns a sorted copy of in (nil for nil).
func Sorted[T cmp.Ordered](in []T) []T {
	if in == nil {
		return nil
	}
	out := append([]T(nil), in...)
	slices.Sort(out)
	return out
}
