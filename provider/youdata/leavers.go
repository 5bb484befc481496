package youdata

import (
	"fmt"
	"sort"
	"strings"

	"github.com/permsync/permsync/diff"
	"github.com/permsync/permsync/internal/sets"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/spec"
)

// Users the files mark left (left: true). With settings.leavers: keep (the
// default) they keep what they hold and the plan says so; with revoke they
// leave every project the files name that the read shows them in, which
// takes their direct roles, groups and resource permissions there with
// them, and the files' lists that name them are read without them.

// leaver is the user, when the files mark it left.
func (p *planner) leaver(u string) (spec.User, bool) {
	if p.leavers == nil {
		p.leavers = map[string]spec.User{}
		for _, du := range p.d.Users {
			if du.Left != nil && *du.Left {
				p.leavers[du.UniqueID] = du
			}
		}
	}
	du, ok := p.leavers[u]
	return du, ok
}

// revoked reports whether the plan takes user u out of the projects:
// marked left, settings.leavers is revoke, and u is not protected.
func (p *planner) revoked(u string) bool {
	if p.d.Settings.Leavers != spec.LeaversRevoke {
		return false
	}
	_, ok := p.leaver(u)
	return ok && !p.Protected(u)
}

// staying is the users of a list of the files, sorted and unique, without
// those the plan revokes.
func (p *planner) staying(users []string) []string {
	out := []string{}
	for _, u := range sets.Uniq(users) {
		if !p.revoked(u) {
			out = append(out, u)
		}
	}
	return out
}

// planLeavers warns of, or (revoke) removes from the project, the members
// the files mark left.
func (c *projectCtx) planLeavers() {
	p := c.p
	if c.lp == nil {
		return
	}
	var keep, protected []string
	for _, u := range sets.SortedKeys(c.lp.Members) {
		du, ok := p.leaver(u)
		if !ok {
			continue
		}
		switch {
		case p.d.Settings.Leavers != spec.LeaversRevoke:
			keep = append(keep, fmt.Sprintf("%s (%s)", u, diff.SourceString(du.Src)))
			continue
		case p.Protected(u):
			protected = append(protected, u)
			continue
		}
		lm := c.lp.Members[u]
		var before plan.Attrs
		before.Set("user", u)
		before.Set("project_id", c.pid)
		before.Set("id", lm.UserID)
		before.Set("systemRoles", p.systemRoleNames(lm.SystemRoleIDs))
		before.Set("left", true)
		p.AddDelete(plan.Change{Kind: KindMember, Key: c.key(u), Scope: c.pr.Name, Before: before,
			Reason: "marked left, and settings.leavers is revoke: leaves the project with its roles, groups and resource permissions there"}, 0)
	}
	if len(keep) > 0 {
		p.Warn("project %s: %s marked left but still a member, with the roles, groups and resource permissions held there; settings.leavers: revoke removes them",
			c.pr.Name, strings.Join(keep, ", ")+map[bool]string{true: " is", false: " are"}[len(keep) == 1])
	}
	if len(protected) > 0 {
		sort.Strings(protected)
		p.Warn("project %s: %s marked left but protected (settings.protectedUsers or the token's user): not removed", c.pr.Name, strings.Join(protected, ", "))
	}
}
