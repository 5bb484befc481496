package youdatatest

import (
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestQuickstartSeed loads the quickstart's "before" server and checks it
// speaks of the same company as the desired files: the same projects,
// departments referenced by users and roles, and attributes.
func TestQuickstartSeed(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "examples", "quickstart")
	seed, err := LoadSeed(filepath.Join(dir, "server-before.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{Seed: seed})
	defer s.Close()
	st := s.Snapshot()

	files, err := filepath.Glob(filepath.Join(dir, "desired", "*", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	top, _ := filepath.Glob(filepath.Join(dir, "desired", "*.yaml"))
	files = append(files, top...)
	if len(files) == 0 {
		t.Skip("no desired files")
	}
	var projects, attrs int
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Projects []struct {
				Name string `json:"name"`
			} `json:"projects"`
			Users []struct {
				UniqueID string              `json:"uniqueId"`
				Attrs    map[string][]string `json:"attrs"`
			} `json:"users"`
		}
		if err := yaml.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, p := range doc.Projects {
			projects++
			if st.ProjectByName(p.Name) == nil {
				t.Errorf("%s: project %q is not on the before server", f, p.Name)
			}
		}
		for _, u := range doc.Users {
			for name := range u.Attrs {
				attrs++
				if !s.attributeDefined(name) {
					t.Errorf("%s: user %s sets attribute %q the server does not define", f, u.UniqueID, name)
				}
			}
		}
	}
	if projects == 0 || attrs == 0 {
		t.Fatalf("read %d projects and %d attributes from %d desired files", projects, attrs, len(files))
	}
	if st.Admin != "bi.admin@example.com" {
		t.Errorf("admin = %q", st.Admin)
	}
}
