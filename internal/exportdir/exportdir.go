// Package exportdir is what both providers' exports share about the
// directory they write: which YAML files it already holds (those
// spec.Load would read with the export) and the refusal to mix them in.
package exportdir

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
)

// YAMLFiles lists, sorted and slash separated, the YAML files under dir
// that spec.Load would read (hidden folders are skipped). A missing dir
// has none.
func YAMLFiles(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == dir {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() {
			if p != dir && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		if ext := strings.ToLower(filepath.Ext(p)); ext == ".yaml" || ext == ".yml" {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(out)
	return out, nil
}

// Check returns HoldsYAML's error when dir already holds YAML files, so a
// caller can refuse before reading a large server.
func Check(dir string) error {
	existing, err := YAMLFiles(dir)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if len(existing) > 0 {
		return HoldsYAML(dir, existing)
	}
	return nil
}

// HoldsYAML is the refusal to export into dir, which holds the YAML files
// existing (an export without --force).
func HoldsYAML(dir string, existing []string) error {
	return fmt.Errorf("export: %s already holds YAML files (%s); they would be loaded with the export: export into an empty or new directory, or pass --force to overwrite", dir, listSome(existing))
}

func listSome(names []string) string {
	if len(names) <= 3 {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:3], ", "), len(names)-3)
}
