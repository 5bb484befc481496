package apiclient

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryAfterError is a throttled call whose server asked to wait longer
// than the retry policy allows: the TimeLeft of its rate-limit headers (or
// its Retry-After) goes beyond what is left of the retry budget
// (RetryPolicy.MaxElapsed) or beyond RetryPolicy.MaxRetryAfter. The client
// gives up at once instead of retrying before the server asked, or waiting
// out its budget for nothing. Unwrap gives the server's refusal.
type RetryAfterError struct {
	Action string
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
		bound = fmt.Sprintf("more than the longest wait allowed for it (%s)", seconds(e.Allowed))
	case e.Allowed < e.Budget-time.Second/2:
		bound = fmt.Sprintf("more than the %s left of the %s retry budget", seconds(e.Allowed), seconds(e.Budget))
	}
	after := ""
	if e.Attempts > 1 {
		after = fmt.Sprintf(" (gave up after %d attempts)", e.Attempts)
	}
	return fmt.Sprintf("quickbi %s: throttled, and the server asked to wait %s, %s; try again later or raise --retry-budget%s: %v",
		e.Action, seconds(e.RetryAfter), bound, after, e.Err)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// seconds writes a wait for a message: whole seconds from one second up,
// milliseconds below.
func seconds(d time.Duration) string {
	if d >= time.Second {
		return fmt.Sprintf("%ds", int64(d.Round(time.Second)/time.Second))
	}
	return d.Round(time.Millisecond).String()
}

// throttleWait reads how long a throttled answer asks to wait: the larger
// TimeLeft of x-ratelimit-user-api and x-ratelimit-user (comma-separated
// key:value pairs; TimeLeft in milliseconds, as the Alibaba Cloud runtime
// reads it), or a Retry-After header (seconds or an HTTP date) when larger.
func throttleWait(h http.Header, now time.Time) time.Duration {
	d := max(timeLeft(h.Get("x-ratelimit-user-api")), timeLeft(h.Get("x-ratelimit-user")))
	return max(d, parseRetryAfter(h.Get("Retry-After"), now))
}

// timeLeft is the TimeLeft of one rate-limit header, 0 when absent or
// unreadable.
func timeLeft(v string) time.Duration {
	for _, pair := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(pair, ":")
		if !ok || strings.TrimSpace(k) != "TimeLeft" {
			continue
		}
		ms, err := strconv.ParseInt(strings.TrimSpace(val), 10, 64)
		if err != nil || ms <= 0 {
			return 0
		}
		// A wait beyond a day is a broken header, not a plan: capped, so
		// the multiplication cannot overflow; the policy refuses it anyway.
		return time.Duration(min(ms, int64(24*time.Hour/time.Millisecond))) * time.Millisecond
	}
	return 0
}

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(min(s, int64(24*time.Hour/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
