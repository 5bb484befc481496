// Package testload loads Quick BI files for the provider's tests: through
// spec.Load once it knows provider: quickbi, and until then by decoding
// the documents into spec's Quick BI types directly, each object's source
// (file, line, path) filled as the loader fills it. It checks nothing the
// loader checks.
package testload

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/permsync/permsync/spec"
)

// Load loads the files and folders given.
func Load(paths ...string) (*spec.Desired, error) {
	d, err := spec.Load(paths)
	if err == nil && d.QuickBI != nil {
		return d, nil
	}
	if err != nil && !strings.Contains(err.Error(), "unknown provider") {
		return nil, err
	}
	return decode(paths)
}

func decode(paths []string) (*spec.Desired, error) {
	var files []string
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !e.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(files)
	q := &spec.QuickBI{}
	settings := false
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var n yaml.Node
		if err := yaml.Unmarshal(b, &n); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if len(n.Content) == 0 {
			continue
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		js, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		var doc spec.QuickBIDocument
		dec := json.NewDecoder(bytes.NewReader(js))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&doc); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if doc.Provider != "quickbi" {
			return nil, fmt.Errorf("%s: provider is %q, not quickbi", f, doc.Provider)
		}
		sources(f, n.Content[0], &doc)
		if doc.Settings != nil {
			if settings {
				return nil, fmt.Errorf("%s: settings are set in two files", f)
			}
			settings = true
			q.Settings = *doc.Settings
		}
		q.Tags = appendKeep(q.Tags, doc.Tags)
		q.Users = appendKeep(q.Users, doc.Users)
		q.Groups = appendKeep(q.Groups, doc.Groups)
		q.Workspaces = appendKeep(q.Workspaces, doc.Workspaces)
	}
	if len(files) == 0 {
		return nil, errors.New("no files")
	}
	return &spec.Desired{Provider: "quickbi", QuickBI: q}, nil
}

// appendKeep appends, keeping a present empty list non-nil.
func appendKeep[T any](a, b []T) []T {
	if b == nil {
		return a
	}
	if a == nil {
		a = []T{}
	}
	return append(a, b...)
}

// key finds a mapping's value node.
func key(m *yaml.Node, name string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == name {
			return m.Content[i+1]
		}
	}
	return nil
}

func item(seq *yaml.Node, i int) *yaml.Node {
	if seq == nil || seq.Kind != yaml.SequenceNode || i >= len(seq.Content) {
		return nil
	}
	return seq.Content[i]
}

func at(file string, n *yaml.Node, path string) spec.Source {
	s := spec.Source{File: file, Path: path}
	if n != nil {
		s.Line = n.Line
	}
	return s
}

func idx(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func sources(file string, top *yaml.Node, doc *spec.QuickBIDocument) {
	if doc.Settings != nil {
		doc.Settings.Src = at(file, key(top, "settings"), "settings")
	}
	for i := range doc.Tags {
		doc.Tags[i].Src = at(file, item(key(top, "tags"), i), idx("tags", i))
	}
	for i := range doc.Users {
		doc.Users[i].Src = at(file, item(key(top, "users"), i), idx("users", i))
	}
	for i := range doc.Groups {
		doc.Groups[i].Src = at(file, item(key(top, "groups"), i), idx("groups", i))
	}
	for i := range doc.Workspaces {
		w := &doc.Workspaces[i]
		wn := item(key(top, "workspaces"), i)
		wp := idx("workspaces", i)
		w.Src = at(file, wn, wp)
		for j := range w.Members {
			w.Members[j].Src = at(file, item(key(wn, "members"), j), idx(wp+".members", j))
		}
		for j := range w.Datasets {
			d := &w.Datasets[j]
			dn := item(key(wn, "datasets"), j)
			dp := idx(wp+".datasets", j)
			d.Src = at(file, dn, dp)
			for _, lv := range []struct {
				name string
				l    *spec.QuickBIDataLevel
			}{{"rowLevel", d.RowLevel}, {"columnLevel", d.ColumnLevel}} {
				if lv.l == nil {
					continue
				}
				ln := key(dn, lv.name)
				lv.l.Src = at(file, ln, dp+"."+lv.name)
				for k := range lv.l.Rules {
					lv.l.Rules[k].Src = at(file, item(key(ln, "rules"), k), idx(dp+"."+lv.name+".rules", k))
				}
			}
		}
	}
}
