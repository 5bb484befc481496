package main

import (
	"sort"
	"strings"
)

// suggest returns the candidates typed may have been meant as, closest
// first (then by name), at most three: those within a small edit distance
// (a letter left out, added, changed or two swapped: valdate, plna), and
// those typed begins (--serv for --server) when there are one or two.
func suggest(typed string, candidates []string) []string {
	typed = strings.ToLower(typed)
	if typed == "" {
		return nil
	}
	type scored struct {
		name string
		d    int
	}
	var out []scored
	limit := 2
	if len(typed) <= 3 {
		limit = 1
	}
	var prefixed []string
	for _, c := range candidates {
		lc := strings.ToLower(c)
		if lc == typed {
			continue
		}
		if d := editDistance(typed, lc); d <= limit {
			out = append(out, scored{c, d})
			continue
		}
		if len(typed) >= 2 && strings.HasPrefix(lc, typed) {
			prefixed = append(prefixed, c)
		}
	}
	if len(prefixed) <= 2 {
		for _, c := range prefixed {
			out = append(out, scored{c, limit + 1})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].d != out[j].d {
			return out[i].d < out[j].d
		}
		return out[i].name < out[j].name
	})
	var names []string
	for _, s := range out {
		if len(names) == 3 {
			break
		}
		names = append(names, s.name)
	}
	return names
}

// editDistance is the optimal string alignment distance of a and b: the
// insertions, deletions, substitutions and swaps of two neighbours that
// make one the other, counted in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// d[i][j] is the distance of ra[:i] and rb[:j].
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
