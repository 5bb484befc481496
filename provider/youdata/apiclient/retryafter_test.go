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

// fakeClock makes the client's retry waits instant and moves its budget
// clock on by each wait, and records the waits.
func fakeClock(c *Client) *[]time.Duration {
	var mu sync.Mutex
	var waits []time.Duration
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	c.now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	c.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		waits = append(waits, d)
		now = now.Add(d)
		return ctx.Err()
	}
	return &waits
}

// answers serves the given answers in turn: a status, and a Retry-After
// when not empty; the last one is repeated.
type answer struct {
	status     int
	retryAfter string
}

func answers(t *testing.T, as ...answer) *fakeServer {
	var n atomic.Int32
	return newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		i := min(int(n.Add(1))-1, len(as)-1)
		a := as[i]
		if a.retryAfter != "" {
			w.Header().Set("Retry-After", a.retryAfter)
		}
		if a.status == http.StatusOK {
			writeJSON(w, 200, ok([]any{}))
			return
		}
		writeJSON(w, a.status, map[string]any{"code": a.status, "message": "slow down"})
	})
}

// TestRetryAfterBeyondBudget: a server asking to come back later than the
// retry budget allows ends the call at once, and the error says what the
// server asked, what the budget allowed, and what to do, instead of a
// budget "spent" in no time.
func TestRetryAfterBeyondBudget(t *testing.T) {
	for _, tc := range []struct {
		name    string
		policy  RetryPolicy
		answers []answer
		want    []string
		waits   int
		calls   int
	}{
		{"first answer, default budget", RetryPolicy{}, []answer{{429, "120"}},
			[]string{"the server asked to retry after 120s (Retry-After), more than the 30s retry budget left", "raise --retry-budget", "HTTP 429"}, 0, 1},
		{"HTTP 503", RetryPolicy{}, []answer{{503, "45"}},
			[]string{"retry after 45s (Retry-After), more than the 30s retry budget left", "HTTP 503"}, 0, 1},
		{"late in the budget", RetryPolicy{MaxElapsed: 30 * time.Second},
			[]answer{{503, "10"}, {503, "10"}, {429, "15"}},
			[]string{"retry after 15s (Retry-After), more than the 10s left of the 30s retry budget", "gave up after 3 attempts", "HTTP 429"}, 2, 3},
		{"beyond MaxRetryAfter", RetryPolicy{MaxRetryAfter: 5 * time.Second},
			[]answer{{429, "10"}},
			[]string{"retry after 10s (Retry-After), more than the longest wait for a Retry-After (5s)"}, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := answers(t, tc.answers...)
			cfg := testConfig(fs.URL)
			cfg.Retry.MaxElapsed, cfg.Retry.MaxRetryAfter = tc.policy.MaxElapsed, tc.policy.MaxRetryAfter
			c := newTestClient(t, cfg)
			waits := fakeClock(c)
			_, err := c.GetAllUsers(context.Background(), 0, 10)
			var rae *RetryAfterError
			if !errors.As(err, &rae) {
				t.Fatalf("err = %v, want a RetryAfterError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "spent") {
				t.Errorf("error %q says the budget was spent", err)
			}
			var ae *APIError
			if !errors.As(err, &ae) || !IsRetryable(err) {
				t.Errorf("the server's refusal is not kept: %v", err)
			}
			if got := fs.count("/api/dash/user/getAllUsers"); got != tc.calls {
				t.Errorf("%d requests, want %d", got, tc.calls)
			}
			if len(*waits) != tc.waits {
				t.Errorf("waits %v, want %d of them", *waits, tc.waits)
			}
		})
	}
}

// TestRetryAfterWithinBudgetHonoured: a Retry-After the budget allows is
// waited for in full, never less, and the call then succeeds.
func TestRetryAfterWithinBudgetHonoured(t *testing.T) {
	for _, tc := range []struct {
		name    string
		answers []answer
		want    []time.Duration
	}{
		{"one", []answer{{429, "20"}, {200, ""}}, []time.Duration{20 * time.Second}},
		{"two, using most of the budget", []answer{{429, "12"}, {503, "15"}, {200, ""}}, []time.Duration{12 * time.Second, 15 * time.Second}},
		{"HTTP date", []answer{{429, time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)}, {200, ""}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := answers(t, tc.answers...)
			cfg := testConfig(fs.URL)
			cfg.Retry.MaxElapsed = 2 * time.Minute
			c := newTestClient(t, cfg)
			waits := fakeClock(c)
			if _, err := c.GetAllUsers(context.Background(), 0, 10); err != nil {
				t.Fatal(err)
			}
			if tc.want == nil { // an HTTP date: about 90s from when it was written
				if len(*waits) != 1 || (*waits)[0] < 85*time.Second || (*waits)[0] > 90*time.Second {
					t.Errorf("waits %v, want one of about 90s", *waits)
				}
				return
			}
			if len(*waits) != len(tc.want) {
				t.Fatalf("waits %v, want %v", *waits, tc.want)
			}
			for i, w := range tc.want {
				if (*waits)[i] != w {
					t.Errorf("wait %d = %v, want %v (the Retry-After)", i+1, (*waits)[i], w)
				}
			}
		})
	}
}
