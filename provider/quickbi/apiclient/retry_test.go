package apiclient

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/permsync/permsync/provider"
)

// TestThrottlingRetried: the throttling codes are retried whatever the
// HTTP status, even for a write that is not idempotent (the server did
// not carry it out), after at least the TimeLeft of the rate-limit
// headers, with a fresh nonce each time.
func TestThrottlingRetried(t *testing.T) {
	for _, tc := range []struct {
		status int
		code   string
		header string
		wait   time.Duration
	}{
		{400, "Throttling.User", "x-ratelimit-user", 1500 * time.Millisecond},
		{400, "Throttling.Api", "x-ratelimit-user-api", 2 * time.Second},
		{429, "Throttling", "x-ratelimit-user-api", 250 * time.Millisecond},
		{503, "Throttling", "", 0},
	} {
		t.Run(tc.code+"/"+http.StatusText(tc.status), func(t *testing.T) {
			var n atomic.Int32
			fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, rec recorded) {
				if n.Add(1) <= 2 {
					if tc.header != "" {
						w.Header().Set(tc.header, "Limit:50,Remain:0,TimeLeft:"+strconv.FormatInt(tc.wait.Milliseconds(), 10)+",Reset:1234")
					}
					writeJSON(w, tc.status, apiErr(tc.code, "Request was denied due to user flow control."))
					return
				}
				writeRaw(w, 200, okResult(`{"UserId":"u1","NickName":"张三","UserType":1}`))
			})
			c := newTestClient(t, testConfig(fs.URL))
			delays := recordSleeps(c)
			u, err := c.AddUser(context.Background(), AddUserRequest{NickName: "张三", UserType: 1})
			if err != nil || u.UserID != "u1" {
				t.Fatalf("AddUser = %+v, %v", u, err)
			}
			if got := fs.count("AddUser"); got != 3 {
				t.Errorf("AddUser sent %d times, want 3", got)
			}
			if len(*delays) != 2 {
				t.Fatalf("%d waits, want 2", len(*delays))
			}
			for _, d := range *delays {
				if d < tc.wait {
					t.Errorf("waited %s, less than the TimeLeft %s", d, tc.wait)
				}
			}
			nonces := map[string]bool{}
			for _, r := range fs.requests() {
				nonces[r.Header.Get("x-acs-signature-nonce")] = true
			}
			if len(nonces) != 3 {
				t.Errorf("%d distinct nonces over 3 attempts", len(nonces))
			}
		})
	}
}

// TestThrottleWaitBeyondBudget: a TimeLeft longer than the retry budget
// (or than MaxRetryAfter) ends the call at once, saying so.
func TestThrottleWaitBeyondBudget(t *testing.T) {
	for _, tc := range []struct {
		name     string
		policy   RetryPolicy
		byBudget bool
		want     string
	}{
		{"budget", RetryPolicy{MaxElapsed: 30 * time.Second}, true, "more than the 30s retry budget left"},
		{"max wait", RetryPolicy{MaxElapsed: 5 * time.Minute, MaxRetryAfter: 10 * time.Second}, false, "longest wait allowed for it (10s)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, rec recorded) {
				w.Header().Set("x-ratelimit-user-api", "Limit:50,Remain:0,TimeLeft:60000,Reset:1")
				writeJSON(w, 400, apiErr("Throttling.Api", "Request was denied due to api flow control."))
			})
			cfg := testConfig(fs.URL)
			cfg.Retry.MaxElapsed, cfg.Retry.MaxRetryAfter = tc.policy.MaxElapsed, tc.policy.MaxRetryAfter
			c := newTestClient(t, cfg)
			delays := recordSleeps(c)
			_, err := c.QueryUserList(context.Background(), QueryUserListRequest{})
			var rae *RetryAfterError
			if !errors.As(err, &rae) {
				t.Fatalf("err = %v, want a RetryAfterError", err)
			}
			if rae.RetryAfter != time.Minute || rae.ByBudget != tc.byBudget {
				t.Errorf("RetryAfter %s, ByBudget %v", rae.RetryAfter, rae.ByBudget)
			}
			for _, want := range []string{"QueryUserList", "throttled", "wait 60s", tc.want, "--retry-budget", "Throttling.Api"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q: %v", want, err)
				}
			}
			if fs.count("QueryUserList") != 1 || len(*delays) != 0 {
				t.Errorf("%d requests and %d waits, want 1 and 0", fs.count("QueryUserList"), len(*delays))
			}
			if Classify(err) != provider.Retryable {
				t.Errorf("Classify = %v", Classify(err))
			}
		})
	}
}

// failures that may have been applied: the server may have carried the
// request out before failing, or may still be running it.
var mayHaveApplied = []struct {
	name    string
	handler func(w http.ResponseWriter, r *http.Request, rec recorded)
}{
	{"HTTP 503 ServiceUnavailable", func(w http.ResponseWriter, r *http.Request, rec recorded) {
		writeJSON(w, 503, apiErr("ServiceUnavailable", "The request has failed due to a temporary failure of the server."))
	}},
	{"HTTP 500 InternalError", func(w http.ResponseWriter, r *http.Request, rec recorded) {
		writeJSON(w, 500, apiErr("InternalError", "The request processing has failed due to some unknown error."))
	}},
	{"HTTP 400 Internal.System.Error", func(w http.ResponseWriter, r *http.Request, rec recorded) {
		writeJSON(w, 400, apiErr("Internal.System.Error", "An internal system error occurred."))
	}},
	{"timeout", func(w http.ResponseWriter, r *http.Request, rec recorded) { <-r.Context().Done() }},
}

// TestNonIdempotentWriteNotRetried: a write that makes something new each
// time is sent once after a failure that may have been applied, and its
// error says so.
func TestNonIdempotentWriteNotRetried(t *testing.T) {
	calls := []struct {
		action string
		call   func(c *Client) error
	}{
		{"AddUser", func(c *Client) error {
			_, err := c.AddUser(context.Background(), AddUserRequest{NickName: "张三", UserType: 1, RoleIDs: []int64{OrgRoleUser}})
			return err
		}},
		{"CreateUserGroup", func(c *Client) error {
			_, err := c.CreateUserGroup(context.Background(), CreateUserGroupRequest{UserGroupName: "g", ParentUserGroupID: RootUserGroupID})
			return err
		}},
		{"AddUserTagMeta", func(c *Client) error { _, err := c.AddUserTagMeta(context.Background(), "region", ""); return err }},
		{"CreateTicket", func(c *Client) error {
			_, err := c.CreateTicket(context.Background(), CreateTicketRequest{WorksID: "w1"})
			return err
		}},
		{"SetDataLevelPermissionRuleConfig", func(c *Client) error {
			_, err := c.SetDataLevelPermissionRuleConfig(context.Background(), RuleModel{CubeID: "c", RuleName: "r", RuleLevelType: RuleTypeRow, RuleTargetScope: RuleScopeAll})
			return err
		}},
		{"DelayTicketExpireTime", func(c *Client) error {
			return c.DelayTicketExpireTime(context.Background(), "ticket-123456", 10)
		}},
	}
	for _, f := range mayHaveApplied {
		for _, call := range calls {
			t.Run(f.name+"/"+call.action, func(t *testing.T) {
				fs := newFakeServer(t, f.handler)
				cfg := testConfig(fs.URL)
				cfg.Timeout = 20 * time.Millisecond
				c := newTestClient(t, cfg)
				recordSleeps(c)
				err := call.call(c)
				if err == nil || !strings.Contains(err.Error(), "the server may have applied it") {
					t.Fatalf("err = %v, want one saying the server may have applied it", err)
				}
				if n := fs.count(call.action); n != 1 {
					t.Errorf("%s sent %d times, want 1", call.action, n)
				}
				if Classify(err) != provider.Retryable {
					t.Errorf("Classify = %v, want retryable", Classify(err))
				}
			})
		}
	}
}

// TestIdempotentCreateRetried: a group with a caller-chosen id and a rule
// update by id are retried after a 5xx: repeating them leaves the same
// state. So is a plain update.
func TestIdempotentCreateRetried(t *testing.T) {
	calls := []struct {
		action, result string
		call           func(c *Client) error
	}{
		{"CreateUserGroup", `"sales"`, func(c *Client) error {
			_, err := c.CreateUserGroup(context.Background(), CreateUserGroupRequest{UserGroupName: "g", ParentUserGroupID: RootUserGroupID, UserGroupID: "sales"})
			return err
		}},
		{"SetDataLevelPermissionRuleConfig", `"{\"ruleId\":\"r1\"}"`, func(c *Client) error {
			_, err := c.SetDataLevelPermissionRuleConfig(context.Background(), RuleModel{RuleID: "r1", CubeID: "c", RuleName: "r", RuleLevelType: RuleTypeRow, RuleTargetScope: RuleScopeAll})
			return err
		}},
		{"UpdateUser", `true`, func(c *Client) error {
			return c.UpdateUser(context.Background(), UpdateUserRequest{UserID: "u1", NickName: "n"})
		}},
	}
	for _, call := range calls {
		t.Run(call.action, func(t *testing.T) {
			var n atomic.Int32
			fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, rec recorded) {
				if n.Add(1) == 1 {
					writeJSON(w, 503, apiErr("ServiceUnavailable", "busy"))
					return
				}
				writeRaw(w, 200, okResult(call.result))
			})
			c := newTestClient(t, testConfig(fs.URL))
			recordSleeps(c)
			if err := call.call(c); err != nil {
				t.Fatal(err)
			}
			if got := fs.count(call.action); got != 2 {
				t.Errorf("%s sent %d times, want 2", call.action, got)
			}
		})
	}
}

// TestWriteNotRetriedWhileItMayStillRun: after a client-side timeout or an
// HTTP 504 the first request may still be running, so even an idempotent
// write is not sent again; a read is retried.
func TestWriteNotRetriedWhileItMayStillRun(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request, rec recorded)
	}{
		{"timeout", func(w http.ResponseWriter, r *http.Request, rec recorded) { <-r.Context().Done() }},
		{"HTTP 504", func(w http.ResponseWriter, r *http.Request, rec recorded) {
			writeJSON(w, http.StatusGatewayTimeout, apiErr("GatewayTimeout", "upstream timed out"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := newFakeServer(t, tc.handler)
			cfg := testConfig(fs.URL)
			cfg.Timeout = 20 * time.Millisecond
			c := newTestClient(t, cfg)
			recordSleeps(c)
			err := c.UpdateWorkspaceUserRole(context.Background(), "ws", "u1", []int64{27})
			if err == nil || !strings.Contains(err.Error(), "it may still be running on the server") {
				t.Fatalf("err = %v", err)
			}
			if got := fs.count("UpdateWorkspaceUserRole"); got != 1 {
				t.Errorf("sent %d times, want 1", got)
			}
			_, err = c.QueryWorkspaceUserList(context.Background(), QueryWorkspaceUserListRequest{WorkspaceID: "ws"})
			if err == nil || !strings.Contains(err.Error(), "giving up after") {
				t.Fatalf("read err = %v", err)
			}
			if got := fs.count("QueryWorkspaceUserList"); got != c.retry.MaxAttempts {
				t.Errorf("read sent %d times, want %d", got, c.retry.MaxAttempts)
			}
		})
	}
}

// TestBusinessErrorNotRetried: an HTTP 400 business error is final.
func TestBusinessErrorNotRetried(t *testing.T) {
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, rec recorded) {
		writeJSON(w, 400, apiErr("NickName.AlreadyIn.Organization", "The nickname already exists in the organization."))
	})
	c := newTestClient(t, testConfig(fs.URL))
	delays := recordSleeps(c)
	_, err := c.AddUser(context.Background(), AddUserRequest{NickName: "张三", UserType: 1})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != "NickName.AlreadyIn.Organization" || ae.HTTPStatus != 400 {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "may have applied") {
		t.Errorf("a refusal says it may have been applied: %v", err)
	}
	if fs.count("AddUser") != 1 || len(*delays) != 0 {
		t.Errorf("%d requests, %d waits", fs.count("AddUser"), len(*delays))
	}
	if !provider.IsAlreadyExists(err) {
		t.Errorf("not AlreadyExists: %v", Classify(err))
	}
}

// TestConnectionRefusedRetried: a connection that cannot be made never
// reached the server, so even AddUser is tried again; the final error does
// not say it may have been applied.
func TestConnectionRefusedRetried(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	cfg := testConfig(u)
	cfg.Retry.MaxAttempts = 3
	c := newTestClient(t, cfg)
	delays := recordSleeps(c)
	_, err := c.AddUser(context.Background(), AddUserRequest{NickName: "张三", UserType: 1})
	var te *TransportError
	if !errors.As(err, &te) || !te.NotSent {
		t.Fatalf("err = %v, want a TransportError not sent", err)
	}
	if !strings.Contains(err.Error(), "giving up after 3 attempts") || strings.Contains(err.Error(), "may have applied it") {
		t.Errorf("err = %v", err)
	}
	if len(*delays) != 2 {
		t.Errorf("%d waits, want 2", len(*delays))
	}
}

// TestRetryBudgetSpent: retries stop when the next wait would end past
// MaxElapsed from the first failure.
func TestRetryBudgetSpent(t *testing.T) {
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, rec recorded) {
		writeJSON(w, 503, apiErr("ServiceUnavailable", "busy"))
	})
	cfg := testConfig(fs.URL)
	cfg.Retry = RetryPolicy{MaxAttempts: 100, MaxElapsed: time.Second, BaseDelay: 400 * time.Millisecond, MaxDelay: 400 * time.Millisecond}
	c := newTestClient(t, cfg)
	clock := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return clock }
	var waited time.Duration
	c.sleep = func(ctx context.Context, d time.Duration) error { clock = clock.Add(d); waited += d; return nil }
	_, err := c.ListOrganizationRoles(context.Background())
	if err == nil || !strings.Contains(err.Error(), "retry budget of 1s spent") {
		t.Fatalf("err = %v", err)
	}
	if waited > time.Second {
		t.Errorf("waited %s in all, beyond the 1s budget", waited)
	}
	if n := fs.count("ListOrganizationRoles"); n >= 100 {
		t.Errorf("%d requests: the budget did not stop the retries", n)
	}
}

// TestRateLimitBeyondDeadlineNotRetried: when the caller's deadline comes
// before the action's rate limit lets a request go, the call ends at once.
func TestRateLimitBeyondDeadlineNotRetried(t *testing.T) {
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, rec recorded) {
		writeRaw(w, 200, okResult(`[]`))
	})
	cfg := testConfig(fs.URL)
	cfg.ReadRPS = 0.001 // one request, then one every 1000s
	c := newTestClient(t, cfg)
	delays := recordSleeps(c)
	if _, err := c.QueryUserTagMetaList(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := c.QueryUserTagMetaList(ctx)
	var te *TransportError
	if !errors.As(err, &te) || !te.Canceled || IsRetryable(err) {
		t.Fatalf("err = %v, want a canceled, non-retryable TransportError", err)
	}
	if len(*delays) != 0 || fs.count("QueryUserTagMetaList") != 1 {
		t.Errorf("%d waits and %d requests, want 0 and 1", len(*delays), fs.count("QueryUserTagMetaList"))
	}
	// Another action has its own limiter: it goes at once.
	if _, err := c.ListOrganizationRoles(ctx); err != nil {
		t.Errorf("another action waited for QueryUserTagMetaList's limit: %v", err)
	}
}

// TestRetryAfterAppliedAttemptSaysSo: a delete retried after a 503 that
// then answers "not found" says an earlier attempt may have been applied;
// one retried only after throttling does not.
func TestRetryAfterAppliedAttemptSaysSo(t *testing.T) {
	for _, tc := range []struct {
		first string
		want  bool
	}{{"ServiceUnavailable", true}, {"Throttling.User", false}} {
		t.Run(tc.first, func(t *testing.T) {
			var n atomic.Int32
			fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, rec recorded) {
				if n.Add(1) == 1 {
					status := 503
					if tc.first == "Throttling.User" {
						status = 400
					}
					writeJSON(w, status, apiErr(tc.first, "x"))
					return
				}
				writeJSON(w, 400, apiErr("Usergroup.Not.Exist", "The user group does not exist."))
			})
			c := newTestClient(t, testConfig(fs.URL))
			recordSleeps(c)
			err := c.DeleteUserGroup(context.Background(), "g1")
			if !provider.IsNotFound(err) {
				t.Fatalf("err = %v", err)
			}
			if got := strings.Contains(err.Error(), "an earlier attempt may have been applied"); got != tc.want {
				t.Errorf("err = %v; says an earlier attempt may have been applied: %v, want %v", err, got, tc.want)
			}
		})
	}
	// Throttled every time: refused, never carried out.
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, rec recorded) {
		writeJSON(w, 400, apiErr("Throttling.Api", "x"))
	})
	cfg := testConfig(fs.URL)
	cfg.Retry.MaxAttempts = 3
	c := newTestClient(t, cfg)
	recordSleeps(c)
	_, err := c.AddUser(context.Background(), AddUserRequest{NickName: "n", UserType: 1})
	if err == nil || !strings.Contains(err.Error(), "giving up after 3 attempts") || strings.Contains(err.Error(), "may have been applied") || strings.Contains(err.Error(), "may have applied") {
		t.Errorf("err = %v", err)
	}
}
