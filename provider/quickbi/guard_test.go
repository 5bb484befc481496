package quickbi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/quickbi"
)

// TestProtectedUsersAtApply: a plan that removes a user the files now
// protect (settings.protectedUsers of the Quick BI part) is refused right
// before the first write, whatever plan it is (a saved one, made from
// other files).
func TestProtectedUsersAtApply(t *testing.T) {
	s := newSim(t, baseSeed(t))
	unprotected := desiredFrom(t, baseFiles(t, map[string]string{"settings.yaml": `version: 1
provider: quickbi
settings:
  prune: {users: true}
  maxDeletes: 5
  transferTo: "a:alice"
`, "users.yaml": `version: 1
provider: quickbi
users:
  - {account: admin}
  - {account: "a:alice"}
  - {account: "a:bob"}
`}))
	pl := mustPlan(t, s.pipeline(unprotected, nil))
	if !strings.Contains(strings.Join(changeIDs(pl), ";"), "delete user a:carol") {
		t.Fatalf("the plan does not remove a:carol: %v", changeIDs(pl))
	}
	protected := desiredFrom(t, baseFiles(t, map[string]string{"settings.yaml": `version: 1
provider: quickbi
settings:
  protectedUsers: ["a:carol"]
`}))
	before := s.TotalCalls()
	res, err := s.pipeline(protected, nil).Apply(context.Background(), pl, engine.ApplyOptions{})
	if err == nil || res != nil || !strings.Contains(err.Error(), "protected user a:carol") {
		t.Fatalf("apply: %v (result %v)", err, res)
	}
	if s.TotalCalls() != before {
		t.Errorf("%d calls made", s.TotalCalls()-before)
	}
}

// TestGuard says what changes take from users.
func TestGuard(t *testing.T) {
	p := quickbi.New(quickbi.Config{})
	var admin, user plan.Attrs
	admin.Set("roles", []string{"admin"})
	user.Set("roles", []string{"user"})
	var inactive plan.Attrs
	inactive.Set("inactive", true)
	inactive.Set("roles", []string{"admin"})
	var members, fewer plan.Attrs
	members.Set("members", []string{"a", "b"})
	fewer.Set("members", []string{"b"})
	var member plan.Attrs
	member.Set("user", "a")
	for _, tc := range []struct {
		c        plan.Change
		removals string
		loss     string
	}{
		{plan.Change{Action: plan.Delete, Kind: quickbi.KindUser, Key: "a", Before: admin}, "a:remove from the organization", "remove organization admin a"},
		{plan.Change{Action: plan.Update, Kind: quickbi.KindUser, Key: "a", Before: admin, After: user}, "", "take the organization admin role from a"},
		{plan.Change{Action: plan.Update, Kind: quickbi.KindUser, Key: "a", Before: admin, After: inactive}, "a:make inactive", "make organization admin a inactive"},
		{plan.Change{Action: plan.Update, Kind: quickbi.KindUser, Key: "a", Before: user, After: admin}, "", ""},
		{plan.Change{Action: plan.Update, Kind: quickbi.KindGroup, Key: "g", Before: members, After: fewer}, "a:remove from group g", ""},
		{plan.Change{Action: plan.Delete, Kind: quickbi.KindMember, Key: "W/a", Scope: "W", Before: member}, "a:remove from workspace W", ""},
	} {
		var got []string
		for _, r := range p.Removals(tc.c) {
			got = append(got, r.User+":"+r.What)
		}
		if strings.Join(got, ";") != tc.removals {
			t.Errorf("%s %s %s: removals %v, want %q", tc.c.Action, tc.c.Kind, tc.c.Key, got, tc.removals)
		}
		if l := p.AdminLoss(tc.c); l != tc.loss {
			t.Errorf("%s %s %s: admin loss %q, want %q", tc.c.Action, tc.c.Kind, tc.c.Key, l, tc.loss)
		}
	}
}
