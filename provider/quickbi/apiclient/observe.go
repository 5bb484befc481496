package apiclient

import (
	"errors"
	"fmt"
	"time"
)

// CallInfo describes one HTTP attempt of a call, for metrics. It names the
// action, never a URL, a parameter, a header or a body, so it holds no
// secret.
type CallInfo struct {
	// Action is the Quick BI action, e.g. "AddUser".
	Action string
	// Method is the HTTP method.
	Method string
	// Result is the class of the outcome, one of the Result* constants.
	Result string
	// HTTPStatus of the answer, 0 when none came.
	HTTPStatus int
	// Duration is the time from asking for a slot (rate limit and
	// concurrency bound included) to the decoded answer.
	Duration time.Duration
	// Attempt counts the attempts of the call from 1.
	Attempt int
}

// Result classes of CallInfo. HTTP statuses other than 2xx are classed by
// their hundreds: "http_4xx" (business errors among them), "http_5xx".
const (
	ResultOK             = "ok"              // Success=true
	ResultThrottled      = "throttled"       // Throttling codes or HTTP 429
	ResultAPIError       = "api_error"       // HTTP 2xx with an error Code
	ResultNotApplied     = "not_applied"     // Success=false, Result=false
	ResultPartial        = "partial"         // a batch call with failures
	ResultTimeout        = "timeout"         // no answer within the request timeout
	ResultCanceled       = "canceled"        // the caller's context ended
	ResultTransportError = "transport_error" // connection failed, body cut short
	ResultBadResponse    = "bad_response"    // an answer that is not a usable envelope
	ResultOther          = "error"           // any other error
)

// ResultClass classes the outcome of a call or an attempt (nil: ResultOK).
// The classes are few and fixed, fit for a metric label.
func ResultClass(err error) string {
	if err == nil {
		return ResultOK
	}
	var ae *APIError
	if errors.As(err, &ae) {
		switch {
		case ae.Throttled():
			return ResultThrottled
		case ae.HTTPStatus >= 300 && ae.HTTPStatus <= 599:
			return fmt.Sprintf("http_%dxx", ae.HTTPStatus/100)
		default:
			return ResultAPIError
		}
	}
	var te *TransportError
	if errors.As(err, &te) {
		switch {
		case te.Canceled:
			return ResultCanceled
		case te.Timeout:
			return ResultTimeout
		default:
			return ResultTransportError
		}
	}
	var na *NotAppliedError
	if errors.As(err, &na) {
		return ResultNotApplied
	}
	var pf *PartialFailureError
	if errors.As(err, &pf) {
		return ResultPartial
	}
	var re *ResponseError
	if errors.As(err, &re) {
		return ResultBadResponse
	}
	return ResultOther
}
