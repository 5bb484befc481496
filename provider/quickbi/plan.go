package quickbi

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/permsync/permsync/diff"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// Attributes the executor reads that a reviewer need not: the server's
// ids of what a change names. They are in the JSON plan, and in the text
// one where they change.
const (
	attrUserIDs     = "user_ids"     // account → UserId of the users a change names
	attrTagIDs      = "tag_ids"      // tag name → TagId
	attrRoleIDs     = "role_ids"     // role name → role id
	attrWorkspaceID = "workspace_id" // the workspace of a member, level or rule
	attrCubeID      = "cube_id"      // the dataset of a level or rule
	attrRuleType    = "rule_type"    // ROW_LEVEL or COLUMN_LEVEL
	// The name and description of the copy an interrupted move of a group
	// left: the move goes on from it.
	attrCopyName        = "copy_name"
	attrCopyDescription = "copy_description"
)

// Compute plans the changes that make the organization match the Quick
// BI part of d. live is what was read, st what permsync last applied (nil:
// no state yet). It is pure and deterministic. Problems that make a plan
// impossible (users referenced but known nowhere, a nickname taken by
// another member, a role no one defined, ...) come back together as one
// *diff.PlanError, each with the file and line it is written at.
func Compute(d *spec.Desired, live *Live, st *state.State, opts diff.Options) (*plan.Plan, error) {
	if d == nil {
		return nil, errors.New("plan: no desired state")
	}
	q := d.QuickBI
	if q == nil {
		return nil, fmt.Errorf("plan: the files hold no Quick BI part (provider: %s): nothing to plan", Name)
	}
	if live == nil {
		live = &Live{}
	}
	if live.byAccount == nil {
		live.Index()
	}
	if st == nil {
		st = state.New()
	}
	p := &planner{q: q, live: live, st: st}
	p.Planner = diff.NewPlanner(Registry, st, opts, q.Settings.MaxDeletes, p.scopeOf)
	for _, u := range q.Settings.ProtectedUsers {
		p.Protect(u)
		if lu := live.User(u); lu != nil {
			p.Protect(p.nameOfUser(lu))
		}
	}
	if live.TokenUser != "" {
		p.Protect(live.TokenUser)
	}
	p.indexUsers()
	for _, w := range q.Workspaces {
		p.workspaceNames = append(p.workspaceNames, w.Name)
	}
	p.collectReferences()
	if err := p.Err(); err != nil {
		return nil, err
	}
	p.planUserDeletes() // first: the nicknames of members leaving are still taken
	p.planTags()
	p.planUsers()
	p.planGroups()
	p.planWorkspaces()
	p.planTagDeletes()
	if err := p.Err(); err != nil {
		return nil, err
	}
	p.checkAdmins()
	if live.TokenUser == "" && p.removesUsers() {
		p.Warn("the member behind the credentials is not known, so nothing keeps this plan from removing it or taking its admin role: set PERMSYNC_TOKEN_USER (or --token-user) to its account")
	}
	pl := p.Plan()
	for i := range pl.Changes {
		// The workspace of the change: the apply learns its id by it.
		pl.Changes[i].Scope = p.scopeOf(pl.Changes[i].Kind, pl.Changes[i].Key)
	}
	p.sequence(pl)
	return pl, nil
}

// planner plans Quick BI's objects with the diff's core.
type planner struct {
	*diff.Planner
	q    *spec.QuickBI
	live *Live
	st   *state.State

	// users are the desired users by account as written; match the
	// member each is on the server (nil: to be added).
	users map[string]*spec.QuickBIUser
	match map[string]*LiveUser
	// names maps a member's UserId to the name the plan gives it: the
	// files' account when the files declare it, else its account on the
	// server.
	names map[string]string
	// ids is names the other way.
	ids map[string]string
	// leaving are the accounts the plan deletes from the organization.
	leaving map[string]bool
	// groups are the desired groups by id; groupPlan what the plan does
	// with each.
	groups    map[string]*spec.QuickBIGroup
	groupPlan map[string]*groupPlan
	// adopted maps the server ids of groups found by another id than the
	// files' (made by hand under a files' group's name, or known by the
	// id the state records) to the files' ids.
	adopted map[string]string
	// workspaceNames are the workspaces the files name.
	workspaceNames []string
}

// scopeOf is the workspace of a key of a scoped kind ("" for the other
// kinds): the longest workspace name of the files it starts with.
func (p *planner) scopeOf(k plan.Kind, key string) string {
	if !scopedKinds[k] {
		return ""
	}
	best := ""
	for _, w := range p.workspaceNames {
		if len(w) > len(best) && strings.HasPrefix(key, w+"/") {
			best = w
		}
	}
	return best
}

// src renders a source for a problem: "file:line" (or the field path).
func src(s spec.Source) string { return diff.SourceString(s) }

// indexUsers matches the desired users with the members on the server:
// by account, else by the Alibaba Cloud UID the files give.
func (p *planner) indexUsers() {
	p.users = map[string]*spec.QuickBIUser{}
	p.match = map[string]*LiveUser{}
	p.names = map[string]string{}
	p.leaving = map[string]bool{}
	claimed := map[string]string{} // UserId → account that matched it
	accounts := make([]string, 0, len(p.q.Users))
	for i := range p.q.Users {
		u := &p.q.Users[i]
		if _, dup := p.users[u.Account]; dup {
			p.Problem(fmt.Sprintf("user %s is declared twice (%s)", u.Account, src(u.Src)))
			continue
		}
		p.users[u.Account] = u
		accounts = append(accounts, u.Account)
	}
	sort.Strings(accounts)
	for _, account := range accounts {
		u := p.users[account]
		lu := p.live.User(account)
		if lu == nil && u.AccountID != nil {
			lu = p.live.UserByAccountID(*u.AccountID)
		}
		if lu == nil {
			p.match[account] = nil
			continue
		}
		if other, dup := claimed[lu.UserID]; dup {
			p.Problem(fmt.Sprintf("users %s and %s are the same member on the server (UserId %s) (%s)", other, account, lu.UserID, src(u.Src)))
			continue
		}
		claimed[lu.UserID] = account
		p.match[account] = lu
		p.names[lu.UserID] = account
	}
	for id, lu := range p.live.Users {
		if _, ok := p.names[id]; !ok {
			p.names[id] = liveName(lu)
		}
	}
	p.ids = make(map[string]string, len(p.names))
	for id, name := range p.names {
		p.ids[name] = id
	}
}

// liveName names a member the files do not declare: its account, else
// its UID, else its UserId.
func liveName(u *LiveUser) string {
	switch {
	case u.Account != "":
		return u.Account
	case u.AccountID != "":
		return "uid:" + u.AccountID
	}
	return "userId:" + u.UserID
}

// nameOf names a member by UserId; an id that is no member (a deleted
// user some rule or whitelist still names) is "?<id>".
func (p *planner) nameOf(userID string) string {
	if n, ok := p.names[userID]; ok {
		return n
	}
	return "?" + userID
}

func (p *planner) nameOfUser(u *LiveUser) string { return p.nameOf(u.UserID) }

// names of UserIds, sorted.
func (p *planner) namesOf(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, p.nameOf(id))
	}
	sort.Strings(out)
	return out
}

// liveUser is the member a reference (an account) names on the server,
// or nil when it names a user the plan adds or no one.
func (p *planner) liveUser(account string) *LiveUser {
	if _, declared := p.users[account]; declared {
		return p.match[account]
	}
	return p.live.User(account)
}

// userRef is the name the plan gives the user an account names: the
// files' account when declared, else the member's name on the server.
func (p *planner) userRef(account string) string {
	if _, declared := p.users[account]; declared {
		return account
	}
	if lu := p.live.User(account); lu != nil {
		return p.nameOfUser(lu)
	}
	return account
}

// userIDs maps the accounts given to the UserIds of those on the server.
func (p *planner) userIDs(accounts []string) map[string]string {
	out := map[string]string{}
	for _, a := range accounts {
		if lu := p.liveUser(a); lu != nil {
			out[a] = lu.UserID
		}
	}
	return out
}

// known reports whether an account names a user of the files or a
// member of the organization.
func (p *planner) known(account string) bool {
	if _, ok := p.users[account]; ok {
		return true
	}
	return p.live.User(account) != nil
}

// collectReferences reports the users the files refer to that are
// neither declared under users: nor members of the organization, with
// every place each is written.
func (p *planner) collectReferences() {
	srcs := map[string]map[string]bool{}
	ref := func(account string, s spec.Source) {
		if p.known(account) {
			return
		}
		if srcs[account] == nil {
			srcs[account] = map[string]bool{}
		}
		srcs[account][src(s)] = true
	}
	for _, g := range p.q.Groups {
		for _, u := range g.Members {
			ref(u, g.Src)
		}
	}
	for _, w := range p.q.Workspaces {
		for _, m := range w.Members {
			ref(m.User, m.Src)
		}
		for _, d := range w.Datasets {
			for _, l := range []*spec.QuickBIDataLevel{d.RowLevel, d.ColumnLevel} {
				if l == nil {
					continue
				}
				if l.Whitelist != nil {
					for _, u := range l.Whitelist.Users {
						ref(u, l.Src)
					}
				}
				for _, r := range l.Rules {
					for _, u := range r.Users {
						ref(u, r.Src)
					}
				}
			}
		}
	}
	if t := p.q.Settings.TransferTo; t != "" {
		ref(t, p.q.Settings.Src)
	}
	accounts := make([]string, 0, len(srcs))
	for a := range srcs {
		accounts = append(accounts, a)
	}
	sort.Strings(accounts)
	for _, a := range accounts {
		p.Problem(fmt.Sprintf("user %q is referenced but is neither under users: nor a member of the organization: %s", a, strings.Join(diff.SortedSources(srcs[a]), ", ")))
	}
}

// removesUsers reports whether the plan takes a user out of the
// organization, a workspace or a group, or an admin role.
func (p *planner) removesUsers() bool {
	g := guard{}
	for _, c := range p.Changes() {
		if len(g.Removals(c)) > 0 || g.AdminLoss(c) != "" {
			return true
		}
	}
	for _, k := range Kinds {
		for _, c := range p.Deletes(k) {
			if len(g.Removals(c)) > 0 {
				return true
			}
		}
	}
	return false
}

// sortedUniq sorts and drops repeats; nil stays nil.
func sortedUniq(in []string) []string {
	if in == nil {
		return nil
	}
	out := append([]string{}, in...)
	sort.Strings(out)
	return uniq(out)
}

// minus lists the items of a not in b, sorted.
func minus(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}
