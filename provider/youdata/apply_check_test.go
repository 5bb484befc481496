package youdata_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"

	"github.com/google/go-cmp/cmp"

	"github.com/permsync/permsync/internal/canon"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/spec"
)

func asAPIError(err error, target **apiclient.APIError) bool { return errors.As(err, target) }

// checkServer asserts that the simulator holds what the files say,
// write-only facets included. Protected users may hold more than the files
// give them (they are never removed).
// reporter is the part of *testing.T checkServer uses.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

func checkServer(t reporter, d *spec.Desired, s *youdatatest.State, protected map[string]bool) {
	t.Helper()
	d = withoutRevoked(d, protected)
	bad := func(format string, args ...any) { t.Errorf("server differs: "+format, args...) }
	eq := func(what string, want, got any) {
		if d := cmp.Diff(want, got); d != "" {
			bad("%s (-want +got):\n%s", what, d)
		}
	}
	if d.Orgs != nil {
		if d.Orgs.Company != "" {
			eq("company", d.Orgs.Company, s.Company)
		}
		for _, dep := range d.Orgs.Departments {
			o := s.Orgs[dep.Code]
			if o == nil {
				bad("department %s missing", dep.Code)
				continue
			}
			eq("department "+dep.Code, [4]string{dep.Name, dep.Parent, fmt.Sprint(emptyNil(dep.Admins)), dep.Description},
				[4]string{o.Name, o.Parent, fmt.Sprint(emptyNil(o.Admins)), o.Description})
		}
	}
	for _, u := range d.Users {
		su := s.Users[u.UniqueID]
		if su == nil {
			bad("user %s missing", u.UniqueID)
			continue
		}
		for _, f := range []struct {
			name      string
			want, got *string
		}{{"email", u.Email, su.Email}, {"phone", u.Phone, su.Phone}, {"nick", u.Nick, su.Nick},
			{"department", u.Department, su.Department}, {"company", u.Company, su.Company}, {"position", u.Position, su.Position}} {
			if f.want != nil {
				eq("user "+u.UniqueID+" "+f.name, *f.want, deref(f.got))
			}
		}
		if u.Left != nil {
			eq("user "+u.UniqueID+" left", *u.Left, su.Left)
		}
		if u.AllowExternal != nil {
			eq("user "+u.UniqueID+" allowExternal", u.AllowExternal, su.AllowExternal)
		}
		if u.Orgs != nil {
			want := []youdatatest.UserOrg{}
			for _, o := range u.Orgs {
				role := o.Role
				if role == "" {
					role = "normal"
				}
				want = append(want, youdatatest.UserOrg{Code: o.Code, Role: role})
			}
			sort.Slice(want, func(i, j int) bool { return want[i].Code < want[j].Code })
			eq("user "+u.UniqueID+" orgs", want, append([]youdatatest.UserOrg{}, su.Orgs...))
		}
		for name, v := range u.Attrs {
			if id, err := strconv.ParseInt(name, 10, 64); err == nil {
				name = s.Attributes[id]
			}
			got, ok := su.Attrs[name]
			if v == nil {
				if ok {
					bad("user %s attribute %s = %v, want cleared", u.UniqueID, name, got)
				}
				continue
			}
			if !ok {
				bad("user %s attribute %s is not set, want %v", u.UniqueID, name, *v)
				continue
			}
			eq("user "+u.UniqueID+" attribute "+name, sortedCopy(*v), sortedCopy(got))
		}
		if u.CustomInfo != nil {
			var got any
			raw := su.CustomInfo
			var str string
			if json.Unmarshal(raw, &str) == nil {
				raw = json.RawMessage(str)
			}
			_ = json.Unmarshal(raw, &got)
			eq("user "+u.UniqueID+" customInfo", string(canon.JSON(u.CustomInfo)), string(canon.JSON(got)))
		}
	}
	for _, r := range d.SystemRoles {
		sr := s.SystemRoleByName(r.Name)
		if sr == nil {
			bad("system role %s missing", r.Name)
			continue
		}
		if r.Description != nil {
			eq("system role "+r.Name+" description", *r.Description, sr.Description)
		}
	}
	for _, pr := range d.Projects {
		p := s.ProjectByName(pr.Name)
		if p == nil {
			bad("project %s missing", pr.Name)
			continue
		}
		checkProject(t, pr, p, s, protected, eq, bad)
	}
}

func checkProject(t reporter, pr spec.Project, p *youdatatest.Project, s *youdatatest.State, protected map[string]bool,
	eq func(string, any, any), bad func(string, ...any)) {
	t.Helper()
	if pr.Description != nil {
		eq("project "+pr.Name+" description", *pr.Description, p.Description)
	}
	sysName := map[int64]string{1: "admin", 2: "editor", 3: "viewer"}
	for id, r := range s.SystemRoles {
		sysName[id] = r.Name
	}
	if pr.Members != nil {
		bound := map[string]bool{}
		for _, g := range pr.Groups {
			for _, u := range g.Members {
				bound[u] = true
			}
		}
		for _, r := range pr.Roles {
			for _, u := range r.Users {
				bound[u] = true
			}
		}
		for _, r := range pr.DataPermissions {
			for _, u := range r.Users {
				bound[u] = true
			}
		}
		for _, rm := range pr.ResourceMembers {
			for _, m := range rm.Members {
				bound[m.User] = true
			}
		}
		want := map[string]bool{}
		for _, m := range pr.Members {
			want[m.User] = true
			sm := p.Members[m.User]
			if sm == nil {
				bad("%s: member %s missing", pr.Name, m.User)
				continue
			}
			if m.SystemRoles == nil {
				continue
			}
			var got []string
			for _, id := range sm.SystemRoles {
				got = append(got, sysName[id])
			}
			sort.Strings(got)
			eq(pr.Name+": system roles of "+m.User, sortedCopy(m.SystemRoles), got)
		}
		for uid := range p.Members {
			if !want[uid] && !bound[uid] && !protected[uid] {
				bad("%s: %s is a member, the files do not say so", pr.Name, uid)
			}
		}
	}
	for _, g := range pr.Groups {
		sg := p.GroupByName(g.Name)
		if sg == nil {
			bad("%s: group %s missing", pr.Name, g.Name)
			continue
		}
		eq(pr.Name+": folder of group "+g.Name, g.Folder, sg.Folder)
		if g.Description != nil {
			eq(pr.Name+": description of group "+g.Name, *g.Description, sg.Description)
		}
		if g.Members != nil {
			eq(pr.Name+": members of group "+g.Name, sortedCopy(g.Members), sortedCopy(sg.Members))
		}
	}
	for _, r := range pr.Roles {
		typ := 0
		if r.Level == 2 {
			typ = 3
		}
		sr := p.FindRole(r.Folder, r.Name, typ)
		if sr == nil {
			bad("%s: role %s/%s missing", pr.Name, r.Folder, r.Name)
			continue
		}
		what := pr.Name + ": role " + r.Folder + "/" + r.Name
		checkRole(what, r.Description, r.Bindings, sr, p, protected, eq)
		if r.Resources != nil {
			var want, got []string
			for _, res := range r.Resources {
				want = append(want, string(canon.JSON(youdatatest.ResourcePermission{Type: res.Type, ID: res.ID, Path: res.Path, IsFolder: res.Folder, Permissions: sortedCopy(res.Permissions)})))
			}
			for _, res := range sr.Resources {
				res.Permissions = sortedCopy(res.Permissions)
				got = append(got, string(canon.JSON(res)))
			}
			sort.Strings(want)
			sort.Strings(got)
			eq(what+" resources", want, got)
		}
	}
	for _, r := range pr.DataPermissions {
		sr := p.FindRole(r.Folder, r.Name, 2)
		if sr == nil {
			bad("%s: data permission %s/%s missing", pr.Name, r.Folder, r.Name)
			continue
		}
		what := pr.Name + ": data permission " + r.Folder + "/" + r.Name
		checkRole(what, r.Description, r.Bindings, sr, p, protected, eq)
		if r.Rules != nil {
			var want, got []string
			for _, rule := range r.Rules {
				dp := youdatatest.DataPermission{DataConnectionID: rule.Connection, Type: rule.Type, Mode: rule.Mode, Rule: rule.Rule}
				if dp.Type == "" {
					dp.Type = "row"
				}
				if dp.Mode == "" {
					dp.Mode = "fixed"
				}
				if dp.Rule == "" {
					dp.Rule = map[bool]string{true: "or", false: "and"}[dp.Type == "row"]
				}
				for _, det := range rule.Details {
					dp.Details = append(dp.Details, normDetail(det))
				}
				want = append(want, string(canon.JSON(dp)))
			}
			for _, dp := range sr.DataPermissions {
				dets := dp.Details
				dp.Details = nil
				for _, raw := range dets {
					var det spec.Detail
					if err := json.Unmarshal(raw, &det); err != nil {
						bad("%s: detail %s: %v", what, raw, err)
					}
					dp.Details = append(dp.Details, normDetail(det))
				}
				got = append(got, string(canon.JSON(dp)))
			}
			sort.Strings(want)
			sort.Strings(got)
			eq(what+" rules", want, got)
		}
	}
	for _, rm := range pr.ResourceMembers {
		want := map[string][]string{}
		for _, m := range rm.Members {
			want[m.User] = sortedCopy(m.Permissions)
		}
		got := p.ResourceMembers[youdatatest.ResourceKey{Type: rm.Type, ID: rm.ID}]
		if got == nil {
			got = map[string][]string{}
		}
		eq(fmt.Sprintf("%s: members of %s %d", pr.Name, rm.Type, rm.ID), want, got)
	}
}

// normDetail is a detail as JSON with its string lists sorted.
func normDetail(d spec.Detail) json.RawMessage {
	if d.Filter != nil {
		f := *d.Filter
		f.Select = sortedCopy(f.Select)
		d.Filter = &f
	}
	d.Select = sortedCopy(d.Select)
	for i := range d.DataMasks {
		d.DataMasks[i].ApplyRange = sortedCopy(d.DataMasks[i].ApplyRange)
	}
	return canon.JSON(d)
}

// checkRole compares a role's description and holders with the files.
func checkRole(what string, desc *string, b spec.Bindings, sr *youdatatest.Role, p *youdatatest.Project, protected map[string]bool, eq func(string, any, any)) {
	if desc != nil {
		eq(what+" description", *desc, sr.Description)
	}
	expiry := func(name string) string {
		if t, ok := b.Expires[name]; ok {
			return youdata.ServerTime(t)
		}
		return ""
	}
	got := func(bd youdatatest.Binding) string {
		if bd.Expires == nil {
			return ""
		}
		return youdatatest.FormatExpire(*bd.Expires)
	}
	if b.Users != nil {
		want, have := map[string]string{}, map[string]string{}
		for _, u := range b.Users {
			want[u] = expiry(u)
		}
		for u, bd := range sr.Users {
			if _, ok := want[u]; !ok && protected[u] {
				continue
			}
			have[u] = got(bd)
		}
		eq(what+" users", want, have)
	}
	if b.Groups != nil {
		want, have := map[string]string{}, map[string]string{}
		for _, g := range b.Groups {
			want[g] = expiry(g)
		}
		for id, bd := range sr.Groups {
			name := fmt.Sprintf("#%d", id)
			if g := p.Groups[id]; g != nil {
				name = g.Name
			}
			have[name] = got(bd)
		}
		eq(what+" groups", want, have)
	}
	if b.Orgs != nil {
		want, have := map[string]string{}, map[string]string{}
		for _, o := range b.Orgs {
			want[o] = expiry(o)
		}
		for code, bd := range sr.Orgs {
			have[code] = got(bd)
		}
		eq(what+" orgs", want, have)
	}
}

func sortedCopy(in []string) []string {
	out := append([]string{}, in...)
	sort.Strings(out)
	return out
}

func emptyNil(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	return in
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// withoutRevoked is d as the server should hold it when settings.leavers
// is revoke: the users marked left (and not protected) taken out of every
// project's lists. d itself is left as it is.
func withoutRevoked(d *spec.Desired, protected map[string]bool) *spec.Desired {
	if d.Settings.Leavers != spec.LeaversRevoke {
		return d
	}
	gone := map[string]bool{}
	for _, u := range d.Users {
		if u.Left != nil && *u.Left && !protected[u.UniqueID] && !slices.Contains(d.Settings.ProtectedUsers, u.UniqueID) {
			gone[u.UniqueID] = true
		}
	}
	keep := func(in []string) []string {
		if in == nil {
			return nil
		}
		out := []string{}
		for _, u := range in {
			if !gone[u] {
				out = append(out, u)
			}
		}
		return out
	}
	out := *d
	out.Projects = nil
	for _, pr := range d.Projects {
		var members []spec.Member
		for _, m := range pr.Members {
			if !gone[m.User] {
				members = append(members, m)
			}
		}
		if pr.Members != nil {
			pr.Members = append([]spec.Member{}, members...)
		}
		groups := append([]spec.Group(nil), pr.Groups...)
		for i := range groups {
			groups[i].Members = keep(groups[i].Members)
		}
		pr.Groups = groups
		roles := append([]spec.Role(nil), pr.Roles...)
		for i := range roles {
			roles[i].Users = keep(roles[i].Users)
		}
		pr.Roles = roles
		dps := append([]spec.DataPermission(nil), pr.DataPermissions...)
		for i := range dps {
			dps[i].Users = keep(dps[i].Users)
		}
		pr.DataPermissions = dps
		rms := append([]spec.ResourceMember(nil), pr.ResourceMembers...)
		for i := range rms {
			var ms []spec.ResourceMemberRef
			for _, m := range rms[i].Members {
				if !gone[m.User] {
					ms = append(ms, m)
				}
			}
			rms[i].Members = append([]spec.ResourceMemberRef{}, ms...)
		}
		pr.ResourceMembers = rms
		out.Projects = append(out.Projects, pr)
	}
	return &out
}
