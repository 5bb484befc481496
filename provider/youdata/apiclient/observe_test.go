package apiclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestObserveEveryAttempt(t *testing.T) {
	var mu sync.Mutex
	n := 0
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		switch {
		case r.URL.Path == "/api/dash/project/list" && first:
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"message": "busy"})
		case r.URL.Path == "/api/dash/project/list":
			writeJSON(w, http.StatusOK, ok([]any{}))
		default:
			writeJSON(w, http.StatusOK, map[string]any{"code": 500, "message": "boom"})
		}
	})
	var got []CallInfo
	cfg := testConfig(fs.URL)
	cfg.Observe = func(ci CallInfo) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, ci)
	}
	c := newTestClient(t, cfg)
	recordSleeps(c)
	if _, err := c.ListProjects(context.Background()); err != nil {
		t.Fatalf("ListProjects: %v", err)
	}
	if _, err := c.ListSystemRoles(context.Background()); err == nil {
		t.Fatal("ListSystemRoles: no error for code 500")
	}
	mu.Lock()
	defer mu.Unlock()
	var lines []string
	for _, ci := range got {
		if ci.Duration < 0 {
			t.Errorf("%+v: negative duration", ci)
		}
		if strings.Contains(fmt.Sprint(ci), testToken) {
			t.Errorf("%+v holds the token", ci)
		}
		lines = append(lines, fmt.Sprintf("%s %s %s #%d", ci.Method, ci.Endpoint, ci.Result, ci.Attempt))
	}
	want := []string{
		"GET project/list http_5xx #1",
		"GET project/list ok #2",
		"POST systemRole/list api_error #1",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("observed:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

func TestResultClass(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ResultOK},
		{&APIError{HTTPStatus: 200, Code: 500}, ResultAPIError},
		{&APIError{HTTPStatus: 200, Code: CodeTokenInvalid}, ResultTokenInvalid},
		{&APIError{HTTPStatus: 401}, ResultTokenInvalid},
		{&APIError{HTTPStatus: 429}, "http_4xx"},
		{&APIError{HTTPStatus: 502}, "http_5xx"},
		{fmt.Errorf("wrapped: %w", &TransportError{Timeout: true}), ResultTimeout},
		{&TransportError{Canceled: true}, ResultCanceled},
		{&TransportError{}, ResultTransportError},
		{&ResponseError{}, ResultBadResponse},
		{errors.New("other"), ResultOther},
	} {
		if got := ResultClass(tc.err); got != tc.want {
			t.Errorf("ResultClass(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
