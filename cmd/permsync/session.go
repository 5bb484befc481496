package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/internal/textsafe"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/provider/quickbi"
	qbclient "github.com/permsync/permsync/provider/quickbi/apiclient"
	"github.com/permsync/permsync/provider/quickbi/quickbitest"
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
	provider        string
	// progress is --progress: auto, always or never ("": never).
	progress string
	// annotations is --annotations (CI reports).
	annotations annotations
	server      *serverFlags
	// targets are the --target flags, as given; session.targets their
	// parsed form.
	targets stringList
}

func addPlanFlags(fs *flag.FlagSet) *planFlags {
	f := &planFlags{}
	fs.Var(&f.files, "f", "a YAML file or a directory of them (repeatable)")
	fs.StringVar(&f.statePath, "state", "", "the state file (default .permsync/state.json beside the first -f path)")
	fs.BoolVar(&f.allowMassDelete, "allow-mass-delete", false, "apply even when deletions exceed settings.maxDeletes")
	fs.StringVar(&f.tokenUser, "token-user", "", "uniqueId of the user behind the token, never removed or unbound (default $PERMSYNC_TOKEN_USER, else the email of an email and password login); when it is not known, a plan that demotes or removes a project admin is refused")
	fs.StringVar(&f.simulator, "simulator", "", "run against an embedded simulator seeded from this file instead of a server")
	fs.BoolVar(&f.noColor, "no-color", false, "no colours, even on a terminal (so do NO_COLOR=1 and TERM=dumb)")
	fs.Var(&f.annotations, "annotations", annotationsUsage)
	fs.StringVar(&f.progress, "progress", progressAuto, "progress of the read and the apply on stderr: auto (a line that overwrites itself on a terminal, else a plain line every 10s once a step takes that long), always (plain lines from the start off a terminal) or never")
	fs.StringVar(&f.provider, "provider", "", "the server the files target, youdata or quickbi (default: what the files' provider: key says); given, it must agree with the files")
	fs.Var(&f.targets, "target", "plan and apply only this object and what it depends on: \"KIND KEY\" (\"user alice@example.com\", \"role 销售分析/通用/报告阅览\"), every object of a KIND (\"user\"), or everything in a project or workspace (\"project 销售分析\"); repeatable")
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
	// providerName is the files' server: youdata or quickbi.
	providerName string
	api          apiclient.API
	serverURL    string
	tokenUser    string
	sim          *youdatatest.Server
	// qb and qbSim are the Quick BI client and simulator.
	qb    qbclient.API
	qbSim *quickbitest.Server
	// writing is set once apply starts to write: errors no longer say
	// that nothing was changed.
	writing bool
	// tempDir is the state directory made for a simulator run, removed
	// with the session.
	tempDir string
	// read bounds every read of the server (--max-read-time, ...).
	read youdata.ReadOptions
	// batchSize is --batch-size (apply, run).
	batchSize int
	// progressMode is --progress; reading is the progress of the read
	// under way.
	progressMode string
	readingMu    sync.Mutex
	reading      *progress
	// logInfo: --log-level info or debug.
	logInfo bool
	// annotations reports a plan's refusals to CI (--annotations).
	annotations *annotations
	pipe        *engine.Pipeline
	// targets limit the plans (--target).
	targets []plan.Target
}

func (s *session) close() {
	if s.sim != nil {
		s.sim.Close()
	}
	if s.qbSim != nil {
		s.qbSim.Close()
	}
	if s.tempDir != "" {
		os.RemoveAll(s.tempDir)
	}
}

// open loads and validates the files, loads the state and connects to the
// server. Nothing is written.
func (f *planFlags) open(ctx context.Context, env *cmdEnv) (*session, error) {
	if env.noColor() {
		f.noColor = true
	}
	if len(f.files) == 0 {
		return nil, errors.New("no files given: use -f PATH (a YAML file or a directory), repeatable")
	}
	if err := f.annotations.begin(env, f.files); err != nil {
		return nil, err
	}
	desired, err := spec.Load(f.files)
	if err != nil {
		if aerr := f.annotations.problems(env, spec.Problems(err), "error"); aerr != nil {
			fmt.Fprintf(env.stderr, "permsync: --annotations: %s\n", textsafe.Line(aerr.Error()))
		}
		return nil, err
	}
	printWarnings(env, desired)
	if err := f.annotations.problems(env, desired.Warnings, "warning"); err != nil {
		return nil, err
	}
	if f.provider != "" && f.provider != desired.Provider {
		return nil, fmt.Errorf("--provider %s, but the files target %s (their provider: key, %s by default)", f.provider, desired.Provider, spec.DefaultProvider)
	}
	f.provider = desired.Provider
	targets, err := plan.ParseTargets(f.targets, registryOf(desired.Provider))
	if err != nil {
		return nil, err
	}
	s, err := f.connect(ctx, env)
	if err != nil {
		return nil, err
	}
	s.desired, s.targets = desired, targets
	if err := s.loadState(); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// registryOf is the registry of the provider named.
func registryOf(name string) *plan.Registry {
	if name == quickbi.Name {
		return quickbi.Registry
	}
	return youdata.Registry
}

// connect makes the client of the server (or starts the embedded
// simulator) and settles the token's user and the state path; it reads
// neither the files nor the state. 'permsync run' connects once and
// re-reads the files and the state at every run.
func (f *planFlags) connect(ctx context.Context, env *cmdEnv) (*session, error) {
	if len(f.files) == 0 {
		return nil, errors.New("no files given: use -f PATH (a YAML file or a directory), repeatable")
	}
	if f.progress != "" {
		if err := checkProgress(f.progress); err != nil {
			return nil, err
		}
	}
	s := &session{read: f.server.readOptions(""), progressMode: f.progress, logInfo: f.server.enabled(slog.LevelInfo), annotations: &f.annotations}
	s.providerName = f.provider
	if s.providerName == "" {
		s.providerName = f.filesProvider()
	}
	switch s.providerName {
	case youdata.Name:
	case quickbi.Name:
		if err := f.connectQuickBI(ctx, env, s); err != nil {
			s.close()
			return nil, err
		}
		return s, nil
	default:
		return nil, fmt.Errorf("--provider %q: want youdata or quickbi", s.providerName)
	}

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
			Observe:     f.server.observer(env),
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

// provider is the provider of the files' server, over the session's
// client, with the read's bounds and, when progress is set, the read's
// progress as --progress asks.
func (s *session) provider(env *cmdEnv, progress bool) provider.Provider {
	read := s.read
	if progress {
		read.Progress = s.readProgress
	}
	if s.providerName == quickbi.Name {
		return s.quickbiProvider(read)
	}
	return youdata.New(youdata.Config{API: s.api, Read: read, BatchSize: s.batchSize})
}

// pipeline is the session's way from the files to the server.
func (s *session) pipeline(env *cmdEnv, allowMassDelete bool) *engine.Pipeline {
	if s.pipe == nil {
		s.pipe = &engine.Pipeline{Provider: s.provider(env, true), TokenUser: s.tokenUser, Targets: s.targets}
	}
	s.pipe.Desired, s.pipe.State, s.pipe.AllowMassDelete = s.desired, s.state, allowMassDelete
	return s.pipe
}

// readProgress reports how far the read under way has come.
func (s *session) readProgress(r youdata.ReadProgress) {
	s.readingMu.Lock()
	p := s.reading
	s.readingMu.Unlock()
	p.show(readStatus(r, s.read.MaxReadTime))
}

// applyProgress is the progress of an apply of total changes.
func (s *session) applyProgress(env *cmdEnv, total int) *applyProgress {
	a := newApplyProgress(env, s.progressMode, total)
	a.closing = s.logInfo
	return a
}

// startRead starts the progress of a read; the returned func ends it.
func (s *session) startRead(env *cmdEnv) func() {
	p := newProgress(env, s.progressMode)
	p.closing = s.logInfo
	s.readingMu.Lock()
	s.reading = p
	s.readingMu.Unlock()
	return func() {
		p.stop()
		s.readingMu.Lock()
		s.reading = nil
		s.readingMu.Unlock()
	}
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
	pipe := s.pipeline(env, allowMassDelete)
	stop := s.startRead(env)
	p, err := pipe.Plan(ctx)
	stop()
	s.tokenUser = pipe.TokenUser
	if err == nil {
		if aerr := s.annotations.refusals(env, p.RefusalMessages(), p.Warnings); aerr != nil {
			return nil, aerr
		}
	}
	var se *engine.StageError
	if errors.As(err, &se) {
		// Before the first write, say that the server was left as it was.
		if se.Interrupted {
			return nil, fmt.Errorf("interrupted while %s%s: %w", se.Stage, s.nothingChanged(), se.Err)
		}
		return nil, fmt.Errorf("%s%s: %w", se.Stage, s.nothingChanged(), se.Err)
	}
	return p, err
}
