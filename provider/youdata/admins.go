package youdata

import (
	"fmt"
	"slices"
	"strings"

	"github.com/permsync/permsync/diff"
	"github.com/permsync/permsync/internal/sets"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/spec"
)

// adminRoleID is the id of the built-in admin system role.
var adminRoleID = builtinSystemRoleIDs["admin"]

// isLiveAdmin reports whether a member administers its project: the admin
// system role, or the admin category of projectUser/list.
func isLiveAdmin(lm LiveMember) bool {
	if lm.Category == "admin" {
		return true
	}
	for _, id := range lm.SystemRoleIDs {
		if id == adminRoleID {
			return true
		}
	}
	return false
}

// projectAdmins follows the admins of one project through a plan.
type projectAdmins struct {
	src     spec.Source
	admins  map[string]bool
	live    map[string]bool // admins on the server before the plan
	created bool
	lost    []string // what the plan does to the admins it takes away
}

// checkAdmins refuses a plan that leaves a project without an admin and,
// when the user behind the token is not known, every change that takes
// the admin role from a member or removes an admin: that member may be the
// token's user, whom the plan would lock out of the project.
func (p *planner) checkAdmins() {
	projects := map[string]*projectAdmins{}
	for _, pr := range p.d.Projects {
		lp := p.findProject(pr)
		if lp == nil || !lp.Read {
			continue
		}
		pa := &projectAdmins{src: pr.Src, admins: map[string]bool{}, live: map[string]bool{}}
		for _, u := range sets.SortedKeys(lp.Members) {
			if isLiveAdmin(lp.Members[u]) {
				pa.admins[u] = true
				pa.live[u] = true
			}
		}
		projects[pr.Name] = pa
	}
	for _, c := range p.all() {
		if c.Kind != KindProject {
			continue
		}
		switch c.Action {
		case plan.Create:
			// project/add makes its receivers admins (see the executor).
			pa := &projectAdmins{admins: map[string]bool{}, created: true}
			for _, u := range c.After.Strings("receivers") {
				pa.admins[u] = true
			}
			for _, pr := range p.d.Projects {
				if pr.Name == c.Key {
					pa.src = pr.Src
				}
			}
			projects[c.Key] = pa
		case plan.Delete:
			delete(projects, c.Key)
		}
	}

	unknown := p.tokenUserUnknown()
	var refusals []string
	take := func(project, user, what string, c plan.Change) {
		pa := projects[project]
		if pa == nil || !pa.admins[user] {
			return
		}
		delete(pa.admins, user)
		desc := fmt.Sprintf("%s %s %s %s", c.Action, c.Kind, c.Key, what)
		pa.lost = append(pa.lost, desc)
		if unknown != "" && pa.live[user] && c.Kind == KindMember {
			refusals = append(refusals, desc+", and "+unknown)
		}
	}
	for _, c := range p.all() {
		switch c.Kind {
		case KindMember:
			user := c.After.String("user")
			if user == "" {
				user = c.Before.String("user")
			}
			project := strings.TrimSuffix(c.Key, "/"+user)
			pa := projects[project]
			if pa == nil || user == "" {
				continue
			}
			switch {
			case c.Action == plan.Delete:
				take(project, user, "removes admin "+user+" from the project", c)
			case c.After.Has("systemRoles"):
				if slices.Contains(c.After.Strings("systemRoles"), "admin") {
					pa.admins[user] = true
				} else {
					take(project, user, "takes the admin system role from "+user, c)
				}
			}
			// A member that joins without system roles is a viewer, but for
			// a receiver of the project's create, who stays an admin.
		case KindUser:
			if c.Action != plan.Delete {
				continue
			}
			var of []string
			for _, name := range sets.SortedKeys(projects) {
				if projects[name].admins[c.Key] {
					if projects[name].live[c.Key] {
						of = append(of, name)
					}
					take(name, c.Key, "deletes admin "+c.Key+" from the domain", c)
				}
			}
			if unknown != "" && len(of) > 0 {
				refusals = append(refusals, fmt.Sprintf("delete user %s deletes from the domain an admin of project %s, and %s", c.Key, strings.Join(of, ", "), unknown))
			}
		}
	}
	for _, name := range sets.SortedKeys(projects) {
		pa := projects[name]
		if len(pa.admins) > 0 {
			continue
		}
		switch {
		case pa.created && len(pa.lost) == 0:
			refusals = append(refusals, fmt.Sprintf("project %s would be created without an admin: it has no members: in the files and the user behind the token is not known; list its members, at least one with systemRoles: [admin] (%s)", name, diff.SourceString(pa.src)))
		case pa.created:
			refusals = append(refusals, fmt.Sprintf("project %s would be created without an admin: none of its members has systemRoles: [admin]; give at least one member systemRoles: [admin] (%s)", name, diff.SourceString(pa.src)))
		case len(pa.live) > 0:
			refusals = append(refusals, fmt.Sprintf("project %s would be left without an admin: %s; keep at least one member with systemRoles: [admin] (%s)", name, strings.Join(pa.lost, "; "), diff.SourceString(pa.src)))
		}
	}
	for _, r := range refusals {
		p.Refuse(plan.RefuseLockout, r)
	}
}

// tokenUserUnknown says why the user behind the token is not known, or ""
// when it is: a user of the server (or a member of a project read) named
// by PERMSYNC_TOKEN_USER, --token-user or the email of the login.
func (p *planner) tokenUserUnknown() string {
	const how = "set PERMSYNC_TOKEN_USER (or --token-user) to the uniqueId of the token's user; the API has no call that names the user behind a token"
	tu := p.live.TokenUser
	if tu == "" {
		return "the user behind the token is not known, so it may be that user, who would lose the right to manage the project: " + how
	}
	if _, ok := p.live.Users[tu]; ok {
		return ""
	}
	for _, lp := range p.live.Projects {
		if _, ok := lp.Members[tu]; ok {
			return ""
		}
	}
	return fmt.Sprintf("the token's user %q is neither the uniqueId nor the email of exactly one user of the server, so the user behind the token is not known and may be this one, who would lose the right to manage the project: %s", tu, how)
}
