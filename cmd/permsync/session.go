package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

// planFlags are the flags of every command that plans: plan, apply, run.
type planFlags struct {
	files           stringList
	statePath       string
	allowMassDelete bool
	tokenUser       string
	simulator       string
	noColor         bool
	server          *serverFlags
}

func addPlanFlags(fs *flag.FlagSet) *planFlags {
	f := &planFlags{}
	fs.Var(&f.files, "f", "a YAML file or a directory of them (repeatable)")
	fs.StringVar(&f.statePath, "state", "", "the state file (default .permsync/state.json beside the first -f path)")
	fs.BoolVar(&f.allowMassDelete, "allow-mass-delete", false, "apply even when deletions exceed settings.maxDeletes")
	fs.StringVar(&f.tokenUser, "token-user", "", "uniqueId of the user behind the token, never removed or unbound (default $PERMSYNC_TOKEN_USER, else the email of an email and password login); when it is not known, a plan that demotes or removes a project admin is refused")
	fs.StringVar(&f.simulator, "simulator", "", "run against an embedded simulator seeded from this file instead of a server")
	fs.BoolVar(&f.noColor, "no-color", false, "no colours, even on a terminal")
	f.server = addServerFlags(fs)
	return f
}

// session is what a planning command works with: the desired state, the
// state file, and the server (or the embedded simulator).
type session struct {
	desired     *spec.Desired
	statePath   string
	state       *state.State
	stateExists bool
	api         apiclient.API
	serverURL   string
	tokenUser   string
	sim         *youdatatest.Server
	// writing is set once apply starts to write: errors no longer say
	// that nothing was changed.
	writing bool
	// tempDir is the state directory made for a simulator run, removed
	// with the session.
	tempDir string
	// read bounds every read of the server (--max-read-time, ...).
	read youdata.ReadOptions
}

func (s *session) close() {
	if s.sim != nil {
		s.sim.Close()
	}
	if s.tempDir != "" {
		os.RemoveAll(s.tempDir)
	}
}

// open loads and validates the files, loads the state and connects to the
// server. Nothing is written.
func (f *planFlags) open(ctx context.Context, env *cmdEnv) (*session, error) {
	if len(f.files) == 0 {
		return nil, errors.New("no files given: use -f PATH (a YAML file or a directory), repeatable")
	}
	desired, err := spec.Load(f.files)
	if err != nil {
		return nil, err
	}
	printWarnings(env, desired)
	s, err := f.connect(ctx, env)
	if err != nil {
		return nil, err
	}
	s.desired = desired
	if err := s.loadState(); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// connect makes the client of the server (or starts the embedded
// simulator) and settles the token's user and the state path; it reads
// neither the files nor the state. 'permsync run' connects once and
// re-reads the files and the state at every run.
func (f *planFlags) connect(ctx context.Context, env *cmdEnv) (*session, error) {
	if len(f.files) == 0 {
		return nil, errors.New("no files given: use -f PATH (a YAML file or a directory), repeatable")
	}
	s := &session{read: f.server.readOptions("")}

	s.tokenUser = f.tokenUser
	if s.tokenUser == "" {
		s.tokenUser = strings.TrimSpace(env.getenv("PERMSYNC_TOKEN_USER"))
	}

	if f.simulator != "" {
		seed, err := youdatatest.LoadSeed(f.simulator)
		if err != nil {
			return nil, fmt.Errorf("simulator: %w", err)
		}
		s.sim = youdatatest.New(youdatatest.Options{Seed: seed})
		rps := f.server.rps
		if rps == 0 {
			rps = -1 // 0 on the command line: no limit
		}
		c, err := apiclient.New(apiclient.Config{
			Server:      s.sim.URL(),
			Credentials: apiclient.Credentials{Token: s.sim.Token()},
			UserAgent:   "permsync/" + version,
			RPS:         rps,
			Observe:     f.server.observe,
		})
		if err != nil {
			s.close()
			return nil, fmt.Errorf("simulator: %w", err)
		}
		s.api = c
		s.serverURL = simulatorURL(f.simulator)
		if s.tokenUser == "" {
			s.tokenUser = s.sim.TokenUser()
		}
	} else {
		c, err := f.server.newClient(ctx, env)
		if err != nil {
			return nil, err
		}
		s.api = c
		s.serverURL = f.server.serverURL(env)
		if s.tokenUser == "" {
			s.tokenUser = loginUser(env)
		}
	}

	s.statePath = f.statePath
	if s.statePath == "" {
		if f.simulator != "" {
			// A simulator starts afresh every run; so does its state, and
			// the example directory stays clean.
			dir, err := os.MkdirTemp("", "permsync-sim-state-")
			if err != nil {
				s.close()
				return nil, fmt.Errorf("simulator state: %w", err)
			}
			s.tempDir = dir
			s.statePath = filepath.Join(dir, "state.json")
		} else {
			s.statePath = state.DefaultPath(f.files[0])
		}
	}
	return s, nil
}

// loginUser is the user the credentials log in as, when they name one: the
// email of an email and password login (genToken's email is the account's
// email, or its uniqueId when the email is not unique; the read turns an
// email into the uniqueId). A token or a token key names nobody, and no
// documented call says whose they are: the token's user is then not known
// unless PERMSYNC_TOKEN_USER or --token-user names it.
func loginUser(env *cmdEnv) string {
	creds, err := apiclient.CredentialsFromEnv(env.getenv)
	if err != nil || creds.Kind() != "userPassword" {
		return ""
	}
	return creds.Email
}

// loadState (re)reads the state file. apply calls it again once it holds
// the lock, so that it plans and records on top of what an apply that
// held the lock before it wrote.
func (s *session) loadState() error {
	st, exists, err := state.Load(s.statePath)
	if err != nil {
		return err
	}
	if exists && st.Server != "" && st.Server != s.serverURL && s.sim == nil {
		return fmt.Errorf("state %s belongs to server %s, not %s: use --state to name the state of this server", s.statePath, st.Server, s.serverURL)
	}
	s.state, s.stateExists = st, exists
	return nil
}

// simulatorURL names the embedded simulator seeded from seed as a URL, so
// plan files and states record it as they record a server.
func simulatorURL(seed string) string {
	return (&url.URL{Scheme: "simulator", Host: "embedded", Path: "/" + strings.TrimPrefix(filepath.ToSlash(seed), "/")}).String()
}

// projectRefs are the projects the files name.
func projectRefs(d *spec.Desired) []youdata.ProjectRef {
	refs := make([]youdata.ProjectRef, 0, len(d.Projects))
	for _, p := range d.Projects {
		refs = append(refs, youdata.ProjectRef{Name: p.Name, ID: p.ID})
	}
	return refs
}

// readLive reads the live state, with a progress line on a terminal.
func (s *session) readLive(ctx context.Context, env *cmdEnv) (*youdata.Live, error) {
	opts := s.read
	opts.TokenUser = s.tokenUser
	stopProgress := func() {}
	if env.isTerminal {
		var mu sync.Mutex
		var last time.Time
		opts.Progress = func(p youdata.ReadProgress) {
			mu.Lock()
			defer mu.Unlock()
			if time.Since(last) < 200*time.Millisecond {
				return
			}
			last = time.Now()
			fmt.Fprintf(env.stderr, "\rReading the server: %d objects, %d calls, %s ", p.Objects, p.Calls, p.Elapsed.Round(100*time.Millisecond))
		}
		stopProgress = func() {
			mu.Lock()
			defer mu.Unlock()
			if !last.IsZero() {
				fmt.Fprint(env.stderr, "\r\033[K")
			}
		}
	}
	live, err := youdata.ReadLive(ctx, s.api, projectRefs(s.desired), opts)
	stopProgress()
	if err != nil {
		if ctx.Err() != nil {
			// Ctrl-C: say so, rather than which read it happened to cut.
			return nil, fmt.Errorf("interrupted while reading the server%s: %w", s.nothingChanged(), context.Cause(ctx))
		}
		return nil, fmt.Errorf("reading the server%s: %w", s.nothingChanged(), err)
	}
	if _, ok := live.Users[live.TokenUser]; ok {
		// ReadLive resolved an email to the uniqueId the guard rails of
		// apply compare.
		s.tokenUser = live.TokenUser
	}
	return live, nil
}

// nothingChanged is what an error before the first write adds: that the
// server was left as it was. After writes began it adds nothing; the
// apply's report says what was applied.
func (s *session) nothingChanged() string {
	if s.writing {
		return ""
	}
	return " (nothing was changed)"
}

// plan reads the server and computes the plan.
func (s *session) plan(ctx context.Context, env *cmdEnv, allowMassDelete bool) (*plan.Plan, error) {
	live, err := s.readLive(ctx, env)
	if err != nil {
		return nil, err
	}
	p, err := youdata.Compute(s.desired, live, s.state, youdata.Options{AllowMassDelete: allowMassDelete})
	if err != nil {
		return nil, fmt.Errorf("planning%s: %w", s.nothingChanged(), err)
	}
	return p, nil
}
