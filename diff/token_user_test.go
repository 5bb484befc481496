package diff

import (
	"strings"
	"testing"
)

// A plan that takes users out of something says so when it cannot protect
// the user behind the token, and only then.
func TestUnknownTokenUserWarning(t *testing.T) {
	// Project P's members are exact: bob leaves it.
	d := desired(t, `
projects:
  - name: P
    members:
      - {user: alice, systemRoles: [viewer]}
`)
	hasWarning := func(p *Plan) bool {
		for _, w := range p.Warnings {
			if strings.Contains(w, "PERMSYNC_TOKEN_USER") {
				return true
			}
		}
		return false
	}

	known := fullLive(t)
	if p := compute(t, d, known, convergedState(t), Options{}); hasWarning(p) {
		t.Errorf("warning with a known token user: %v", p.Warnings)
	}

	unknown := fullLive(t)
	unknown.TokenUser = ""
	p := compute(t, d, unknown, convergedState(t), Options{})
	if find(t, p, KindMember, "P/bob").Action != Delete {
		t.Fatal("the case does not remove bob")
	}
	if !hasWarning(p) {
		t.Errorf("no warning with an unknown token user: %v", p.Warnings)
	}

	// Nothing removed: no warning.
	keep := desired(t, `
projects:
  - name: P
    members:
      - {user: alice, systemRoles: [viewer]}
      - {user: bob, systemRoles: [editor, auditor]}
`)
	if p := compute(t, keep, unknown, convergedState(t), Options{}); hasWarning(p) {
		t.Errorf("warning on a plan that removes nobody: %v", p.Warnings)
	}
}

func TestRemovesUsers(t *testing.T) {
	var before, after Attrs
	before.Set("users", []string{"a", "b"})
	after.Set("users", []string{"a", "b", "c"})
	if removesUsers([]Change{{Action: Update, Kind: KindRole, Before: before, After: after}}) {
		t.Error("adding a user counts as removing one")
	}
	if !removesUsers([]Change{{Action: Update, Kind: KindRole, Before: after, After: before}}) {
		t.Error("unbinding c from a role does not count")
	}
	var gb, ga Attrs
	gb.Set("members", []string{"x"})
	ga.Set("members", []string{})
	if !removesUsers([]Change{{Action: Update, Kind: KindGroup, Before: gb, After: ga}}) {
		t.Error("emptying a group does not count")
	}
	if !removesUsers([]Change{{Action: Delete, Kind: KindUser, Key: "u"}}) {
		t.Error("deleting a user does not count")
	}
}

// A drift reason quotes a short server value and only names a long one,
// which the attribute lines show in full.
func TestDriftReasonLength(t *testing.T) {
	short := &obj{exists: true, before: Attrs{}, after: Attrs{}}
	short.readable("nick", "Alice", "Al")
	if len(short.drift) != 1 || short.drift[0] != `the server has nick "Al"` {
		t.Errorf("short drift: %q", short.drift)
	}
	long := &obj{exists: true, before: Attrs{}, after: Attrs{}}
	members := []string{"liu.yang@example.com", "wang.fang@example.com", "wu.hao@example.com"}
	long.readable("members", members[:2], members)
	if len(long.drift) != 1 || long.drift[0] != "the server has different members" {
		t.Errorf("long drift: %q", long.drift)
	}
}
