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
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	secretFile := file("secret", "  s3cret-from-file\n")
	tokenFile := file("token", "sts-from-file\n")
	idFile := file("id", "LTAIfromfile\n")
	empty := file("empty", " \n")
	for _, tc := range []struct {
		name string
		env  map[string]string
		want Credentials
		err  string
	}{
		{"pair", map[string]string{"PERMSYNC_ACCESS_KEY_ID": " LTAIid ", "PERMSYNC_ACCESS_KEY_SECRET": "s"}, Credentials{AccessKeyID: "LTAIid", AccessKeySecret: "s"}, ""},
		{"files", map[string]string{"PERMSYNC_ACCESS_KEY_ID_FILE": idFile, "PERMSYNC_ACCESS_KEY_SECRET_FILE": secretFile, "PERMSYNC_SECURITY_TOKEN_FILE": tokenFile},
			Credentials{AccessKeyID: "LTAIfromfile", AccessKeySecret: "s3cret-from-file", SecurityToken: "sts-from-file"}, ""},
		{"sts", map[string]string{"PERMSYNC_ACCESS_KEY_ID": "STS.id", "PERMSYNC_ACCESS_KEY_SECRET": "s", "PERMSYNC_SECURITY_TOKEN": "tok"}, Credentials{AccessKeyID: "STS.id", AccessKeySecret: "s", SecurityToken: "tok"}, ""},
		{"nothing", map[string]string{}, Credentials{}, "no credentials"},
		{"id only", map[string]string{"PERMSYNC_ACCESS_KEY_ID": "id"}, Credentials{}, "without a secret"},
		{"secret only", map[string]string{"PERMSYNC_ACCESS_KEY_SECRET": "s"}, Credentials{}, "without an id"},
		{"token only", map[string]string{"PERMSYNC_SECURITY_TOKEN": "t"}, Credentials{}, "without an id"},
		{"both", map[string]string{"PERMSYNC_ACCESS_KEY_ID": "id", "PERMSYNC_ACCESS_KEY_SECRET": "s", "PERMSYNC_ACCESS_KEY_SECRET_FILE": secretFile}, Credentials{}, "both PERMSYNC_ACCESS_KEY_SECRET and PERMSYNC_ACCESS_KEY_SECRET_FILE"},
		{"missing file", map[string]string{"PERMSYNC_ACCESS_KEY_ID": "id", "PERMSYNC_ACCESS_KEY_SECRET_FILE": filepath.Join(dir, "nope")}, Credentials{}, "reading PERMSYNC_ACCESS_KEY_SECRET_FILE"},
		{"empty file", map[string]string{"PERMSYNC_ACCESS_KEY_ID": "id", "PERMSYNC_ACCESS_KEY_SECRET_FILE": empty}, Credentials{}, "is empty"},
		{"id with a comma", map[string]string{"PERMSYNC_ACCESS_KEY_ID": "a,b", "PERMSYNC_ACCESS_KEY_SECRET": "s"}, Credentials{}, "comma"},
		{"token with a newline", map[string]string{"PERMSYNC_ACCESS_KEY_ID": "id", "PERMSYNC_ACCESS_KEY_SECRET": "s", "PERMSYNC_SECURITY_TOKEN": "a\nb"}, Credentials{}, "control character"},
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
				for _, v := range tc.env {
					if len(v) > 3 && !strings.HasPrefix(v, dir) && strings.Contains(err.Error(), v) {
						t.Errorf("error shows a value: %v", err)
					}
				}
				if strings.Contains(err.Error(), "s3cret-from-file") {
					t.Errorf("error shows a file's content: %v", err)
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

func TestRedactedID(t *testing.T) {
	for in, want := range map[string]string{"": "****", "short": "****", "LTAI5tTESTKEYID0000wxyz": "LTAI****wxyz"} {
		if got := redactID(in); got != want {
			t.Errorf("redactID(%q) = %q, want %q", in, got, want)
		}
	}
}
