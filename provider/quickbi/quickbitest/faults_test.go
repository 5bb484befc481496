package quickbitest

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestFaultKinds(t *testing.T) {
	s, c := newServer(t, baseSeed)
	s.SetFaults("QueryUserList", Fault{Share5xx: 1})
	if e := c.call("QueryUserList", nil); e.HTTP != 503 || !strings.Contains(e.Raw, "503") || e.Code != "" {
		t.Fatalf("503: %d %s", e.HTTP, e.Raw)
	}
	s.SetFaults("QueryUserList", Fault{ShareInternal: 1})
	c.call("QueryUserList", nil).fails(t, 500, CodeInternalError)
	s.SetFaults("QueryUserList", Fault{ShareThrottle: 1})
	e := c.call("QueryUserList", nil).fails(t, 400, CodeThrottlingUser)
	if h := e.Header.Get("x-ratelimit-user-api"); !strings.Contains(h, "TimeLeft:") {
		t.Fatalf("throttled without TimeLeft: %q", h)
	}
	s.SetFaults("QueryUserList", Fault{ShareThrottle: 1, ThrottleStatus: 429})
	c.call("QueryUserList", nil).fails(t, 429, CodeThrottlingUser)
	s.SetFaults("QueryUserList", Fault{Permanent: true})
	c.call("QueryUserList", nil).fails(t, 400, CodeInternalSystem)
	c.call("QueryUserList", nil).fails(t, 400, CodeInternalSystem)
	s.SetFaults("QueryUserList", Fault{FailNext: 2})
	if c.call("QueryUserList", nil).HTTP != 503 || c.call("QueryUserList", nil).HTTP != 503 {
		t.Fatal("FailNext")
	}
	c.call("QueryUserList", nil).ok(t, nil)
	// "*" covers actions without faults of their own.
	s.SetFaults("*", Fault{Share5xx: 1})
	s.SetFaults("QueryUserList", Fault{})
	if c.call("QueryUserList", nil).HTTP != 503 || c.call("ListOrganizationRoles", nil).HTTP != 503 {
		t.Fatal("* did not apply")
	}
	s.ClearFaults()
	c.call("QueryUserList", nil).ok(t, nil)
	want := map[string]int{"HTTP 503": 5, "HTTP 500": 1, "throttling": 2, "Internal.System.Error": 2}
	if got := s.FaultCounts(); !reflect.DeepEqual(got, want) {
		t.Fatalf("FaultCounts %v, want %v", got, want)
	}
	if s.Calls()["QueryUserList"] != 11 {
		t.Fatalf("faulted calls are counted: %v", s.Calls())
	}
}

func TestFaultDrawsAreSeeded(t *testing.T) {
	run := func() []int {
		s, c := newServer(t, baseSeed, func(o *Options) { o.Rand = 7 })
		s.SetFaults("*", Fault{Share5xx: 0.3, ShareInternal: 0.2})
		var out []int
		for i := 0; i < 30; i++ {
			out = append(out, c.call("ListOrganizationRoles", nil).HTTP)
		}
		return out
	}
	a, b := run(), run()
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("two runs differ:\n%v\n%v", a, b)
	}
	seen := map[int]bool{}
	for _, h := range a {
		seen[h] = true
	}
	if !seen[200] || !seen[503] || !seen[500] {
		t.Fatalf("draws %v", a)
	}
}

func TestFaultTimeoutAndReset(t *testing.T) {
	s, c := newServer(t, baseSeed)
	s.SetFaults("QueryUserList", Fault{ShareTimeout: 1, Hold: 20 * time.Millisecond})
	if e := c.call("QueryUserList", nil); e.HTTP != http.StatusGatewayTimeout {
		t.Fatalf("HTTP %d after the hold, want 504", e.HTTP)
	}
	// A client that gives up first sees its own deadline.
	s.SetFaults("QueryUserList", Fault{ShareTimeout: 1, Hold: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := s.Client().Do(c.build("QueryUserList", reqSpec{}).WithContext(ctx))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the client's deadline", err)
	}
	s.SetFaults("QueryUserList", Fault{ShareReset: 1})
	if resp, err := s.Client().Do(c.build("QueryUserList", reqSpec{})); err == nil {
		resp.Body.Close()
		t.Fatalf("HTTP %d, want a broken connection", resp.StatusCode)
	}
	if got := s.FaultCounts(); got["timeout"] != 2 || got["reset"] != 1 {
		t.Fatalf("FaultCounts %v", got)
	}
}

func TestFaultAfterApply(t *testing.T) {
	s, c := newServer(t, baseSeed)
	s.SetFaults("CreateUserGroup", Fault{Share5xx: 1, AfterApply: true})
	if e := c.call("CreateUserGroup", p("UserGroupName", "丢失的回答", "ParentUserGroupId", "-1", "UserGroupId", "lost")); e.HTTP != 503 {
		t.Fatalf("HTTP %d, want 503", e.HTTP)
	}
	if s.Snapshot().Group("lost") == nil {
		t.Fatal("AfterApply: the write was not made")
	}
	// The retry finds the id taken, as it would on the real server.
	s.ClearFaults()
	c.bad("CreateUserGroup", p("UserGroupName", "丢失的回答", "ParentUserGroupId", "-1", "UserGroupId", "lost"), CodeDuplicateGroupID)
	// A timeout after the write.
	s.SetFaults("AddUserTagMeta", Fault{ShareTimeout: 1, Hold: 10 * time.Millisecond, AfterApply: true})
	if e := c.call("AddUserTagMeta", p("TagName", "超时")); e.HTTP != http.StatusGatewayTimeout {
		t.Fatalf("HTTP %d", e.HTTP)
	}
	if s.Snapshot().Tag("超时") == nil {
		t.Fatal("AfterApply timeout: not applied")
	}
	// Throttling is never applied.
	s.SetFaults("AddUserTagMeta", Fault{ShareThrottle: 1, AfterApply: true})
	c.call("AddUserTagMeta", p("TagName", "限流")).bad(t, CodeThrottlingUser)
	if s.Snapshot().Tag("限流") != nil {
		t.Fatal("a throttled request was applied")
	}
}

func TestFailObject(t *testing.T) {
	s, c := newServer(t, baseSeed)
	ls := c.uid("ops:lisi")
	s.FailObject("AddUserGroupMember", ls)
	s.FailObject("SetDataLevelPermissionRuleConfig", "坏规则")
	c.bad("AddUserGroupMember", p("UserGroupId", "finance", "UserIdList", c.uid("ops:zhangsan")+","+ls), CodeInternalSystem)
	c.isTrue("AddUserGroupMember", p("UserGroupId", "finance", "UserIdList", c.uid("ops:zhangsan")))
	c.bad("SetDataLevelPermissionRuleConfig", p("RuleModel", ruleModel(map[string]any{"cubeId": "cube-orders", "ruleName": "坏规则",
		"ruleLevelType": "ROW_LEVEL", "ruleTargetScope": "ALL",
		"ruleContentModel": map[string]any{"ruleContentType": "ROW_FIELD", "ruleContentJson": `{}`}})), CodeInternalSystem)
	if containsString(s.Snapshot().Group("finance").Members, ls) {
		t.Fatal("a failed object was written")
	}
	s.ClearFaults()
	c.isTrue("AddUserGroupMember", p("UserGroupId", "finance", "UserIdList", ls))
}

func TestThrottleOption(t *testing.T) {
	clk := &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 250e6, time.UTC)}
	_, c := newServer(t, baseSeed, withClock(clk), func(o *Options) { o.Throttle = true })
	for i := 0; i < DefaultRateLimit; i++ {
		c.call("QueryUserList", nil).ok(t, nil)
	}
	e := c.call("QueryUserList", nil).bad(t, CodeThrottlingUser)
	if h := e.Header.Get("x-ratelimit-user-api"); !strings.Contains(h, "TimeLeft:750") || !strings.Contains(h, "Limit:50") {
		t.Fatalf("header %q", h)
	}
	// Per action: another action still has its own budget.
	c.call("ListOrganizationRoles", nil).ok(t, nil)
	// The next second.
	clk.Add(750 * time.Millisecond)
	c.call("QueryUserList", nil).ok(t, nil)
	// Off by default.
	_, c2 := newServer(t, baseSeed, withClock(clk))
	for i := 0; i < DefaultRateLimit+5; i++ {
		c2.call("QueryUserList", nil).ok(t, nil)
	}
	// A custom limit.
	_, c3 := newServer(t, baseSeed, withClock(clk), func(o *Options) { o.Throttle, o.RateLimit = true, 2 })
	c3.call("QueryUserList", nil).ok(t, nil)
	c3.call("QueryUserList", nil).ok(t, nil)
	c3.call("QueryUserList", nil).bad(t, CodeThrottlingUser)
}
