package apiclient

import (
	"fmt"
	"time"
)

// RetryAfterError is a call the server asked to make again later than the
// retry policy waits: its Retry-After (HTTP 429 or 503) goes beyond what
// is left of the retry budget (RetryPolicy.MaxElapsed) or beyond
// RetryPolicy.MaxRetryAfter. The client gives up at once instead of
// retrying before the server asked, or waiting out its budget for nothing.
// Unwrap gives the server's refusal (an *APIError).
type RetryAfterError struct {
	Endpoint string
	// RetryAfter is the wait the server asked for.
	RetryAfter time.Duration
	// Allowed is the longest wait the policy allowed at that point: the
	// budget left, or MaxRetryAfter when that is shorter.
	Allowed time.Duration
	// Budget is RetryPolicy.MaxElapsed; ByBudget is set when the budget
	// left (not MaxRetryAfter) was the bound.
	Budget   time.Duration
	ByBudget bool
	Attempts int
	Err      error
}

func (e *RetryAfterError) Error() string {
	bound := fmt.Sprintf("more than the %s retry budget left", seconds(e.Allowed))
	switch {
	case !e.ByBudget:
		bound = fmt.Sprintf("more than the longest wait for a Retry-After (%s)", seconds(e.Allowed))
	case e.Allowed < e.Budget-time.Second/2:
		bound = fmt.Sprintf("more than the %s left of the %s retry budget", seconds(e.Allowed), seconds(e.Budget))
	}
	after := ""
	if e.Attempts > 1 {
		after = fmt.Sprintf(" (gave up after %d attempts)", e.Attempts)
	}
	return fmt.Sprintf("the server asked to retry after %s (Retry-After), %s; try again later or raise --retry-budget%s: %v",
		seconds(e.RetryAfter), bound, after, e.Err)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// seconds writes a wait for a message: whole seconds from one second up
// ("120s", as in a Retry-After), milliseconds below.
func seconds(d time.Duration) string {
	if d >= time.Second {
		return fmt.Sprintf("%ds", int64(d.Round(time.Second)/time.Second))
	}
	return d.Round(time.Millisecond).String()
}
