package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/permsync/permsync/internal/sets"
)

// FuzzLoad feeds arbitrary bytes to the loader through a file: it must
// never panic, and a failure must always come as Problems that name the
// file.
//
//	go test -run=^$ -fuzz=FuzzLoad -fuzztime=150000x ./spec
//
// A count-based -fuzztime avoids go.dev/issue/75804 (a spurious "context
// deadline exceeded" at the end of a duration-based run in Go 1.26).
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("../examples/*/desired/*.yaml")
	more, _ := filepath.Glob("../examples/*/desired/*/*.yaml")
	invalid, _ := filepath.Glob("../testdata/invalid/*.yaml")
	for _, p := range append(append(seeds, more...), invalid...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("version: 1\nusers: [{uniqueId: a, customInfo: &x {k: *x}}]\n"))
	f.Add([]byte("version: 1\nsettings: {maxDeletes: 1e999%}\n"))
	f.Add([]byte("\xff\xfe"))
	for _, name := range sets.SortedKeys(quickBIFiles) {
		f.Add([]byte(quickBIFiles[name]))
	}
	f.Add([]byte("version: 1\nprovider: quickbi\ngroups: [{id: a, name: A, parent: b}, {id: b, name: B, parent: a}]\n" +
		"workspaces: [{name: W, datasets: [{id: c, rowLevel: {rules: [{name: r, all: true, content: '{\"a\": [1]}'}]}}]}]\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "fuzz.yaml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		d, err := Load([]string{path})
		if err != nil {
			if d != nil {
				t.Fatal("Load returned both a desired state and an error")
			}
			for _, p := range Problems(err) {
				if p.Msg == "" {
					t.Fatalf("problem without a message: %#v", p)
				}
				if p.File != "" && p.File != path {
					t.Fatalf("problem names file %q, want %q", p.File, path)
				}
				if strings.Contains(p.Error(), "goroutine ") {
					t.Fatalf("stack trace in a problem: %s", p.Error())
				}
			}
			return
		}
		if d == nil {
			t.Fatal("Load returned neither a desired state nor an error")
		}
		_ = d.Summary()
		if err := Validate(d); err != nil {
			t.Fatalf("Load accepted what Validate rejects: %v", err)
		}
	})
}
