package quickbi

import (
	"bytes"
	"sort"
	"strings"

	"github.com/permsync/permsync/internal/canon"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// Quick BI's units (provider.Refresher): "tags ACCOUNT" (the account as
// Quick BI shows it, NormalizeAccount), the tag values of a member whose
// tags the files manage (QueryUserTagValueList, one call per member:
// 50,000 of the 51,256 calls of a plan of 50,000 members).
//
// Everything else is read by every read, narrowed or not: the members
// (their accounts, nicknames, roles and whether they are inactive), the
// tag definitions, the user-group tree and its members, the workspaces
// with their members, roles and rules. Those are listings of a few
// hundred calls in all, and deletions stand on them, so they are never
// taken as last read.
//
// A narrowed read reads the tag values of the members whose unit it is
// asked for, and of those whose record does not say a read found them as
// the files want them now (provider.Refresh.Assumed). The values of the
// others are taken as the files want them: the plan changes none of them.
func tagsUnit(account string) string { return "tags " + NormalizeAccount(account) }

// tagsRead is what a narrowed read did with the tag values.
type tagsRead struct {
	r *provider.Refresh
	// asked are the units of r.Units.
	asked map[string]bool
	// managed are the accounts whose tags the files manage.
	managed map[string]bool
	// assumed are the members (UserId) whose values were not read.
	assumed map[string]bool
}

func newTagsRead(r *provider.Refresh, managed []string) *tagsRead {
	t := &tagsRead{r: r, asked: map[string]bool{}, managed: map[string]bool{}, assumed: map[string]bool{}}
	for _, u := range r.Units {
		t.asked[u] = true
	}
	for _, a := range managed {
		t.managed[NormalizeAccount(a)] = true
	}
	return t
}

// reads reports whether the read reads the tag values of account.
func (t *tagsRead) reads(account string) bool {
	u := tagsUnit(account)
	return t.asked[u] || t.r.Assumed == nil || !t.r.Assumed(u)
}

// tagsAssumed reports whether the tag values of member uid were taken as
// the files want them, not read.
func (l *Live) tagsAssumed(uid string) bool {
	return l != nil && l.tags != nil && l.tags.assumed[uid]
}

var (
	_ provider.Refresher     = (*Provider)(nil)
	_ provider.RefreshedLive = (*Live)(nil)
	_ provider.CompletedLive = (*Live)(nil)
)

// Units fingerprints the tag values the files give each member.
func (p *Provider) Units(d *spec.Desired) map[string]string {
	out := map[string]string{}
	if d == nil || d.QuickBI == nil {
		return out
	}
	for _, u := range d.QuickBI.Users {
		if u.Tags != nil {
			out[tagsUnit(u.Account)] = canon.Fingerprint(map[string]any{"tags": u.Tags})
		}
	}
	return out
}

// Writes lists the units a change writes: the tag values of a member
// removed, added with tags, or given other values.
func (p *Provider) Writes(c plan.Change) []string {
	if c.Kind != KindUser {
		return nil
	}
	switch c.Action {
	case plan.Delete:
		return []string{tagsUnit(c.Key)}
	case plan.Create:
		if c.After.Has("tags") {
			return []string{tagsUnit(c.Key)}
		}
	default:
		if tagsChange(c) {
			return []string{tagsUnit(c.Key)}
		}
	}
	return nil
}

// Needs lists the units a change stands on: the tag values it clears or
// replaces. Such a change is planned only from values a read read (the
// values not read are taken as the files want them), so a narrowed read
// has them already.
func (p *Provider) Needs(c plan.Change) []string {
	if c.Kind == KindUser && c.Action != plan.Delete && c.Action != plan.Create && tagsChange(c) {
		return []string{tagsUnit(c.Key)}
	}
	return nil
}

// tagsChange reports whether a change gives a member other tag values.
func tagsChange(c plan.Change) bool {
	return c.After.Has("tags") && !bytes.Equal(c.Before["tags"], c.After["tags"])
}

// Refreshed lists the units this read read and found: the tag values of
// the members it read them of.
func (l *Live) Refreshed() []string {
	var out []string
	for _, u := range l.Users {
		if u.Tags != nil && u.Account != "" {
			out = append(out, tagsUnit(u.Account))
		}
	}
	sort.Strings(out)
	return out
}

// Fresh reports whether this read holds what the server has of unit u:
// always after a read in full; after a narrowed one, for the tag values
// it read, of a member the organization does not have, or of one whose
// tags the files do not manage (nothing of it is read).
func (l *Live) Fresh(u string) bool {
	if l.tags == nil {
		return true
	}
	account, ok := strings.CutPrefix(u, "tags ")
	if !ok {
		return true
	}
	lu := l.User(account)
	return lu == nil || lu.Tags != nil || !l.tags.managed[account]
}

// Completed is l with the tag values a narrowed read did not read taken
// as the files d want them, as Plan takes them; l itself after a read in
// full.
func (l *Live) Completed(d *spec.Desired, _ *state.State) provider.Live {
	if l == nil || l.tags == nil || d == nil || d.QuickBI == nil {
		return l
	}
	c := *l
	c.tags = nil
	c.Users = make(map[string]*LiveUser, len(l.Users))
	for id, u := range l.Users {
		c.Users[id] = u
	}
	for _, du := range d.QuickBI.Users {
		lu := l.User(du.Account)
		if lu == nil || du.Tags == nil || !l.tags.assumed[lu.UserID] {
			continue
		}
		cp := *lu
		cp.Tags = map[string]string{}
		for name, vals := range du.Tags {
			if vals != nil && len(*vals) > 0 {
				cp.Tags[name] = strings.Join(tagValues(strings.Join(*vals, ",")), ",")
			}
		}
		c.Users[lu.UserID] = &cp
	}
	c.Index()
	return &c
}
