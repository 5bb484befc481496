package service

import (
	"fmt"
	"net/http"
)

// Handler serves /healthz (the process is up), /readyz (the last run
// finished without error, or none has ended yet; 503 otherwise) and
// /metrics.
func (s *Scheduler) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		ready, err := s.Ready()
		if !ready {
			w.WriteHeader(http.StatusServiceUnavailable)
			// The run's error: file and server messages, never a secret
			// (the client scrubs them).
			fmt.Fprintf(w, "not ready: the last run failed: %v\n", err)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("/metrics", s.o.Metrics.Handler())
	return mux
}
