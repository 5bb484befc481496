package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/provider/quickbi"
	qbclient "github.com/permsync/permsync/provider/quickbi/apiclient"
	"github.com/permsync/permsync/provider/quickbi/quickbitest"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// The wiring of Quick BI: its client over an AccessKey (or its simulator),
// and its provider.

// filesProvider is the provider the files name, read for a command that
// connects before it loads them ('permsync run'); youdata when they cannot
// be read (the run then reports why).
func (f *planFlags) filesProvider() string {
	if d, err := spec.Load(f.files); err == nil && d.Provider != "" {
		return d.Provider
	}
	return spec.DefaultProvider
}

// connectQuickBI makes the Quick BI client of the server (or starts the
// embedded simulator) and settles the token's user and the state path.
func (f *planFlags) connectQuickBI(_ context.Context, env *cmdEnv, s *session) error {
	s.tokenUser = f.tokenUser
	if s.tokenUser == "" {
		s.tokenUser = strings.TrimSpace(env.getenv("PERMSYNC_TOKEN_USER"))
	}
	if f.simulator != "" {
		seed, err := quickbitest.LoadSeed(f.simulator)
		if err != nil {
			return fmt.Errorf("simulator: %w", err)
		}
		sim, err := quickbitest.NewFromOptions(quickbitest.Options{Seed: seed})
		if err != nil {
			return fmt.Errorf("simulator: %w", err)
		}
		sim.Start()
		s.qbSim = sim
		c, err := qbclient.New(qbclient.Config{
			Server:      sim.URL(),
			Credentials: qbclient.Credentials{AccessKeyID: sim.AccessKeyID(), AccessKeySecret: sim.AccessKeySecret()},
			UserAgent:   "permsync/" + version,
			WriteRPS:    -1,
			ReadRPS:     -1,
		})
		if err != nil {
			return fmt.Errorf("simulator: %w", err)
		}
		s.qb = c
		s.serverURL = simulatorURL(f.simulator)
		if s.tokenUser == "" {
			if u := sim.Snapshot().UserByID(sim.AdminUserID()); u != nil {
				s.tokenUser = u.AccountName
			}
		}
	} else {
		c, err := f.server.newQuickBIClient(env)
		if err != nil {
			return err
		}
		s.qb = c
		s.serverURL = c.Endpoint()
	}
	return f.settleStatePath(s)
}

// settleStatePath is --state, or a temporary state for a simulator, or
// the state beside the first -f path.
func (f *planFlags) settleStatePath(s *session) error {
	s.statePath = f.statePath
	if s.statePath != "" {
		return nil
	}
	if f.simulator != "" {
		// A simulator starts afresh every run; so does its state, and
		// the example directory stays clean.
		dir, err := os.MkdirTemp("", "permsync-sim-state-")
		if err != nil {
			return fmt.Errorf("simulator state: %w", err)
		}
		s.tempDir = dir
		s.statePath = filepath.Join(dir, "state.json")
		return nil
	}
	s.statePath = state.DefaultPath(f.files[0])
	return nil
}

// quickbiProvider is the Quick BI provider over the session's client,
// with the read's bounds of the flags.
func (s *session) quickbiProvider(read youdata.ReadOptions) provider.Provider {
	o := quickbi.ReadOptions{
		MaxListObjects: read.MaxListObjects,
		MaxReadObjects: read.MaxReadObjects,
		MaxReadTime:    read.MaxReadTime,
	}
	if read.Progress != nil {
		o.Progress = func(p quickbi.ReadProgress) {
			read.Progress(youdata.ReadProgress{Calls: p.Calls, Objects: p.Objects, Elapsed: p.Elapsed})
		}
	}
	return quickbi.New(quickbi.Config{API: s.qb, Read: o})
}

// newQuickBIClient makes a Quick BI client from the flags and the
// environment: --server or --region for the endpoint, the AccessKey from
// PERMSYNC_ACCESS_KEY_ID and PERMSYNC_ACCESS_KEY_SECRET (or _FILE), an
// STS token from PERMSYNC_SECURITY_TOKEN.
func (f *serverFlags) newQuickBIClient(env *cmdEnv) (*qbclient.Client, error) {
	server := strings.TrimSpace(f.server)
	if server == "" {
		server = strings.TrimSpace(env.getenv("PERMSYNC_SERVER"))
	}
	region := strings.TrimSpace(f.region)
	if region == "" {
		region = strings.TrimSpace(env.getenv("PERMSYNC_REGION"))
	}
	if server != "" && region != "" {
		return nil, errors.New("give either --server (or PERMSYNC_SERVER) or --region (or PERMSYNC_REGION) for Quick BI, not both")
	}
	creds, err := qbclient.CredentialsFromEnv(env.getenv)
	if err != nil {
		return nil, err
	}
	if f.concurrency <= 0 {
		return nil, fmt.Errorf("--concurrency must be at least 1, got %d", f.concurrency)
	}
	if f.timeout <= 0 {
		return nil, fmt.Errorf("--timeout must be positive, got %s", f.timeout)
	}
	cfg := qbclient.Config{
		Server:                server,
		Region:                region,
		Credentials:           creds,
		SignatureAlgorithm:    f.signature,
		Concurrency:           f.concurrency,
		Timeout:               f.timeout,
		Retry:                 qbclient.RetryPolicy{MaxElapsed: f.retryBudget},
		InsecureSkipTLSVerify: f.insecure,
		UserAgent:             "permsync/" + version,
		Logf:                  f.clientLogf(env),
	}
	if f.logf != nil {
		cfg.Logf = f.logf
	}
	if f.debugHTTP {
		cfg.Debug = env.stderr
	}
	c, err := qbclient.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("setting up the Quick BI client: %w", err)
	}
	return c, nil
}
