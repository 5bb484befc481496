package main

import (
	"context"
	"testing"
	"time"
)

// The token's user is known from --token-user, PERMSYNC_TOKEN_USER, or the
// email an email and password login logs in with; a token or a token key
// names nobody, even beside a PERMSYNC_EMAIL it does not log in with.
func TestTokenUserFromTheCredentials(t *testing.T) {
	for _, tc := range []struct {
		name string
		flag string
		env  map[string]string
		want string
	}{
		{"email and password", "", map[string]string{"PERMSYNC_EMAIL": "ops@example.com", "PERMSYNC_PASSWORD": "pw"}, "ops@example.com"},
		{"PERMSYNC_TOKEN_USER first", "", map[string]string{"PERMSYNC_TOKEN_USER": "bot", "PERMSYNC_EMAIL": "ops@example.com", "PERMSYNC_PASSWORD": "pw"}, "bot"},
		{"--token-user first", "me", map[string]string{"PERMSYNC_TOKEN_USER": "bot", "PERMSYNC_TOKEN": "t"}, "me"},
		{"a token", "", map[string]string{"PERMSYNC_TOKEN": "t"}, ""},
		{"a token beside an email", "", map[string]string{"PERMSYNC_TOKEN": "t", "PERMSYNC_EMAIL": "ops@example.com"}, ""},
		{"a token key beside an email and password", "", map[string]string{"PERMSYNC_TOKEN_KEY": "k", "PERMSYNC_EMAIL": "ops@example.com", "PERMSYNC_PASSWORD": "pw"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"PERMSYNC_SERVER": "https://youdata.example.com"}
			for k, v := range tc.env {
				env[k] = v
			}
			pf := &planFlags{files: stringList{"desired"}, tokenUser: tc.flag, statePath: "state.json",
				server: &serverFlags{rps: -1, concurrency: 1, timeout: time.Second}}
			s, err := pf.connect(context.Background(), &cmdEnv{getenv: func(k string) string { return env[k] }})
			if err != nil {
				t.Fatal(err)
			}
			defer s.close()
			if s.tokenUser != tc.want {
				t.Errorf("token user %q, want %q", s.tokenUser, tc.want)
			}
		})
	}
}
