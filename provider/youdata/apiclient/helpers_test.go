package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

const testToken = "test-token-5f3a9c"

// recorded is one request as a test handler saw it.
type recorded struct {
	Method string
	Path   string
	Query  map[string][]string
	Body   []byte
	UA     string
}

// fakeServer answers with a handler and records every request.
type fakeServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

func newFakeServer(t *testing.T, h http.HandlerFunc) *fakeServer {
	t.Helper()
	fs := &fakeServer{}
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		fs.mu.Lock()
		fs.reqs = append(fs.reqs, recorded{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: body, UA: r.UserAgent()})
		fs.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *fakeServer) requests() []recorded {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]recorded(nil), fs.reqs...)
}

// count is the number of requests to a path.
func (fs *fakeServer) count(path string) int {
	n := 0
	for _, r := range fs.requests() {
		if r.Path == path {
			n++
		}
	}
	return n
}

// testConfig is a config for tests: no rate limit and tiny backoff.
func testConfig(url string) Config {
	return Config{
		Server:      url,
		Credentials: Credentials{Token: testToken},
		RPS:         -1,
		Retry:       RetryPolicy{BaseDelay: time.Microsecond, MaxDelay: 10 * time.Microsecond},
		UserAgent:   "permsync/test",
	}
}

func newTestClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// recordSleeps replaces the client's retry wait: it records the delays
// and does not wait.
func recordSleeps(c *Client) *[]time.Duration {
	var mu sync.Mutex
	var ds []time.Duration
	c.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		ds = append(ds, d)
		mu.Unlock()
		return ctx.Err()
	}
	return &ds
}

// writeJSON writes v as the answer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func ok(result any) map[string]any { return map[string]any{"code": 200, "result": result} }
