package youdatatest

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

// TestFaultTimeout: a timeout fault holds the answer until the client
// gives up; a client that outwaits Hold gets a gateway's 504.
func TestFaultTimeout(t *testing.T) {
	s := newServer(t, baseSeed)
	s.SetFaults("project/list", Fault{ShareTimeout: 1, Hold: 20 * time.Millisecond})
	resp, err := http.Get(s.URL() + PathPrefix + "project/list?token=" + s.Token())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusGatewayTimeout {
		t.Fatalf("HTTP %d after the hold, want 504", resp.StatusCode)
	}

	s.SetFaults("project/list", Fault{ShareTimeout: 1, Hold: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+PathPrefix+"project/list?token="+s.Token(), nil)
	_, err = http.DefaultClient.Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the client's deadline", err)
	}
	if got := s.FaultCounts()["timeout"]; got != 2 {
		t.Errorf("FaultCounts timeout = %d, want 2", got)
	}

	// AfterApply: the write happens, the answer never comes.
	s.SetFaults("systemRole/add", Fault{ShareTimeout: 1, Hold: 10 * time.Millisecond, AfterApply: true})
	if e := post(t, s, "systemRole/add", map[string]any{"name": "超时角色"}); e.HTTP != http.StatusGatewayTimeout {
		t.Fatalf("HTTP %d, want 504", e.HTTP)
	}
	if s.Snapshot().SystemRoleByName("超时角色") == nil {
		t.Fatal("AfterApply timeout: the write was not applied")
	}
}

// TestFaultReset: a reset closes the connection without an answer.
func TestFaultReset(t *testing.T) {
	s := newServer(t, baseSeed)
	s.SetFaults("user/getAllUsers", Fault{ShareReset: 1})
	resp, err := http.Get(s.URL() + PathPrefix + "user/getAllUsers?token=" + s.Token())
	if err == nil {
		resp.Body.Close()
		t.Fatalf("HTTP %d, want a broken connection", resp.StatusCode)
	}
	s.ClearFaults()
	get(t, s, "user/getAllUsers", nil).ok(t, nil)
	if got := s.FaultCounts()["reset"]; got != 1 {
		t.Errorf("FaultCounts reset = %d, want 1", got)
	}
}
