package diff

import (
	"fmt"
	"sort"
	"strings"

	"github.com/permsync/permsync/internal/sets"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/spec"
)

// settings.maxDeletes caps what one plan removes, bucket by bucket: the
// deletions of each kind, and whatever bindings a provider counts (the
// bindings removed by lists the files empty), each per scope (a project
// or workspace; "" for kinds outside one), against what exists of it.

// capBucket is one count that settings.maxDeletes caps.
type capBucket struct {
	scope string // "" for kinds outside projects
	what  string // "member deletions", "role user bindings removed", ...
}

// capCounts are the removals and the existing objects or bindings of one
// bucket.
type capCounts struct {
	existing int
	objects  map[string]bool // existing objects, counted once each
	// removed maps a key (an object, or an object whose bindings go) to
	// the bindings it loses (nil for an object deletion).
	removed map[string][]string
	n       int
}

func (p *Planner) bucket(scope, what string) *capCounts {
	b := capBucket{scope: scope, what: what}
	c := p.caps[b]
	if c == nil {
		c = &capCounts{removed: map[string][]string{}, objects: map[string]bool{}}
		p.caps[b] = c
	}
	return c
}

// DeletionsOf names the bucket of the deletions of a kind.
func DeletionsOf(k plan.Kind) string { return string(k) + " deletions" }

// CapObject counts an existing object of kind k in scope, once however
// often it is counted (it may be both on the server and in the state).
func (p *Planner) CapObject(scope string, k plan.Kind, key string) {
	p.bucket(scope, DeletionsOf(k)).objects[key] = true
}

// CapExisting adds n existing bindings to the bucket what of scope.
func (p *Planner) CapExisting(scope, what string, n int) {
	if n > 0 {
		p.bucket(scope, what).existing += n
	}
}

// CapRemoved counts the bindings items that the object key loses in the
// bucket what of scope.
func (p *Planner) CapRemoved(scope, what, key string, items []string) {
	if len(items) == 0 {
		return
	}
	b := p.bucket(scope, what)
	b.removed[key] = append(b.removed[key], items...)
	b.n += len(items)
}

// checkCaps counts the deletions and applies settings.maxDeletes to every
// bucket.
func (p *Planner) checkCaps() {
	for _, k := range p.reg.KindOrder() {
		for _, pl := range p.deletes[k] {
			scope := pl.c.Scope
			if scope == "" {
				scope = p.scopeOf(k, pl.c.Key)
			}
			b := p.bucket(scope, DeletionsOf(k))
			b.removed[pl.c.Key] = nil
			b.n++
		}
	}
	buckets := make([]capBucket, 0, len(p.caps))
	for b, c := range p.caps {
		if c.n > 0 {
			buckets = append(buckets, b)
		}
	}
	sort.Slice(buckets, func(i, j int) bool {
		if buckets[i].scope != buckets[j].scope {
			return buckets[i].scope < buckets[j].scope
		}
		return buckets[i].what < buckets[j].what
	})
	for _, b := range buckets {
		c := p.caps[b]
		existing := c.existing + len(c.objects)
		max, how := maxDeletes(p.maxDeletes, existing)
		if c.n <= max {
			continue
		}
		var msg string
		if b.scope == "" {
			msg = fmt.Sprintf("settings.maxDeletes: %d %s exceed the limit of %d (%s, %d existing): %s",
				c.n, b.what, max, how, existing, strings.Join(capKeys(c.removed), ", "))
		} else {
			msg = fmt.Sprintf("settings.maxDeletes: project %s: %d %s exceed the limit of %d (%s, %d existing in the project): %s",
				b.scope, c.n, b.what, max, how, existing, strings.Join(capKeys(c.removed), ", "))
		}
		if p.Opts.AllowMassDelete {
			p.Warn("%s; allowed by --allow-mass-delete", msg)
		} else {
			p.Refuse(plan.RefuseMaxDeletes, msg+"; --allow-mass-delete overrides")
		}
	}
}

// maxCapItems is how many removed bindings of one object a refusal names.
const maxCapItems = 5

// capKeys renders the keys of a bucket, sorted: "key" for a deletion,
// "key (a, b)" for the bindings an object loses.
func capKeys(removed map[string][]string) []string {
	out := make([]string, 0, len(removed))
	for _, key := range sets.SortedKeys(removed) {
		items := removed[key]
		if items == nil {
			out = append(out, key)
			continue
		}
		items = sets.Uniq(items)
		shown := strings.Join(items, ", ")
		if len(items) > maxCapItems {
			shown = fmt.Sprintf("%s and %d more", strings.Join(items[:maxCapItems], ", "), len(items)-maxCapItems)
		}
		out = append(out, key+" ("+shown+")")
	}
	return out
}

// maxDeletes is the number of removals allowed among n existing.
func maxDeletes(md *spec.MaxDeletes, n int) (int, string) {
	switch {
	case md == nil:
		return md.Limit(n), "default " + spec.DefaultMaxDeletes.String()
	case md.Percent:
		return md.Limit(n), md.String()
	default:
		return md.Limit(n), "settings.maxDeletes"
	}
}
