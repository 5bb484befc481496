package apiclient

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCredentialsFromEnv(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte("  from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want Credentials
		err  string
	}{
		{"token", map[string]string{"PERMSYNC_TOKEN": "t", "PERMSYNC_TOKEN_KEY": "k"}, Credentials{Token: "t"}, ""},
		{"token file", map[string]string{"PERMSYNC_TOKEN_FILE": secretFile}, Credentials{Token: "from-file"}, ""},
		{"token key", map[string]string{"PERMSYNC_TOKEN_KEY": "k", "PERMSYNC_EMAIL": "a@x"}, Credentials{TokenKey: "k"}, ""},
		{"token key file", map[string]string{"PERMSYNC_TOKEN_KEY_FILE": secretFile}, Credentials{TokenKey: "from-file"}, ""},
		{"email and password", map[string]string{"PERMSYNC_EMAIL": "a@x", "PERMSYNC_PASSWORD": "p"}, Credentials{Email: "a@x", Password: "p"}, ""},
		{"password file", map[string]string{"PERMSYNC_EMAIL": "a@x", "PERMSYNC_PASSWORD_FILE": secretFile}, Credentials{Email: "a@x", Password: "from-file"}, ""},
		{"nothing", map[string]string{}, Credentials{}, "no credentials"},
		{"email only", map[string]string{"PERMSYNC_EMAIL": "a@x"}, Credentials{}, "without a password"},
		{"password only", map[string]string{"PERMSYNC_PASSWORD": "p"}, Credentials{}, "without an email"},
		{"both", map[string]string{"PERMSYNC_TOKEN": "t", "PERMSYNC_TOKEN_FILE": secretFile}, Credentials{}, "both PERMSYNC_TOKEN and PERMSYNC_TOKEN_FILE"},
		{"missing file", map[string]string{"PERMSYNC_TOKEN_FILE": filepath.Join(dir, "nope")}, Credentials{}, "reading PERMSYNC_TOKEN_FILE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CredentialsFromEnv(func(k string) string { return tc.env[k] })
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				if tc.name == "nothing" && !errors.Is(err, ErrNoCredentials) {
					t.Errorf("not ErrNoCredentials: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}
