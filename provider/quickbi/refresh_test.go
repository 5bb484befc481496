package quickbi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/quickbi"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

const taggedUsers = `version: 1
provider: quickbi
tags:
  - {name: region, description: 区域}
users:
  - {account: admin, nick: 管理员, type: developer, roles: [admin]}
  - {account: "a:alice", nick: Alice, type: developer, tags: {region: [北]}}
  - {account: "a:bob", nick: Bob, type: analyst, tags: {region: [东]}}
  - {account: "a:carol", nick: Carol, type: viewer, tags: {region: [西]}}
`

// refreshCase is a server the files were applied to and verified, so
// that the state records every member's tag values as read.
type refreshCase struct {
	t   *testing.T
	s   *sim
	st  *state.State
	now time.Time
}

func newRefreshCase(t *testing.T) *refreshCase {
	c := &refreshCase{t: t, s: newSim(t, baseSeed(t)), st: state.New(), now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	c.apply(c.files(taggedUsers))
	return c
}

func (c *refreshCase) files(users string) *spec.Desired {
	return desiredFrom(c.t, baseFiles(c.t, map[string]string{"users.yaml": users}))
}

func (c *refreshCase) pipeline(d *spec.Desired, mode engine.RefreshMode) *engine.Pipeline {
	p := c.s.pipeline(d, c.st)
	p.Refresh = engine.Refresh{Mode: mode, Now: func() time.Time { return c.now }}
	return p
}

// plan plans d with refresh=changed and returns the plan and the tag
// values it read (QueryUserTagValueList calls).
func (c *refreshCase) plan(d *spec.Desired) (*engine.Pipeline, *plan.Plan, int) {
	c.t.Helper()
	p := c.pipeline(d, engine.RefreshChanged)
	c.s.ResetCalls()
	pl := mustPlan(c.t, p)
	return p, pl, c.s.Calls()["QueryUserTagValueList"]
}

// apply plans d in full, applies and verifies what changed, and returns
// the verify's tag reads.
func (c *refreshCase) apply(d *spec.Desired) int {
	c.t.Helper()
	p := c.pipeline(d, engine.RefreshFull)
	pl, _ := applyAll(c.t, p)
	return c.verify(p, pl)
}

func (c *refreshCase) verify(p *engine.Pipeline, pl *plan.Plan) int {
	c.t.Helper()
	c.s.ResetCalls()
	again, err := p.Verify(context.Background(), pl, engine.VerifyChanged)
	if err != nil {
		c.t.Fatal(err)
	}
	for _, ch := range again.Changes {
		c.t.Errorf("the verify still finds %s %s %s", ch.Action, ch.Kind, ch.Key)
	}
	return c.s.Calls()["QueryUserTagValueList"]
}

// TestRefreshChangedReadsTheTagsThatChanged: with refresh=changed a plan
// reads the tag values only of the members whose files changed, or whose
// record is older than the sweep allows; the values it does not read are
// taken as the files want them; a verify reads those the apply wrote.
func TestRefreshChangedReadsTheTagsThatChanged(t *testing.T) {
	c := newRefreshCase(t)
	for _, u := range []string{"a:alice", "a:bob", "a:carol"} {
		if c.st.Reads["tags "+u] == nil {
			t.Fatalf("after the first apply and verify the state has no record of the tags of %s: %v", u, c.st.Reads)
		}
	}

	// Nothing changed: no tag value is read, nothing is planned.
	_, pl, reads := c.plan(c.files(taggedUsers))
	if reads != 0 || len(pl.Changes) != 0 {
		t.Fatalf("nothing changed: %d tag reads, changes %v", reads, changeIDs(pl))
	}
	if w := strings.Join(pl.Warnings, "\n"); !strings.Contains(w, "refresh=changed: 0 of 3 units read") {
		t.Errorf("the plan does not say what it read: %q", w)
	}

	// The files give bob another region: only his values are read.
	moved := strings.Replace(taggedUsers, "region: [东]", "region: [南]", 1)
	p, pl, reads := c.plan(c.files(moved))
	if reads != 1 || strings.Join(changeIDs(pl), ",") != "update user a:bob" {
		t.Fatalf("bob's region changed: %d tag reads, changes %v", reads, changeIDs(pl))
	}
	res, err := p.Apply(context.Background(), pl, engine.ApplyOptions{})
	if err != nil || res.Failed() > 0 {
		t.Fatalf("apply: %v, %d failed", err, res.Failed())
	}
	if reads := c.verify(p, pl); reads != 1 {
		t.Errorf("the verify read the tags of %d members, want bob's alone", reads)
	}
	if got := c.s.Snapshot().User("a:bob"); got == nil {
		t.Fatal("bob is gone")
	}

	// A console edit of carol's values is not seen while her record is
	// fresh, and is repaired by the sweep once it is older than a day.
	snap := c.s.Snapshot()
	carol := snap.User("a:carol")
	if err := c.s.client.UpdateUserTagValue(ctx(), carol.UserID, snap.Tag("region").ID, "北"); err != nil {
		t.Fatal(err)
	}
	if _, pl, reads := c.plan(c.files(moved)); reads != 0 || len(pl.Changes) != 0 {
		t.Errorf("a fresh record: %d tag reads, changes %v", reads, changeIDs(pl))
	}
	c.now = c.now.Add(25 * time.Hour)
	_, pl, reads = c.plan(c.files(moved))
	if reads != 3 || strings.Join(changeIDs(pl), ",") != "update user a:carol" {
		t.Errorf("after the sweep period: %d tag reads, changes %v; want 3 reads and carol's repair", reads, changeIDs(pl))
	}
}

// TestRefreshChangedCompleted: the access report of a narrowed read sees
// the tag values it did not read as the files want them.
func TestRefreshChangedCompleted(t *testing.T) {
	c := newRefreshCase(t)
	d := c.files(taggedUsers)
	p, _, _ := c.plan(d)
	live, ok := p.LastLive.(*quickbi.Live)
	if !ok {
		t.Fatalf("the plan's live model is %T", p.LastLive)
	}
	if u := live.User("a:alice"); u == nil || u.Tags != nil {
		t.Fatalf("alice's tags after a narrowed read: %+v", u)
	}
	full, ok := live.Completed(d, c.st).(*quickbi.Live)
	if !ok {
		t.Fatal("Completed is not a Quick BI live model")
	}
	if u := full.User("a:alice"); u == nil || u.Tags["region"] != "北" {
		t.Errorf("alice's tags completed: %+v", u)
	}
	if live.User("a:alice").Tags != nil {
		t.Error("Completed changed the read's own model")
	}
}

// TestRefreshUnitsOfChanges: a change names a member's tag values as
// written, or stood on, only when it gives them other values (or adds or
// removes the member): a nickname change of a member whose values were
// taken as last read neither reads them again nor verifies them.
func TestRefreshUnitsOfChanges(t *testing.T) {
	p := quickbi.New(quickbi.Config{})
	attrs := func(kv ...string) plan.Attrs {
		a := plan.Attrs{}
		for i := 0; i < len(kv); i += 2 {
			a[kv[i]] = []byte(kv[i+1])
		}
		return a
	}
	for _, c := range []struct {
		ch            plan.Change
		writes, needs string
	}{
		{plan.Change{Kind: quickbi.KindUser, Key: "a:bob@corp", Action: plan.Update,
			Before: attrs("nick", `"Bob"`, "tags", `{"region":["东"]}`), After: attrs("nick", `"Bobby"`, "tags", `{"region":["东"]}`)}, "", ""},
		{plan.Change{Kind: quickbi.KindUser, Key: "a:bob@corp", Action: plan.Update,
			Before: attrs("tags", `{"region":["东"]}`), After: attrs("tags", `{"region":["南"]}`)}, "tags a:bob", "tags a:bob"},
		{plan.Change{Kind: quickbi.KindUser, Key: "a:eve", Action: plan.Create, After: attrs("tags", `{"region":["南"]}`)}, "tags a:eve", ""},
		{plan.Change{Kind: quickbi.KindUser, Key: "a:eve", Action: plan.Create, After: attrs("nick", `"Eve"`)}, "", ""},
		{plan.Change{Kind: quickbi.KindUser, Key: "a:dave", Action: plan.Delete, Before: attrs("tags", `{}`)}, "tags a:dave", ""},
		{plan.Change{Kind: quickbi.KindGroup, Key: "ops", Action: plan.Update}, "", ""},
	} {
		if got := strings.Join(p.Writes(c.ch), ","); got != c.writes {
			t.Errorf("%s %s %s: writes %q, want %q", c.ch.Action, c.ch.Kind, c.ch.Key, got, c.writes)
		}
		if got := strings.Join(p.Needs(c.ch), ","); got != c.needs {
			t.Errorf("%s %s %s: needs %q, want %q", c.ch.Action, c.ch.Kind, c.ch.Key, got, c.needs)
		}
	}
}
