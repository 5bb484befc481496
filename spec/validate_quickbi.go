package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/permsync/permsync/internal/sets"
)

// Quick BI's enumerations and the server's limits, as the OpenAPI
// reference gives them.
var (
	// QuickBIUserTypes are the user types (UserType 1, 2, 3).
	QuickBIUserTypes = []string{"developer", "viewer", "analyst"}
	// QuickBIOrgRoles are the predefined organization roles (111111111,
	// 111111112, 111111113); a user may also hold custom ones by name.
	QuickBIOrgRoles = []string{"admin", "permissionAdmin", "user"}
	// QuickBIWorkspaceRoles are the predefined workspace roles (25, 26,
	// 27, 30); a member may also hold custom ones by name.
	QuickBIWorkspaceRoles = []string{"admin", "developer", "analyst", "viewer"}
	// QuickBIMissHit are the miss-hit policies (NONE, ALL).
	QuickBIMissHit = []string{"none", "all"}
)

const (
	// QuickBIRootGroup is the UserGroupId of the root of the group tree,
	// the parent of the top-level groups.
	QuickBIRootGroup = "-1"
	// QuickBIMaxOrgRoles is the most organization roles a member holds.
	QuickBIMaxOrgRoles = 3
	// QuickBITagValueMax is the longest tag value, the values joined with
	// commas.
	QuickBITagValueMax = 3000
	// QuickBINullTagValue is the value UpdateUserTagValue takes to clear a
	// tag; the files write null instead.
	QuickBINullTagValue = "($NULL$)"

	qbNickMax      = 50
	qbGroupNameMax = 255
	qbGroupIDMax   = 64
	qbTagNameMax   = 50
	qbTagDescMax   = 255
)

// Character sets. The server's are as the reference states them
// ("CJK, letters, digits and _ \ / | ( ) [ ]"), letters and digits of
// any script (Unicode L and Nd): the reference does not narrow them to
// Latin ones, and refusing what the server takes would leave a name that
// cannot be written. Spaces and other punctuation are refused.
const (
	qbNameSet   = `letters, digits and _ \ / | ( ) [ ] only`
	qbTagSet    = `letters, digits and / \ | [ ] ( ) only`
	qbGroupIDSt = `ASCII letters, digits, "-", "_" and "." only (ids travel in comma-separated lists, such as UserGroupIds, and are joined with "/" in the tree's paths)`
)

func qbNameRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(`_\/|()[]`, r)
}

func qbTagRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(`/\|[]()`, r)
}

// qbGroupIDRune is what permsync allows in a group id it chooses: the
// server says only "at most 64 characters", but ids are sent in lists
// joined with commas and appear in IdentifiedPath joined with "/"; the
// ids the server chooses are UUIDs, which this set holds.
func qbGroupIDRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
}

// qbLen is the length of s as the server counts it: UTF-16 code units
// (the server is Java; a character outside the Basic Multilingual Plane
// counts twice). For every other character it is the number of
// characters.
func qbLen(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// charName names a character for a message: ' ' or U+3000 ('\u3000').
func charName(r rune) string {
	if r < 0x80 {
		return fmt.Sprintf("%q", r)
	}
	return fmt.Sprintf("U+%04X (%q)", r, r)
}

// ContentJSON returns the rule's content as ruleContentJson: a string as
// written, a mapping as compact JSON with its keys sorted.
func (r *QuickBIRule) ContentJSON() (string, error) {
	if s, ok := r.Content.(string); ok {
		return s, nil
	}
	if r.Content == nil {
		return "", errors.New("the rule has no content")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r.Content); err != nil {
		return "", fmt.Errorf("encoding the content of rule %q: %w", r.Name, err)
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// qbValidator checks the Quick BI part of a desired state.
type qbValidator struct {
	*validator
	q *QuickBI

	users      map[string]*QuickBIUser // account → first declaration
	nicks      map[string]*QuickBIUser
	accountIDs map[string]*QuickBIUser
	groups     map[string]*QuickBIGroup // id → first declaration
	tags       map[string]Source
	protected  map[string]bool

	userNear, nickNear, orgRoleNear, tagNear, groupNear, groupNameNear, workspaceNear, wsRoleNear *nearIndex
}

func (v *validator) quickBI() {
	q := v.d.QuickBI
	if q == nil {
		return
	}
	x := &qbValidator{validator: v, q: q,
		users: map[string]*QuickBIUser{}, nicks: map[string]*QuickBIUser{}, accountIDs: map[string]*QuickBIUser{},
		groups: map[string]*QuickBIGroup{}, tags: map[string]Source{}, protected: map[string]bool{},
		userNear: newNearIndex("user"), nickNear: newNearIndex("nickname"), orgRoleNear: newNearIndex("organization role"),
		tagNear: newNearIndex("tag"), groupNear: newNearIndex("group"), groupNameNear: newNearIndex("group name"),
		workspaceNear: newNearIndex("workspace"), wsRoleNear: newNearIndex("workspace role"),
	}
	for _, r := range QuickBIOrgRoles {
		x.orgRoleNear.builtin(r)
	}
	for _, r := range QuickBIWorkspaceRoles {
		x.wsRoleNear.builtin(r)
	}
	for _, u := range q.Settings.ProtectedUsers {
		x.protected[u] = true
	}
	x.characters()
	x.declarations()
	x.settings()
	x.userList()
	x.groupTree()
	x.workspaces()
	x.embeds()
}

// characters reports the control and invisible characters of Quick BI's
// identifiers and the control characters of its texts (descriptions and
// tag values).
func (x *qbValidator) characters() {
	q := x.q
	s := &q.Settings
	x.list(s.Src, ".protectedUsers", s.ProtectedUsers)
	x.chars(s.Src, ".transferTo", s.TransferTo, true)
	for i := range q.Tags {
		t := &q.Tags[i]
		x.chars(t.Src, ".name", t.Name, true)
		if t.Description != nil {
			x.chars(t.Src, ".description", *t.Description, false)
		}
	}
	for i := range q.Users {
		u := &q.Users[i]
		x.chars(u.Src, ".account", u.Account, true)
		for _, f := range []struct {
			sub string
			val *string
		}{{".accountId", u.AccountID}, {".nick", u.Nick}, {".type", u.Type}} {
			if f.val != nil {
				x.chars(u.Src, f.sub, *f.val, true)
			}
		}
		x.list(u.Src, ".roles", u.Roles)
		for _, k := range sets.SortedKeys(u.Tags) {
			sub := ".tags" + keyPath("", k)
			x.chars(u.Src, sub, k, true)
			if vals := u.Tags[k]; vals != nil {
				for j, val := range *vals {
					x.chars(u.Src, fmt.Sprintf("%s[%d]", sub, j), val, false)
				}
			}
		}
	}
	for i := range q.Groups {
		g := &q.Groups[i]
		x.chars(g.Src, ".id", g.ID, true)
		x.chars(g.Src, ".name", g.Name, true)
		x.chars(g.Src, ".parent", g.Parent, true)
		if g.Description != nil {
			x.chars(g.Src, ".description", *g.Description, false)
		}
		x.list(g.Src, ".members", g.Members)
	}
	for i := range q.Workspaces {
		w := &q.Workspaces[i]
		x.chars(w.Src, ".name", w.Name, true)
		x.chars(w.Src, ".id", w.ID, true)
		for j := range w.Members {
			m := &w.Members[j]
			x.chars(m.Src, ".user", m.User, true)
			x.list(m.Src, ".roles", m.Roles)
		}
		for j := range w.Datasets {
			ds := &w.Datasets[j]
			x.chars(ds.Src, ".id", ds.ID, true)
			x.chars(ds.Src, ".name", ds.Name, true)
			for _, l := range []*QuickBIDataLevel{ds.RowLevel, ds.ColumnLevel} {
				if l == nil {
					continue
				}
				x.chars(l.Src, ".missHit", l.MissHit, true)
				if wl := l.Whitelist; wl != nil {
					x.list(l.Src, ".whitelist.users", wl.Users)
					x.list(l.Src, ".whitelist.groups", wl.Groups)
				}
				for k := range l.Rules {
					r := &l.Rules[k]
					x.chars(r.Src, ".name", r.Name, true)
					x.list(r.Src, ".users", r.Users)
					x.list(r.Src, ".groups", r.Groups)
				}
			}
		}
	}
}

// text checks a name or text the server limits: at most max characters
// (as the server counts them), each one allowed (nil: any); who refuses
// the others (the server, or permsync). It returns false after
// reporting.
func (x *qbValidator) text(src Source, sub, what, value string, max int, allowed func(rune) bool, set, who string) bool {
	if n := qbLen(value); n > max {
		x.at(src, sub, "%s too long: %d characters (the server takes at most %d)", what, n, max)
		return false
	}
	if allowed == nil {
		return true
	}
	for _, r := range value {
		if !allowed(r) {
			x.at(src, sub, "%s %q holds %s, which %s refuses: %s", what, value, charName(r), who, set)
			return false
		}
	}
	return true
}

// declarations indexes the users, tags and groups, reporting what is
// missing, malformed or given twice.
func (x *qbValidator) declarations() {
	q := x.q
	for i := range q.Tags {
		t := &q.Tags[i]
		if x.required(t.Src, "name", t.Name) && x.text(t.Src, ".name", "tag name", t.Name, qbTagNameMax, qbTagRune, "a tag name holds "+qbTagSet, "the server") {
			if first, dup := x.tags[t.Name]; dup {
				x.at(t.Src, ".name", "duplicate tag %q (first at %s)", t.Name, x.where(first, ".name"))
			} else {
				x.tags[t.Name] = t.Src
				x.near(x.tagNear, t.Src, ".name", t.Name)
			}
		}
		if t.Description != nil {
			x.text(t.Src, ".description", "tag description", *t.Description, qbTagDescMax, nil, "", "the server")
		}
	}
	for i := range q.Users {
		u := &q.Users[i]
		if x.required(u.Src, "account", u.Account) {
			if first, dup := x.users[u.Account]; dup {
				x.at(u.Src, ".account", "duplicate user %q (first at %s)", u.Account, x.where(first.Src, ".account"))
			} else {
				x.users[u.Account] = u
				x.near(x.userNear, u.Src, ".account", u.Account)
			}
		}
		if id := u.AccountID; id != nil {
			switch {
			case *id == "":
				x.at(u.Src, ".accountId", "must not be empty (leave accountId out when it is not known)")
			case strings.Trim(*id, "0123456789") != "":
				x.at(u.Src, ".accountId", "invalid accountId %q: an AccountId (the Alibaba Cloud UID) is digits only", *id)
			default:
				if first, dup := x.accountIDs[*id]; dup {
					x.at(u.Src, ".accountId", "duplicate accountId %q (first at %s, user %q): one Alibaba Cloud account is one member", *id, x.where(first.Src, ".accountId"), first.Account)
				} else {
					x.accountIDs[*id] = u
				}
			}
		}
		if n := u.Nick; n != nil {
			switch {
			case *n == "":
				x.at(u.Src, ".nick", "must not be empty (leave nick out to keep the server's)")
			case x.text(u.Src, ".nick", "nickname", *n, qbNickMax, qbNameRune, "a nickname holds "+qbNameSet, "the server"):
				if first, dup := x.nicks[*n]; dup {
					x.at(u.Src, ".nick", "duplicate nickname %q (first at %s, user %q): nicknames are unique in the organization", *n, x.where(first.Src, ".nick"), first.Account)
				} else {
					x.nicks[*n] = u
					x.near(x.nickNear, u.Src, ".nick", *n)
				}
			}
		}
	}
	for i := range q.Groups {
		g := &q.Groups[i]
		if !x.required(g.Src, "id", g.ID) {
			continue
		}
		switch {
		case g.ID == QuickBIRootGroup:
			x.at(g.Src, ".id", "group id %q is the root of the group tree: choose another id", g.ID)
		case !x.text(g.Src, ".id", "group id", g.ID, qbGroupIDMax, qbGroupIDRune, "a group id holds "+qbGroupIDSt, "permsync"):
		default:
			if first, dup := x.groups[g.ID]; dup {
				x.at(g.Src, ".id", "duplicate group id %q (first at %s)", g.ID, x.where(first.Src, ".id"))
			} else {
				x.groups[g.ID] = g
				x.near(x.groupNear, g.Src, ".id", g.ID)
			}
		}
	}
}

// userRef checks a reference to an account: declared under users: when
// settings.strictUsers is on, or when prune.users is on and the account
// is not protected (it would be removed from the organization while the
// files use it); otherwise left to the plan, which reads the server.
func (x *qbValidator) userRef(src Source, sub, account string) {
	if account == "" {
		return
	}
	if _, ok := x.users[account]; ok {
		return
	}
	s := &x.q.Settings
	switch {
	case s.StrictUsers:
		x.at(src, sub, "user %q is not declared under users: (settings.strictUsers is on)%s", account, x.nearHint(x.userNear, account))
	case s.Prune.Users && !x.protected[account]:
		x.at(src, sub, "user %q is not declared under users:, and settings.prune.users removes such users from the organization: declare it, or list it under settings.protectedUsers%s",
			account, x.nearHint(x.userNear, account))
	default:
		x.near(x.userNear, src, sub, account)
	}
}

// groupRef checks a reference to a group id: declared under groups: when
// prune.groups is on (an undeclared group would be deleted); otherwise
// left to the plan, since a group may exist only on the server.
func (x *qbValidator) groupRef(src Source, sub, id string) {
	if id == "" {
		return
	}
	if _, ok := x.groups[id]; ok {
		return
	}
	if id == QuickBIRootGroup {
		x.at(src, sub, "group %q is the root of the group tree, not a group", id)
		return
	}
	if x.q.Settings.Prune.Groups {
		x.at(src, sub, "group %q is not declared under groups:, and settings.prune.groups deletes such groups%s", id, x.nearHint(x.groupNear, id))
		return
	}
	x.near(x.groupNear, src, sub, id)
}

func (x *qbValidator) settings() {
	s := &x.q.Settings
	x.names(s.Src, "protectedUsers", "user", s.ProtectedUsers, func(i int, u string) {
		x.userRef(s.Src, fmt.Sprintf(".protectedUsers[%d]", i), u)
	})
	if s.MaxDeletes != nil {
		if err := s.MaxDeletes.check(); err != nil {
			x.at(s.Src, ".maxDeletes", "%v", err)
		}
	}
	if s.TransferTo == "" {
		if x.present(s.Src, s.Src.Path+".transferTo") {
			x.at(s.Src, ".transferTo", "must not be empty (leave transferTo out to hand works to each workspace's owner)")
		}
		return
	}
	x.userRef(s.Src, ".transferTo", s.TransferTo)
	if u, ok := x.users[s.TransferTo]; ok && u.Type != nil && *u.Type == "viewer" {
		x.at(s.Src, ".transferTo", "user %q is a viewer (%s): DeleteUser hands works only to a user who is not a viewer", s.TransferTo, x.where(u.Src, ".type"))
	}
}

func (x *qbValidator) userList() {
	for i := range x.q.Users {
		u := &x.q.Users[i]
		if u.Type != nil {
			if *u.Type == "" {
				x.at(u.Src, ".type", "must not be empty (want one of %s)", strings.Join(QuickBIUserTypes, ", "))
			} else {
				x.enum(u.Src, ".type", "user type", *u.Type, QuickBIUserTypes)
			}
		}
		if len(u.Roles) > QuickBIMaxOrgRoles {
			x.at(u.Src, ".roles", "%d organization roles: a member holds at most %d", len(u.Roles), QuickBIMaxOrgRoles)
		}
		x.names(u.Src, "roles", "role", u.Roles, func(j int, r string) {
			x.near(x.orgRoleNear, u.Src, fmt.Sprintf(".roles[%d]", j), r)
		})
		for _, k := range sets.SortedKeys(u.Tags) {
			x.userTag(u, k)
		}
	}
}

// userTag checks one tag value of a user: the tag's name, and the values
// the server stores joined with commas in one string.
func (x *qbValidator) userTag(u *QuickBIUser, name string) {
	field := "tags" + keyPath("", name)
	if name == "" {
		x.at(u.Src, ".tags", "a tag name must not be empty")
		return
	}
	if _, ok := x.tags[name]; !ok && x.q.Settings.Prune.Tags {
		x.at(u.Src, "."+field, "tag %q is not declared under tags:, and settings.prune.tags deletes such tags%s", name, x.nearHint(x.tagNear, name))
	} else if !ok {
		x.near(x.tagNear, u.Src, "."+field, name)
	}
	vals := u.Tags[name]
	if vals == nil {
		return
	}
	good := true
	x.names(u.Src, field, "value", *vals, func(j int, val string) {
		sub := fmt.Sprintf(".%s[%d]", field, j)
		switch {
		case strings.Contains(val, ","):
			x.at(u.Src, sub, "tag value %q holds a comma: the server splits a tag's values on commas; write them as separate items", val)
			good = false
		case val == QuickBINullTagValue || val == strings.Trim(QuickBINullTagValue, "()"):
			x.at(u.Src, sub, "%q is the server's marker that clears a tag: write null to clear it", val)
			good = false
		}
	})
	if !good {
		return
	}
	total := max(len(*vals)-1, 0)
	for _, val := range *vals {
		total += qbLen(val)
	}
	if total > QuickBITagValueMax {
		x.at(u.Src, "."+field, "the values joined with commas are %d characters (the server takes at most %d)", total, QuickBITagValueMax)
	}
}

// groupTree checks the groups: names unique in the organization, parents
// declared, no cycles, members.
func (x *qbValidator) groupTree() {
	q := x.q
	names := map[string]Source{}
	parent := map[string]string{}
	index := map[string]int{}
	for i := range q.Groups {
		g := &q.Groups[i]
		if x.required(g.Src, "name", g.Name) &&
			x.text(g.Src, ".name", "group name", g.Name, qbGroupNameMax, qbNameRune, "a group name holds "+qbNameSet, "the server") {
			// The reference does not say whether names are unique among
			// siblings or in the organization: the stricter holds either way.
			if first, dup := names[g.Name]; dup {
				x.at(g.Src, ".name", "duplicate group name %q (first at %s): group names are unique in the organization", g.Name, x.where(first, ".name"))
			} else {
				names[g.Name] = g.Src
				x.near(x.groupNameNear, g.Src, ".name", g.Name)
			}
		}
		if g.Description != nil && *g.Description != "" {
			x.text(g.Src, ".description", "group description", *g.Description, qbGroupNameMax, qbNameRune, "a group description holds "+qbNameSet, "the server")
		}
		x.names(g.Src, "members", "user", g.Members, func(j int, u string) {
			x.userRef(g.Src, fmt.Sprintf(".members[%d]", j), u)
		})
		switch {
		case g.Parent == "":
			if x.present(g.Src, g.Src.Path+".parent") {
				x.at(g.Src, ".parent", "must not be empty (leave parent out for a top-level group)")
			}
			continue
		case g.Parent == QuickBIRootGroup:
			x.at(g.Src, ".parent", "parent %q is the root of the tree: leave parent out for a top-level group", g.Parent)
			continue
		case g.Parent == g.ID:
			x.at(g.Src, ".parent", "group %q is its own parent", g.ID)
			continue
		}
		if _, ok := x.groups[g.Parent]; !ok {
			x.at(g.Src, ".parent", "unknown parent group %q (not among the ids under groups:)%s", g.Parent, x.nearHint(x.groupNear, g.Parent))
			continue
		}
		if first, ok := x.groups[g.ID]; ok && first == g {
			parent[g.ID] = g.Parent
			index[g.ID] = i
		}
	}
	ids := make([]string, 0, len(q.Groups))
	for i := range q.Groups {
		ids = append(ids, q.Groups[i].ID)
	}
	for _, cycle := range cycles(ids, parent, index) {
		x.at(q.Groups[index[cycle[0]]].Src, ".parent", "group cycle: %s → %s", strings.Join(cycle, " → "), cycle[0])
	}
}

// cycles follows parents from every node in order, and returns each cycle
// once, starting at its member written first (lowest index).
func cycles(order []string, parent map[string]string, index map[string]int) [][]string {
	var out [][]string
	settled := map[string]bool{}
	for _, start := range order {
		pos := map[string]int{}
		var chain []string
		for c := start; c != "" && !settled[c]; c = parent[c] {
			if j, loop := pos[c]; loop {
				cycle := chain[j:]
				k := 0
				for m := range cycle {
					if index[cycle[m]] < index[cycle[k]] {
						k = m
					}
				}
				out = append(out, append(append([]string(nil), cycle[k:]...), cycle[:k]...))
				break
			}
			pos[c] = len(chain)
			chain = append(chain, c)
		}
		for _, c := range chain {
			settled[c] = true
		}
	}
	return out
}

func (x *qbValidator) workspaces() {
	names := map[string]Source{}
	ids := map[string]Source{}
	datasetIDs := map[string]Source{}
	for i := range x.q.Workspaces {
		w := &x.q.Workspaces[i]
		if x.required(w.Src, "name", w.Name) {
			if first, dup := names[w.Name]; dup {
				x.at(w.Src, ".name", "duplicate workspace %q (first at %s)", w.Name, x.where(first, ".name"))
			} else {
				names[w.Name] = w.Src
				x.near(x.workspaceNear, w.Src, ".name", w.Name)
			}
		}
		if w.ID == "" && x.present(w.Src, w.Src.Path+".id") {
			x.at(w.Src, ".id", "must not be empty (leave id out to match the workspace by name)")
		} else if w.ID != "" {
			if first, dup := ids[w.ID]; dup {
				x.at(w.Src, ".id", "duplicate workspace id %q (first at %s)", w.ID, x.where(first, ".id"))
			} else {
				ids[w.ID] = w.Src
			}
		}
		x.members(w)
		dsNames := map[string]Source{}
		dsNear := newNearIndex("dataset")
		for j := range w.Datasets {
			ds := &w.Datasets[j]
			switch {
			case ds.ID != "" && ds.Name != "":
				x.at(ds.Src, "", "give either id or name, not both")
			case ds.ID != "":
				if first, dup := datasetIDs[ds.ID]; dup {
					x.at(ds.Src, ".id", "duplicate dataset id %q (first at %s): a dataset belongs to one workspace, and its rules are written once", ds.ID, x.where(first, ".id"))
				} else {
					datasetIDs[ds.ID] = ds.Src
				}
			case ds.Name != "":
				if first, dup := dsNames[ds.Name]; dup {
					x.at(ds.Src, ".name", "duplicate dataset %q in workspace %q (first at %s)", ds.Name, w.Name, x.where(first, ".name"))
				} else {
					dsNames[ds.Name] = ds.Src
					x.near(dsNear, ds.Src, ".name", ds.Name)
				}
			case x.present(ds.Src, ds.Src.Path+".id") || x.present(ds.Src, ds.Src.Path+".name"):
				x.at(ds.Src, "", "the dataset's id or name must not be empty")
			default:
				if !x.misspelled[ds.Src.File+"\x00"+ds.Src.Path+".id"] && !x.misspelled[ds.Src.File+"\x00"+ds.Src.Path+".name"] {
					x.at(ds.Src, "", "give the dataset's id (CubeId) or its name")
				}
			}
			label := ds.ID
			if label == "" {
				label = ds.Name
			}
			for _, l := range []struct {
				field string
				level *QuickBIDataLevel
			}{{"rowLevel", ds.RowLevel}, {"columnLevel", ds.ColumnLevel}} {
				if l.level != nil {
					x.dataLevel(l.field, label, l.level)
				}
			}
		}
	}
}

// members checks a workspace's members and their roles.
func (x *qbValidator) members(w *QuickBIWorkspace) {
	seen := map[string]Source{}
	for i := range w.Members {
		m := &w.Members[i]
		if x.required(m.Src, "user", m.User) {
			if first, dup := seen[m.User]; dup {
				x.at(m.Src, ".user", "duplicate member %q in workspace %q (first at %s)", m.User, w.Name, x.where(first, ".user"))
			} else {
				seen[m.User] = m.Src
				x.userRef(m.Src, ".user", m.User)
			}
		}
		switch {
		case m.Roles == nil:
			x.missing(m.Src, "roles", fmt.Sprintf(" (%s or a custom workspace role's name)", strings.Join(QuickBIWorkspaceRoles, ", ")))
		case len(m.Roles) == 0:
			x.at(m.Src, ".roles", "list at least one role: a workspace member holds one or more")
		}
		u := x.users[m.User]
		viewer := u != nil && u.Type != nil && *u.Type == "viewer"
		x.names(m.Src, "roles", "role", m.Roles, func(j int, r string) {
			sub := fmt.Sprintf(".roles[%d]", j)
			x.near(x.wsRoleNear, m.Src, sub, r)
			if viewer && !slices.Contains(QuickBIWorkspaceRoles, r) {
				x.at(m.Src, sub, "user %q is a viewer (%s), and viewers cannot hold custom workspace roles such as %q (want one of %s)",
					m.User, x.where(u.Src, ".type"), r, strings.Join(QuickBIWorkspaceRoles, ", "))
			}
		})
	}
}

// dataLevel checks a dataset's row or column permissions (field is
// rowLevel or columnLevel).
func (x *qbValidator) dataLevel(field, dataset string, l *QuickBIDataLevel) {
	x.enum(l.Src, ".missHit", "missHit", l.MissHit, QuickBIMissHit)
	if l.MissHit == "" && x.present(l.Src, l.Src.Path+".missHit") {
		x.at(l.Src, ".missHit", "must not be empty (want one of %s)", strings.Join(QuickBIMissHit, ", "))
	}
	if wl := l.Whitelist; wl != nil {
		x.people(l.Src, "whitelist.", wl.Users, wl.Groups)
	}
	seen := map[string]Source{}
	near := newNearIndex("rule")
	for i := range l.Rules {
		r := &l.Rules[i]
		if x.required(r.Src, "name", r.Name) {
			if first, dup := seen[r.Name]; dup {
				x.at(r.Src, ".name", "duplicate rule %q in %s of dataset %q (first at %s)", r.Name, field, dataset, x.where(first, ".name"))
			} else {
				seen[r.Name] = r.Src
				x.near(near, r.Src, ".name", r.Name)
			}
		}
		if r.All && (r.Users != nil || r.Groups != nil) {
			x.at(r.Src, ".all", "all: true applies the rule to everyone: leave users and groups out")
		}
		x.people(r.Src, "", r.Users, r.Groups)
		x.content(r)
	}
}

// people checks the users (accounts) and groups (ids) of a whitelist or
// a rule; prefix is "whitelist." or "".
func (x *qbValidator) people(src Source, prefix string, users, groups []string) {
	x.names(src, prefix+"users", "user", users, func(i int, u string) {
		x.userRef(src, fmt.Sprintf(".%susers[%d]", prefix, i), u)
	})
	x.names(src, prefix+"groups", "group", groups, func(i int, g string) {
		x.groupRef(src, fmt.Sprintf(".%sgroups[%d]", prefix, i), g)
	})
}

// content checks a rule's content: a mapping, or a string holding a JSON
// object.
func (x *qbValidator) content(r *QuickBIRule) {
	const want = "a mapping, or a JSON object written as a string"
	switch c := r.Content.(type) {
	case nil:
		if !x.reportedUnder(r.Src.File, r.Src.Path+".content") {
			x.missing(r.Src, "content", " (the rule's ruleContentJson: "+want+")")
		}
	case map[string]any:
	case string:
		if strings.TrimSpace(c) == "" {
			x.at(r.Src, ".content", "must not be empty (want %s)", want)
			return
		}
		var obj any
		if err := json.Unmarshal([]byte(c), &obj); err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) {
				x.at(r.Src, ".content", "content is not valid JSON: %v (at byte %d); want %s", err, se.Offset, want)
			} else {
				x.at(r.Src, ".content", "content is not valid JSON: %v; want %s", err, want)
			}
			return
		}
		if _, ok := obj.(map[string]any); !ok {
			x.at(r.Src, ".content", "content is %s in JSON, not an object; want %s", jsonKind(obj), want)
		}
	default:
		x.at(r.Src, ".content", "content must be %s, not %s", want, anyKind(c))
	}
}

// reportedUnder reports whether the decoder found a problem at path or
// under it (a secret key inside a rule's content leaves the content
// undecoded: it is not missing too).
func (x *qbValidator) reportedUnder(file, path string) bool {
	for k := range x.undecoded {
		f, p, _ := strings.Cut(k, "\x00")
		if f == file && (p == path || strings.HasPrefix(p, path+".") || strings.HasPrefix(p, path+"[")) {
			return true
		}
	}
	return false
}

func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "an array"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "a value"
}

func anyKind(v any) string {
	switch v.(type) {
	case []any:
		return "a list"
	case int64, float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "a value"
}
