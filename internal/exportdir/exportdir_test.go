package exportdir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestYAMLFilesAndCheck(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"a.yaml", "p/b.YML", ".git/c.yaml", "notes.txt", "p/.hidden/d.yaml"} {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := YAMLFiles(dir)
	if err != nil || strings.Join(got, ",") != "a.yaml,p/b.YML" {
		t.Errorf("YAMLFiles = %q, %v; want what spec.Load reads, hidden folders skipped", got, err)
	}
	if err := Check(dir); err == nil || !strings.Contains(err.Error(), "already holds YAML files (a.yaml, p/b.YML)") {
		t.Errorf("Check = %v", err)
	}
	if got, err := YAMLFiles(filepath.Join(dir, "missing")); err != nil || len(got) != 0 {
		t.Errorf("a missing directory: %q, %v", got, err)
	}
	if err := Check(filepath.Join(dir, "p", ".hidden")); err == nil {
		t.Error("a hidden directory given itself is read")
	}
	many := HoldsYAML("d", []string{"1.yaml", "2.yaml", "3.yaml", "4.yaml", "5.yaml"})
	if !strings.Contains(many.Error(), "(1.yaml, 2.yaml, 3.yaml and 2 more)") {
		t.Errorf("HoldsYAML = %v", many)
	}
}
