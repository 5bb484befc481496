package apiclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/permsync/permsync/internal/textsafe"
	"github.com/permsync/permsync/provider"
)

// APIError is an answer of the gateway or of Quick BI that is not a
// success: HTTP 4xx/5xx with {RequestId, HostId, Code, Message, Recommend}
// (business errors come back as HTTP 400), or a Code in a 2xx answer. It
// never holds the raw body: Message is the server's message, scrubbed of
// the AccessKey secret, the security token and the request's signature
// (IncompleteSignature quotes the server's string to sign), and shortened.
type APIError struct {
	Action     string // e.g. "AddUser"
	HTTPStatus int
	Code       string // e.g. "NickName.AlreadyIn.Organization"
	Message    string
	RequestID  string
	HostID     string
	// Recommend is the gateway's troubleshooting URL, when given.
	Recommend string
	// RetryAfter is how long the server asked to wait: the TimeLeft of the
	// x-ratelimit-user-api / x-ratelimit-user headers of a throttling
	// answer (the larger of the two), or a Retry-After header; 0 when
	// none.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "quickbi %s: ", e.Action)
	if e.HTTPStatus < 200 || e.HTTPStatus > 299 {
		fmt.Fprintf(&b, "HTTP %d", e.HTTPStatus)
	} else {
		fmt.Fprintf(&b, "answer (HTTP %d)", e.HTTPStatus)
	}
	// The server's text is shown with control characters escaped and
	// workflow commands broken, so that it cannot rewrite a terminal or
	// forge a line of a CI log.
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", textsafe.Line(e.Code))
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", textsafe.Line(e.Message))
	}
	var notes []string
	if e.RequestID != "" {
		notes = append(notes, "RequestId "+textsafe.Line(e.RequestID))
	}
	if e.Recommend != "" {
		notes = append(notes, "see "+textsafe.Line(e.Recommend))
	}
	if len(notes) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(notes, "; "))
	}
	if h := e.Hint(); h != "" {
		fmt.Fprintf(&b, ": %s", h)
	}
	return b.String()
}

// Throttled reports whether the server refused the request for flow
// control: the codes Throttling, Throttling.User, Throttling.Api (whatever
// the HTTP status), or HTTP 429. Such a request was not carried out.
func (e *APIError) Throttled() bool {
	return isThrottlingCode(e.Code) || e.HTTPStatus == http.StatusTooManyRequests
}

func isThrottlingCode(code string) bool {
	return code == "Throttling" || strings.HasPrefix(code, "Throttling.")
}

// Hint says what to do about an error of the gateway's authentication or
// of the organization's setup, "" for other errors.
func (e *APIError) Hint() string {
	switch {
	case e.Code == "SignatureDoesNotMatch" || e.Code == "IncompleteSignature":
		return "the signature was refused: check PERMSYNC_ACCESS_KEY_SECRET (it must belong to PERMSYNC_ACCESS_KEY_ID)"
	case e.Code == "InvalidAccessKeyId.NotFound":
		return "the AccessKey is not known: check PERMSYNC_ACCESS_KEY_ID"
	case e.Code == "InvalidAccessKeyId.Inactive":
		return "the AccessKey is disabled: enable it or use another (PERMSYNC_ACCESS_KEY_ID)"
	case strings.HasPrefix(e.Code, "InvalidSecurityToken"):
		return "the STS security token was refused: check PERMSYNC_SECURITY_TOKEN (STS tokens expire; it must belong to the AccessKey)"
	case e.Code == "InvalidTimeStamp.Expired":
		return "the request time is more than 15 minutes off the server's: fix this machine's clock"
	case e.Code == "SignatureNonceUsed":
		return "the server has seen this request's nonce before (a replay or a clock problem)"
	case e.Code == "InvalidApi.NotFound":
		return "no such action in quickbi-public 2022-01-01: is --server a Quick BI endpoint?"
	case e.Code == "Access.Forbidden":
		return "only the Professional edition (and above) may call the API, with an AccessKey allowed to"
	case e.Code == "Invalid.User.Admin":
		return "the AccessKey's account must be an administrator of the Quick BI organization (and have logged in to Quick BI once)"
	case e.Code == "Instance.Expired" || e.Code == "Instance.Not.Exist":
		return "no valid Quick BI instance for this account in this region: check --region"
	case strings.HasPrefix(e.Code, "Forbidden") || e.Code == "NoPermission":
		return "the RAM policy of the AccessKey does not allow quickbi-public:" + e.Action
	case e.Code == "GlobalParam.Restricted.Use":
		return "global parameters must be enabled for the organization by Quick BI staff"
	}
	return ""
}

// ErrorClass is the error's class (Classify).
func (e *APIError) ErrorClass() provider.Class { return Classify(e) }

// TransportError is a request that got no usable answer: the connection
// failed, the request timed out, or the body could not be read in full.
// Its message is scrubbed of secrets; Unwrap gives the underlying error.
type TransportError struct {
	Action string
	Method string
	// Timeout is set when the per-request timeout expired.
	Timeout bool
	// Canceled is set when the caller's context ended, or its deadline
	// would pass before the rate limit lets the request go; such an error
	// is never retried.
	Canceled bool
	// Permanent is set for failures a retry cannot fix: a TLS certificate
	// that does not verify, a plain HTTP answer to HTTPS.
	Permanent bool
	// NotSent is set when the connection could not be made (dial, DNS):
	// the request never reached the server.
	NotSent bool
	msg     string
	err     error
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("quickbi %s %s: %s", e.Method, e.Action, textsafe.Line(e.msg))
}

func (e *TransportError) Unwrap() error { return e.err }

// ErrorClass is the error's class (Classify).
func (e *TransportError) ErrorClass() provider.Class { return Classify(e) }

// ResponseError is a 2xx answer permsync cannot use: not JSON, truncated,
// no envelope, over the size cap, or a Result of an unexpected shape.
type ResponseError struct {
	Action     string
	HTTPStatus int
	Reason     string
}

func (e *ResponseError) Error() string {
	return fmt.Sprintf("quickbi %s: unusable answer (HTTP %d): %s", e.Action, e.HTTPStatus, textsafe.Line(e.Reason))
}

// ErrorClass is the error's class (Classify).
func (e *ResponseError) ErrorClass() provider.Class { return provider.Terminal }

// NotAppliedError is a success answer that says the call changed nothing:
// Success=false (for the batch calls: nothing was saved), a boolean
// Result=false (the operation did not take effect), or an empty id where
// an id was to be returned.
type NotAppliedError struct {
	Action    string
	RequestID string
	Reason    string
}

func (e *NotAppliedError) Error() string {
	s := fmt.Sprintf("quickbi %s: not applied: %s", e.Action, e.Reason)
	if e.RequestID != "" {
		s += " (RequestId " + textsafe.Line(e.RequestID) + ")"
	}
	return s
}

// ErrorClass is the error's class (Classify).
func (e *NotAppliedError) ErrorClass() provider.Class { return provider.Terminal }

// AlreadyMemberCode is the reason AddWorkspaceUsers gives in FailureDetail
// for a user who is already a member of the workspace.
const AlreadyMemberCode = "AE0150010001"

// UserFailure is one user's failure in a batch call's FailureDetail.
type UserFailure struct {
	UserID string
	Reason string // the server's text, e.g. "AE0150010001: This user already exists."
}

// AlreadyMember reports whether the reason is AE0150010001: the user is
// already a member of the workspace.
func (f UserFailure) AlreadyMember() bool {
	return strings.HasPrefix(strings.TrimSpace(f.Reason), AlreadyMemberCode)
}

// PartialFailureError is a batch call (AddWorkspaceUsers,
// UpdateWorkspaceUsersRole) that answered Success=true with failures: the
// users not in Failures were saved, those in it were not.
type PartialFailureError struct {
	Action    string
	RequestID string
	Total     int
	Succeeded int
	// Failures, sorted by UserID. When the server counted failures without
	// naming them, Unnamed is their number.
	Failures []UserFailure
	Unnamed  int
}

func (e *PartialFailureError) Error() string {
	var b strings.Builder
	n := len(e.Failures) + e.Unnamed
	fmt.Fprintf(&b, "quickbi %s: %d of %d users failed", e.Action, n, e.Total)
	const show = 10
	for i, f := range e.Failures {
		if i == show {
			fmt.Fprintf(&b, "; and %d more", len(e.Failures)-show)
			break
		}
		sep := "; "
		if i == 0 {
			sep = ": "
		}
		fmt.Fprintf(&b, "%s%s: %s", sep, textsafe.Line(f.UserID), textsafe.Line(f.Reason))
	}
	if e.Unnamed > 0 {
		fmt.Fprintf(&b, " (%d not named by the server)", e.Unnamed)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (RequestId %s)", textsafe.Line(e.RequestID))
	}
	return b.String()
}

// Reasons maps each failed UserID to the server's reason.
func (e *PartialFailureError) Reasons() map[string]string {
	m := make(map[string]string, len(e.Failures))
	for _, f := range e.Failures {
		m[f.UserID] = f.Reason
	}
	return m
}

// ErrorClass is AlreadyExists when every failure is AE0150010001 (the
// users were members already), Terminal otherwise.
func (e *PartialFailureError) ErrorClass() provider.Class {
	if e.Unnamed > 0 || len(e.Failures) == 0 {
		return provider.Terminal
	}
	for _, f := range e.Failures {
		if !f.AlreadyMember() {
			return provider.Terminal
		}
	}
	return provider.AlreadyExists
}

// Codes that name an object the call refers to which is not on the server.
// Gateway codes such as InvalidApi.NotFound (no such action) or
// InvalidAccessKeyId.NotFound say nothing about the object.
var notFoundCodes = map[string]bool{
	"usergroup.not.exist":               true,
	"usergroup.parent.notfound":         true,
	"workspace.not.exist":               true,
	"workspace.notin.organization":      true,
	"cube.not.exist":                    true,
	"user.not.in.organization":          true,
	"invalid.user.organization":         true,
	"invalid.user":                      true,
	"apiuser.not.exists":                true,
	"report.notexist.error":             true,
	"report.notexist":                   true,
	"usertag.notin.currentorganization": true,
	"authorize3rdticket.notexist":       true,
	"datasource.notfound.error":         true,
	"application.object.notexist":       true,
}

// Codes that say the name or id the call gives is taken.
var alreadyExistsCodes = map[string]bool{
	"duplicate.name.error":             true,
	"duplicate.usergroup.id":           true,
	"nickname.alreadyin.organization":  true,
	"tagname.repeat":                   true,
	strings.ToLower(AlreadyMemberCode): true,
}

// Codes of the server's own transient failures.
var retryableCodes = map[string]bool{
	"internalerror":         true,
	"serviceunavailable":    true,
	"internal.system.error": true,
}

// IsRetryable reports whether a failed call may succeed if made again:
// throttling (whatever the HTTP status), HTTP 429 and 5xx, the server's
// own internal errors (InternalError, ServiceUnavailable,
// Internal.System.Error), network errors and timeouts. Not: other 4xx
// answers, unusable answers, a call that was not applied, partial
// failures, or the caller's context ending.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Throttled() || ae.HTTPStatus >= 500 || retryableCodes[strings.ToLower(ae.Code)]
	}
	var te *TransportError
	if errors.As(err, &te) {
		return !te.Canceled && !te.Permanent
	}
	var re *ResponseError
	var na *NotAppliedError
	var pf *PartialFailureError
	if errors.As(err, &re) || errors.As(err, &na) || errors.As(err, &pf) {
		return false
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// IsThrottled reports whether err is a throttling refusal.
func IsThrottled(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Throttled()
}

// Classify says what an error of this client means for what comes next
// (see provider.Class); it is the one place that reads Quick BI's codes.
//
//   - Throttling, HTTP 429 and 5xx, InternalError, ServiceUnavailable,
//     Internal.System.Error, timeouts and broken connections: Retryable.
//   - Usergroup.Not.Exist, Workspace.Not.Exist, Cube.Not.Exist,
//     User.Not.In.Organization, Report.NotExist.Error and the like:
//     NotFound.
//   - Duplicate.Name.Error, Duplicate.UserGroup.Id,
//     NickName.AlreadyIn.Organization, TagName.Repeat, AE0150010001:
//     AlreadyExists; a partial failure whose every reason is AE0150010001
//     too.
//   - Everything else, the gateway's authentication and signature errors
//     among them (their messages say what to check), a cancelled call: Terminal.
func Classify(err error) provider.Class {
	if err == nil || errors.Is(err, context.Canceled) {
		return provider.Terminal
	}
	if IsRetryable(err) {
		return provider.Retryable
	}
	var pf *PartialFailureError
	if errors.As(err, &pf) {
		return pf.ErrorClass()
	}
	var ae *APIError
	if !errors.As(err, &ae) {
		return provider.Terminal
	}
	code := strings.ToLower(ae.Code)
	switch {
	case notFoundCodes[code]:
		return provider.NotFound
	case alreadyExistsCodes[code], strings.HasPrefix(strings.TrimSpace(ae.Message), AlreadyMemberCode):
		return provider.AlreadyExists
	}
	return provider.Terminal
}
