package apiclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/permsync/permsync/internal/textsafe"
	"github.com/permsync/permsync/provider"
)

// TestClassify: the documented codes map to the provider's classes.
func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		status int
		code   string
		want   provider.Class
	}{
		{400, "Throttling", provider.Retryable},
		{400, "Throttling.User", provider.Retryable},
		{503, "Throttling.Api", provider.Retryable},
		{429, "", provider.Retryable},
		{500, "InternalError", provider.Retryable},
		{503, "ServiceUnavailable", provider.Retryable},
		{502, "", provider.Retryable},
		{400, "Internal.System.Error", provider.Retryable},
		{400, "Usergroup.Not.Exist", provider.NotFound},
		{400, "UserGroup.Parent.NotFound", provider.NotFound},
		{400, "Workspace.Not.Exist", provider.NotFound},
		{400, "Cube.Not.Exist", provider.NotFound},
		{400, "User.Not.In.Organization", provider.NotFound},
		{400, "Report.NotExist.Error", provider.NotFound},
		{400, "UserTag.NotIn.CurrentOrganization", provider.NotFound},
		{400, "Duplicate.Name.Error", provider.AlreadyExists},
		{400, "Duplicate.UserGroup.Id", provider.AlreadyExists},
		{400, "NickName.AlreadyIn.Organization", provider.AlreadyExists},
		{400, "TagName.Repeat", provider.AlreadyExists},
		{400, "AE0150010001", provider.AlreadyExists},
		{400, "SignatureDoesNotMatch", provider.Terminal},
		{400, "IncompleteSignature", provider.Terminal},
		{404, "InvalidAccessKeyId.NotFound", provider.Terminal},
		{404, "InvalidApi.NotFound", provider.Terminal},
		{400, "InvalidTimeStamp.Expired", provider.Terminal},
		{400, "UserGroup.Remove.WithChildren", provider.Terminal},
		{400, "Organization.Analysts.ReachedTheUpperLimit", provider.Terminal},
		{400, "CanNot.Remove.WorkspaceOwner", provider.Terminal},
		{400, "Access.Forbidden", provider.Terminal},
	} {
		err := error(&APIError{Action: "X", HTTPStatus: tc.status, Code: tc.code})
		if got := Classify(err); got != tc.want {
			t.Errorf("HTTP %d %s: %v, want %v", tc.status, tc.code, got, tc.want)
		}
		if got := provider.ClassOf(wrapTwice(err)); got != tc.want {
			t.Errorf("HTTP %d %s wrapped: %v, want %v", tc.status, tc.code, got, tc.want)
		}
	}
	for _, tc := range []struct {
		err  error
		want provider.Class
	}{
		{nil, provider.Terminal},
		{context.Canceled, provider.Terminal},
		{&TransportError{Timeout: true}, provider.Retryable},
		{&TransportError{Canceled: true}, provider.Terminal},
		{&TransportError{Permanent: true}, provider.Terminal},
		{&ResponseError{}, provider.Terminal},
		{&NotAppliedError{}, provider.Terminal},
		{&RetryAfterError{Err: &APIError{HTTPStatus: 400, Code: "Throttling"}}, provider.Retryable},
		{&PartialFailureError{Failures: []UserFailure{{"u1", "AE0150010001: This user already exists."}}}, provider.AlreadyExists},
		{&PartialFailureError{Failures: []UserFailure{{"u1", "AE0150010001: x"}, {"u2", "Viewer.CannotHave.CustomRole"}}}, provider.Terminal},
		{&PartialFailureError{Unnamed: 1}, provider.Terminal},
	} {
		if got := provider.ClassOf(wrapTwice(tc.err)); tc.err != nil && got != tc.want {
			t.Errorf("%#v: %v, want %v", tc.err, got, tc.want)
		}
		if got := Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%#v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func wrapTwice(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("outer: %w", fmt.Errorf("inner: %w", err))
}

// TestAPIErrorText: the gateway's authentication errors say what to
// check; the server's text is escaped before it reaches a terminal.
func TestAPIErrorText(t *testing.T) {
	for code, want := range map[string]string{
		"SignatureDoesNotMatch":        "check PERMSYNC_ACCESS_KEY_SECRET",
		"IncompleteSignature":          "check PERMSYNC_ACCESS_KEY_SECRET",
		"InvalidAccessKeyId.NotFound":  "check PERMSYNC_ACCESS_KEY_ID",
		"InvalidAccessKeyId.Inactive":  "the AccessKey is disabled",
		"InvalidSecurityToken.Expired": "check PERMSYNC_SECURITY_TOKEN",
		"InvalidTimeStamp.Expired":     "fix this machine's clock",
		"Access.Forbidden":             "Professional edition",
		"Invalid.User.Admin":           "administrator of the Quick BI organization",
		"InvalidApi.NotFound":          "is --server a Quick BI endpoint",
	} {
		e := &APIError{Action: "AddUser", HTTPStatus: 400, Code: code, Message: "m", RequestID: "R1", Recommend: "https://api.aliyun.com/troubleshoot?q=" + code}
		s := e.Error()
		for _, w := range []string{"quickbi AddUser: HTTP 400 " + code + ": m", "RequestId R1", "see https://api.aliyun.com/troubleshoot?q=" + code, want} {
			if !strings.Contains(s, w) {
				t.Errorf("%s: %q lacks %q", code, s, w)
			}
		}
	}
	e := &APIError{Action: "AddUser", HTTPStatus: 400, Code: "X\x1b[2J", Message: "line1\n::error::forged \x1b]0;title\x07 ##[error]x", Recommend: "https://x/\r\n##vso[task.setvariable]"}
	s := e.Error()
	if bad := textsafe.Unsafe(s); len(bad) > 0 || strings.ContainsAny(s, "\x1b\n\r\x07") {
		t.Errorf("server text reaches the terminal raw: %q: %v", s, bad)
	}
}

// TestEnvelopes: how answers turn into results and errors.
func TestEnvelopes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		check  func(t *testing.T, err error)
	}{
		{"business error", 400, `{"RequestId":"R","HostId":"h","Code":"Usergroup.Not.Exist","Message":"The user group does not exist.","Recommend":"https://x"}`, func(t *testing.T, err error) {
			var ae *APIError
			if !errors.As(err, &ae) || ae.Code != "Usergroup.Not.Exist" || ae.RequestID != "R" || ae.HostID != "h" || ae.Recommend != "https://x" || !provider.IsNotFound(err) {
				t.Errorf("err = %#v", err)
			}
		}},
		{"code in a 200", 200, `{"RequestId":"R","Code":"Invalid.Parameter","Message":"bad"}`, func(t *testing.T, err error) {
			var ae *APIError
			if !errors.As(err, &ae) || ae.Code != "Invalid.Parameter" || ae.HTTPStatus != 200 {
				t.Errorf("err = %#v", err)
			}
		}},
		{"Success=false", 200, `{"RequestId":"R","Success":false,"Result":true}`, func(t *testing.T, err error) {
			var na *NotAppliedError
			if !errors.As(err, &na) || !strings.Contains(err.Error(), "nothing was saved") || na.RequestID != "R" {
				t.Errorf("err = %v", err)
			}
		}},
		{"Result=false", 200, `{"RequestId":"R","Success":true,"Result":false}`, func(t *testing.T, err error) {
			var na *NotAppliedError
			if !errors.As(err, &na) || !strings.Contains(err.Error(), "did not take effect") {
				t.Errorf("err = %v", err)
			}
		}},
		{"Result not a boolean", 200, `{"RequestId":"R","Success":true,"Result":{"a":1}}`, func(t *testing.T, err error) {
			var re *ResponseError
			if !errors.As(err, &re) {
				t.Errorf("err = %v", err)
			}
		}},
		{"not JSON", 200, `<html>oops</html>`, func(t *testing.T, err error) {
			var re *ResponseError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), "not a JSON envelope") {
				t.Errorf("err = %v", err)
			}
		}},
		{"truncated", 200, `{"RequestId":"R","Success":tr`, func(t *testing.T, err error) {
			var re *ResponseError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), "truncated or malformed") {
				t.Errorf("err = %v", err)
			}
		}},
		{"empty", 200, ``, func(t *testing.T, err error) {
			var re *ResponseError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), "empty body") {
				t.Errorf("err = %v", err)
			}
		}},
		{"a proxy's HTML 502", 502, `<html><body>Bad Gateway</body></html>`, func(t *testing.T, err error) {
			var ae *APIError
			if !errors.As(err, &ae) || ae.Code != "" || !strings.Contains(ae.Message, "not a JSON envelope") || !IsRetryable(err) {
				t.Errorf("err = %v", err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, rec recorded) { writeRaw(w, tc.status, tc.body) })
			cfg := testConfig(fs.URL)
			cfg.Retry.MaxAttempts = 1
			c := newTestClient(t, cfg)
			err := c.DeleteUserGroup(context.Background(), "g1")
			if err == nil {
				t.Fatal("no error")
			}
			tc.check(t, err)
		})
	}
}

// TestEmptyIDIsNotApplied: CreateUserGroup answers "" on failure.
func TestEmptyIDIsNotApplied(t *testing.T) {
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, rec recorded) { writeRaw(w, 200, okResult(`""`)) })
	c := newTestClient(t, testConfig(fs.URL))
	_, err := c.CreateUserGroup(context.Background(), CreateUserGroupRequest{UserGroupName: "g", ParentUserGroupID: "-1"})
	var na *NotAppliedError
	if !errors.As(err, &na) || !strings.Contains(err.Error(), `creating user group "g"`) {
		t.Fatalf("err = %v", err)
	}
}

// TestPartialFailure: a batch that answers Success=true with failures
// gives the result and a typed error naming each failed user, sorted.
func TestPartialFailure(t *testing.T) {
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, rec recorded) {
		writeRaw(w, 200, okResult(`{"Total":4,"Success":1,"Failure":3,"FailureDetail":{"u3":"AE0150010001: This user already exists.","u1":"Viewer.CannotHave.CustomRole","u2":"AE0150010001: This user already exists."}}`))
	})
	c := newTestClient(t, testConfig(fs.URL))
	res, err := c.AddWorkspaceUsers(context.Background(), "ws", []string{"u0", "u1", "u2", "u3"}, WorkspaceRoleAnalyst)
	var pf *PartialFailureError
	if !errors.As(err, &pf) {
		t.Fatalf("err = %v", err)
	}
	if res == nil || res.Total != 4 || res.Success != 1 || res.Failure != 3 {
		t.Errorf("result %+v", res)
	}
	want := []UserFailure{{"u1", "Viewer.CannotHave.CustomRole"}, {"u2", "AE0150010001: This user already exists."}, {"u3", "AE0150010001: This user already exists."}}
	if d := cmp.Diff(want, pf.Failures); d != "" {
		t.Errorf("failures (-want +got):\n%s", d)
	}
	if !pf.Failures[1].AlreadyMember() || pf.Failures[0].AlreadyMember() {
		t.Errorf("AlreadyMember wrong")
	}
	if pf.Reasons()["u1"] != "Viewer.CannotHave.CustomRole" {
		t.Errorf("Reasons %v", pf.Reasons())
	}
	if s := err.Error(); !strings.Contains(s, "3 of 4 users failed: u1: Viewer.CannotHave.CustomRole; u2: AE0150010001") {
		t.Errorf("error text %q", s)
	}
	if Classify(err) != provider.Terminal || ResultClass(err) != ResultPartial {
		t.Errorf("class %v / %s", Classify(err), ResultClass(err))
	}

	// Failures counted without being named.
	fs2 := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, rec recorded) {
		writeRaw(w, 200, okResult(`{"Total":2,"Success":0,"Failure":2,"FailureDetail":{"u1":"AE0150010001: This user already exists."}}`))
	})
	c = newTestClient(t, testConfig(fs2.URL))
	_, err = c.UpdateWorkspaceUsersRole(context.Background(), "ws", []string{"u1", "u2"}, WorkspaceRoleViewer)
	if !errors.As(err, &pf) || pf.Unnamed != 1 || !strings.Contains(err.Error(), "1 not named by the server") || Classify(err) != provider.Terminal {
		t.Errorf("err = %v", err)
	}
}

// TestResponseCap: an answer over MaxResponseBytes is refused, not read
// whole.
func TestResponseCap(t *testing.T) {
	fs := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, rec recorded) {
		writeRaw(w, 200, okResult(`[`+strings.Repeat(`{"TagId":"t","TagName":"n"},`, 1000)+`{}]`))
	})
	cfg := testConfig(fs.URL)
	cfg.MaxResponseBytes = 4096
	c := newTestClient(t, cfg)
	_, err := c.QueryUserTagMetaList(context.Background())
	var re *ResponseError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "larger than the 4096-byte cap") || IsRetryable(err) {
		t.Fatalf("err = %v", err)
	}
	if fs.count("QueryUserTagMetaList") != 1 {
		t.Errorf("retried")
	}
}

func TestTimeLeft(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		api, user, retryAfter string
		want                  time.Duration
	}{
		{"", "", "", 0},
		{"", "Limit:1,Remain:0,TimeLeft:2000,Reset:1234", "", 2 * time.Second},
		{"Limit:1,Remain:0,TimeLeft:2000,Reset:1234", "", "", 2 * time.Second},
		{"Limit:1,Remain:0,TimeLeft:2000,Reset:1234", "Limit:1,Remain:0,TimeLeft:3500,Reset:1", "", 3500 * time.Millisecond},
		{"Remaining:10, TimeLeft: 5", "", "", 5 * time.Millisecond},
		{"Invalid", "TimeLeft:x", "", 0},
		{"TimeLeft:-5", "", "", 0},
		{"", "", "3", 3 * time.Second},
		{"TimeLeft:500", "", "2", 2 * time.Second},
		{"TimeLeft:99999999999999", "", "", 24 * time.Hour},
	} {
		h := http.Header{}
		if tc.api != "" {
			h.Set("x-ratelimit-user-api", tc.api)
		}
		if tc.user != "" {
			h.Set("x-ratelimit-user", tc.user)
		}
		if tc.retryAfter != "" {
			h.Set("Retry-After", tc.retryAfter)
		}
		if got := throttleWait(h, now); got != tc.want {
			t.Errorf("%q / %q / %q: %s, want %s", tc.api, tc.user, tc.retryAfter, got, tc.want)
		}
	}
}

func TestResultClass(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ResultOK},
		{&APIError{HTTPStatus: 400, Code: "Throttling.User"}, ResultThrottled},
		{&APIError{HTTPStatus: 429}, ResultThrottled},
		{&APIError{HTTPStatus: 400, Code: "Cube.Not.Exist"}, "http_4xx"},
		{&APIError{HTTPStatus: 503, Code: "ServiceUnavailable"}, "http_5xx"},
		{&APIError{HTTPStatus: 200, Code: "X"}, ResultAPIError},
		{&NotAppliedError{}, ResultNotApplied},
		{&TransportError{Timeout: true}, ResultTimeout},
		{&TransportError{Canceled: true}, ResultCanceled},
		{&TransportError{}, ResultTransportError},
		{&ResponseError{}, ResultBadResponse},
		{errors.New("x"), ResultOther},
	} {
		if got := ResultClass(tc.err); got != tc.want {
			t.Errorf("ResultClass(%#v) = %s, want %s", tc.err, got, tc.want)
		}
	}
}
