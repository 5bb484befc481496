// Package service runs permsync as a long-lived process: a cron schedule
// of reconciliation runs that never overlap, their metrics in the
// Prometheus format, and the HTTP endpoints a platform probes (/healthz,
// /readyz, /metrics).
//
// A run (Reconciler) re-reads the files and the state, takes the state's
// lock, reads the server, plans, and in apply mode applies within the
// guard rails of 'permsync apply': a plan with refusals (a mass delete) is
// never applied unattended. The Scheduler starts runs, counts the ones it
// skips, and writes one summary log line per run. Nothing here parses
// command lines; cmd/permsync wires it up.
package service
