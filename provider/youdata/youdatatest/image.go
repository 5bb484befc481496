package youdatatest

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// Image is everything the server holds, write-only facets included
// (departments, group folders and descriptions, the groups and
// departments bound to roles, resource permissions, rules, direct
// resource members), by names rather than by the ids the server gave:
// two servers that reached the same content by other paths show the same
// image, sorted.
func (st *State) Image() []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	js := func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}
	str := func(p *string) string {
		if p == nil {
			return "<nil>"
		}
		return *p
	}
	add("company %q", st.Company)
	for code, o := range st.Orgs {
		add("org %s %q parent=%s admins=%v %q", code, o.Name, o.Parent, o.Admins, o.Description)
	}
	for _, u := range st.Users {
		add("user %s email=%s nick=%s phone=%s custom=%s dept=%s company=%s position=%s left=%v external=%s frozen=%v attrs=%s orgs=%s",
			u.UniqueID, str(u.Email), str(u.Nick), str(u.Phone), u.CustomInfo, str(u.Department), str(u.Company), str(u.Position),
			u.Left, js(u.AllowExternal), u.Frozen, js(u.Attrs), js(u.Orgs))
	}
	sysName := map[int64]string{1: "admin", 2: "editor", 3: "viewer"}
	for id, r := range st.SystemRoles {
		sysName[id] = r.Name
		add("systemRole %s %q", r.Name, r.Description)
	}
	for _, p := range st.Projects {
		add("project %s %q", p.Name, p.Description)
		for u, mb := range p.Members {
			var roles []string
			for _, id := range mb.SystemRoles {
				roles = append(roles, sysName[id])
			}
			sort.Strings(roles)
			add("member %s/%s %v", p.Name, u, roles)
		}
		for _, g := range p.Groups {
			add("group %s/%s folder=%q description=%q members=%v", p.Name, g.Name, g.Folder, g.Description, g.Members)
		}
		for _, f := range p.Folders {
			add("folder %s/%s %s", p.Name, f.Name, f.Type)
		}
		exp := func(b Binding) string {
			if b.Expires == nil {
				return "-"
			}
			return b.Expires.UTC().Format(time.RFC3339)
		}
		for _, r := range p.Roles {
			key := fmt.Sprintf("%s/%s/%s type=%d", p.Name, p.FolderName(r.FolderID), r.Name, r.Type)
			add("role %s description=%q resources=%s rules=%s", key, r.Description, js(r.Resources), js(r.DataPermissions))
			for u, b := range r.Users {
				add("role %s user %s %s", key, u, exp(b))
			}
			for name, b := range p.GroupBindings(r) {
				add("role %s group %s %s", key, name, exp(b))
			}
			if n := len(r.Groups) - len(p.GroupBindings(r)); n != 0 {
				add("role %s bound to %d groups that do not exist", key, n)
			}
			for o, b := range r.Orgs {
				add("role %s org %s %s", key, o, exp(b))
			}
		}
		for k, ms := range p.ResourceMembers {
			add("resourceMembers %s/%s/%d %s", p.Name, k.Type, k.ID, js(ms))
		}
	}
	sort.Strings(out)
	return out
}
