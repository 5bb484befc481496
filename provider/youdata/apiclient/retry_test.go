package apiclient

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestWriteNotRetriedWhileItMayStillRun: after a client-side timeout or an
// HTTP 504 the first request may still be running on the server, so an
// (otherwise idempotent) write is not sent again, and its error says the
// server may have applied it. A read is retried as before.
func TestWriteNotRetriedWhileItMayStillRun(t *testing.T) {
	importRole := func(c *Client) error {
		_, err := c.ImportDataPermissions(context.Background(), ImportDataPermissionsRequest{ProjectID: 1, RoleName: "r", Path: []string{"新文件夹"}})
		return err
	}
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"timeout", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }},
		{"HTTP 504", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusGatewayTimeout, map[string]any{"code": 504, "message": "upstream timed out"})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := newFakeServer(t, tc.handler)
			cfg := testConfig(fs.URL)
			cfg.Timeout = 20 * time.Millisecond
			c := newTestClient(t, cfg)
			recordSleeps(c)
			err := importRole(c)
			if err == nil || !strings.Contains(err.Error(), "the server may have applied it") {
				t.Fatalf("err = %v, want one saying the server may have applied it", err)
			}
			if got := fs.count("/api/dash/role/importDataPermissions"); got != 1 {
				t.Errorf("importDataPermissions sent %d times, want 1", got)
			}
			// A read is retried.
			if _, err := c.ListProjects(context.Background()); err == nil {
				t.Fatal("ListProjects: no error")
			}
			if got := fs.count("/api/dash/project/list"); got != c.retry.MaxAttempts {
				t.Errorf("project/list sent %d times, want %d", got, c.retry.MaxAttempts)
			}
		})
	}
}

// TestNonIdempotentWriteErrorSaysMayBeApplied: a 5xx on group/add is not
// retried, and the error says the group may exist; a 429 refused the
// request, so its error does not.
func TestNonIdempotentWriteErrorSaysMayBeApplied(t *testing.T) {
	for _, tc := range []struct {
		status int
		want   bool
	}{{503, true}, {500, true}, {429, false}} {
		fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, tc.status, map[string]any{"code": tc.status})
		})
		c := newTestClient(t, testConfig(fs.URL))
		recordSleeps(c)
		_, err := c.AddGroup(context.Background(), GroupAddRequest{ProjectID: 1, Title: "g"})
		if err == nil {
			t.Fatalf("HTTP %d: no error", tc.status)
		}
		if got := strings.Contains(err.Error(), "may have applied it"); got != tc.want {
			t.Errorf("HTTP %d: err = %v; says it may have been applied: %v, want %v", tc.status, err, got, tc.want)
		}
		if n := fs.count("/api/dash/group/add"); n != 1 {
			t.Errorf("HTTP %d: group/add sent %d times, want 1", tc.status, n)
		}
	}
}

// TestRetryBudgetExcludesQueueing: the time a call waits for the client's
// own rate limit before its first attempt does not spend its retry
// budget. The second call below waits for the limiter far longer than the
// budget, and is still retried.
func TestRetryBudgetExcludesQueueing(t *testing.T) {
	var n atomic.Int32
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 2 {
			writeJSON(w, 503, map[string]any{"code": 503})
			return
		}
		writeJSON(w, 200, ok(map[string]any{"list": []any{}}))
	})
	cfg := testConfig(fs.URL)
	cfg.RPS, cfg.Burst = 20, 1 // the second request waits about 50ms
	cfg.Retry.MaxElapsed = time.Millisecond
	c := newTestClient(t, cfg)
	recordSleeps(c)
	frozen := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return frozen } // the budget's clock: no time passes after the failure
	for i := 0; i < 2; i++ {
		if _, err := c.ListProjects(context.Background()); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	if got := fs.count("/api/dash/project/list"); got != 3 {
		t.Errorf("%d requests, want 3", got)
	}
}

// TestRateLimitBeyondDeadlineNotRetried: when the caller's deadline comes
// before the rate limit lets a request go, the call ends at once; waiting
// and trying again cannot help.
func TestRateLimitBeyondDeadlineNotRetried(t *testing.T) {
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, ok(map[string]any{"list": []any{}}))
	})
	cfg := testConfig(fs.URL)
	cfg.RPS, cfg.Burst = 0.001, 1 // one request, then one every 1000s
	c := newTestClient(t, cfg)
	delays := recordSleeps(c)
	if _, err := c.ListProjects(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := c.ListProjects(ctx)
	var te *TransportError
	if !errors.As(err, &te) || !te.Canceled || IsRetryable(err) {
		t.Fatalf("err = %v, want a canceled, non-retryable TransportError", err)
	}
	if len(*delays) != 0 || fs.count("/api/dash/project/list") != 1 {
		t.Errorf("%d waits and %d requests, want 0 and 1", len(*delays), fs.count("/api/dash/project/list"))
	}
}
