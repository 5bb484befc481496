package quickbitest

import (
	"io"
	"net"
	"net/http"
	"time"
)

// Fault is the failure injected into one Action.
type Fault struct {
	// Latency is added before every answer.
	Latency time.Duration
	// Share5xx, ShareInternal and ShareThrottle are the shares (0..1) of
	// calls answered with HTTP 503 (an HTML body, as a load balancer
	// would), HTTP 500 InternalError (the gateway's JSON error), and
	// Throttling.User with an x-ratelimit-user-api header (HTTP
	// ThrottleStatus, default 400). ShareTimeout and ShareReset are the
	// shares of calls whose answer is held until the client gives up (then,
	// after Hold, HTTP 504) and of calls whose connection is closed without
	// an answer. One draw per call from the server's seeded source, so a
	// given sequence of calls fails the same way every run.
	Share5xx      float64
	ShareInternal float64
	ShareThrottle float64
	ShareTimeout  float64
	ShareReset    float64
	// ThrottleStatus is the HTTP status of injected throttling: 400
	// (default) or 429, the two the reference names.
	ThrottleStatus int
	// Hold bounds how long a timeout holds the answer (default 30s).
	Hold time.Duration
	// FailNext answers the next FailNext calls with HTTP 503.
	FailNext int
	// Permanent answers every call with HTTP 400 Internal.System.Error, a
	// business error that does not go away.
	Permanent bool
	// AfterApply makes the call (authenticated, validated and applied)
	// before answering with the injected failure: the answer is lost but
	// the change is made. Throttling is never applied: a rate limit
	// refuses a request before the server sees it.
	AfterApply bool
}

type faultKind string

const (
	faultNone      faultKind = ""
	fault503       faultKind = "HTTP 503"
	fault500       faultKind = "HTTP 500"
	faultThrottle  faultKind = "throttling"
	faultPermanent faultKind = "Internal.System.Error"
	faultTimeout   faultKind = "timeout"
	faultReset     faultKind = "reset"
)

const defaultHold = 30 * time.Second

type drawnFault struct {
	latency        time.Duration
	hold           time.Duration
	kind           faultKind
	afterApply     bool
	throttleStatus int
}

// SetFaults sets the faults of one Action ("AddUser"), or with "*" of
// every Action without faults of its own. A zero Fault clears.
func (s *Server) SetFaults(action string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == (Fault{}) {
		delete(s.faults, action)
		return
	}
	c := f
	s.faults[action] = &c
}

// FailObject makes every call to action that holds value (a whole
// parameter, an item of a list parameter, or a string inside a JSON
// parameter such as RuleModel) answer HTTP 400 Internal.System.Error
// until ClearFaults. The call is authenticated first and changes nothing.
func (s *Server) FailObject(action, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.objFaults[action] = append(s.objFaults[action], value)
}

// ClearFaults removes every fault and object failure.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = map[string]*Fault{}
	s.objFaults = map[string][]string{}
}

// FaultCounts returns the number of faults injected, by kind: "HTTP 503",
// "HTTP 500", "throttling", "Internal.System.Error", "timeout", "reset".
// Object failures and the Options.Throttle limit are not counted.
func (s *Server) FaultCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.faultCounts))
	for k, v := range s.faultCounts {
		out[string(k)] = v
	}
	return out
}

// drawFault decides the fault of one call; s.mu is held.
func (s *Server) drawFault(action string) drawnFault {
	f := s.faults[action]
	if f == nil {
		f = s.faults["*"]
	}
	if f == nil {
		return drawnFault{}
	}
	d := drawnFault{latency: f.Latency, afterApply: f.AfterApply, hold: f.Hold, throttleStatus: f.ThrottleStatus}
	switch {
	case f.Permanent:
		d.kind = faultPermanent
	case f.FailNext > 0:
		f.FailNext--
		d.kind = fault503
	case f.Share5xx > 0 || f.ShareInternal > 0 || f.ShareThrottle > 0 || f.ShareTimeout > 0 || f.ShareReset > 0:
		x := s.rnd.Float64()
		edge := 0.0
		for _, c := range []struct {
			share float64
			kind  faultKind
		}{{f.Share5xx, fault503}, {f.ShareInternal, fault500}, {f.ShareThrottle, faultThrottle},
			{f.ShareTimeout, faultTimeout}, {f.ShareReset, faultReset}} {
			edge += c.share
			if x < edge {
				d.kind = c.kind
				break
			}
		}
	}
	if d.kind == faultThrottle {
		d.afterApply = false
	}
	if d.kind != faultNone {
		s.faultCounts[d.kind]++
	}
	return d
}

func (s *Server) writeFault(w http.ResponseWriter, x *exchange, f drawnFault) {
	switch f.kind {
	case faultTimeout:
		hold := f.hold
		if hold <= 0 {
			hold = defaultHold
		}
		t := time.NewTimer(hold)
		defer t.Stop()
		select {
		case <-t.C:
		case <-x.hr.Context().Done():
			return
		}
		s.finish(x, http.StatusGatewayTimeout, "")
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusGatewayTimeout)
		_, _ = io.WriteString(w, "<html><body><h1>504 Gateway Time-out</h1></body></html>\n")
	case faultReset:
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic(http.ErrAbortHandler)
		}
		conn, _, err := hj.Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = conn.Close()
	case fault503:
		s.finish(x, http.StatusServiceUnavailable, "")
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>\n")
	case fault500:
		s.answerErr(w, x, gatewayErr(http.StatusInternalServerError, CodeInternalError,
			"The request processing has failed due to some unknown error."))
	case faultThrottle:
		status := f.throttleStatus
		if status == 0 {
			status = http.StatusBadRequest
		}
		now := s.now()
		sec := now.Truncate(time.Second).Add(time.Second)
		left := sec.Sub(now).Milliseconds()
		if left < 1 {
			left = 1
		}
		s.answerErr(w, x, &apiError{status: status, code: CodeThrottlingUser,
			msg: "Request was denied due to user flow control.", rateLimit: rateHeader(DefaultRateLimit, left, sec)})
	default:
		s.answerErr(w, x, bizErr(CodeInternalSystem, "An internal system error occurred."))
	}
}
