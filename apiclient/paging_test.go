package apiclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// pagedServer serves n users from getAllUsers and projectUser/list.
// claimTotal is the total projectUser/list reports (n when 0; -1: a bare
// list without total). ignoreOffset makes it always serve the first page.
func pagedServer(t *testing.T, n, claimTotal int, ignoreOffset bool) *fakeServer {
	return newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if ignoreOffset {
			offset = 0
		}
		var page []map[string]any
		for i := offset; i < n && i < offset+limit; i++ {
			page = append(page, map[string]any{"id": i + 1, "uniqueId": fmt.Sprintf("u%03d", i)})
		}
		if page == nil {
			page = []map[string]any{}
		}
		switch r.URL.Path {
		case "/api/dash/user/getAllUsers":
			writeJSON(w, 200, ok(page))
		case "/api/dash/projectUser/list":
			total := n
			if claimTotal != 0 {
				total = claimTotal
			}
			if total < 0 {
				writeJSON(w, 200, ok(page))
				return
			}
			writeJSON(w, 200, ok(map[string]any{"list": page, "total": total}))
		}
	})
}

func TestAllUsers(t *testing.T) {
	for _, tc := range []struct {
		n, calls int
	}{{0, 1}, {99, 1}, {250, 3}, {200, 3}} {
		fs := pagedServer(t, tc.n, 0, false)
		c := newTestClient(t, testConfig(fs.URL))
		users, err := c.AllUsers(context.Background(), 100)
		if err != nil {
			t.Fatalf("%d users: %v", tc.n, err)
		}
		if len(users) != tc.n {
			t.Errorf("%d users: got %d", tc.n, len(users))
		}
		for i, u := range users {
			if u.UniqueID != fmt.Sprintf("u%03d", i) {
				t.Fatalf("user %d is %q", i, u.UniqueID)
			}
		}
		if got := fs.count("/api/dash/user/getAllUsers"); got != tc.calls {
			t.Errorf("%d users: %d calls, want %d", tc.n, got, tc.calls)
		}
	}
}

func TestAllUsersServerIgnoresOffset(t *testing.T) {
	fs := pagedServer(t, 250, 0, true)
	c := newTestClient(t, testConfig(fs.URL))
	if _, err := c.AllUsers(context.Background(), 100); err == nil || !strings.Contains(err.Error(), "came twice") {
		t.Fatalf("err = %v", err)
	}
}

func TestAllProjectUsers(t *testing.T) {
	fs := pagedServer(t, 250, 0, false)
	c := newTestClient(t, testConfig(fs.URL))
	ms, err := c.AllProjectUsers(context.Background(), 1, 100)
	if err != nil || len(ms) != 250 {
		t.Fatalf("got %d, %v", len(ms), err)
	}
	if got := fs.count("/api/dash/projectUser/list"); got != 3 {
		t.Errorf("%d calls, want 3 (the total ends the list)", got)
	}

	fs = pagedServer(t, 150, -1, false) // no total: a short page ends it
	c = newTestClient(t, testConfig(fs.URL))
	ms, err = c.AllProjectUsers(context.Background(), 1, 100)
	if err != nil || len(ms) != 150 {
		t.Fatalf("no total: got %d, %v", len(ms), err)
	}
}

// TestAllProjectUsersEndsEarly: the server claims more members than it
// serves: an error, never a short list.
func TestAllProjectUsersEndsEarly(t *testing.T) {
	fs := pagedServer(t, 250, 300, false)
	c := newTestClient(t, testConfig(fs.URL))
	ms, err := c.AllProjectUsers(context.Background(), 1, 100)
	if err == nil || !strings.Contains(err.Error(), "said 300 members but stopped after 250") || ms != nil {
		t.Fatalf("got %d members, err %v", len(ms), err)
	}
}

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
