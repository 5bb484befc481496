package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/apiclient"
)

// serverFlags are the flags of every subcommand that talks to a server.
// Credentials never come from flags (they would show in the process
// list): they come from PERMSYNC_TOKEN, PERMSYNC_TOKEN_KEY, or
// PERMSYNC_EMAIL and PERMSYNC_PASSWORD (or their _FILE variants).
type serverFlags struct {
	server      string
	insecure    bool
	debugHTTP   bool
	rps         float64
	concurrency int
	timeout     time.Duration
	retryBudget time.Duration
	// region and signature are Quick BI's: the region of its endpoint and
	// the signature method (v3 or rpc).
	region    string
	signature string

	// Bounds of a read of the server (reconcile.ReadOptions).
	maxListObjects int
	maxReadObjects int64
	maxReadTime    time.Duration

	// observe, when set, is told of every HTTP attempt (metrics of
	// 'permsync run'); logf, when set, replaces the warnings on stderr.
	observe func(apiclient.CallInfo)
	logf    func(format string, args ...any)
	// logLevel is --log-level (loglevel.go).
	logLevel logLevel
}

// addServerFlags registers the server flags on fs.
func addServerFlags(fs *flag.FlagSet) *serverFlags {
	f := &serverFlags{}
	fs.StringVar(&f.server, "server", "", "server URL, e.g. https://youdata.example.com, or a Quick BI endpoint (default $PERMSYNC_SERVER)")
	fs.StringVar(&f.region, "region", "", "Quick BI: the region of the endpoint, e.g. cn-hangzhou (quickbi-public.REGION.aliyuncs.com; default $PERMSYNC_REGION, else the central endpoint)")
	fs.StringVar(&f.signature, "signature", "", "Quick BI: the signature method, v3 (ACS3-HMAC-SHA256, the default) or rpc (HMAC-SHA1)")
	fs.BoolVar(&f.insecure, "insecure-skip-tls-verify", false, "do not verify the server's TLS certificate (unsafe)")
	fs.BoolVar(&f.debugHTTP, "debug-http", false, "trace every HTTP request to stderr (tokens redacted)")
	fs.Float64Var(&f.rps, "rps", apiclient.DefaultRPS, "maximum API requests per second (0 or negative: unlimited)")
	fs.IntVar(&f.concurrency, "concurrency", apiclient.DefaultConcurrency, "maximum API requests in flight")
	fs.DurationVar(&f.timeout, "timeout", apiclient.DefaultTimeout, "timeout of each API request")
	fs.DurationVar(&f.retryBudget, "retry-budget", 30*time.Second, "how long a failed API request may be retried, from its first failure (a Retry-After beyond it fails at once; 0: the default)")
	fs.IntVar(&f.maxListObjects, "max-list-objects", youdata.DefaultMaxListObjects, "most objects one paged listing of the server may hold (the domain's users, one project's members) before the read stops")
	fs.Int64Var(&f.maxReadObjects, "max-read-objects", youdata.DefaultMaxReadObjects, "most objects a whole read of the server may hold before it stops")
	fs.DurationVar(&f.maxReadTime, "max-read-time", youdata.DefaultMaxReadTime, "longest a whole read of the server may take before it stops")
	fs.Var(&f.logLevel, "log-level", "the least severe messages on stderr: debug (every API call), info (how each read and apply ended), warn (retry notices) or error (default: info for run, warn otherwise)")
	return f
}

// serverURL is the server the flags and the environment name, normalised
// (no trailing slash or /api/dash), or "" when none is given. It
// identifies the server in the state file.
func (f *serverFlags) serverURL(env *cmdEnv) string {
	server := strings.TrimSpace(f.server)
	if server == "" {
		server = strings.TrimSpace(env.getenv(apiclient.EnvServer))
	}
	if norm, err := apiclient.NormalizeServer(server); err == nil {
		return norm
	}
	return server
}

// newClient makes an API client from the flags and the environment.
func (f *serverFlags) newClient(_ context.Context, env *cmdEnv) (*apiclient.Client, error) {
	server := f.serverURL(env)
	if server == "" {
		return nil, errors.New("no server: pass --server URL or set PERMSYNC_SERVER")
	}
	// An invalid URL is reported without being quoted here: it may hold a
	// password (https://user:password@host).
	if _, err := apiclient.NormalizeServer(server); err != nil {
		return nil, err
	}
	creds, err := apiclient.CredentialsFromEnv(env.getenv)
	if err != nil {
		return nil, err
	}
	if f.concurrency <= 0 {
		return nil, fmt.Errorf("--concurrency must be at least 1, got %d", f.concurrency)
	}
	if f.timeout <= 0 {
		return nil, fmt.Errorf("--timeout must be positive, got %s", f.timeout)
	}
	if f.retryBudget < 0 {
		return nil, fmt.Errorf("--retry-budget must not be negative, got %s", f.retryBudget)
	}
	cfg := apiclient.Config{
		Server:                server,
		Credentials:           creds,
		Timeout:               f.timeout,
		RPS:                   f.rps,
		Concurrency:           f.concurrency,
		Retry:                 apiclient.RetryPolicy{MaxElapsed: f.retryBudget},
		InsecureSkipTLSVerify: f.insecure,
		UserAgent:             "permsync/" + version,
		Logf:                  f.clientLogf(env),
		Observe:               f.observer(env),
	}
	if f.logf != nil {
		cfg.Logf = f.logf
	}
	if f.rps == 0 {
		cfg.RPS = -1 // 0 on the command line: no limit
	}
	if f.debugHTTP {
		cfg.Debug = env.stderr
	}
	c, err := apiclient.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("setting up the client of %s: %w", server, err)
	}
	return c, nil
}

// readOptions are the bounds of a read of the server the flags set.
// Non-positive values fall back to reconcile's defaults.
func (f *serverFlags) readOptions(tokenUser string) youdata.ReadOptions {
	return youdata.ReadOptions{
		TokenUser:      tokenUser,
		MaxListObjects: f.maxListObjects,
		MaxReadObjects: f.maxReadObjects,
		MaxReadTime:    f.maxReadTime,
	}
}
