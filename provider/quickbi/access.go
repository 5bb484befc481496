package quickbi

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/permsync/permsync/access"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/provider/quickbi/apiclient"
	"github.com/permsync/permsync/spec"
)

// Access is Quick BI's access.Adapter: who can see what, from the files
// and from what the server shows.
//
// A member of the organization holds its organization roles; a member of
// a workspace holds its workspace roles there. A row or column rule of a
// dataset reaches the users it names directly, the direct members of the
// groups it names (the reference does not say that members of sub-groups
// are reached), and, when it applies to everyone, every member of the
// dataset's workspace. A whitelist lets its users and groups see every row
// (or column). A workspace member whom no rule and no whitelist of an
// enabled level reaches gets what the level's miss-hit policy says, through
// the member's workspace roles.
//
// A row rule's condition on a field whose value is a user tag (a
// conditionNode whose value has valueType TAG and names one tag) gives
// each user the rows of their own values of that tag. The reference shows
// only ENUM values; a content this model does not break down is shown as
// written.
type Access struct{}

var _ access.Adapter = Access{}

// Words of the report.
const (
	orgTarget   = "organization"
	tagValue    = "TAG"
	enumValue   = "ENUM"
	spaceLabel  = "workspace"
	groupsNote  = "A group bound to a rule or a whitelist is counted as reaching its direct members; whether members of its sub-groups are reached is not documented, so they are not counted."
	tagNote     = "A row rule is read as bound to a user tag when its condition's value has valueType TAG and names the tag (the reference documents ENUM values only); other contents are shown as written."
	missHitNote = "A workspace member whom no rule and no whitelist of an enabled level reaches gets what the level's miss-hit policy says (none: no data; all: all data)."
)

func newAccessReport(src access.Source) *access.Report {
	r := access.New(Name, src)
	r.SpaceLabel, r.DomainLabel = spaceLabel, orgTarget
	r.Notes = []string{groupsNote, missHitNote, tagNote}
	return r
}

// accessBuilder collects the grants of one source, files or server: the
// same walk over workspaces, datasets and rules, from what each knows.
type accessBuilder struct {
	r *access.Report
	// groupName and groupMembers by group id; groupMembers[id] is
	// absent when the members are not known.
	groupName    map[string]string
	groupMembers map[string][]string
	// tags: user → tag → values; a user absent, or a tag absent while
	// tagsKnown[user], is not known.
	tags      map[string]map[string][]string
	tagsKnown map[string]bool
}

func (b *accessBuilder) add(g access.Grant) { b.r.Grants = append(b.r.Grants, g) }

func (b *accessBuilder) group(id string) string {
	if n := b.groupName[id]; n != "" {
		return n
	}
	return id
}

// people is whom a rule's or a whitelist's users and groups reach, by
// which path.
type reached struct {
	user string
	path []access.Step
}

func (b *accessBuilder) people(users, groups []string) []reached {
	var out []reached
	for _, u := range sortedSet(users) {
		out = append(out, reached{user: u, path: []access.Step{{Kind: access.StepDirect}}})
	}
	for _, g := range sortedSet(groups) {
		for _, u := range b.groupMembers[g] {
			out = append(out, reached{user: u, path: []access.Step{{Kind: access.StepGroup, Name: b.group(g)}}})
		}
	}
	return out
}

// workspaceMember is one member of a workspace and its roles' names.
type workspaceMember struct {
	user  string
	roles []string
}

// levelSetup is one level of a dataset as a source knows it.
type levelSetup struct {
	level string // LevelRow or LevelColumn
	// enabled: the level is known to be on; disabled: known to be off.
	enabled, disabled bool
	missHit           string // MissHitNone, MissHitAll, or "" not known
	whitelistUsers    []string
	whitelistGroups   []string
	rules             []ruleSetup
}

type ruleSetup struct {
	name          string
	users, groups []string
	all           bool
	content       json.RawMessage
	// notWhenHit: a column rule the server shows with hitTakeEffect 0,
	// which does not apply to the people it names.
	notWhenHit bool
}

// dataset adds the grants of one dataset's level in a workspace.
func (b *accessBuilder) dataset(space, dataset string, members []workspaceMember, membersKnown bool, l levelSetup) {
	if l.disabled {
		return
	}
	typ := "row"
	if l.level == LevelColumn {
		typ = "column"
	}
	// A rule's table is the dataset's bare name or id, which explain
	// --resource answers to.
	table := strings.TrimPrefix(strings.TrimPrefix(dataset, "dataset "), "#")
	hit := map[string]bool{}
	if len(l.whitelistUsers) > 0 || len(l.whitelistGroups) > 0 {
		text := "all rows: whitelisted, the rules do not restrict"
		if typ == "column" {
			text = "all columns: whitelisted, the rules do not restrict"
		}
		for _, p := range b.people(l.whitelistUsers, l.whitelistGroups) {
			hit[p.user] = true
			b.add(access.Grant{User: p.user, Space: space, Kind: access.KindRule, Target: dataset + " (whitelist)", Path: p.path,
				Rule: &access.Rule{Type: typ, Table: table, Effect: "all", Text: text}})
		}
	}
	for _, ru := range l.rules {
		reach := b.people(ru.users, ru.groups)
		if ru.all {
			reach = reach[:0]
			for _, m := range members {
				reach = append(reach, reached{user: m.user, path: []access.Step{{Kind: access.StepEveryone}}})
			}
		}
		target := dataset + " (rule " + ru.name + ")"
		for _, p := range reach {
			hit[p.user] = true
			rule := contentRule(typ, table, ru.content)
			rule.Name = ru.name
			if ru.notWhenHit {
				rule = access.Rule{Type: typ, Table: table, Name: ru.name,
					Text: typ + " rule that does not apply to the people it names (hitTakeEffect 0) " + string(ru.content)}
			}
			path := p.path
			if rule.Attribute != "" {
				b.tagValues(p.user, &rule)
				path = append(append([]access.Step{}, p.path...), access.Step{Kind: access.StepAttribute, Name: rule.Attribute})
			}
			b.add(access.Grant{User: p.user, Space: space, Kind: access.KindRule, Target: target, Path: path, Rule: &rule})
		}
	}
	if !l.enabled || l.missHit == "" || !membersKnown {
		return
	}
	for _, m := range members {
		if hit[m.user] {
			continue
		}
		rule := access.Rule{Type: typ, Table: table}
		switch {
		case l.missHit == apiclient.MissHitAll && typ == "row":
			rule.Effect, rule.Text = "all", "all rows: no rule applies (miss-hit policy all)"
		case l.missHit == apiclient.MissHitAll:
			rule.Effect, rule.Text = "all", "all columns: no rule applies (miss-hit policy all)"
		case typ == "row":
			rule.Effect, rule.Text = "none", "no rows: no rule applies (miss-hit policy none)"
		default:
			rule.Effect, rule.Text = "none", "no columns: no rule applies (miss-hit policy none)"
		}
		for _, role := range m.roles {
			rule := rule
			b.add(access.Grant{User: m.user, Space: space, Kind: access.KindRule, Target: dataset + " (no rule applies)",
				Path: []access.Step{{Kind: access.StepWorkspaceRole, Name: role}}, Rule: &rule})
		}
	}
}

// tagValues fills in a tag-bound rule's values from the user's tag.
func (b *accessBuilder) tagValues(user string, r *access.Rule) {
	vals, ok := b.tags[user][r.Attribute]
	switch {
	case !ok && !b.tagsKnown[user]:
		r.Unknown = true
	case len(vals) == 0:
		// The reference does not say what a rule bound to a tag the user
		// has no value of lets the user see.
		r.Unknown = true
		r.Text = "rows where " + strings.Join(r.Fields, "/") + " in the values of tag " + r.Attribute + ": the user has none (what the server then shows is not documented)"
	default:
		r.Values = sortedSet(vals)
	}
}

// contentRule is what a rule's content lets a user see: a row rule's
// condition "field in values" (ENUM) or "field in the user's tag" (TAG),
// a column rule's fields; anything else is shown as written.
func contentRule(typ, table string, content json.RawMessage) access.Rule {
	r := access.Rule{Type: typ, Table: table}
	asText := func() access.Rule {
		r.Fields, r.Values, r.Attribute, r.Effect = nil, nil, "", ""
		r.Text = typ + " rule " + string(content)
		return r
	}
	if typ == "column" {
		var c struct {
			PathID []string `json:"pathId"`
		}
		if err := strictDecode(content, &c); err != nil || len(c.PathID) == 0 {
			return asText()
		}
		r.Fields, r.Effect = sortedSet(c.PathID), "hide"
		return r
	}
	var c struct {
		ConditionNode *struct {
			Caption          string `json:"caption"`
			Name             string `json:"name"`
			PathID           any    `json:"pathId"`
			IsMeasure        any    `json:"isMeasure"`
			RelationOperator string `json:"relationOperator"`
			Value            *struct {
				Value     []string `json:"value"`
				ValueType string   `json:"valueType"`
			} `json:"value"`
		} `json:"conditionNode"`
	}
	if err := strictDecode(content, &c); err != nil || c.ConditionNode == nil || c.ConditionNode.Value == nil {
		return asText()
	}
	n := c.ConditionNode
	if n.RelationOperator != "" && n.RelationOperator != "in" {
		return asText()
	}
	field := n.Caption
	if field == "" {
		field = n.Name
	}
	if field == "" {
		return asText()
	}
	r.Fields, r.Effect = []string{field}, "keep"
	switch n.Value.ValueType {
	case enumValue:
		r.Values = sortedSet(n.Value.Value)
	case tagValue:
		if len(n.Value.Value) != 1 || n.Value.Value[0] == "" {
			return asText()
		}
		r.Attribute = n.Value.Value[0]
	default:
		return asText()
	}
	return r
}

func strictDecode(data []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// FromFiles is the access the files grant.
func (Access) FromFiles(d *spec.Desired) (*access.Report, error) {
	if d == nil || d.QuickBI == nil {
		return nil, fmt.Errorf("access from the files: the files hold no Quick BI part (provider: %s)", Name)
	}
	q := d.QuickBI
	r := newAccessReport(access.SourceFiles)
	b := &accessBuilder{r: r, groupName: map[string]string{}, groupMembers: map[string][]string{},
		tags: map[string]map[string][]string{}, tagsKnown: map[string]bool{}}
	for _, u := range q.Users {
		acct := NormalizeAccount(u.Account)
		au := access.User{ID: acct, Left: u.Inactive != nil && *u.Inactive}
		if u.Nick != nil {
			au.Name = *u.Nick
		}
		r.Users = append(r.Users, au)
		if u.Roles != nil {
			b.add(access.Grant{User: acct, Kind: access.KindMember, Target: orgTarget, Rights: sortedSet(u.Roles), Path: direct()})
		}
		if u.Tags != nil {
			b.tags[acct] = map[string][]string{}
			for name, vals := range u.Tags {
				if vals == nil {
					b.tags[acct][name] = nil
				} else {
					b.tags[acct][name] = append([]string{}, *vals...)
				}
			}
		}
	}
	for _, g := range q.Groups {
		b.groupName[g.ID] = g.Name
		if g.Members == nil {
			continue
		}
		ms := make([]string, 0, len(g.Members))
		for _, m := range g.Members {
			ms = append(ms, NormalizeAccount(m))
		}
		b.groupMembers[g.ID] = sortedSet(ms)
		for _, m := range b.groupMembers[g.ID] {
			b.add(access.Grant{User: m, Kind: access.KindGroup, Target: g.Name, Path: direct()})
		}
	}
	for _, w := range q.Workspaces {
		var members []workspaceMember
		for _, m := range w.Members {
			wm := workspaceMember{user: NormalizeAccount(m.User), roles: sortedSet(m.Roles)}
			members = append(members, wm)
			b.member(w.Name, wm)
		}
		for _, ds := range w.Datasets {
			name := fileDatasetLabel(&ds)
			for _, lv := range []struct {
				level string
				l     *spec.QuickBIDataLevel
			}{{LevelRow, ds.RowLevel}, {LevelColumn, ds.ColumnLevel}} {
				if lv.l == nil {
					continue
				}
				ls := levelSetup{level: lv.level, missHit: strings.ToUpper(lv.l.MissHit)}
				if lv.l.Enabled != nil {
					ls.enabled, ls.disabled = *lv.l.Enabled, !*lv.l.Enabled
				}
				if wl := lv.l.Whitelist; wl != nil {
					ls.whitelistUsers, ls.whitelistGroups = accounts(wl.Users), wl.Groups
				}
				for _, ru := range lv.l.Rules {
					content, err := NormalizeContent(ru.Content)
					if err != nil {
						return nil, fmt.Errorf("access from the files: %s: workspace %q, dataset %s, rule %q: %w", ru.Src, w.Name, name, ru.Name, err)
					}
					ls.rules = append(ls.rules, ruleSetup{name: ru.Name, users: accounts(ru.Users), groups: ru.Groups, all: ru.All, content: content})
				}
				b.dataset(w.Name, name, members, w.Members != nil, ls)
			}
		}
	}
	r.Finish()
	return r, nil
}

// member adds a workspace member's membership and roles.
func (b *accessBuilder) member(space string, m workspaceMember) {
	b.add(access.Grant{User: m.user, Space: space, Kind: access.KindMember, Target: space, Rights: m.roles, Path: direct()})
	for _, role := range m.roles {
		b.add(access.Grant{User: m.user, Space: space, Kind: access.KindWorkspaceRole, Target: role, Path: direct()})
	}
}

// fileDatasetLabel names a dataset as the files do: by name, else by id.
func fileDatasetLabel(d *spec.QuickBIDataset) string {
	if d.Name != "" {
		return "dataset " + d.Name
	}
	return "dataset #" + d.ID
}

// FromServer is the access the server shows, of what the read covered:
// the organization's members and roles, the groups whose members were
// read, the workspaces the files name, and the levels of the datasets
// they list. A dataset is named as the files name it.
func (Access) FromServer(d *spec.Desired, live provider.Live) (*access.Report, error) {
	l, ok := live.(*Live)
	if !ok || l == nil {
		return nil, fmt.Errorf("access from the server: a live model of type %T is not Quick BI's", live)
	}
	r := newAccessReport(access.SourceServer)
	b := &accessBuilder{r: r, groupName: map[string]string{}, groupMembers: map[string][]string{},
		tags: map[string]map[string][]string{}, tagsKnown: map[string]bool{}}
	acct := func(uid string) string {
		if u := l.Users[uid]; u != nil && u.Account != "" {
			return NormalizeAccount(u.Account)
		}
		return "#" + uid
	}
	accts := func(uids []string) []string {
		out := make([]string, 0, len(uids))
		for _, u := range uids {
			out = append(out, acct(u))
		}
		return out
	}
	for _, uid := range sortedKeys(l.Users) {
		u := l.Users[uid]
		id := acct(uid)
		r.Users = append(r.Users, access.User{ID: id, Name: u.Nick, Left: u.Inactive})
		var roles []string
		for _, rid := range u.Roles {
			roles = append(roles, roleName(rid, orgRoleNames, l.OrgRoles))
		}
		b.add(access.Grant{User: id, Kind: access.KindMember, Target: orgTarget, Rights: sortedSet(roles), Path: direct()})
		if u.Tags != nil {
			b.tagsKnown[id] = true
			b.tags[id] = map[string][]string{}
			for name, v := range u.Tags {
				b.tags[id][name] = splitTagValue(v)
			}
		}
	}
	for _, gid := range sortedKeys(l.Groups) {
		g := l.Groups[gid]
		b.groupName[gid] = g.Name
		if !g.MembersRead {
			continue
		}
		b.groupMembers[gid] = sortedSet(accts(g.Members))
		for _, m := range b.groupMembers[gid] {
			b.add(access.Grant{User: m, Kind: access.KindGroup, Target: g.Name, Path: direct()})
		}
	}
	if !l.GroupsRead {
		r.Notes = append(r.Notes, "The user-group tree was not read: grants through groups are not shown.")
	}
	byID := map[string]bool{} // datasets the files name by id
	if d != nil && d.QuickBI != nil {
		for _, w := range d.QuickBI.Workspaces {
			for _, ds := range w.Datasets {
				if ds.Name == "" {
					byID[ds.ID] = true
				}
			}
		}
	}
	oneRole := false
	for _, wid := range sortedKeys(l.Workspaces) {
		ws := l.Workspaces[wid]
		if !ws.MembersRead && !ws.DatasetsRead {
			continue
		}
		var members []workspaceMember
		if ws.MembersRead {
			for _, uid := range sortedKeys(ws.Members) {
				m := ws.Members[uid]
				var roles []string
				for _, rid := range m.Roles {
					name := workspaceRoleNames[rid]
					if name == "" {
						if cr := ws.Roles[rid]; cr != nil && cr.Name != "" {
							name = cr.Name
						} else {
							name = fmt.Sprintf("#%d", rid)
						}
					}
					roles = append(roles, name)
				}
				oneRole = oneRole || !m.AllRoles
				wm := workspaceMember{user: acct(uid), roles: sortedSet(roles)}
				members = append(members, wm)
				b.member(ws.Name, wm)
			}
		}
		for _, cid := range sortedKeys(ws.Datasets) {
			ds := ws.Datasets[cid]
			name := "dataset " + ds.Name
			if byID[ds.ID] || ds.Name == "" {
				name = "dataset #" + ds.ID
			}
			for _, level := range []string{LevelRow, LevelColumn} {
				ll := ds.Levels[level]
				if ll == nil {
					continue
				}
				ls := levelSetup{level: level, enabled: ll.Open, disabled: !ll.Open, missHit: ll.MissHit}
				if ll.Whitelist != nil {
					ls.whitelistUsers, ls.whitelistGroups = accts(ll.Whitelist.Users), ll.Whitelist.UserGroups
				}
				for _, rm := range ll.Rules {
					ls.rules = append(ls.rules, ruleSetup{name: rm.RuleName, users: accts(rm.RuleUsersModel.Users), groups: rm.RuleUsersModel.UserGroups,
						all: rm.RuleTargetScope == apiclient.RuleScopeAll, content: liveContent(rm.RuleContentModel.RuleContentJSON),
						notWhenHit: level == LevelColumn && rm.HitTakeEffect != nil && *rm.HitTakeEffect == 0})
				}
				b.dataset(ws.Name, name, members, ws.MembersRead, ls)
			}
		}
	}
	if oneRole {
		r.Notes = append(r.Notes, "The server showed one workspace role of some members (QueryWorkspaceUserList shows one): their other roles are not shown.")
	}
	r.Finish()
	return r, nil
}

// splitTagValue is a tag's values as the server stores them: one string,
// comma-separated; the clearing marker and "" are no value.
func splitTagValue(v string) []string {
	if v == "" || v == apiclient.TagValueClear {
		return nil
	}
	return strings.Split(v, ",")
}

func roleName(id int64, builtin map[int64]string, custom map[int64]string) string {
	if n := builtin[id]; n != "" {
		return n
	}
	if n := custom[id]; n != "" {
		return n
	}
	return fmt.Sprintf("#%d", id)
}

func direct() []access.Step { return []access.Step{{Kind: access.StepDirect}} }

func accounts(in []string) []string {
	out := make([]string, 0, len(in))
	for _, a := range in {
		out = append(out, NormalizeAccount(a))
	}
	return out
}

// sortedSet is a sorted copy without repeats; nil stays nil.
func sortedSet(in []string) []string {
	if in == nil {
		return nil
	}
	out := append([]string{}, in...)
	sort.Strings(out)
	return uniq(out)
}
