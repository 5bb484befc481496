// Package export writes the live state of a server as permsync YAML files
// and a matching state, so that a team adopting permsync starts from the
// server it already has: the first plan of the exported files against the
// same server is empty, and every later change is a reviewed diff.
//
// Only what the API can read back is written (users, custom system roles,
// projects, members and their system roles, groups as far as their
// members' permissions show them, roles and data permissions with their
// users, expiry and, where visible, rules). Everything else is left out,
// which in the format means "leave it alone", and marked with a comment
// that says how to take it over.
package export

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/permsync/permsync/internal/atomicfile"
	"github.com/permsync/permsync/internal/exportdir"
	"github.com/permsync/permsync/internal/sets"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/state"
)

// Split says how an export is spread over files.
type Split string

// Splits.
const (
	// SplitByKind writes users.yaml, system-roles.yaml and one
	// projects/<name>.yaml per project, as examples/quickstart/desired.
	SplitByKind Split = "by-kind"
	// SplitByProject writes common.yaml (users and system roles) and one
	// <name>.yaml per project beside it.
	SplitByProject Split = "by-project"
	// SplitSingle writes everything into permsync.yaml.
	SplitSingle Split = "single"
)

// Splits lists the valid splits.
var Splits = []Split{SplitByKind, SplitByProject, SplitSingle}

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

// Read reads the live state of the named projects, or of every project
// when names is empty, through reconcile.ReadLive (same paging, limits
// and abort-on-failure rules as plan). A named project that does not
// exist is an error.
func Read(ctx context.Context, r apiclient.Reader, names []string, o youdata.ReadOptions) (*youdata.Live, error) {
	var refs []youdata.ProjectRef
	for _, n := range names {
		refs = append(refs, youdata.ProjectRef{Name: strings.TrimSpace(n)})
	}
	o.AllProjects = len(names) == 0
	live, err := youdata.ReadLive(ctx, r, refs, o)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, ref := range refs {
		if lp := live.Projects[ref.Name]; lp == nil || !lp.Read {
			missing = append(missing, fmt.Sprintf("%q", ref.Name))
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("export: no project named %s on the server", strings.Join(missing, ", "))
	}
	return live, nil
}

// Options tune Write.
type Options struct {
	// Split is the file layout; default SplitByKind.
	Split Split
	// Header is a comment line put at the top of every file, e.g. where
	// the export comes from. Optional.
	Header string
	// Force writes into a directory that already holds YAML files,
	// overwriting the files of the export. Without it such a directory is
	// refused: files left from before would be loaded with the export.
	Force bool
	// Progress, if set, is called after each file with the number of
	// files written and the total.
	Progress func(done, total int)
}

// Result is what Write wrote.
type Result struct {
	// Files are the files written, relative to the directory, slash
	// separated, in the order written.
	Files []string
	// Counts per kind.
	Counts Counts
	// Others are YAML files found in the directory that the export did not
	// write (only with Force); they are loaded together with the export.
	Others []string
}

// file is one file of an export: its slash-separated name and how to
// build its top-level mapping.
type file struct {
	name  string
	build func(c *Counts) *yaml.Node
}

// exported lists the projects an export writes: those read in full.
func exported(live *youdata.Live) []*youdata.LiveProject {
	var out []*youdata.LiveProject
	for _, name := range sets.SortedKeys(live.Projects) {
		if lp := live.Projects[name]; lp != nil && lp.Read {
			out = append(out, lp)
		}
	}
	return out
}

// layout lists the files of an export of live, in writing order.
func layout(live *youdata.Live, split Split, header string) []file {
	projects := exported(live)
	names := make([]string, len(projects))
	ids := make([]int64, len(projects))
	for i, lp := range projects {
		names[i], ids[i] = lp.Name, lp.ID
	}
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
	users := func(c *Counts) *yaml.Node {
		return doc(head(noteUsers, noteOrgs), "users", usersNode(live, c))
	}
	sysRoles := func(c *Counts) *yaml.Node {
		return doc(head(noteSystemRoles), "systemRoles", systemRolesNode(live, c))
	}
	project := func(lp *youdata.LiveProject) func(c *Counts) *yaml.Node {
		return func(c *Counts) *yaml.Node {
			return doc(head(fmt.Sprintf("Project %s (id %d).", lp.Name, lp.ID), noteProject),
				"projects", &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{projectNode(live, lp, c)}})
		}
	}

	var files []file
	switch split {
	case SplitSingle:
		files = append(files, file{name: "permsync.yaml", build: func(c *Counts) *yaml.Node {
			seq := &yaml.Node{Kind: yaml.SequenceNode}
			for _, lp := range projects {
				seq.Content = append(seq.Content, projectNode(live, lp, c))
			}
			d := doc(head(noteUsers, noteOrgs, noteProject), "users", usersNode(live, c))
			if len(live.SystemRoles) > 0 {
				d.Content = append(d.Content, strNode("systemRoles"), systemRolesNode(live, c))
			}
			if len(seq.Content) > 0 {
				d.Content = append(d.Content, strNode("projects"), seq)
			}
			return d
		}})
	case SplitByProject:
		files = append(files, file{name: "common.yaml", build: func(c *Counts) *yaml.Node {
			d := users(c)
			if len(live.SystemRoles) > 0 {
				d.Content = append(d.Content, strNode("systemRoles"), systemRolesNode(live, c))
			}
			return d
		}})
		stems := uniqueNames(names, ids, map[string]bool{"common": true})
		for i, lp := range projects {
			files = append(files, file{name: stems[i] + ".yaml", build: project(lp)})
		}
	default:
		files = append(files, file{name: "users.yaml", build: users})
		if len(live.SystemRoles) > 0 {
			files = append(files, file{name: "system-roles.yaml", build: sysRoles})
		}
		stems := uniqueNames(names, ids, nil)
		for i, lp := range projects {
			files = append(files, file{name: path.Join("projects", stems[i]+".yaml"), build: project(lp)})
		}
	}
	return files
}

// doc is a file's top-level mapping: version: 1, a header comment, and one
// key.
func doc(header, key string, value *yaml.Node) *yaml.Node {
	version := strNode("version")
	version.HeadComment = header
	return &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		version, {Kind: yaml.ScalarNode, Tag: "!!int", Value: "1"},
		strNode(key), value,
	}}
}

// Write writes live as permsync YAML files under dir, one file at a time
// (each file is built, written and dropped before the next), and returns
// what it wrote. Only projects read in full are written.
func Write(live *youdata.Live, dir string, o Options) (*Result, error) {
	if live == nil {
		return nil, errors.New("export: nothing was read")
	}
	if o.Split == "" {
		o.Split = SplitByKind
	}
	if _, err := ParseSplit(string(o.Split)); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	files := layout(live, o.Split, o.Header)
	existing, err := exportdir.YAMLFiles(dir)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	res := &Result{}
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
	for i, f := range files {
		var c Counts
		n := f.build(&c)
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{n}}); err != nil {
			return nil, fmt.Errorf("export: encode %s: %w", f.name, err)
		}
		if err := enc.Close(); err != nil {
			return nil, fmt.Errorf("export: encode %s: %w", f.name, err)
		}
		if err := atomicfile.WriteAll(filepath.Join(dir, filepath.FromSlash(f.name)), buf.Bytes(), 0o644); err != nil {
			return nil, fmt.Errorf("export: write %s: %w", f.name, err)
		}
		res.Files = append(res.Files, f.name)
		res.Counts.add(c)
		if o.Progress != nil {
			o.Progress(i+1, len(files))
		}
	}
	return res, nil
}

// CheckDir returns the error Write returns without Force when dir already
// holds YAML files, so a caller can refuse before reading a large server.
func CheckDir(dir string) error { return exportdir.Check(dir) }

// State is the state that goes with an export of live: the server ids of
// the custom system roles, and of the groups, roles and data permissions
// of the projects read in full, none marked as created by permsync (so
// nothing is deleted without prune). server names the server (no
// credentials). Objects the export leaves out are not recorded.
func State(live *youdata.Live, server string) *state.State {
	st := state.New()
	st.Server = server
	for name, sr := range live.SystemRoles {
		st.Put(plan.StateKey(youdata.KindSystemRole, name), &state.Object{ID: sr.ID})
	}
	for _, lp := range exported(live) {
		for name, lg := range lp.Groups {
			st.Put(plan.StateKey(youdata.KindGroup, lp.Name+"/"+name), &state.Object{ID: lg.ID})
		}
		roleNames := map[string]string{}
		for _, key := range sets.SortedKeys(lp.Roles) {
			if lr := lp.Roles[key]; unrepresentable(lr, roleNames) == "" {
				st.Put(plan.StateKey(youdata.KindRole, lp.Name+"/"+key), &state.Object{ID: lr.ID})
			}
		}
		dpNames := map[string]string{}
		for _, key := range sets.SortedKeys(lp.DataPermissions) {
			if lr := lp.DataPermissions[key]; unrepresentable(lr, dpNames) == "" {
				st.Put(plan.StateKey(youdata.KindDataPermission, lp.Name+"/"+key), &state.Object{ID: lr.ID})
			}
		}
	}
	return st
}
