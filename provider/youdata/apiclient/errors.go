package apiclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/permsync/permsync/internal/textsafe"
	"github.com/permsync/permsync/provider"
)

// Sentinel errors, for errors.Is.
var (
	// ErrNoCredentials: neither a token, a token key nor an email and
	// password were given.
	ErrNoCredentials = errors.New("no credentials: set PERMSYNC_TOKEN, PERMSYNC_TOKEN_KEY, or PERMSYNC_EMAIL and PERMSYNC_PASSWORD")
	// ErrTokenExpired: the server rejected the token and it could not be
	// renewed (a fixed token), or it was rejected again right after renewal.
	ErrTokenExpired = errors.New("the token is invalid or expired")
	// ErrAlreadyExists: role/folder/add answered that a folder of that name
	// exists.
	ErrAlreadyExists = errors.New("already exists")
)

// APIError is an answer of the server that is not a success: an envelope
// with code != 200, or an HTTP status other than 2xx. Message never holds a
// token, token key or password: it is scrubbed when the error is made.
type APIError struct {
	HTTPStatus int    // HTTP status of the answer
	Code       int    // envelope code; 0 when the body had none
	Message    string // envelope message, or the start of a non-JSON body
	Endpoint   string // e.g. "user/batchImport"
	LogPath    string // the server's operation log link, when given
	// RetryAfter is the server's Retry-After on HTTP 429 and 503, 0 when
	// absent.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "youdata %s: ", e.Endpoint)
	switch {
	case e.HTTPStatus != 0 && (e.HTTPStatus < 200 || e.HTTPStatus > 299):
		fmt.Fprintf(&b, "HTTP %d %s", e.HTTPStatus, http.StatusText(e.HTTPStatus))
		if e.Code != 0 {
			fmt.Fprintf(&b, ", code %d", e.Code)
		}
	default:
		fmt.Fprintf(&b, "code %d", e.Code)
	}
	// The message and the log link are the server's text: shown with
	// control characters escaped and workflow commands broken, so that
	// they cannot rewrite a terminal or forge a line of a CI log.
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", textsafe.Line(e.Message))
	}
	if e.LogPath != "" {
		fmt.Fprintf(&b, " (log: %s)", textsafe.Line(e.LogPath))
	}
	return b.String()
}

// TokenInvalid reports whether the error says the token is invalid or
// expired: envelope code CodeTokenInvalid or HTTP 401.
func (e *APIError) TokenInvalid() bool {
	return e.Code == CodeTokenInvalid || e.HTTPStatus == http.StatusUnauthorized
}

// TransportError is a request that got no usable answer: the connection
// failed, the request timed out, or the body could not be read in full.
// Its message is scrubbed of secrets (a url.Error names the URL, and a GET
// URL holds the token); Unwrap gives the underlying error for errors.Is.
type TransportError struct {
	Endpoint string
	Method   string
	// Timeout is set when the per-request timeout expired.
	Timeout bool
	// Canceled is set when the caller's context ended, or its deadline
	// would pass before the rate limit lets the request go; such an error
	// is never retried.
	Canceled bool
	// Permanent is set for failures a retry cannot fix: a TLS certificate
	// that does not verify, a plain HTTP answer to HTTPS.
	Permanent bool
	msg       string
	err       error
}

func (e *TransportError) Error() string {
	// The message may quote what the server sent.
	return fmt.Sprintf("youdata %s %s: %s", e.Method, e.Endpoint, textsafe.Line(e.msg))
}

func (e *TransportError) Unwrap() error { return e.err }

// ResponseError is a 2xx answer permsync cannot use: not JSON, truncated,
// no envelope, over the size cap, or a result of an unexpected shape.
type ResponseError struct {
	Endpoint   string
	HTTPStatus int
	Reason     string
}

func (e *ResponseError) Error() string {
	// The reason may quote the start of the server's body.
	return fmt.Sprintf("youdata %s: unusable answer (HTTP %d): %s", e.Endpoint, e.HTTPStatus, textsafe.Line(e.Reason))
}

// IsRetryable reports whether a failed call may succeed if made again:
// network errors, timeouts, HTTP 429 and 5xx. Everything else is not: HTTP
// 4xx, an envelope code != 200 (even with HTTP 200), an unusable answer, or
// the caller's context ending.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, ErrTokenExpired) {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.HTTPStatus == http.StatusTooManyRequests || ae.HTTPStatus >= 500
	}
	var te *TransportError
	if errors.As(err, &te) {
		return !te.Canceled && !te.Permanent
	}
	var re *ResponseError
	if errors.As(err, &re) {
		return false
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// retryAfter gives the Retry-After of an error, 0 when none.
func retryAfter(err error) time.Duration {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.RetryAfter
	}
	return 0
}

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

func isTokenInvalid(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.TokenInvalid()
}

// Classify says what an error of this client means for what comes next
// (see provider.Class): the one place that reads the server's codes and
// messages.
//
//   - An expired token, a cancelled call: terminal.
//   - HTTP 429 or 5xx, a timeout or a broken connection (IsRetryable), or
//     the server's own internal error (code >= 500): retryable.
//   - "...不存在" ("对应的用户组不存在", "对应的角色不存在", ...) in an envelope
//     the endpoint itself sent: the object is not found. An HTTP error
//     status, or "接口不存在" (no such endpoint: a gateway, or a server
//     without it), says nothing about the object.
//   - "...已存在" ("用户组名称已存在"): the name is taken.
func Classify(err error) provider.Class {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, ErrTokenExpired) {
		return provider.Terminal
	}
	if IsRetryable(err) {
		return provider.Retryable
	}
	var ae *APIError
	if !errors.As(err, &ae) {
		return provider.Terminal
	}
	switch {
	case ae.Code >= 500:
		return provider.Retryable
	case ae.HTTPStatus >= 200 && ae.HTTPStatus <= 299 && strings.Contains(ae.Message, "不存在") && !strings.Contains(ae.Message, "接口不存在"):
		return provider.NotFound
	case strings.Contains(ae.Message, "已存在"):
		return provider.AlreadyExists
	}
	return provider.Terminal
}

// ErrorClass is the error's class (Classify).
func (e *APIError) ErrorClass() provider.Class { return Classify(e) }
