package export

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/permsync/permsync/internal/sets"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/spec"
)

// Comments written into the exported files where the API cannot read a
// facet back. Leaving a facet out of the files leaves it alone on the
// server, which is what makes the first plan of an export empty.
const (
	noteUsers = "Users as user/getAllUsers shows them: uniqueId, email, phone, nick and\n" +
		"customInfo. The API cannot read back a user's department, company,\n" +
		"position, left, allowExternal, orgs (department membership) or attrs\n" +
		"(user attributes): they are left out, which leaves them as they are.\n" +
		"Add them to a user to manage them; the next apply then sets them."
	noteOrgs = "The org tree (orgs: company and departments) cannot be read back\n" +
		"through the API and is not exported. Write it under orgs: to manage it\n" +
		"(see examples/quickstart/desired/org.yaml)."
	noteSystemRoles = "Custom system roles (the built-in admin, editor and viewer are not listed)."
	noteProject     = "Not readable through the API, so not exported (leaving a key out leaves\n" +
		"that facet as it is on the server):\n" +
		"  - groups without members, and every group's folder and description;\n" +
		"  - a role's resources (resource permissions);\n" +
		"  - the groups and departments bound to roles and data permissions\n" +
		"    (groups:, orgs:) and their expiry;\n" +
		"  - the rules of a data permission no user holds directly;\n" +
		"  - direct members of resources (resourceMembers:).\n" +
		"Add any of them here to manage it from now on."
	noteGroup      = "folder, description: not readable through the API; add them to manage them"
	noteRoleRes    = "resources: not readable through the API; add them here to manage them (permsync will then replace the role's permissions)"
	noteBindings   = "groups, orgs: bindings of groups and departments cannot be read back; list them to manage them (permsync binds what is listed and removes what it bound before)"
	noteRulesUnk   = "rules: not readable through the API (no user holds this permission directly); add them here to manage them (permsync will then replace its rules)"
	noteResMembers = "resourceMembers: direct members of resources cannot be read back; add them here to manage them (each entry replaces the resource's direct members)"
)

// Counts are what an export wrote, per kind.
type Counts struct {
	Users           int
	SystemRoles     int
	Projects        int
	Members         int
	Groups          int
	Roles           int
	DataPermissions int
	// RulesUnknown counts data permissions exported without rules.
	RulesUnknown int
	// Skipped counts objects the format cannot hold (see the comments in
	// the files).
	Skipped int
}

func (c *Counts) add(o Counts) {
	c.Users += o.Users
	c.SystemRoles += o.SystemRoles
	c.Projects += o.Projects
	c.Members += o.Members
	c.Groups += o.Groups
	c.Roles += o.Roles
	c.DataPermissions += o.DataPermissions
	c.RulesUnknown += o.RulesUnknown
	c.Skipped += o.Skipped
}

// usersNode is the users: sequence of every domain user.
func usersNode(live *youdata.Live, c *Counts) *yaml.Node {
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	for _, uid := range sets.SortedKeys(live.Users) {
		lu := live.Users[uid]
		u := spec.User{UniqueID: uid, Email: nonEmpty(lu.Email), Phone: nonEmpty(lu.Phone), Nick: nonEmpty(lu.Nick)}
		info, ok := customInfo(lu.CustomInfo)
		u.CustomInfo = info
		n := toNode(u)
		if !ok {
			footNote(n, "customInfo: the server holds "+oneLine(string(lu.CustomInfo))+", which is not an object; not exported")
		}
		seq.Content = append(seq.Content, n)
		c.Users++
	}
	return seq
}

// systemRolesNode is the systemRoles: sequence of the custom system roles.
func systemRolesNode(live *youdata.Live, c *Counts) *yaml.Node {
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	var skipped []string
	for _, name := range sets.SortedKeys(live.SystemRoles) {
		sr := live.SystemRoles[name]
		if !trimmed(name) {
			skipped = append(skipped, "system role "+strconv.Quote(name)+" (id "+strconv.FormatInt(sr.ID, 10)+") is not exported: "+noteSpaces)
			c.Skipped++
			continue
		}
		seq.Content = append(seq.Content, toNode(spec.SystemRole{Name: name, Description: nonEmptyStr(sr.Description)}))
		c.SystemRoles++
	}
	if len(skipped) > 0 {
		seq.FootComment = strings.Join(skipped, "\n")
	}
	return seq
}

// noteSpaces says why a name with whitespace around it is not exported.
const noteSpaces = "its name has whitespace at the start or end, which the format trims (the files could not refer to it); rename it on the server"

// trimmed reports whether a server name is written the way the format
// reads it back, without whitespace around it.
func trimmed(name string) bool { return strings.TrimSpace(name) == name }

// projectNode is one project with everything read inside it.
func projectNode(live *youdata.Live, lp *youdata.LiveProject, c *Counts) *yaml.Node {
	p := spec.Project{Name: lp.Name, ID: lp.ID, Description: nonEmptyStr(lp.Description), Members: []spec.Member{}}
	c.Projects++
	var notes []string

	// System role ids → names: the built-in ones and the custom ones.
	sysNames := map[int64]string{}
	for _, name := range spec.BuiltinSystemRoleNames {
		if id, ok := youdata.BuiltinSystemRoleID(name); ok {
			sysNames[id] = name
		}
	}
	spaced := map[int64]string{}
	for name, sr := range live.SystemRoles {
		if !trimmed(name) {
			spaced[sr.ID] = name
			continue
		}
		sysNames[sr.ID] = name
	}
	memberNotes := map[int]string{}
	for _, uid := range sets.SortedKeys(lp.Members) {
		lm := lp.Members[uid]
		m := spec.Member{User: uid, SystemRoles: []string{}}
		var unknown, unwritable []string
		for _, id := range lm.SystemRoleIDs {
			if name, ok := sysNames[id]; ok {
				m.SystemRoles = append(m.SystemRoles, name)
			} else if name, ok := spaced[id]; ok {
				unwritable = append(unwritable, strconv.Quote(name))
			} else {
				unknown = append(unknown, strconv.FormatInt(id, 10))
			}
		}
		sort.Strings(m.SystemRoles)
		// Writing the known ones only would remove the others.
		switch {
		case len(unknown) > 0:
			m.SystemRoles = nil
			memberNotes[len(p.Members)] = "systemRoles: system role ids " + strings.Join(unknown, ", ") + " are unknown to systemRole/list; left alone"
		case len(unwritable) > 0:
			m.SystemRoles = nil
			memberNotes[len(p.Members)] = "systemRoles: holds " + strings.Join(unwritable, ", ") + ", whose name the format would trim; left alone"
		}
		p.Members = append(p.Members, m)
		c.Members++
	}

	for _, name := range sets.SortedKeys(lp.Groups) {
		lg := lp.Groups[name]
		if !trimmed(name) {
			notes = append(notes, "group "+strconv.Quote(name)+" (id "+strconv.FormatInt(lg.ID, 10)+") is not exported: "+noteSpaces)
			c.Skipped++
			continue
		}
		members := append([]string{}, lg.Members...)
		sort.Strings(members)
		p.Groups = append(p.Groups, spec.Group{Name: name, Members: members})
		c.Groups++
	}

	roleNames := map[string]string{}
	for _, key := range sets.SortedKeys(lp.Roles) {
		lr := lp.Roles[key]
		if why := unrepresentable(lr, roleNames); why != "" {
			notes = append(notes, "role "+strconv.Quote(key)+" (id "+strconv.FormatInt(lr.ID, 10)+") is not exported: "+why)
			c.Skipped++
			continue
		}
		r := spec.Role{Name: lr.Name, Folder: lr.Folder, Description: nonEmptyStr(lr.Description), Bindings: userBindings(lr)}
		if lr.Type == 3 {
			r.Level = 2
		}
		p.Roles = append(p.Roles, r)
		c.Roles++
	}

	dpNames := map[string]string{}
	ruleNotes := map[int]string{}
	for _, key := range sets.SortedKeys(lp.DataPermissions) {
		lr := lp.DataPermissions[key]
		if why := unrepresentable(lr, dpNames); why != "" {
			notes = append(notes, "data permission "+strconv.Quote(key)+" (id "+strconv.FormatInt(lr.ID, 10)+") is not exported: "+why)
			c.Skipped++
			continue
		}
		dp := spec.DataPermission{Name: lr.Name, Folder: lr.Folder, Description: nonEmptyStr(lr.Description), Bindings: userBindings(lr)}
		if lr.RulesKnown {
			rules, err := liveRules(lp.Name, lr)
			if err != nil {
				ruleNotes[len(p.DataPermissions)] = "rules: the server's rules cannot be written in the format (" + oneLine(err.Error()) + "); add them here to manage them"
				c.RulesUnknown++
			} else {
				dp.Rules = rules
			}
		} else {
			ruleNotes[len(p.DataPermissions)] = noteRulesUnk
			c.RulesUnknown++
		}
		p.DataPermissions = append(p.DataPermissions, dp)
		c.DataPermissions++
	}

	n := toNode(p)
	if seq := mapGet(n, "members"); seq != nil {
		for i, note := range memberNotes {
			footNote(seq.Content[i], note)
		}
	}
	if seq := mapGet(n, "groups"); seq != nil {
		for _, g := range seq.Content {
			footNote(g, noteGroup)
		}
	}
	if seq := mapGet(n, "roles"); seq != nil {
		for _, r := range seq.Content {
			footNote(r, noteRoleRes, noteBindings)
		}
	}
	if seq := mapGet(n, "dataPermissions"); seq != nil {
		for i, dp := range seq.Content {
			lines := []string{noteBindings}
			if note, ok := ruleNotes[i]; ok {
				lines = append([]string{note}, lines...)
			}
			footNote(dp, lines...)
		}
	}
	notes = append(notes, noteResMembers)
	footNote(n, notes...)
	return n
}

// unrepresentable says why a role or data permission cannot be written in
// the format ("" when it can), and records its name in names.
func unrepresentable(lr *youdata.LiveRole, names map[string]string) string {
	if !trimmed(lr.Name) {
		return noteSpaces
	}
	if !trimmed(lr.Folder) {
		return "its folder " + strconv.Quote(lr.Folder) + " has whitespace at the start or end, which the format trims; rename it on the server"
	}
	if strings.Contains(lr.Folder, "/") {
		return "its folder " + strconv.Quote(lr.Folder) + " contains \"/\", which the format does not allow"
	}
	if first, dup := names[lr.Name]; dup {
		where := "at the root"
		if first != "" {
			where = "in folder " + strconv.Quote(first)
		}
		return "its name is also used " + where + ", and names must be unique within a project; rename one on the server"
	}
	names[lr.Name] = lr.Folder
	return ""
}

// userBindings are the users bound directly to a role and their expiry.
func userBindings(lr *youdata.LiveRole) spec.Bindings {
	b := spec.Bindings{Users: []string{}}
	for _, u := range sets.SortedKeys(lr.Users) {
		b.Users = append(b.Users, u)
		if t := lr.Users[u]; t != nil && strings.TrimSpace(*t) != "" {
			if b.Expires == nil {
				b.Expires = map[string]string{}
			}
			b.Expires[u] = youdata.NormalizeTime(*t)
		}
	}
	return b
}

// liveRules decodes a data permission's rules as the server returned them
// into the format: the fields the server adds on its own (model,
// tableAlias, databaseAlisa) are dropped, everything else is kept as
// returned. Rules that would not validate are an error.
func liveRules(project string, lr *youdata.LiveRole) ([]spec.Rule, error) {
	rules := make([]spec.Rule, 0, len(lr.Rules))
	for i, r := range lr.Rules {
		rule := spec.Rule{Connection: r.ResourceID, Type: r.Type, Mode: r.Mode, Rule: r.Rule, Details: []spec.Detail{}}
		for j, raw := range r.Details {
			var d spec.Detail
			if err := json.Unmarshal(raw, &d); err != nil {
				return nil, fmt.Errorf("rule %d detail %d: %w", i, j, err)
			}
			d.Model, d.TableAlias, d.DatabaseAlisa = "", "", ""
			rule.Details = append(rule.Details, d)
		}
		rules = append(rules, rule)
	}
	sortRules(rules)
	check := &spec.Desired{Projects: []spec.Project{{Name: project, DataPermissions: []spec.DataPermission{{Name: lr.Name, Rules: rules}}}}}
	if err := spec.Validate(check); err != nil {
		return nil, err
	}
	return rules, nil
}

// sortRules puts rules in a canonical order, independent of the order the
// server keeps them in: the values of every list whose order means nothing
// (selections, paths, masks, apply ranges, details, rules) sorted. Two
// servers holding the same rules export the same text.
func sortRules(rules []spec.Rule) {
	for i := range rules {
		for j := range rules[i].Details {
			d := &rules[i].Details[j]
			if d.Filter != nil {
				sort.Strings(d.Filter.Select)
				sortConds(d.Filter.Or)
				sortConds(d.Filter.And)
			}
			sort.Strings(d.Select)
			for k := range d.DataMasks {
				sort.Strings(d.DataMasks[k].ApplyRange)
			}
			sortByJSON(d.DataMasks)
		}
		sortByJSON(rules[i].Details)
	}
	sortByJSON(rules)
}

func sortConds(conds []spec.TreeCond) {
	for i := range conds {
		sortPaths(conds[i].Cond.InList)
		sortPaths(conds[i].Cond.ExcludeList)
	}
	sortByJSON(conds)
}

func sortPaths(paths [][]string) {
	sort.SliceStable(paths, func(i, j int) bool {
		return strings.Join(paths[i], "\x00") < strings.Join(paths[j], "\x00")
	})
}

// sortByJSON sorts a list by the JSON of its items (struct fields in
// declaration order, so a rule sorts by connection first).
func sortByJSON[T any](list []T) {
	keys := make(map[int]string, len(list))
	idx := make([]int, len(list))
	for i, v := range list {
		b, _ := json.Marshal(v) // spec types always marshal
		keys[i] = string(b)
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
	sorted := make([]T, len(list))
	for i, j := range idx {
		sorted[i] = list[j]
	}
	copy(list, sorted)
}

// customInfo decodes a user's customInfo into a map; ok is false when the
// server holds something other than an object (or a string holding one).
// Absent, null, "" and {} give nil.
func customInfo(raw json.RawMessage) (map[string]any, bool) {
	s := bytes.TrimSpace(raw)
	if len(s) == 0 || string(s) == "null" || string(s) == `""` {
		return nil, true
	}
	var str string
	if err := json.Unmarshal(s, &str); err == nil {
		s = []byte(strings.TrimSpace(str))
		if len(s) == 0 {
			return nil, true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, false
	}
	if len(m) == 0 {
		return nil, true
	}
	return m, true
}

func nonEmpty(s *string) *string {
	if s == nil || *s == "" {
		return nil
	}
	v := *s
	return &v
}

func nonEmptyStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// oneLine shortens a text to one line of at most 120 characters.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 120 {
		s = string(r[:117]) + "..."
	}
	return s
}
