package quickbitest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestEnvelopes(t *testing.T) {
	_, c := newServer(t, baseSeed)
	e := c.call("CheckOrganizationMember", p("UserId", c.uid("ops:lisi"))).ok(t, nil)
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(e.Raw), &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw) != 3 || string(raw["Success"]) != "true" || string(raw["Result"]) != "true" || raw["RequestId"] == nil {
		t.Fatalf("success envelope %s", e.Raw)
	}
	if e.Header.Get("x-acs-request-id") != e.RequestId {
		t.Errorf("x-acs-request-id %q, RequestId %q", e.Header.Get("x-acs-request-id"), e.RequestId)
	}
	b := c.bad("QueryUserInfoByUserId", p("UserId", "0123456789abcdef0123456789abcdef"), CodeUserNotInOrg)
	raw = nil
	if err := json.Unmarshal([]byte(b.Raw), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"RequestId", "HostId", "Code", "Message", "Recommend"} {
		if raw[k] == nil {
			t.Errorf("error envelope lacks %s: %s", k, b.Raw)
		}
	}
	if len(raw) != 5 {
		t.Errorf("error envelope has %d keys: %s", len(raw), b.Raw)
	}
	if b.HostId != strings.TrimPrefix(c.s.URL(), "http://") {
		t.Errorf("HostId %q", b.HostId)
	}
	if e.RequestId == b.RequestId {
		t.Error("two requests share a RequestId")
	}
}

func TestParameterChecks(t *testing.T) {
	_, c := newServer(t, baseSeed)
	zs := c.uid("ops:zhangsan")
	// Absent required: the gateway's Missing<Param>.
	c.bad("QueryUserInfoByUserId", nil, "MissingUserId")
	c.bad("AddUser", p("UserType", "1", "AccountName", "ops:new"), "MissingNickName")
	// Present but empty: Quick BI's System.Param.Empty.
	c.bad("QueryUserInfoByUserId", p("UserId", ""), CodeParamEmpty)
	c.bad("UpdateUser", p("UserId", zs, "NickName", ""), CodeParamEmpty)
	// Types: int, long, bool.
	c.bad("AddUser", p("NickName", "新人", "UserType", "one", "AccountName", "ops:new"), "InvalidUserType")
	c.bad("AddUser", p("NickName", "新人", "UserType", "1.0", "AccountName", "ops:new"), "InvalidUserType")
	c.bad("AddUser", p("NickName", "新人", "UserType", "4", "AccountName", "ops:new"), "InvalidUserType")
	c.bad("QueryUserList", p("PageNum", "99999999999"), "InvalidPageNum")
	c.bad("QueryOrganizationRoleConfig", p("RoleId", "x"), "InvalidRoleId")
	c.ok("QueryOrganizationRoleConfig", p("RoleId", "111111111"), nil)
	c.bad("UpdateUser", p("UserId", zs, "IsDeleted", "True"), "InvalidIsDeleted")
	c.bad("UpdateUser", p("UserId", zs, "IsDeleted", "1"), "InvalidIsDeleted")
	// Unknown parameters are refused, not ignored.
	c.bad("QueryUserList", p("Keywords", "张"), CodeInvalidParamError)
	c.bad("UpdateUserGroup", p("UserGroupId", "sales", "ParentUserGroupId", "-1"), CodeInvalidParamError)
	// Paging.
	c.bad("QueryUserList", p("PageSize", "1001"), "InvalidPageSize")
	c.bad("QueryUserList", p("PageSize", "0"), "InvalidPageSize")
	c.bad("QueryUserList", p("PageNum", "0"), "InvalidPageNum")
	var pg pagedOut[userJSON]
	c.ok("QueryUserList", p("PageSize", "1000"), &pg)
	if pg.TotalNum != 6 || len(pg.Data) != 6 || pg.TotalPages != 1 {
		t.Fatalf("page %+v", pg)
	}
	c.ok("QueryUserList", p("PageSize", "4", "PageNum", "2"), &pg)
	if pg.TotalNum != 6 || len(pg.Data) != 2 || pg.TotalPages != 2 || pg.PageNum != 2 || pg.PageSize != 4 {
		t.Fatalf("page 2 %+v", pg)
	}
	c.ok("QueryUserList", p("PageNum", "5"), &pg)
	if len(pg.Data) != 0 || pg.TotalNum != 6 {
		t.Fatalf("page past the end %+v", pg)
	}
	c.ok("QueryUserList", nil, &pg)
	if pg.PageSize != 10 || pg.PageNum != 1 {
		t.Fatalf("default paging %+v", pg)
	}
	// Lists: no empty items, no spaces.
	c.bad("AddUserGroupMember", p("UserGroupId", "hq", "UserIdList", zs+","), CodeInvalidParamError)
	c.bad("AddUserGroupMember", p("UserGroupId", "hq", "UserIdList", zs+", "+c.uid("ops:lisi")), CodeInvalidParamError)
}

// TestParameterPlacement: parameters travel where the SDK puts them.
func TestParameterPlacement(t *testing.T) {
	_, c := newServer(t, baseSeed)
	// AddUser's RoleIds in the query.
	c.send("AddUser", reqSpec{query: p("NickName", "新人", "UserType", "1", "AccountName", "ops:new", "RoleIds", "111111113"),
		body: map[string]string{}}).bad(t, CodeInvalidParamError)
	// Another parameter in the body.
	c.send("AddUser", reqSpec{query: p("UserType", "1", "AccountName", "ops:new"),
		body: p("NickName", "新人", "RoleIds", "111111113")}).bad(t, CodeInvalidParamError)
	c.send("QueryUserInfoByUserId", reqSpec{body: p("UserId", c.uid("ops:lisi"))}).bad(t, CodeInvalidParamError)
	// The body must be a form.
	c.send("AddUser", reqSpec{query: p("NickName", "新人", "UserType", "1", "AccountName", "ops:new"),
		body: p("RoleIds", "111111113"), edit: func(r *http.Request) { r.Header.Set("Content-Type", "application/json") }}).
		fails(t, 400, CodeInvalidParamError)
	// Repeated parameters.
	c.send("QueryUserList", reqSpec{query: p("Keyword", "张"), edit: func(r *http.Request) { r.URL.RawQuery += "&Keyword=李" }}).
		fails(t, 400, CodeInvalidParamError)
	// The right way.
	c.send("AddUser", reqSpec{query: p("NickName", "新人", "UserType", "1", "AccountName", "ops:new"),
		body: p("RoleIds", "111111113")}).ok(t, nil)
	if len(c.s.Snapshot().Users) != 7 {
		t.Fatal("AddUser did not add")
	}
}

func TestCallLogRedacts(t *testing.T) {
	s, c := newServer(t, baseSeed)
	c.rpc = true
	c.call("QueryUserList", p("Keyword", "张")).ok(t, nil)
	c.rpc = false
	c.call("QueryUserList", nil).ok(t, nil)
	c.call("NoSuch", nil)
	log := s.CallLog()
	if len(log) != 3 || log[0].Signing != "RPC" || log[1].Signing != "V3" || log[0].Action != "QueryUserList" || log[2].Code != CodeInvalidAPI || log[2].Status != 404 {
		t.Fatalf("call log %+v", log)
	}
	if !strings.Contains(log[0].Query, "Signature=REDACTED") || strings.Contains(log[0].Query, "Signature=%") {
		t.Errorf("signature not redacted: %s", log[0].Query)
	}
	if got := s.Calls(); got["QueryUserList"] != 2 || got["NoSuch"] != 1 || s.TotalCalls() != 3 {
		t.Errorf("Calls %v", got)
	}
	s.ResetCalls()
	if s.TotalCalls() != 0 || len(s.Calls()) != 0 {
		t.Error("ResetCalls left calls")
	}
	var lines bytes.Buffer
	s2, c2 := newServer(t, baseSeed, func(o *Options) {
		o.Logf = func(f string, a ...any) { lines.WriteString(strings.TrimSpace(sprintf(f, a...)) + "\n") }
	})
	c2.call("QueryUserInfoByAccount", p("Account", "ops:zhangsan")).ok(t, nil)
	if !strings.Contains(lines.String(), "QueryUserInfoByAccount → 200") || strings.Contains(lines.String(), "zhangsan") ||
		strings.Contains(lines.String(), s2.AccessKeySecret()) {
		t.Errorf("log lines %q", lines.String())
	}
}

// TestCallLogAfterReset: an answer that comes after ResetCalls is not
// written into the entry of a later call.
func TestCallLogAfterReset(t *testing.T) {
	s, c := newServer(t, baseSeed)
	s.SetFaults("QueryUserList", Fault{ShareTimeout: 1, Hold: 500 * time.Millisecond})
	held := c.build("QueryUserList", reqSpec{})
	done := make(chan int, 1)
	go func() {
		resp, err := s.Client().Do(held)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	for deadline := time.Now().Add(10 * time.Second); s.FaultCounts()["timeout"] == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the held call never arrived")
		}
	}
	s.ClearFaults()
	s.ResetCalls()
	c.call("QueryUserList", nil).ok(t, nil)
	if status := <-done; status != http.StatusGatewayTimeout {
		t.Fatalf("held call: HTTP %d", status)
	}
	log := s.CallLog()
	if len(log) != 1 || log[0].Status != http.StatusOK || log[0].Code != "" {
		t.Fatalf("call log %+v: the held call's answer went into the later call's entry", log)
	}
}
