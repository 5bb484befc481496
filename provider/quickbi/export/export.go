// Package export writes what a Quick BI organization holds as permsync
// files (provider: quickbi) and a matching state, so that a team adopting
// permsync starts from the organization it has: the first plan of the
// exported files against the same organization is empty, and every later
// change is a reviewed diff.
//
// Everything the API reads back is written: tag definitions, members
// with their nicknames, types, organization roles, tag values and whether
// they are inactive, the group tree with every group's members, and every
// workspace with its members and roles and the row and column permissions
// of its datasets (switches, miss-hit policies, whitelists, rules). What
// the format cannot say is left out, which in the format means "leave it
// alone", and a comment in the file says so: a member without an account
// name, a role or group that no longer exists that a rule still names.
// Nothing is marked as created by permsync, so nothing is deleted unless
// prune is turned on.
package export

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/permsync/permsync/internal/atomicfile"
	"github.com/permsync/permsync/internal/exportdir"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/quickbi"
	"github.com/permsync/permsync/provider/quickbi/apiclient"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// Split says how an export is spread over files.
type Split string

// Splits.
const (
	// SplitByKind writes users.yaml (tags and users), groups.yaml and one
	// workspaces/<name>.yaml per workspace, as examples/quickbi/desired.
	SplitByKind Split = "by-kind"
	// SplitSingle writes everything into quickbi.yaml.
	SplitSingle Split = "single"
)

// Splits lists the valid splits.
var Splits = []Split{SplitByKind, SplitSingle}

// ParseSplit checks a --split value.
func ParseSplit(s string) (Split, error) {
	for _, sp := range Splits {
		if string(sp) == s {
			return sp, nil
		}
	}
	names := make([]string, len(Splits))
	for i, sp := range Splits {
		names[i] = string(sp)
	}
	return "", fmt.Errorf("invalid split %q (want %s)", s, strings.Join(names, ", "))
}

// Read reads the whole organization (quickbi.ReadLive with everything in
// scope: the same paging, limits and abort-on-failure rules as plan).
// names, when given, are the workspaces to export; one that does not
// exist is an error.
func Read(ctx context.Context, r apiclient.Reader, names []string, tokenUser string, o quickbi.ReadOptions) (*quickbi.Live, error) {
	live, err := quickbi.ReadLive(ctx, r, quickbi.ReadScope{All: true}, tokenUser, o)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, n := range names {
		if ws, count := live.WorkspaceByName(strings.TrimSpace(n)); ws == nil || count > 1 {
			missing = append(missing, fmt.Sprintf("%q", n))
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("export: no single workspace named %s on the server", strings.Join(missing, ", "))
	}
	return live, nil
}

// Options tune Write.
type Options struct {
	// Split is the file layout; default SplitByKind.
	Split Split
	// Workspaces are the names of the workspaces to write; empty: all.
	Workspaces []string
	// Header is a comment line put at the top of every file, e.g. where
	// the export comes from. Optional.
	Header string
	// Force writes into a directory that already holds YAML files,
	// overwriting the files of the export. Without it such a directory is
	// refused: files left from before would be loaded with the export.
	Force bool
}

// Counts are the objects written, per kind.
type Counts struct {
	Tags, Users, Groups, Workspaces, Members, Datasets, Rules int
	// Skipped are the objects left out, each with a note in its file.
	Skipped int
}

func (c *Counts) add(o Counts) {
	c.Tags += o.Tags
	c.Users += o.Users
	c.Groups += o.Groups
	c.Workspaces += o.Workspaces
	c.Members += o.Members
	c.Datasets += o.Datasets
	c.Rules += o.Rules
	c.Skipped += o.Skipped
}

// Result is what Write wrote.
type Result struct {
	// Files are the files written, relative to the directory, slash
	// separated, in the order written.
	Files  []string
	Counts Counts
	// Others are YAML files found in the directory that the export did
	// not write (only with Force); they are loaded with the export.
	Others []string
}

// Content is what an export writes, as the format's values, with the
// notes on what it left out.
type Content struct {
	Tags       []spec.QuickBITag
	Users      []spec.QuickBIUser
	Groups     []spec.QuickBIGroup
	Workspaces []spec.QuickBIWorkspace
	// UserNotes, GroupNotes and WorkspaceNotes (by workspace name) say
	// what was left out and why.
	UserNotes, GroupNotes []string
	WorkspaceNotes        map[string][]string
	Counts                Counts
}

// Build turns what was read into the format's values: the workspaces
// named (all when none are).
func Build(live *quickbi.Live, workspaces []string) *Content {
	b := &builder{live: live, c: &Content{WorkspaceNotes: map[string][]string{}}}
	b.index()
	b.tags()
	b.users()
	b.groups()
	b.workspaces(workspaces)
	return b.c
}

type builder struct {
	live *quickbi.Live
	c    *Content
	// accounts maps UserIds to the accounts the files name them by.
	accounts map[string]string
	// groupIDs maps server group ids to the ids the files give them.
	groupIDs map[string]string
}

func (b *builder) index() {
	b.accounts = map[string]string{}
	for id, u := range b.live.Users {
		if u.Account != "" {
			b.accounts[id] = u.Account
		}
	}
	b.groupIDs = map[string]string{}
	for _, id := range sortedKeys(b.live.Groups) {
		fid := strings.TrimSuffix(id, quickbi.MovedSuffix)
		if fid == id && b.live.Groups[id+quickbi.MovedSuffix] != nil {
			continue // the old group of an interrupted move: its copy is the group
		}
		b.groupIDs[id] = fid
	}
}

func (b *builder) tags() {
	for _, name := range sortedKeys(b.live.Tags) {
		t := b.live.Tags[name]
		tag := spec.QuickBITag{Name: t.Name}
		if t.Description != "" {
			d := t.Description
			tag.Description = &d
		}
		b.c.Tags = append(b.c.Tags, tag)
		b.c.Counts.Tags++
	}
}

func (b *builder) users() {
	users := make([]*quickbi.LiveUser, 0, len(b.live.Users))
	for _, u := range b.live.Users {
		users = append(users, u)
	}
	sort.Slice(users, func(i, j int) bool {
		if users[i].Account != users[j].Account {
			return users[i].Account < users[j].Account
		}
		return users[i].UserID < users[j].UserID
	})
	for _, u := range users {
		if u.Account == "" {
			b.c.UserNotes = append(b.c.UserNotes, fmt.Sprintf("member %s (UID %q, nick %q) is not exported: it has no account name, which the files name members by", u.UserID, u.AccountID, u.Nick))
			b.c.Counts.Skipped++
			continue
		}
		nick, typ := u.Nick, typeName(u.Type)
		su := spec.QuickBIUser{Account: u.Account, Nick: &nick, Type: &typ, Roles: b.live.OrgRoleNames(u.Roles)}
		if u.AccountID != "" {
			id := u.AccountID
			su.AccountID = &id
		}
		if typ == "" {
			su.Type = nil
		}
		if len(su.Roles) == 0 {
			su.Roles = []string{"user"}
		}
		for _, r := range su.Roles {
			if strings.HasPrefix(r, "#") {
				b.c.UserNotes = append(b.c.UserNotes, fmt.Sprintf("the roles of %s are not exported: it holds organization role %s, which ListOrganizationRoles does not name", u.Account, r))
				su.Roles = nil
				break
			}
		}
		if len(u.Tags) > 0 {
			su.Tags = map[string]*[]string{}
			for _, name := range sortedKeys(u.Tags) {
				vals := splitValues(u.Tags[name])
				if vals == nil {
					continue
				}
				su.Tags[name] = &vals
			}
			if len(su.Tags) == 0 {
				su.Tags = nil
			}
		}
		if u.Inactive {
			t := true
			su.Inactive = &t
		}
		b.c.Users = append(b.c.Users, su)
		b.c.Counts.Users++
	}
}

// splitValues is a tag value as the files write it: its comma-separated
// values, trimmed, in the server's order.
func splitValues(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func typeName(t int) string {
	switch t {
	case apiclient.UserTypeDeveloper:
		return "developer"
	case apiclient.UserTypeViewer:
		return "viewer"
	case apiclient.UserTypeAnalyst:
		return "analyst"
	}
	return ""
}

// groups writes the tree top-down: parents before children.
func (b *builder) groups() {
	if !b.live.GroupsRead {
		return
	}
	var walk func(parent string)
	walk = func(parent string) {
		var kids []string
		for _, id := range sortedKeys(b.live.Groups) {
			if b.live.Groups[id].Parent == parent {
				kids = append(kids, id)
			}
		}
		for _, id := range kids {
			g := b.live.Groups[id]
			fid, ok := b.groupIDs[id]
			if !ok {
				b.c.GroupNotes = append(b.c.GroupNotes, fmt.Sprintf("group %s (%s) is not exported: it is the old group of an interrupted move, which the next apply finishes (its copy is %s%s)", id, g.Name, id, quickbi.MovedSuffix))
				b.c.Counts.Skipped++
				continue
			}
			sg := spec.QuickBIGroup{ID: fid, Name: g.Name}
			if p := b.groupIDs[g.Parent]; g.Parent != apiclient.RootUserGroupID {
				sg.Parent = p
			}
			if g.Description != "" {
				d := g.Description
				sg.Description = &d
			}
			if g.MembersRead && len(g.Members) > 0 {
				sg.Members = b.userNames(g.Members, func(id string) {
					b.c.GroupNotes = append(b.c.GroupNotes, fmt.Sprintf("member %s of group %s is not exported: it has no account name (the group's members are left alone)", id, fid))
				})
				if len(sg.Members) < len(g.Members) {
					sg.Members = nil
				}
			}
			b.c.Groups = append(b.c.Groups, sg)
			b.c.Counts.Groups++
			walk(id)
		}
	}
	walk(apiclient.RootUserGroupID)
}

// userNames maps UserIds to accounts, sorted; skip is told of each id
// with no account.
func (b *builder) userNames(ids []string, skip func(id string)) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if a, ok := b.accounts[id]; ok {
			out = append(out, a)
		} else {
			skip(id)
		}
	}
	sort.Strings(out)
	return out
}

// groupNames maps server group ids to the files' ids, sorted; skip is
// told of each id no group has.
func (b *builder) groupNames(ids []string, skip func(id string)) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if fid, ok := b.groupIDs[id]; ok {
			out = append(out, fid)
		} else {
			skip(id)
		}
	}
	sort.Strings(out)
	return out
}

func (b *builder) workspaces(only []string) {
	want := map[string]bool{}
	for _, n := range only {
		want[strings.TrimSpace(n)] = true
	}
	var list []*quickbi.LiveWorkspace
	for _, id := range sortedKeys(b.live.Workspaces) {
		ws := b.live.Workspaces[id]
		if len(want) > 0 && !want[ws.Name] {
			continue
		}
		list = append(list, ws)
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	for _, ws := range list {
		note := func(format string, args ...any) {
			b.c.WorkspaceNotes[ws.Name] = append(b.c.WorkspaceNotes[ws.Name], fmt.Sprintf(format, args...))
			b.c.Counts.Skipped++
		}
		w := spec.QuickBIWorkspace{Name: ws.Name, ID: ws.ID}
		if ws.MembersRead {
			w.Members = []spec.QuickBIMember{}
			for _, id := range sortedKeys(ws.Members) {
				m := ws.Members[id]
				account, ok := b.accounts[id]
				if !ok {
					note("member %s is not exported: it has no account name (the members of this workspace are then left alone)", id)
					w.Members = nil
					break
				}
				roles := ws.RoleNames(m.Roles)
				if bad := unknownRole(roles); bad != "" {
					note("member %s is not exported: it holds role %s, which ListWorkspaceRoles does not name (the members of this workspace are then left alone)", account, bad)
					w.Members = nil
					break
				}
				w.Members = append(w.Members, spec.QuickBIMember{User: account, Roles: roles})
			}
			sort.Slice(w.Members, func(i, j int) bool { return w.Members[i].User < w.Members[j].User })
			b.c.Counts.Members += len(w.Members)
		}
		for _, id := range sortedKeys(ws.Datasets) {
			if d := b.dataset(ws.Datasets[id], note); d != nil {
				w.Datasets = append(w.Datasets, *d)
				b.c.Counts.Datasets++
			}
		}
		b.c.Workspaces = append(b.c.Workspaces, w)
		b.c.Counts.Workspaces++
	}
}

func unknownRole(roles []string) string {
	for _, r := range roles {
		if strings.HasPrefix(r, "#") {
			return r
		}
	}
	return ""
}

// dataset is a dataset's permissions, or nil when it has none set (its
// levels off, no whitelist, no rules, the default miss-hit policy).
func (b *builder) dataset(d *quickbi.LiveDataset, note func(string, ...any)) *spec.QuickBIDataset {
	out := &spec.QuickBIDataset{ID: d.ID}
	set := false
	for _, level := range []string{quickbi.LevelRow, quickbi.LevelColumn} {
		l := d.Levels[level]
		if l == nil {
			continue
		}
		hasWhite := l.Whitelist != nil && len(l.Whitelist.Users)+len(l.Whitelist.UserGroups) > 0
		if !l.Open && len(l.Rules) == 0 && !hasWhite && strings.EqualFold(l.MissHit, apiclient.MissHitNone) {
			continue
		}
		set = true
		open := l.Open
		sl := &spec.QuickBIDataLevel{Enabled: &open, MissHit: strings.ToLower(l.MissHit)}
		if l.Whitelist != nil {
			sl.Whitelist = &spec.QuickBIPeople{
				Users: b.userNames(l.Whitelist.Users, func(id string) {
					note("the whitelist of dataset %s (%s) names %s, which is no member: left out", d.Name, level, id)
				}),
				Groups: b.groupNames(l.Whitelist.UserGroups, func(id string) {
					note("the whitelist of dataset %s (%s) names group %s, which does not exist: left out", d.Name, level, id)
				}),
			}
		}
		for _, r := range l.Rules {
			sr := spec.QuickBIRule{Name: r.RuleName, All: r.RuleTargetScope == apiclient.RuleScopeAll,
				Users: b.userNames(r.RuleUsersModel.Users, func(id string) {
					note("rule %s of dataset %s (%s) names %s, which is no member: left out", r.RuleName, d.Name, level, id)
				}),
				Groups: b.groupNames(r.RuleUsersModel.UserGroups, func(id string) {
					note("rule %s of dataset %s (%s) names group %s, which does not exist: left out", r.RuleName, d.Name, level, id)
				}),
				Content: contentValue(r.RuleContentModel.RuleContentJSON)}
			if len(sr.Users) == 0 {
				sr.Users = nil
			}
			if len(sr.Groups) == 0 {
				sr.Groups = nil
			}
			sl.Rules = append(sl.Rules, sr)
			b.c.Counts.Rules++
		}
		if level == quickbi.LevelRow {
			out.RowLevel = sl
		} else {
			out.ColumnLevel = sl
		}
	}
	if !set {
		return nil
	}
	return out
}

// contentValue is a rule's content as the files write it: its JSON as a
// mapping, or the text as is when it is no JSON object.
func contentValue(text string) any {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil || v == nil {
		return text
	}
	return v
}

// file is one file of an export: its slash-separated name and its
// top-level mapping.
type file struct {
	name string
	node *yaml.Node
}

// layout lays the content out in files.
func layout(c *Content, live *quickbi.Live, split Split, header string) []file {
	head := func(parts ...string) string {
		var lines []string
		if header != "" {
			lines = append(lines, header, "")
		}
		for _, p := range parts {
			if p != "" {
				lines = append(lines, p, "")
			}
		}
		if len(lines) > 0 && lines[len(lines)-1] == "" {
			lines = lines[:len(lines)-1]
		}
		return strings.Join(lines, "\n")
	}
	notes := func(ns []string) string {
		out := make([]string, len(ns))
		for i, n := range ns {
			out[i] = "# " + n
		}
		return strings.Join(out, "\n")
	}
	doc := func(comment string, kv ...any) *yaml.Node {
		version := strNode("version")
		version.HeadComment = comment
		m := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
			version, {Kind: yaml.ScalarNode, Tag: "!!int", Value: "1"},
			strNode("provider"), strNode(quickbi.Name),
		}}
		for i := 0; i+1 < len(kv); i += 2 {
			if n := toNode(kv[i+1]); n != nil {
				m.Content = append(m.Content, strNode(kv[i].(string)), n)
			}
		}
		return m
	}
	wsNotes := func(w spec.QuickBIWorkspace) string {
		return notes(c.WorkspaceNotes[w.Name])
	}
	const noteUsers = "Tag definitions and members. Prune is off: a member not listed here is left alone."
	const noteGroups = "The user-group tree: id is the UserGroupId (a moved group's copy keeps the files' id), parent another group's id."
	const noteWorkspace = "Members are authoritative (a member not listed is removed, but for the owner); rules are keyed by name."
	var files []file
	switch split {
	case SplitSingle:
		var all []string
		all = append(all, c.UserNotes...)
		all = append(all, c.GroupNotes...)
		for _, w := range c.Workspaces {
			all = append(all, c.WorkspaceNotes[w.Name]...)
		}
		var ws []spec.QuickBIWorkspace
		if len(c.Workspaces) > 0 {
			ws = c.Workspaces
		}
		files = append(files, file{"quickbi.yaml", doc(head(noteUsers, noteGroups, noteWorkspace, notes(all)),
			"tags", c.Tags, "users", c.Users, "groups", c.Groups, "workspaces", ws)})
	default:
		files = append(files, file{"users.yaml", doc(head(noteUsers, notes(c.UserNotes)), "tags", c.Tags, "users", c.Users)})
		if live.GroupsRead {
			groups := c.Groups
			if groups == nil {
				groups = []spec.QuickBIGroup{}
			}
			files = append(files, file{"groups.yaml", doc(head(noteGroups, notes(c.GroupNotes)), "groups", groups)})
		}
		names := make([]string, len(c.Workspaces))
		ids := make([]string, len(c.Workspaces))
		for i, w := range c.Workspaces {
			names[i], ids[i] = w.Name, w.ID
		}
		stems := uniqueStems(names, ids)
		for i, w := range c.Workspaces {
			files = append(files, file{path.Join("workspaces", stems[i]+".yaml"),
				doc(head(fmt.Sprintf("Workspace %s (id %s).", w.Name, w.ID), noteWorkspace, wsNotes(w)), "workspaces", []spec.QuickBIWorkspace{w})})
		}
	}
	return files
}

// Write writes what live holds as Quick BI files under dir and returns
// what it wrote.
func Write(live *quickbi.Live, dir string, o Options) (*Result, error) {
	if live == nil {
		return nil, errors.New("export: nothing was read")
	}
	if o.Split == "" {
		o.Split = SplitByKind
	}
	if _, err := ParseSplit(string(o.Split)); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	c := Build(live, o.Workspaces)
	files := layout(c, live, o.Split, o.Header)
	existing, err := exportdir.YAMLFiles(dir)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	res := &Result{Counts: c.Counts}
	if len(existing) > 0 {
		if !o.Force {
			return nil, exportdir.HoldsYAML(dir, existing)
		}
		ours := map[string]bool{}
		for _, f := range files {
			ours[f.name] = true
		}
		for _, e := range existing {
			if !ours[e] {
				res.Others = append(res.Others, e)
			}
		}
	}
	names := map[string]string{}
	for _, ws := range live.Workspaces {
		for id, d := range ws.Datasets {
			names[id] = d.Name
		}
	}
	for _, f := range files {
		nameDatasets(f.node, names)
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{f.node}}); err != nil {
			return nil, fmt.Errorf("export: encode %s: %w", f.name, err)
		}
		if err := enc.Close(); err != nil {
			return nil, fmt.Errorf("export: encode %s: %w", f.name, err)
		}
		if err := atomicfile.WriteAll(filepath.Join(dir, filepath.FromSlash(f.name)), buf.Bytes(), 0o644); err != nil {
			return nil, fmt.Errorf("export: write %s: %w", f.name, err)
		}
		res.Files = append(res.Files, f.name)
	}
	return res, nil
}

// nameDatasets puts each dataset's name beside its id (the files name
// datasets by id, which stays when a dataset is renamed).
func nameDatasets(n *yaml.Node, names map[string]string) {
	if n == nil {
		return
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "datasets" && v.Kind == yaml.SequenceNode {
				for _, d := range v.Content {
					for j := 0; j+1 < len(d.Content); j += 2 {
						if d.Content[j].Value == "id" {
							if name, ok := names[d.Content[j+1].Value]; ok {
								d.Content[j+1].LineComment = name
							}
						}
					}
				}
			}
			nameDatasets(v, names)
		}
		return
	}
	for _, c := range n.Content {
		nameDatasets(c, names)
	}
}

// State is the state that goes with an export of live: the RuleId of
// every rule exported, under the rule's key (the dataset by its id), none
// marked as created by permsync. server names the server (no
// credentials).
func State(live *quickbi.Live, workspaces []string, server string) *state.State {
	st := state.New()
	st.Server = server
	c := Build(live, workspaces)
	for _, w := range c.Workspaces {
		lw := live.Workspaces[w.ID]
		for _, d := range w.Datasets {
			ld := lw.Datasets[d.ID]
			for _, level := range []string{quickbi.LevelRow, quickbi.LevelColumn} {
				l := ld.Levels[level]
				if l == nil {
					continue
				}
				for _, r := range l.Rules {
					key := w.Name + "/" + d.ID + "/" + level + "/" + r.RuleName
					st.Put(plan.StateKey(quickbi.KindRule, key), &state.Object{Facets: map[string]state.Facet{quickbi.FacetRuleID: quickbi.RuleIDFacet(r.RuleID)}})
				}
			}
		}
	}
	return st
}

// CheckDir returns the error Write returns without Force when dir already
// holds YAML files, so a caller can refuse before reading a large organization.
func CheckDir(dir string) error { return exportdir.Check(dir) }

// sortedKeys lists a map's keys, sorted.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
