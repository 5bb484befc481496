package apiclient

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGenTokenRequests(t *testing.T) {
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/dash/util/renewToken" {
			writeJSON(w, 200, ok("ok"))
			return
		}
		writeJSON(w, 200, ok("1503575355359c4fdea8ec1683ed10edd91ae"))
	})
	c := newTestClient(t, testConfig(fs.URL))
	ctx := context.Background()
	tok, err := c.GenTokenKey(ctx, "the-key")
	if err != nil || tok != "1503575355359c4fdea8ec1683ed10edd91ae" {
		t.Fatalf("GenTokenKey = %q, %v", tok, err)
	}
	if _, err := c.GenTokenPassword(ctx, "zhangsan@163.com", "123456"); err != nil {
		t.Fatal(err)
	}
	if err := c.RenewToken(ctx, "update-tok", "old-tok"); err != nil {
		t.Fatal(err)
	}
	reqs := fs.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	for i, want := range []map[string]any{
		{"tokenType": "tokenKey", "key": "the-key"},
		{"tokenType": "userPassword", "email": "zhangsan@163.com", "password": "123456"},
	} {
		r := reqs[i]
		var body map[string]any
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatal(err)
		}
		if r.Method != "POST" || r.Path != "/api/dash/util/genToken" || len(r.Query) != 0 {
			t.Errorf("request %d: %s %s %v", i, r.Method, r.Path, r.Query)
		}
		if d := cmp.Diff(want, body); d != "" {
			t.Errorf("genToken body (-want +got):\n%s", d)
		}
	}
	r := reqs[2]
	if r.Method != "GET" || r.Path != "/api/dash/util/renewToken" || len(r.Body) != 0 {
		t.Errorf("renewToken: %s %s %s", r.Method, r.Path, r.Body)
	}
	if d := cmp.Diff(map[string][]string{"token": {"update-tok"}, "t": {"old-tok"}}, r.Query); d != "" {
		t.Errorf("renewToken query (-want +got):\n%s", d)
	}
}

// TestTokenObtainedLazilyOnce: the token is generated on first use and
// cached for later calls.
func TestTokenObtainedLazilyOnce(t *testing.T) {
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/dash/util/genToken" {
			writeJSON(w, 200, ok("tok-A"))
			return
		}
		if r.URL.Query().Get("token") != "tok-A" {
			writeJSON(w, 200, map[string]any{"code": 403, "message": "wrong token"})
			return
		}
		writeJSON(w, 200, ok([]any{}))
	})
	cfg := testConfig(fs.URL)
	cfg.Credentials = Credentials{Email: "a@x.com", Password: "pw"}
	c := newTestClient(t, cfg)
	if len(fs.requests()) != 0 {
		t.Fatal("New made a request")
	}
	for range 3 {
		if _, err := c.GetAllUsers(context.Background(), 0, 10); err != nil {
			t.Fatal(err)
		}
	}
	if g := fs.count("/api/dash/util/genToken"); g != 1 {
		t.Errorf("genToken %d times, want 1", g)
	}
}

// A server that refuses the credentials is asked once per run: every call
// waiting for the token gets the same refusal, and a wrong password cannot
// lock the account through repeated attempts.
func TestRefusedCredentialsTriedOnce(t *testing.T) {
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"code": 400, "message": "密码错误"}`))
	})
	cfg := testConfig(fs.URL)
	cfg.Credentials = Credentials{Email: "admin@corp.com", Password: "wrong-pass-123"}
	cfg.Concurrency = 8
	c := newTestClient(t, cfg)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = c.ListProjects(context.Background())
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		var ae *APIError
		if !errors.As(err, &ae) || ae.Message != "密码错误" {
			t.Errorf("call %d: %v, want the server's refusal", i, err)
		}
	}
	if n := fs.count("/api/dash/util/genToken"); n != 1 {
		t.Errorf("genToken asked %d times, want once", n)
	}
}

// A transient failure of genToken is not remembered: the next call logs in.
func TestTransientLoginFailureNotRemembered(t *testing.T) {
	var mu sync.Mutex
	fail := true
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path == "/api/dash/util/genToken" {
			if fail {
				fail = false
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			w.Write([]byte(`{"code": 200, "result": "tok-1"}`))
			return
		}
		w.Write([]byte(`{"code": 200, "result": {"list": [], "count": 0}}`))
	})
	cfg := testConfig(fs.URL)
	cfg.Credentials = Credentials{TokenKey: "key-abc"}
	cfg.Retry.MaxAttempts = 1
	c := newTestClient(t, cfg)
	if _, err := c.ListProjects(context.Background()); err == nil {
		t.Fatal("the first call succeeded despite a failing login")
	}
	if _, err := c.ListProjects(context.Background()); err != nil {
		t.Fatalf("second call: %v", err)
	}
}
