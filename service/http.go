package service

import (
	"fmt"
	"net/http"

	"github.com/permsync/permsync/internal/textsafe"
)

// Handler serves /healthz (liveness: 503 once a run is wedged past its
// deadline, see Healthy), /readyz (no run stuck past its deadline, and
// the last run finished without error or none has ended yet; 503
// otherwise) and /metrics.
func (s *Scheduler) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if ok, err := s.Healthy(); !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "not healthy: %s\n", textsafe.Line(err.Error()))
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		ready, err := s.Ready()
		if !ready {
			w.WriteHeader(http.StatusServiceUnavailable)
			// The run's error: file and server messages, never a secret
			// (the client scrubs them), escaped onto one line.
			fmt.Fprintf(w, "not ready: %s\n", textsafe.Line(err.Error()))
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("/metrics", s.o.Metrics.Handler())
	return mux
}
