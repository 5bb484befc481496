package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	// Time zones for --timezone and CRON_TZ= even in an image without
	// /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/internal/textsafe"
	"github.com/permsync/permsync/service"
)

func init() {
	register(command{
		name:    "run",
		summary: "run as a service: reconcile on a cron schedule, with metrics and health checks",
		run:     runRun,
	})
}

// runFlags are the flags of 'permsync run' beyond the planning ones.
type runFlags struct {
	schedule  string
	mode      string
	listen    string
	jitter    time.Duration
	timezone  string
	logFormat string
	batchSize int
	verify    *verifyFlag
	refresh   *refreshFlags
	// runTimeout is a run's deadline; shutdownGrace how long a cancelled
	// run may take to finish its calls and record them.
	runTimeout    time.Duration
	shutdownGrace time.Duration
	// reassertEvery is how often a run sends again the facets the server
	// cannot show (0: never).
	reassertEvery time.Duration
	// trail are the audit log, kept runs and notifications.
	trail *trailFlags
	// report is the access report (--access-report).
	report *reportFlags
	// embed serves POST /v1/embed/PROFILE on --listen.
	embed bool
}

// Defaults of --run-timeout and --shutdown-grace.
const (
	defaultRunTimeout    = 30 * time.Minute
	defaultShutdownGrace = service.DefaultStopGrace
)

func runRun(ctx context.Context, env *cmdEnv, args []string) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	// The planning flags but --allow-mass-delete and --no-color: a service
	// never lifts a refusal, and it has no terminal.
	pf := &planFlags{}
	fs.Var(&pf.files, "f", "a YAML file or a directory of them (repeatable); re-read at every run")
	fs.StringVar(&pf.statePath, "state", "", "the state file (default .permsync/state.json beside the first -f path); re-read at every run")
	fs.StringVar(&pf.tokenUser, "token-user", "", "uniqueId of the user behind the token, never removed or unbound (default $PERMSYNC_TOKEN_USER, else $PERMSYNC_EMAIL)")
	fs.StringVar(&pf.simulator, "simulator", "", "run against an embedded simulator seeded from this file instead of a server")
	pf.server = addServerFlags(fs)
	rf := &runFlags{}
	rf.trail = addTrailFlags(fs)
	rf.report = addReportFlags(fs)
	fs.StringVar(&rf.schedule, "schedule", "", `when to run (required): 5 cron fields ("*/15 * * * *"), or a descriptor ("@every 10m", "@hourly"); "CRON_TZ=Asia/Shanghai ..." sets the zone. The first run is at start-up`)
	fs.StringVar(&rf.mode, "mode", string(service.ModeApply), "apply: apply the drift within the guard rails (a plan with refusals is never applied); plan: only report it")
	fs.StringVar(&rf.listen, "listen", "", `address of /healthz, /readyz and /metrics, e.g. ":9090" or "127.0.0.1:9090" (default: no HTTP)`)
	fs.DurationVar(&rf.jitter, "jitter", 30*time.Second, "delay each scheduled run by a random duration up to this (0: none)")
	fs.StringVar(&rf.timezone, "timezone", "Local", `time zone of the schedule, e.g. "Asia/Shanghai" (a CRON_TZ= in the schedule wins)`)
	fs.StringVar(&rf.logFormat, "log-format", "text", "log format: text or json")
	fs.IntVar(&rf.batchSize, "batch-size", 500, "users per user/batchImport call")
	rf.verify = addVerifyFlag(fs, "after an apply, read again and plan again, and fail the run if the server still differs: changed (the default) reads again what the apply wrote, full everything, false nothing")
	rf.refresh = addRefreshFlags(fs, engine.RefreshChanged)
	fs.DurationVar(&rf.runTimeout, "run-timeout", defaultRunTimeout, "deadline of a run: past it the run is cancelled (result timed_out), and /readyz fails until it returns (0: none)")
	fs.DurationVar(&rf.reassertEvery, "reassert-every", 0, `send again, at most this often (e.g. "24h"), every facet the files manage that the server cannot show, as apply --reassert does; the state records when (0: never; needs --mode apply)`)
	fs.BoolVar(&rf.embed, "embed", false, "also serve POST /v1/embed/PROFILE on --listen: embed tokens and tickets from the files' embed profiles, for clients holding $"+service.EnvEmbedSecret+" (see docs/embed.md)")
	fs.DurationVar(&rf.shutdownGrace, "shutdown-grace", defaultShutdownGrace, "how long a cancelled run (SIGTERM, --run-timeout) may take to finish its calls in flight and record them; then SIGTERM exits non-zero without it, and a run past its deadline makes /healthz fail")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, `Usage: permsync run -f PATH... --schedule "*/15 * * * *" [--mode apply|plan] [--listen :9090] [flags]`)
		fmt.Fprintln(env.stderr)
		fmt.Fprintln(env.stderr, "Reconciles on a schedule until SIGTERM or SIGINT, which let the run in flight finish its calls and record its state (within --shutdown-grace). See docs/run.md.")
		fs.PrintDefaults()
	}
	posArgs, err := parseFlagsInterspersed(env, fs, args)
	if err != nil {
		return parseErrorCode(err)
	}
	if len(posArgs) > 0 {
		fmt.Fprintf(env.stderr, "permsync run: unexpected arguments %q\n", posArgs)
		return exitError
	}

	if rf.shutdownGrace > 0 {
		// The scheduler ends a run that does not stop within the grace;
		// this is the bound of the process beyond it.
		env.setStopGrace(rf.shutdownGrace + 15*time.Second)
	}
	logger, err := newLogger(env.stderr, rf.logFormat, pf.server.logLevel.or(slog.LevelInfo))
	if err != nil {
		printErr(env, "run", err)
		return exitError
	}
	if err := runService(ctx, env, pf, rf, logger); err != nil {
		printErr(env, "run", err)
		return exitError
	}
	return exitOK
}

// newLogger makes the service's logger. Its records quote the server
// (errors, names): textsafe escapes their control characters and breaks
// CI workflow commands, in both formats.
func newLogger(w io.Writer, format string, level slog.Leveler) (*slog.Logger, error) {
	o := &slog.HandlerOptions{Level: level}
	switch format {
	case "text":
		return slog.New(textsafe.NewHandler(slog.NewTextHandler(w, o))), nil
	case "json":
		return slog.New(textsafe.NewHandler(slog.NewJSONHandler(w, o))), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// runService checks the flags, connects, and runs the scheduler until ctx
// ends. An error is a start-up failure; runs that fail do not stop it.
func runService(ctx context.Context, env *cmdEnv, pf *planFlags, rf *runFlags, logger *slog.Logger) error {
	if rf.schedule == "" {
		return errors.New(`no schedule: pass --schedule, e.g. "*/15 * * * *" or "@every 10m"`)
	}
	mode, err := service.ParseMode(rf.mode)
	if err != nil {
		return fmt.Errorf("--mode: %w", err)
	}
	loc, err := time.LoadLocation(rf.timezone)
	if err != nil {
		return fmt.Errorf("--timezone: %w", err)
	}
	if rf.batchSize <= 0 {
		return fmt.Errorf("--batch-size must be at least 1, got %d", rf.batchSize)
	}
	if rf.jitter < 0 {
		return fmt.Errorf("--jitter must not be negative, got %s", rf.jitter)
	}
	if rf.runTimeout < 0 {
		return fmt.Errorf("--run-timeout must not be negative, got %s", rf.runTimeout)
	}
	if rf.shutdownGrace <= 0 {
		return fmt.Errorf("--shutdown-grace must be positive, got %s", rf.shutdownGrace)
	}
	if rf.reassertEvery < 0 {
		return fmt.Errorf("--reassert-every must not be negative, got %s", rf.reassertEvery)
	}
	if rf.reassertEvery > 0 && mode != service.ModeApply {
		return errors.New("--reassert-every needs --mode apply: a plan-only run records nothing, so it would re-assert at every run")
	}
	if _, err := service.ParseSchedule(rf.schedule); err != nil {
		return fmt.Errorf("--schedule: %w", err)
	}
	interval, err := scheduleInterval(rf.schedule, loc, rf.jitter)
	if err != nil {
		return fmt.Errorf("--schedule: %w", err)
	}
	refresh, err := rf.refresh.options(interval)
	if err != nil {
		return err
	}

	metrics := service.NewMetrics()
	pf.server.observe = metrics.ObserveCall
	pf.server.logf = func(format string, args ...any) {
		// The client scrubs secrets from what it logs.
		logger.Warn(fmt.Sprintf(format, args...), "component", "apiclient")
	}
	s, err := pf.connect(ctx, env)
	if err != nil {
		return err
	}
	defer s.close()

	s.batchSize = rf.batchSize
	s.useReadConcurrency(pf.server.concurrency)
	pr := s.provider(env, false)
	if rf.reassertEvery > 0 {
		if _, ok := pr.(reasserter); !ok {
			return fmt.Errorf("--reassert-every: the %s provider cannot re-assert what its server does not show", pr.Name())
		}
		pr = reasserting(&reassertingProvider{Provider: pr, every: rf.reassertEvery, now: time.Now, logger: logger})
	}
	auditLog, observers, err := rf.trail.observers(env, s.serverURL, logger)
	if err != nil {
		return err
	}
	defer func() {
		if err := auditLog.Close(); err != nil {
			logger.Error("closing the audit log", "error", err.Error())
		}
	}()
	report, err := rf.report.publisher(env, s.providerName, rf.listen, logger)
	if err != nil {
		return err
	}
	rec, err := service.NewReconciler(service.ReconcilerOptions{
		AfterRead:   report.afterRead(),
		Audit:       auditLog,
		Paths:       pf.files,
		StatePath:   s.statePath,
		Provider:    pr,
		ServerURL:   s.serverURL,
		CheckServer: s.sim == nil,
		TokenUser:   s.tokenUser,
		Mode:        mode,
		Verify:      rf.verify.mode != engine.VerifyOff,
		VerifyMode:  rf.verify.mode,
		Refresh:     refresh,
		Logger:      logger,
		// The calls in flight get three quarters of the grace; the rest
		// is for recording them and releasing the lock.
		InterruptGrace: rf.shutdownGrace * 3 / 4,
	})
	if err != nil {
		return err
	}
	sched, err := service.New(service.Options{
		Schedule:   rf.schedule,
		Location:   loc,
		Jitter:     rf.jitter,
		Job:        rec,
		Mode:       mode,
		Metrics:    metrics,
		Logger:     logger,
		RunTimeout: rf.runTimeout,
		StopGrace:  rf.shutdownGrace,
		Observers:  observers,
	})
	if err != nil {
		return err
	}

	handler := report.handler(sched.Handler())
	if rf.embed {
		if rf.listen == "" {
			return errors.New("--embed needs --listen: the endpoint is served there")
		}
		if handler, err = embedHandler(env, pf, s, metrics, logger, handler); err != nil {
			return err
		}
	}
	if rf.listen != "" {
		ln, err := net.Listen("tcp", rf.listen)
		if err != nil {
			return fmt.Errorf("--listen: %w", err)
		}
		srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ln) }()
		logger.Info("serving /healthz, /readyz and /metrics", "addr", ln.Addr().String())
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(sctx); err != nil {
				logger.Warn("stopping the HTTP server", "error", err.Error())
			}
			if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
				logger.Error("HTTP server", "error", err.Error())
			}
		}()
	}

	logger.Info("permsync run starting", "version", version, "server", s.serverURL, "state", s.statePath, "mode", string(mode), "timezone", loc.String(), "jitter", rf.jitter.String(),
		"run_timeout", rf.runTimeout.String(), "shutdown_grace", rf.shutdownGrace.String())
	env.setPhase("stopping the service", "")
	if err := sched.Run(ctx); err != nil {
		return fmt.Errorf("stopping: %w", err)
	}
	logger.Info("permsync run stopped")
	return nil
}
