package secretenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "s")
	if err := os.WriteFile(file, []byte("  s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
		err  string
	}{
		{name: "unset", env: nil},
		{name: "variable, trimmed", env: map[string]string{"X": " v "}, want: "v"},
		{name: "file, trimmed", env: map[string]string{"X_FILE": file}, want: "s3cret"},
		{name: "both", env: map[string]string{"X": "v", "X_FILE": file}, err: "both X and X_FILE are set"},
		{name: "missing file", env: map[string]string{"X_FILE": filepath.Join(dir, "none")}, err: "reading X_FILE"},
		{name: "empty file", env: map[string]string{"X_FILE": empty}, err: "is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Read(func(k string) string { return tc.env[k] }, "X")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "s3cret") {
					t.Fatalf("err = %v, want one with %q and no secret", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Read = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
