package apiclient

import (
	"errors"
	"fmt"
	"time"
)

// CallInfo describes one HTTP attempt of a call, for metrics. It names the
// endpoint, never a URL, a query or a body, so it holds no secret.
type CallInfo struct {
	// Endpoint is the path under /api/dash/, e.g. "user/batchImport".
	Endpoint string
	// Method is the HTTP method.
	Method string
	// Result is the class of the outcome, one of the Result* constants.
	Result string
	// Duration is the time from asking for a slot (rate limit and
	// concurrency bound included) to the decoded answer.
	Duration time.Duration
	// Attempt counts the attempts of the call from 1 (retries and the
	// attempt after a token renewal count).
	Attempt int
}

// Result classes of CallInfo. HTTP statuses other than 2xx are classed by
// their hundreds: "http_4xx", "http_5xx" (and "http_3xx" for a redirect
// that was not followed).
const (
	ResultOK             = "ok"              // code 200
	ResultAPIError       = "api_error"       // HTTP 2xx, envelope code other than 200
	ResultTokenInvalid   = "token_invalid"   // the token was refused (code 401 or HTTP 401)
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
		case ae.TokenInvalid():
			return ResultTokenInvalid
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
	var re *ResponseError
	if errors.As(err, &re) {
		return ResultBadResponse
	}
	return ResultOther
}
