package apiclient

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/time/rate"
)

func TestNormalizeEndpoint(t *testing.T) {
	for _, tc := range []struct {
		server, region, want, err string
	}{
		{"", "", "https://quickbi-public.aliyuncs.com", ""},
		{"", "cn-hangzhou", "https://quickbi-public.cn-hangzhou.aliyuncs.com", ""},
		{"", " ap-southeast-1 ", "https://quickbi-public.ap-southeast-1.aliyuncs.com", ""},
		{"", "cn-shanghai-finance-1", "https://quickbi-public.cn-shanghai-finance-1.aliyuncs.com", ""},
		{"https://quickbi-public-vpc.cn-hangzhou.aliyuncs.com/", "", "https://quickbi-public-vpc.cn-hangzhou.aliyuncs.com", ""},
		{"http://127.0.0.1:8080", "", "http://127.0.0.1:8080", ""},
		{"https://x", "cn-hangzhou", "", "not both"},
		{"", "Hangzhou", "", "not a region id"},
		{"", "cn-hangzhou.evil.com/x", "", "not a region id"},
		{"ftp://x", "", "", "not an http(s) URL"},
		{"quickbi-public.aliyuncs.com", "", "", "not an http(s) URL"},
		{"https://id:secret@x", "", "", "must not hold credentials"},
		{"https://x/api", "", "", "must have no path"},
		{"https://x/?a=1", "", "", "no query"},
	} {
		got, err := NormalizeEndpoint(tc.server, tc.region)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("(%q, %q): %q, %v; want error %q", tc.server, tc.region, got, err, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), "secret") && strings.Contains(tc.server, "secret@") {
				t.Errorf("error quotes the URL's password: %v", err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("(%q, %q) = %q, %v; want %q", tc.server, tc.region, got, err, tc.want)
		}
	}
}

func TestNewValidates(t *testing.T) {
	good := Credentials{AccessKeyID: "id", AccessKeySecret: "s"}
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "no credentials"},
		{Config{Credentials: Credentials{AccessKeyID: "id"}}, "without a secret"},
		{Config{Credentials: good, SignatureAlgorithm: "HMAC-SHA256"}, "signature algorithm"},
		{Config{Credentials: good, Server: "https://x", Region: "cn-hangzhou"}, "not both"},
		{Config{Credentials: good, HTTPClient: &http.Client{}, InsecureSkipTLSVerify: true}, "cannot be combined"},
	} {
		if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New: %v, want %q", err, tc.want)
		}
	}
	for in, want := range map[string]string{"": SignatureV3, "v3": SignatureV3, SignatureV3: SignatureV3, "rpc": SignatureRPC, "v2": SignatureRPC, SignatureRPC: SignatureRPC} {
		c, err := New(Config{Credentials: good, SignatureAlgorithm: in})
		if err != nil || c.SignatureAlgorithm() != want || c.Endpoint() != DefaultEndpoint {
			t.Errorf("SignatureAlgorithm %q: %v, %v", in, c, err)
		}
	}
}

// TestRateLimitPerAction: each action has its own limiter, 50/s for
// writes and 30/s for reads by default, configurable, burst 1.
func TestRateLimitPerAction(t *testing.T) {
	c, err := New(Config{Credentials: Credentials{AccessKeyID: "id", AccessKeySecret: "s"}})
	if err != nil {
		t.Fatal(err)
	}
	if l := c.limiter(acAddUser); l.Limit() != 50 || l.Burst() != 1 {
		t.Errorf("AddUser: %v/%d", l.Limit(), l.Burst())
	}
	if l := c.limiter(acQueryUserList); l.Limit() != 30 {
		t.Errorf("QueryUserList: %v", l.Limit())
	}
	if l := c.limiter(acQueryWorkspaceUserList); l.Limit() != 30 {
		t.Errorf("QueryWorkspaceUserList (a POST read): %v", l.Limit())
	}
	if c.limiter(acAddUser) == c.limiter(acUpdateUser) {
		t.Error("two actions share a limiter")
	}
	c, _ = New(Config{Credentials: Credentials{AccessKeyID: "id", AccessKeySecret: "s"}, WriteRPS: 5, ReadRPS: -1, Burst: 3})
	if l := c.limiter(acDeleteUser); l.Limit() != 5 || l.Burst() != 3 {
		t.Errorf("DeleteUser: %v/%d", l.Limit(), l.Burst())
	}
	if l := c.limiter(acQueryUserList); l.Limit() != rate.Inf {
		t.Errorf("unlimited reads: %v", l.Limit())
	}
}

// TestConcurrencyCap: no more requests in flight than Concurrency.
func TestConcurrencyCap(t *testing.T) {
	var inFlight, peak atomic.Int32
	release := make(chan struct{})
	arrived := make(chan struct{}, 16)
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, rec recorded) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		arrived <- struct{}{}
		<-release
		inFlight.Add(-1)
		writeRaw(w, 200, okResult(`[]`))
	})
	cfg := testConfig(fs.URL)
	cfg.Concurrency = 2
	c := newTestClient(t, cfg)
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.ListOrganizationRoles(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	<-arrived
	<-arrived // two requests are in flight and held
	close(release)
	wg.Wait()
	if p := peak.Load(); p != 2 {
		t.Errorf("peak of %d requests in flight, want 2", p)
	}
}

// TestObserve: one CallInfo per attempt, naming the action and the
// outcome's class.
func TestObserve(t *testing.T) {
	var n atomic.Int32
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, rec recorded) {
		if n.Add(1) == 1 {
			writeJSON(w, 400, apiErr("Throttling.User", "slow down"))
			return
		}
		writeRaw(w, 200, okResult(`true`))
	})
	var mu sync.Mutex
	var got []CallInfo
	cfg := testConfig(fs.URL)
	cfg.Observe = func(ci CallInfo) { mu.Lock(); got = append(got, ci); mu.Unlock() }
	c := newTestClient(t, cfg)
	recordSleeps(c)
	if err := c.DeleteUser(context.Background(), "u1", ""); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d CallInfo, want 2", len(got))
	}
	for i, want := range []struct {
		result string
		status int
	}{{ResultThrottled, 400}, {ResultOK, 200}} {
		ci := got[i]
		if ci.Action != "DeleteUser" || ci.Method != "POST" || ci.Result != want.result || ci.HTTPStatus != want.status || ci.Attempt != i+1 {
			t.Errorf("CallInfo %d = %+v", i, ci)
		}
	}
}

// TestInvalidRequestsRefusedWithoutIO: bad parameters are refused before
// anything is sent.
func TestInvalidRequestsRefusedWithoutIO(t *testing.T) {
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, rec recorded) { writeRaw(w, 200, okResult(`true`)) })
	c := newTestClient(t, testConfig(fs.URL))
	ctx := context.Background()
	for _, tc := range []struct {
		want string
		call func() error
	}{
		{"PageSize 1001 is more than 1000", func() error { _, err := c.QueryUserList(ctx, QueryUserListRequest{PageSize: 1001}); return err }},
		{"PageNum -1 is negative", func() error {
			_, err := c.QueryDatasetList(ctx, QueryDatasetListRequest{WorkspaceID: "w", PageNum: -1})
			return err
		}},
		{"NickName is required", func() error { _, err := c.AddUser(ctx, AddUserRequest{UserType: 1}); return err }},
		{"UserType 4", func() error { _, err := c.AddUser(ctx, AddUserRequest{NickName: "n", UserType: 4}); return err }},
		{"4 RoleIds, at most 3", func() error {
			_, err := c.AddUser(ctx, AddUserRequest{NickName: "n", UserType: 1, RoleIDs: []int64{1, 2, 3, 4}})
			return err
		}},
		{"nothing to change", func() error { return c.UpdateUser(ctx, UpdateUserRequest{UserID: "u"}) }},
		{"with a comma", func() error { return c.AddUserGroupMember(ctx, "g", []string{"a,b"}) }},
		{"more than 1000", func() error { return c.AddUserGroupMember(ctx, "g", make([]string, 1001)) }},
		{"UserIds is empty", func() error { _, err := c.AddWorkspaceUsers(ctx, "w", nil, 27); return err }},
		{"not a predefined workspace role", func() error { _, err := c.AddWorkspaceUsers(ctx, "w", []string{"u"}, 1234); return err }},
		{"must not be \"-1\"", func() error {
			_, err := c.CreateUserGroup(ctx, CreateUserGroupRequest{UserGroupName: "g", ParentUserGroupID: "-1", UserGroupID: "-1"})
			return err
		}},
		{"root group", func() error { return c.DeleteUserGroup(ctx, "-1") }},
		{"RuleType \"ROW\"", func() error { _, err := c.ListCubeDataLevelPermissionConfig(ctx, "c", "ROW"); return err }},
		{"MissHitPolicy", func() error { return c.SetDataLevelPermissionExtraConfig(ctx, "c", RuleTypeRow, "SOME") }},
		{"ruleTargetScope", func() error {
			_, err := c.SetDataLevelPermissionRuleConfig(ctx, RuleModel{CubeID: "c", RuleName: "r", RuleLevelType: RuleTypeRow})
			return err
		}},
		{"UserId or AccountName, not both", func() error {
			_, err := c.CreateTicket(ctx, CreateTicketRequest{WorksID: "w", UserID: "u", AccountName: "a", AccountType: 1})
			return err
		}},
		{"AccountName needs AccountType", func() error {
			_, err := c.CreateTicket(ctx, CreateTicketRequest{WorksID: "w", AccountName: "a"})
			return err
		}},
		{"TicketNum 0 is outside 1..99998", func() error { return c.UpdateTicketNum(ctx, "t", 0) }},
		{"ExpireTime 241", func() error { return c.DelayTicketExpireTime(ctx, "t", 241) }},
		{"no ticket", func() error { return c.DeleteTicket(ctx, "") }},
		{"TagValue of 3001 characters", func() error { return c.UpdateUserTagValue(ctx, "u", "t", strings.Repeat("华", 3001)) }},
		{"no users or userGroups", func() error {
			return c.AddDataLevelPermissionRuleUsers(ctx, RuleUsersChange{RuleID: "r", CubeID: "c"})
		}},
		{"no RoleIds", func() error { return c.UpdateWorkspaceUserRole(ctx, "w", "u", nil) }},
	} {
		err := tc.call()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
	if n := len(fs.requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}
