package apiclient

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestEnvelopeErrors(t *testing.T) {
	big := `{"code":200,"result":"` + strings.Repeat("x", 4096) + `"}`
	cases := []struct {
		name      string
		handler   http.HandlerFunc
		check     func(t *testing.T, err error)
		retryable bool
		attempts  int
	}{
		{
			name: "code != 200 with HTTP 200",
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 200, map[string]any{"code": 500, "message": "对应的项目不存在", "logPath": "http://x/log/1"})
			},
			check: func(t *testing.T, err error) {
				var ae *APIError
				if !errors.As(err, &ae) {
					t.Fatalf("not an APIError: %v", err)
				}
				if ae.HTTPStatus != 200 || ae.Code != 500 || ae.Message != "对应的项目不存在" || ae.Endpoint != "project/list" || ae.LogPath != "http://x/log/1" {
					t.Errorf("APIError = %+v", ae)
				}
			},
			attempts: 1,
		},
		{
			name: "HTML instead of JSON",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(200)
				_, _ = w.Write([]byte("<html><body>login</body></html>"))
			},
			check: func(t *testing.T, err error) {
				var re *ResponseError
				if !errors.As(err, &re) || !strings.Contains(err.Error(), "not JSON") || !strings.Contains(err.Error(), "project/list") {
					t.Errorf("err = %v", err)
				}
			},
			attempts: 1,
		},
		{
			name: "truncated JSON",
			handler: func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte(`{"code":200,"result":{"list":[{"id":1`))
			},
			check: func(t *testing.T, err error) {
				var re *ResponseError
				if !errors.As(err, &re) || !strings.Contains(err.Error(), "truncated") {
					t.Errorf("err = %v", err)
				}
			},
			attempts: 1,
		},
		{
			name: "connection cut mid-body",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", "1000")
				_, _ = w.Write([]byte(`{"code":200,"result":`))
			},
			check: func(t *testing.T, err error) {
				var te *TransportError
				if !errors.As(err, &te) || !strings.Contains(err.Error(), "reading the answer") {
					t.Errorf("err = %v", err)
				}
			},
			retryable: true,
			attempts:  4,
		},
		{
			name:    "body over the cap",
			handler: func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(big)) },
			check: func(t *testing.T, err error) {
				var re *ResponseError
				if !errors.As(err, &re) || !strings.Contains(err.Error(), "1024-byte cap") {
					t.Errorf("err = %v", err)
				}
			},
			attempts: 1,
		},
		{
			name: "answer without code",
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 200, map[string]any{"list": []any{}})
			},
			check: func(t *testing.T, err error) {
				var re *ResponseError
				if !errors.As(err, &re) || !strings.Contains(err.Error(), "without a code") {
					t.Errorf("err = %v", err)
				}
			},
			attempts: 1,
		},
		{
			name: "HTTP 400",
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 400, map[string]any{"code": 400, "message": "bad"})
			},
			check: func(t *testing.T, err error) {
				var ae *APIError
				if !errors.As(err, &ae) || ae.HTTPStatus != 400 || ae.Code != 400 {
					t.Errorf("err = %v", err)
				}
			},
			attempts: 1,
		},
		{
			name: "HTTP 502 with an HTML page",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(502)
				_, _ = w.Write([]byte("<html>Bad Gateway</html>"))
			},
			check: func(t *testing.T, err error) {
				var ae *APIError
				if !errors.As(err, &ae) || ae.HTTPStatus != 502 || !strings.Contains(ae.Message, "Bad Gateway") {
					t.Errorf("err = %v", err)
				}
			},
			retryable: true,
			attempts:  4,
		},
		{
			name: "slow answer",
			handler: func(w http.ResponseWriter, r *http.Request) {
				<-r.Context().Done() // never answers; the client's timeout ends it
			},
			check: func(t *testing.T, err error) {
				var te *TransportError
				if !errors.As(err, &te) || !te.Timeout {
					t.Errorf("err = %v", err)
				}
			},
			retryable: true,
			attempts:  4,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := newFakeServer(t, tc.handler)
			cfg := testConfig(fs.URL)
			cfg.MaxResponseBytes = 1024
			cfg.Timeout = 50 * time.Millisecond
			c := newTestClient(t, cfg)
			recordSleeps(c)
			_, err := c.ListProjects(context.Background())
			if err == nil {
				t.Fatal("no error")
			}
			tc.check(t, err)
			if got := IsRetryable(err); got != tc.retryable {
				t.Errorf("IsRetryable = %v, want %v (%v)", got, tc.retryable, err)
			}
			if n := fs.count("/api/dash/project/list"); n != tc.attempts {
				t.Errorf("%d attempts, want %d", n, tc.attempts)
			}
		})
	}
}

func TestIsRetryable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{&APIError{HTTPStatus: 429}, true},
		{&APIError{HTTPStatus: 500}, true},
		{&APIError{HTTPStatus: 503, Code: 503}, true},
		{&APIError{HTTPStatus: 404}, false},
		{&APIError{HTTPStatus: 200, Code: 500}, false},
		{&APIError{HTTPStatus: 200, Code: 429}, false},
		{&TransportError{Timeout: true}, true},
		{&TransportError{}, true},
		{&TransportError{Canceled: true}, false},
		{&TransportError{Permanent: true}, false},
		{&ResponseError{}, false},
		{context.Canceled, false},
		{errors.New("other"), false},
		{errors.Join(ErrTokenExpired, &APIError{HTTPStatus: 500}), false},
	} {
		if got := IsRetryable(tc.err); got != tc.want {
			t.Errorf("IsRetryable(%#v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// TestRetryUntilSuccess: a retryable failure is retried, with backoff,
// until it succeeds.
func TestRetryUntilSuccess(t *testing.T) {
	var n atomic.Int32
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 2 {
			writeJSON(w, 503, map[string]any{"code": 503, "message": "busy"})
			return
		}
		writeJSON(w, 200, ok(map[string]any{"list": []any{map[string]any{"id": 1, "name": "p"}}}))
	})
	cfg := testConfig(fs.URL)
	cfg.Retry = RetryPolicy{MaxAttempts: 5, BaseDelay: time.Millisecond, MaxDelay: 8 * time.Millisecond}
	c := newTestClient(t, cfg)
	delays := recordSleeps(c)
	ps, err := c.ListProjects(context.Background())
	if err != nil || len(ps) != 1 {
		t.Fatalf("ListProjects = %v, %v", ps, err)
	}
	if got := fs.count("/api/dash/project/list"); got != 3 {
		t.Errorf("%d attempts, want 3", got)
	}
	if len(*delays) != 2 {
		t.Fatalf("%d waits, want 2", len(*delays))
	}
	for i, d := range *delays {
		if ceil := time.Millisecond << i; d < 0 || d > ceil {
			t.Errorf("wait %d = %s, want within [0, %s]", i, d, ceil)
		}
	}
}

// TestRetryBudgetEnds: a failure that stays retryable ends after
// MaxAttempts.
func TestRetryBudgetEnds(t *testing.T) {
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 500, map[string]any{"code": 500, "message": "down"})
	})
	cfg := testConfig(fs.URL)
	cfg.Retry.MaxAttempts = 3
	c := newTestClient(t, cfg)
	recordSleeps(c)
	_, err := c.GetAllUsers(context.Background(), 0, 10)
	var ae *APIError
	if !errors.As(err, &ae) || ae.HTTPStatus != 500 || !strings.Contains(err.Error(), "giving up after 3 attempts") {
		t.Fatalf("err = %v", err)
	}
	if got := fs.count("/api/dash/user/getAllUsers"); got != 3 {
		t.Errorf("%d attempts, want 3", got)
	}
}

// TestNoRetryOnNonRetryable: an APIError that is not retryable is
// returned after one attempt.
func TestNoRetryOnNonRetryable(t *testing.T) {
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"code": 400, "message": "对应的用户不存在"})
	})
	c := newTestClient(t, testConfig(fs.URL))
	delays := recordSleeps(c)
	err := c.DelRoles(context.Background(), DelRolesRequest{UniqueIDs: []string{"a"}, ProjectID: 1, RoleNames: []string{"r"}})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != 400 {
		t.Fatalf("err = %v", err)
	}
	if got := fs.count("/api/dash/user/delRoles"); got != 1 || len(*delays) != 0 {
		t.Errorf("%d attempts and %d waits, want 1 and 0", got, len(*delays))
	}
}

// TestNoRetryOnNonIdempotentWrite: group/add is never retried, even on a
// retryable error.
func TestNoRetryOnNonIdempotentWrite(t *testing.T) {
	for _, tc := range []struct {
		path string
		call func(c *Client) error
	}{
		{"group/add", func(c *Client) error {
			_, err := c.AddGroup(context.Background(), GroupAddRequest{ProjectID: 1, Title: "g"})
			return err
		}},
		{"systemRole/add", func(c *Client) error { _, err := c.AddSystemRole(context.Background(), "s", ""); return err }},
		{"project/add", func(c *Client) error {
			return c.AddProject(context.Background(), ProjectAddRequest{Name: "p", ReceiverList: []Receiver{{Type: "user", Name: "u"}}})
		}},
		{"role/folder/add", func(c *Client) error {
			_, err := c.AddRoleFolder(context.Background(), RoleFolderAddRequest{ProjectID: 1, Name: "f", ManagementType: FolderTypeRole})
			return err
		}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 503, map[string]any{"code": 503, "message": "busy"})
			})
			c := newTestClient(t, testConfig(fs.URL))
			recordSleeps(c)
			err := tc.call(c)
			if !IsRetryable(err) {
				t.Fatalf("err = %v, want a retryable error", err)
			}
			if got := fs.count("/api/dash/" + tc.path); got != 1 {
				t.Errorf("%d attempts, want 1", got)
			}
		})
	}
}

// TestRetryAfter: a 429's Retry-After sets the wait; one beyond the time
// budget ends the retries at once.
func TestRetryAfter(t *testing.T) {
	var n atomic.Int32
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "2")
			writeJSON(w, 429, map[string]any{"code": 429, "message": "slow down"})
			return
		}
		writeJSON(w, 200, ok([]any{}))
	})
	c := newTestClient(t, testConfig(fs.URL))
	delays := recordSleeps(c)
	if _, err := c.GetAllUsers(context.Background(), 0, 10); err != nil {
		t.Fatal(err)
	}
	if len(*delays) != 1 || (*delays)[0] != 2*time.Second {
		t.Errorf("waits = %v, want [2s]", *delays)
	}

	fs2 := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		writeJSON(w, 429, map[string]any{"code": 429})
	})
	c2 := newTestClient(t, testConfig(fs2.URL))
	delays2 := recordSleeps(c2)
	_, err := c2.GetAllUsers(context.Background(), 0, 10)
	var ae *APIError
	if !errors.As(err, &ae) || ae.RetryAfter != 120*time.Second || !strings.Contains(err.Error(), "budget") {
		t.Fatalf("err = %v", err)
	}
	if fs2.count("/api/dash/user/getAllUsers") != 1 || len(*delays2) != 0 {
		t.Errorf("retried despite a Retry-After beyond the budget: waits %v", *delays2)
	}
}

func TestBackoffBounds(t *testing.T) {
	c := newTestClient(t, Config{Server: "http://x", Credentials: Credentials{Token: "t"},
		Retry: RetryPolicy{BaseDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond}})
	for attempt := 1; attempt <= 10; attempt++ {
		ceil := min(10*time.Millisecond<<(attempt-1), 50*time.Millisecond)
		for range 200 {
			if d := c.backoff(attempt, errors.New("x")); d < 0 || d > ceil {
				t.Fatalf("backoff(%d) = %s, want within [0, %s]", attempt, d, ceil)
			}
		}
	}
}

func TestContextCancelStopsRetries(t *testing.T) {
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 500, map[string]any{"code": 500})
	})
	c := newTestClient(t, testConfig(fs.URL))
	ctx, cancel := context.WithCancel(context.Background())
	c.sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled }
	_, err := c.ListProjects(ctx)
	if !errors.Is(err, context.Canceled) || IsRetryable(err) {
		t.Fatalf("err = %v", err)
	}
	if got := fs.count("/api/dash/project/list"); got != 1 {
		t.Errorf("%d attempts, want 1", got)
	}
}

// TestTokenRenewedOnce: on code 401 the token is regenerated once and the
// request repeated; a second rejection is an error.
func TestTokenRenewedOnce(t *testing.T) {
	for _, viaHTTP := range []bool{false, true} {
		name := "code 401"
		if viaHTTP {
			name = "HTTP 401"
		}
		t.Run(name, func(t *testing.T) {
			var gens atomic.Int32
			fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/api/dash/util/genToken" {
					writeJSON(w, 200, ok("tok-"+string(rune('0'+gens.Add(1)))))
					return
				}
				if r.URL.Query().Get("token") != "tok-2" {
					if viaHTTP {
						writeJSON(w, 401, map[string]any{"code": 401, "message": "token无效或已过期"})
					} else {
						writeJSON(w, 200, map[string]any{"code": CodeTokenInvalid, "message": "token无效或已过期"})
					}
					return
				}
				writeJSON(w, 200, ok([]any{map[string]any{"id": 1, "uniqueId": "a"}}))
			})
			cfg := testConfig(fs.URL)
			cfg.Credentials = Credentials{TokenKey: "key-1"}
			c := newTestClient(t, cfg)
			users, err := c.GetAllUsers(context.Background(), 0, 10)
			if err != nil || len(users) != 1 {
				t.Fatalf("GetAllUsers = %v, %v", users, err)
			}
			if g, u := fs.count("/api/dash/util/genToken"), fs.count("/api/dash/user/getAllUsers"); g != 2 || u != 2 {
				t.Errorf("genToken %d times, getAllUsers %d times, want 2 and 2", g, u)
			}
		})
	}
}

func TestTokenRejectedAfterRenewal(t *testing.T) {
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/dash/util/genToken" {
			writeJSON(w, 200, ok("tok"))
			return
		}
		writeJSON(w, 200, map[string]any{"code": CodeTokenInvalid, "message": "token无效或已过期"})
	})
	cfg := testConfig(fs.URL)
	cfg.Credentials = Credentials{Email: "a@x.com", Password: "pw"}
	c := newTestClient(t, cfg)
	_, err := c.ListProjects(context.Background())
	if !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("err = %v", err)
	}
	if g := fs.count("/api/dash/util/genToken"); g != 2 {
		t.Errorf("genToken %d times, want 2 (one renewal)", g)
	}
}

func TestFixedTokenCannotBeRenewed(t *testing.T) {
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"code": CodeTokenInvalid, "message": "token无效或已过期"})
	})
	c := newTestClient(t, testConfig(fs.URL))
	_, err := c.ListProjects(context.Background())
	if !errors.Is(err, ErrTokenExpired) || !strings.Contains(err.Error(), "cannot be renewed") {
		t.Fatalf("err = %v", err)
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != CodeTokenInvalid {
		t.Errorf("the APIError is not reachable: %v", err)
	}
	if fs.count("/api/dash/util/genToken") != 0 || fs.count("/api/dash/project/list") != 1 {
		t.Errorf("requests: %+v", fs.requests())
	}
}

// TestConcurrentRenewal: many calls rejected at once renew the token once.
func TestConcurrentRenewal(t *testing.T) {
	var gens atomic.Int32
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/dash/util/genToken" {
			writeJSON(w, 200, ok("tok-"+string(rune('0'+gens.Add(1)))))
			return
		}
		if r.URL.Query().Get("token") == "tok-1" {
			writeJSON(w, 200, map[string]any{"code": CodeTokenInvalid})
			return
		}
		writeJSON(w, 200, ok(map[string]any{"list": []any{}}))
	})
	cfg := testConfig(fs.URL)
	cfg.Credentials = Credentials{TokenKey: "k"}
	c := newTestClient(t, cfg)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.ListProjects(context.Background())
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if g := fs.count("/api/dash/util/genToken"); g != 2 {
		t.Errorf("genToken %d times, want 2", g)
	}
}

// TestConcurrencyBound: no more than Concurrency requests are in flight.
func TestConcurrencyBound(t *testing.T) {
	var inflight, peak atomic.Int32
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		inflight.Add(-1)
		writeJSON(w, 200, ok(map[string]any{"list": []any{}}))
	})
	cfg := testConfig(fs.URL)
	cfg.Concurrency = 2
	c := newTestClient(t, cfg)
	var wg sync.WaitGroup
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.ListProjects(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > 2 || p < 1 {
		t.Errorf("peak in flight = %d, want 1..2", p)
	}
	if got := fs.count("/api/dash/project/list"); got != 12 {
		t.Errorf("%d requests, want 12", got)
	}
}

func TestRateLimiterConfig(t *testing.T) {
	c := newTestClient(t, Config{Server: "http://x", Credentials: Credentials{Token: "t"}})
	if c.limiter.Limit() != DefaultRPS || c.limiter.Burst() != DefaultRPS || cap(c.sem) != DefaultConcurrency {
		t.Errorf("limit %v burst %d concurrency %d", c.limiter.Limit(), c.limiter.Burst(), cap(c.sem))
	}
	c = newTestClient(t, Config{Server: "http://x", Credentials: Credentials{Token: "t"}, RPS: 2.5, Burst: 1, Concurrency: 7})
	if c.limiter.Limit() != 2.5 || c.limiter.Burst() != 1 || cap(c.sem) != 7 {
		t.Errorf("limit %v burst %d concurrency %d", c.limiter.Limit(), c.limiter.Burst(), cap(c.sem))
	}
}

func TestProjectAnswersWithoutCodeRejectedUnlessDocumented(t *testing.T) {
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/dash/role/folder/add":
			writeJSON(w, 200, map[string]any{"titleRepeat": true, "newTitle": "f(1)"})
		default:
			writeJSON(w, 200, map[string]any{"result": 3})
		}
	})
	c := newTestClient(t, testConfig(fs.URL))
	_, err := c.AddRoleFolder(context.Background(), RoleFolderAddRequest{ProjectID: 1, Name: "f"})
	if !errors.Is(err, ErrAlreadyExists) {
		t.Errorf("AddRoleFolder: %v", err)
	}
	_, err = c.AddGroup(context.Background(), GroupAddRequest{ProjectID: 1, Title: "g"})
	var re *ResponseError
	if !errors.As(err, &re) {
		t.Errorf("AddGroup with an answer without code: %v", err)
	}
}
