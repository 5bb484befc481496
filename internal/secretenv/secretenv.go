// Package secretenv reads a secret from the environment: the variable
// itself, or the file its _FILE variant names (a mounted Kubernetes or
// Docker secret). Errors name the variable and the file, never the
// contents.
package secretenv

import (
	"fmt"
	"os"
	"strings"
)

// Read returns the value of name, or the contents of the file named by
// name_FILE, with surrounding white space trimmed; "" when neither is
// set. Setting both, an unreadable file and an empty file are errors.
func Read(getenv func(string) string, name string) (string, error) {
	v := getenv(name)
	file := getenv(name + "_FILE")
	if v != "" && file != "" {
		return "", fmt.Errorf("both %s and %s_FILE are set; set one", name, name)
	}
	if file == "" {
		return strings.TrimSpace(v), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		// The *PathError names the file and the reason, not the contents.
		return "", fmt.Errorf("reading %s_FILE: %w", name, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("%s_FILE %s is empty", name, file)
	}
	return s, nil
}
