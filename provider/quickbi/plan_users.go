package quickbi

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/permsync/permsync/diff"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/quickbi/apiclient"
	"github.com/permsync/permsync/spec"
)

// maxTagValue is the longest tag value UpdateUserTagValue takes.
const maxTagValue = 3000

// maxOrgRoles is the most organization roles a member holds.
const maxOrgRoles = 3

// planTags plans the tag definitions of the files.
func (p *planner) planTags() {
	seen := map[string]bool{}
	tags := append([]spec.QuickBITag(nil), p.q.Tags...)
	sort.SliceStable(tags, func(i, j int) bool { return tags[i].Name < tags[j].Name })
	for _, t := range tags {
		if seen[t.Name] {
			p.Problem(fmt.Sprintf("tag %s is declared twice (%s)", t.Name, src(t.Src)))
			continue
		}
		seen[t.Name] = true
		lt := p.live.Tags[t.Name]
		o := p.NewObject(KindTag, t.Name, t.Src, lt != nil)
		o.Ident("name", t.Name)
		var desc string
		if lt != nil {
			o.Ident("id", lt.ID)
			desc = lt.Description
		}
		if t.Description != nil {
			o.Readable("description", *t.Description, desc)
		}
		o.Finish(0)
	}
}

// planTagDeletes plans the deletion of the tags absent from the files
// that permsync created, or all of them with settings.prune.tags.
func (p *planner) planTagDeletes() {
	want := map[string]bool{}
	for _, t := range p.q.Tags {
		want[t.Name] = true
	}
	for _, name := range sortedKeys(p.live.Tags) {
		p.CapObject("", KindTag, name)
		if want[name] {
			continue
		}
		why := diff.DeleteWhy(p.StateOf(KindTag, name), p.q.Settings.Prune.Tags, "settings.prune.tags")
		if why == "" {
			continue
		}
		if p.q.Tags == nil {
			p.Undeclared(KindTag, "tags", name)
			continue
		}
		lt := p.live.Tags[name]
		var before plan.Attrs
		before.Set("name", name)
		before.Set("id", lt.ID)
		before.Set("description", lt.Description)
		p.AddDelete(plan.Change{Kind: KindTag, Key: name, Before: before, Reason: why + "; every member's value of it goes with it"}, 0)
	}
}

// tagKnown reports whether a tag is in the files or on the server.
func (p *planner) tagKnown(name string) bool {
	for _, t := range p.q.Tags {
		if t.Name == name {
			return true
		}
	}
	return p.live.Tags[name] != nil
}

// tagValues is a tag value as a set: its comma-separated values, trimmed,
// sorted, without repeats; nil for no value.
func tagValues(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return sortedUniq(out)
}

// userType is the type the plan leaves a user with ("" when unknown).
func (p *planner) userType(account string) int {
	if u, ok := p.users[account]; ok && u.Type != nil {
		return userTypes[*u.Type]
	}
	if lu := p.liveUser(account); lu != nil {
		return lu.Type
	}
	return 0
}

// planUsers plans the users of the files: AddUser for those not on the
// server (looked up by account, else by UID: AddUser is no upsert), and
// UpdateUser and UpdateUserTagValue for the facets the files set that
// differ.
func (p *planner) planUsers() {
	p.checkNicks()
	for _, account := range sortedKeys(p.users) {
		u := p.users[account]
		lu := p.match[account]
		o := p.NewObject(KindUser, account, u.Src, lu != nil)
		o.Ident("account", account)
		if lu != nil {
			o.Ident("id", lu.UserID)
		} else {
			o.CreateReason = "not a member of the organization (looked up by account" + map[bool]string{true: " and UID", false: ""}[u.AccountID != nil] + ")"
			if u.Nick == nil || u.Type == nil {
				p.Problem(fmt.Sprintf("user %s is not a member of the organization: adding it needs its nick and type (%s)", account, src(u.Src)))
			}
		}
		if u.AccountID != nil {
			switch {
			case lu == nil:
				o.Readable("accountId", *u.AccountID, nil)
			case lu.AccountID == "":
				// Not shown (the member has not logged in yet): nothing to
				// compare, and UpdateUser cannot set it.
			case lu.AccountID != *u.AccountID:
				p.Problem(fmt.Sprintf("user %s: accountId %s in the files, but the member on the server has %s, and Quick BI cannot change a member's AccountId (%s)", account, *u.AccountID, lu.AccountID, src(u.Src)))
			default:
				o.Readable("accountId", *u.AccountID, lu.AccountID)
			}
		}
		if u.Nick != nil {
			var live string
			if lu != nil {
				live = lu.Nick
			}
			o.Readable("nick", *u.Nick, live)
		}
		if u.Type != nil {
			if _, ok := userTypes[*u.Type]; !ok {
				p.Problem(fmt.Sprintf("user %s: type %q is not developer, viewer or analyst (%s)", account, *u.Type, src(u.Src)))
			}
			var live string
			if lu != nil {
				live = typeName(lu.Type)
			}
			o.Readable("type", *u.Type, live)
		}
		if u.Roles != nil {
			p.planOrgRoles(o, account, u, lu)
		}
		if u.Inactive != nil {
			want := *u.Inactive
			if want && p.Protected(account) {
				p.Warn("user %s is protected (settings.protectedUsers or the member behind the credentials): not made inactive", account)
				want = false
			}
			var live bool
			if lu != nil {
				live = lu.Inactive
			}
			o.Readable("inactive", want, live)
		}
		if u.Tags != nil {
			p.planTagValues(o, account, u, lu)
		}
		o.Finish(0)
	}
}

// planOrgRoles plans a user's organization roles: predefined or custom
// names, at most three; none is a regular user.
func (p *planner) planOrgRoles(o *diff.Object, account string, u *spec.QuickBIUser, lu *LiveUser) {
	names := sortedUniq(u.Roles)
	if len(names) == 0 {
		names = []string{"user"}
	}
	var live []string
	if lu != nil {
		live = p.live.OrgRoleNames(lu.Roles)
		if p.Protected(account) && contains(live, "admin") && !contains(names, "admin") {
			p.Warn("user %s is protected (settings.protectedUsers or the member behind the credentials): keeps the organization admin role", account)
			names = sortedUniq(append(names, "admin"))
		}
	}
	if len(names) > maxOrgRoles {
		p.Problem(fmt.Sprintf("user %s: %d organization roles, but a member holds at most %d (%s)", account, len(names), maxOrgRoles, src(u.Src)))
	}
	ids := map[string]int64{}
	for _, n := range names {
		id, ok := p.live.orgRoleID(n)
		if !ok {
			p.Problem(fmt.Sprintf("user %s: organization role %q is neither admin, permissionAdmin, user nor a custom role of the organization (%s)", account, n, src(u.Src)))
			continue
		}
		ids[n] = id
	}
	o.Readable("roles", names, live)
	o.Ident(attrRoleIDs, ids)
}

// planTagValues plans the values of the tags the files give a user: a
// set of values per tag, written comma-separated; null clears the tag.
func (p *planner) planTagValues(o *diff.Object, account string, u *spec.QuickBIUser, lu *LiveUser) {
	want := map[string][]string{}
	ids := map[string]string{}
	for _, name := range sortedKeys(u.Tags) {
		if !p.tagKnown(name) {
			p.Problem(fmt.Sprintf("user %s: tag %q is neither under tags: nor defined in the organization (%s)", account, name, src(u.Src)))
			continue
		}
		if lt := p.live.Tags[name]; lt != nil {
			ids[name] = lt.ID
		}
		vals := u.Tags[name]
		if vals == nil || len(*vals) == 0 {
			want[name] = nil
			continue
		}
		for _, v := range *vals {
			if strings.Contains(v, ",") {
				p.Problem(fmt.Sprintf("user %s: value %q of tag %s holds a comma, which separates a tag's values (%s)", account, v, name, src(u.Src)))
			}
		}
		set := tagValues(strings.Join(*vals, ","))
		if n := utf8.RuneCountInString(strings.Join(set, ",")); n > maxTagValue {
			p.Problem(fmt.Sprintf("user %s: the values of tag %s take %d characters, more than the %d Quick BI keeps (%s)", account, name, n, maxTagValue, src(u.Src)))
		}
		want[name] = set
	}
	var live map[string][]string
	switch {
	case lu != nil && p.live.tagsAssumed(lu.UserID):
		// Not read (refresh=changed): as a read last found them, which
		// was as the files want them.
		live = want
	case lu != nil:
		live = map[string][]string{}
		for name := range want {
			live[name] = tagValues(lu.Tags[name])
		}
	}
	o.Readable("tags", want, live)
	if len(ids) > 0 {
		o.Ident(attrTagIDs, ids)
	}
}

// checkNicks reports the nicknames the plan cannot give: Quick BI keeps
// them unique in the organization, so AddUser and UpdateUser fail on one
// another member holds. The plan renames members before it adds any, so
// an added user may take the nickname of a member the plan renames.
func (p *planner) checkNicks() {
	owner := map[string]string{}
	for _, account := range sortedKeys(p.users) {
		u := p.users[account]
		if u.Nick == nil {
			continue
		}
		if *u.Nick == "" {
			p.Problem(fmt.Sprintf("user %s: nick is empty (%s)", account, src(u.Src)))
			continue
		}
		if other, dup := owner[*u.Nick]; dup {
			p.Problem(fmt.Sprintf("users %s and %s are both given nick %q, but nicknames are unique in the organization (%s)", other, account, *u.Nick, src(u.Src)))
			continue
		}
		owner[*u.Nick] = account
	}
	renamed := func(holder *LiveUser) bool {
		account := p.names[holder.UserID]
		u, ok := p.users[account]
		return ok && p.match[account] == holder && u.Nick != nil && *u.Nick != holder.Nick
	}
	for _, account := range sortedKeys(p.users) {
		u := p.users[account]
		lu := p.match[account]
		if u.Nick == nil || lu != nil && lu.Nick == *u.Nick {
			continue
		}
		holder := p.live.UserByNick(*u.Nick)
		if holder == nil || holder == lu {
			continue
		}
		name := p.nameOfUser(holder)
		switch {
		case renamed(holder) && lu == nil:
			// Renamed first: the add finds the nickname free.
		case renamed(holder):
			p.Problem(fmt.Sprintf("user %s: nick %q is held by %s, which this plan renames too; Quick BI refuses a nickname another member holds at the moment it is given: rename one of them in an apply of its own first (%s)", account, *u.Nick, name, src(u.Src)))
		case p.leaving[name]:
			p.Problem(fmt.Sprintf("user %s: nick %q is held by %s, which this plan deletes only after it adds and renames users: delete it in an apply of its own first (%s)", account, *u.Nick, name, src(u.Src)))
		default:
			p.Problem(fmt.Sprintf("user %s: nick %q is taken by member %s (UserId %s) on the server, and nicknames are unique in the organization: pick another nick, or declare that member with a new nick (%s)", account, *u.Nick, name, holder.UserID, src(u.Src)))
		}
	}
}

// planUserDeletes plans the removal from the organization of the
// members absent from the files that permsync added, or all of them with
// settings.prune.users; never a protected user or the member behind the
// credentials. A removed member's works go to settings.transferTo, or to
// each workspace's owner, and the plan says which.
func (p *planner) planUserDeletes() {
	transfer := p.q.Settings.TransferTo
	if transfer != "" && p.known(transfer) {
		if t := p.userType(transfer); t == apiclient.UserTypeViewer {
			p.Problem(fmt.Sprintf("settings.transferTo %s is a viewer, and Quick BI gives a removed member's works only to a developer or an analyst (%s)", transfer, src(p.q.Settings.Src)))
		}
	}
	owned := map[string][]string{}
	for _, id := range sortedKeys(p.live.Workspaces) {
		ws := p.live.Workspaces[id]
		owned[ws.Owner] = append(owned[ws.Owner], ws.Name)
	}
	for _, id := range sortedKeys(p.live.Users) {
		lu := p.live.Users[id]
		name := p.nameOfUser(lu)
		p.CapObject("", KindUser, name)
		if _, declared := p.users[name]; declared && p.match[name] == lu {
			continue
		}
		why := diff.DeleteWhy(p.StateOf(KindUser, name), p.q.Settings.Prune.Users, "settings.prune.users")
		if why == "" {
			continue
		}
		if p.q.Users == nil {
			p.Undeclared(KindUser, "users", name)
			continue
		}
		if p.Protected(name) {
			p.Warn("user %s is protected (settings.protectedUsers or the member behind the credentials): not removed from the organization", name)
			continue
		}
		var before plan.Attrs
		before.Set("account", name)
		before.Set("id", lu.UserID)
		before.Set("nick", lu.Nick)
		before.Set("type", typeName(lu.Type))
		before.Set("roles", p.live.OrgRoleNames(lu.Roles))
		ids := map[string]string{name: lu.UserID}
		switch {
		case transfer != "":
			before.Set("transferTo", p.userRef(transfer))
			if t := p.liveUser(transfer); t != nil {
				ids[p.userRef(transfer)] = t.UserID
			}
			why += "; its works go to " + p.userRef(transfer) + " (settings.transferTo)"
			if p.userRef(transfer) == name {
				p.Problem(fmt.Sprintf("settings.transferTo %s is a member this plan removes (%s)", transfer, src(p.q.Settings.Src)))
			}
		default:
			why += "; its works go to each workspace's owner (no settings.transferTo)"
			if ws := owned[lu.UserID]; len(ws) > 0 {
				p.Refuse(plan.RefuseOther, fmt.Sprintf("user %s owns workspace %s, and Quick BI removes a workspace's owner only with an heir for its works: set settings.transferTo", name, strings.Join(quoted(ws), ", ")))
			}
		}
		before.Set(attrUserIDs, ids)
		p.leaving[name] = true
		p.AddDelete(plan.Change{Kind: KindUser, Key: name, Before: before, Reason: why}, 0)
	}
}

func quoted(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
