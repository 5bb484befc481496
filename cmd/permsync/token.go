package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/permsync/permsync/embed"
	"github.com/permsync/permsync/internal/secretenv"
	"github.com/permsync/permsync/internal/textsafe"
	"github.com/permsync/permsync/provider/quickbi"
	qbclient "github.com/permsync/permsync/provider/quickbi/apiclient"
	"github.com/permsync/permsync/provider/quickbi/quickbitest"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/service"
	"github.com/permsync/permsync/spec"
)

func init() {
	register(command{
		name:    "token",
		summary: "issue, explain, revoke or renew an embed token or ticket from an embed profile",
		run:     runToken,
	})
}

// varFlags are --var NAME=VALUE, repeatable.
type varFlags map[string]string

func (v varFlags) String() string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}

func (v varFlags) Set(s string) error {
	k, val, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", s)
	}
	if _, dup := v[k]; dup {
		return fmt.Errorf("variable %q given twice", k)
	}
	v[k] = val
	return nil
}

// runToken is permsync token PROFILE: it mints the profile's credential
// for the viewer the files and --var name, and prints it with its expiry
// and embed URL. The credential goes to stdout only; nothing on stderr
// ever holds it.
func runToken(ctx context.Context, env *cmdEnv, args []string) int {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	var files stringList
	fs.Var(&files, "f", "a YAML file or a directory of them (repeatable)")
	vars := varFlags{}
	fs.Var(vars, "var", "NAME=VALUE: the value of a profile's variable, e.g. --var user=alice@corp.com (repeatable)")
	output := fs.String("o", "text", "output: text or json")
	explain := fs.Bool("explain", false, "print the filters and the request the credential would carry, without asking the server for it")
	revoke := fs.Bool("revoke", false, "delete the credential read from stdin (Youdata util/rmToken, Quick BI DeleteTicket)")
	renew := fs.Bool("renew", false, "extend the credential read from stdin (Youdata util/renewToken, by the token's own life; Quick BI DelayTicketExpireTime, by the profile's expires)")
	simulator := fs.String("simulator", "", "issue against an embedded simulator seeded from this file instead of a server")
	providerName := fs.String("provider", "", "the server the files target, youdata or quickbi (default: what the files' provider: key says)")
	server := addServerFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "Usage: permsync token -f PATH PROFILE [--var NAME=VALUE]... [-o text|json] [--explain | --revoke | --renew]")
		fmt.Fprintln(env.stderr)
		fmt.Fprintln(env.stderr, "Issues the embed credential of PROFILE (an entry of embeds: in the files) for its viewer,")
		fmt.Fprintln(env.stderr, "carrying the viewer's declared data permissions, and prints it, its expiry and the embed URL.")
		fmt.Fprintln(env.stderr, "--revoke and --renew read the credential from stdin, never from the command line.")
		fmt.Fprintln(env.stderr)
		fs.PrintDefaults()
	}
	rest, err := parseFlagsInterspersed(env, fs, args)
	if err != nil {
		return parseErrorCode(err)
	}
	fail := func(err error) int {
		fmt.Fprintf(env.stderr, "permsync token: %s\n", textsafe.Text(err.Error()))
		return exitError
	}
	switch {
	case len(rest) != 1:
		return fail(errors.New("give one profile name (permsync token -f PATH PROFILE)"))
	case len(files) == 0:
		return fail(errors.New("no files given: use -f PATH (a YAML file or a directory), repeatable"))
	case *output != "text" && *output != "json":
		return fail(fmt.Errorf("-o %q: want text or json", *output))
	case btoi(*explain)+btoi(*revoke)+btoi(*renew) > 1:
		return fail(errors.New("give at most one of --explain, --revoke and --renew"))
	}
	profile := rest[0]
	desired, err := spec.Load(files)
	if err != nil {
		printProblems(env.stderr, spec.Problems(err))
		return exitError
	}
	printWarnings(env, desired)
	if *providerName != "" && *providerName != desired.Provider {
		return fail(fmt.Errorf("--provider %s, but the files target %s", *providerName, desired.Provider))
	}

	var value string
	if *revoke || *renew {
		if value, err = readCredential(env.stdin); err != nil {
			return fail(err)
		}
	}
	req := embed.Request{Profile: profile, Vars: vars}
	if !*revoke && !*renew {
		// What the files refuse is refused before any connection: no
		// credentials needed, no call made.
		pre, _, err := newMinter(ctx, env, desired, server, "", true)
		if err != nil {
			return fail(err)
		}
		if _, err := pre.Resolve(req); err != nil {
			return fail(err)
		}
	}
	m, closeFn, err := newMinter(ctx, env, desired, server, *simulator, *explain)
	if err != nil {
		return fail(err)
	}
	defer closeFn()

	switch {
	case *explain:
		ex, err := m.Explain(req)
		if err != nil {
			return fail(err)
		}
		return printExplanation(env, ex, *output)
	case *revoke:
		if err := m.Revoke(ctx, profile, value); err != nil {
			return fail(err)
		}
		fmt.Fprintf(env.stdout, "Revoked the credential of profile %q.\n", profile)
		return exitOK
	case *renew:
		if err := m.Renew(ctx, profile, value); err != nil {
			return fail(err)
		}
		fmt.Fprintf(env.stdout, "Renewed the credential of profile %q.\n", profile)
		return exitOK
	}
	cred, err := m.Mint(ctx, req)
	if err != nil {
		return fail(err)
	}
	return printCredential(env, cred, *output)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// readCredential reads the credential of --revoke and --renew: the first
// line of stdin.
func readCredential(r io.Reader) (string, error) {
	if r == nil {
		return "", errors.New("--revoke and --renew read the credential from stdin: none given")
	}
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the credential from stdin: %w", err)
	}
	line = strings.TrimSpace(line)
	if line == "" {
		return "", errors.New("--revoke and --renew read the credential from stdin: the first line is empty")
	}
	return line, nil
}

// newMinter connects to the files' server (or starts the embedded
// simulator) and makes the Minter. With offline set (--explain) it makes
// no connection and no client needs credentials.
func newMinter(ctx context.Context, env *cmdEnv, d *spec.Desired, server *serverFlags, simulator string, offline bool) (*embed.Minter, func(), error) {
	nothing := func() {}
	if d.Provider == spec.QuickBIProvider {
		return newQuickBIMinter(ctx, env, d, server, simulator, offline)
	}
	if offline {
		m, err := embed.New(d, youdata.NewEmbedIssuer(nil))
		return m, nothing, err
	}
	if simulator != "" {
		seed, err := youdatatest.LoadSeed(simulator)
		if err != nil {
			return nil, nothing, fmt.Errorf("simulator: %w", err)
		}
		key := randomKey()
		sim, err := youdatatest.NewFromOptions(youdatatest.Options{Seed: seed, TokenKey: key})
		if err != nil {
			return nil, nothing, fmt.Errorf("simulator: %w", err)
		}
		sim.Start()
		c, err := apiclient.New(apiclient.Config{Server: sim.URL(), Credentials: apiclient.Credentials{TokenKey: key}, RPS: -1, UserAgent: "permsync/" + version})
		if err != nil {
			sim.Close()
			return nil, nothing, fmt.Errorf("simulator: %w", err)
		}
		m, err := embed.New(d, youdata.NewEmbedIssuer(c))
		if err != nil {
			sim.Close()
			return nil, nothing, err
		}
		return m, sim.Close, nil
	}
	c, err := server.newClient(ctx, env)
	if err != nil {
		return nil, nothing, err
	}
	m, err := embed.New(d, youdata.NewEmbedIssuer(c))
	return m, nothing, err
}

func randomKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// credentialJSON is -o json of a credential: the one place it is
// written out.
type credentialJSON struct {
	Provider   string `json:"provider"`
	Profile    string `json:"profile"`
	Viewer     string `json:"viewer"`
	Kind       string `json:"kind"`
	Credential string `json:"credential"`
	Expires    string `json:"expires"`
	URL        string `json:"url,omitempty"`
	Uses       int    `json:"uses,omitempty"`
}

func printCredential(env *cmdEnv, c *embed.Credential, output string) int {
	if output == "json" {
		b, err := json.MarshalIndent(credentialJSON{Provider: c.Provider, Profile: c.Profile, Viewer: c.Viewer, Kind: c.Kind,
			Credential: c.Value.Reveal(), Expires: c.Expires.UTC().Format(time.RFC3339), URL: c.URL.Reveal(), Uses: c.Uses}, "", "  ")
		if err != nil {
			fmt.Fprintf(env.stderr, "permsync token: encoding: %v\n", err)
			return exitError
		}
		fmt.Fprintf(env.stdout, "%s\n", b)
		return exitOK
	}
	fmt.Fprintf(env.stdout, "%s: %s\n", c.Kind, c.Value.Reveal())
	fmt.Fprintf(env.stdout, "viewer: %s\n", textsafe.Line(c.Viewer))
	fmt.Fprintf(env.stdout, "expires: %s\n", c.Expires.UTC().Format(time.RFC3339))
	if c.Uses > 0 {
		fmt.Fprintf(env.stdout, "uses: %d\n", c.Uses)
	}
	if !c.URL.Empty() {
		fmt.Fprintf(env.stdout, "url: %s\n", c.URL.Reveal())
	}
	return exitOK
}

func printExplanation(env *cmdEnv, ex *embed.Explanation, output string) int {
	if output == "json" {
		b, err := json.MarshalIndent(ex, "", "  ")
		if err != nil {
			fmt.Fprintf(env.stderr, "permsync token: encoding: %v\n", err)
			return exitError
		}
		fmt.Fprintf(env.stdout, "%s\n", b)
		return exitOK
	}
	fmt.Fprintf(env.stdout, "profile %s (%s), viewer %s, permissions: %s, expires in %s\n",
		textsafe.Line(ex.Profile), ex.Provider, textsafe.Line(ex.Viewer), ex.Permissions, ex.Expires)
	if len(ex.From) == 0 {
		fmt.Fprintln(env.stdout, "no filter from the files")
	}
	for _, f := range ex.From {
		fmt.Fprintf(env.stdout, "  from %s\n", textsafe.Line(f))
	}
	b, err := json.MarshalIndent(ex.Request, "", "  ")
	if err != nil {
		fmt.Fprintf(env.stderr, "permsync token: encoding: %v\n", err)
		return exitError
	}
	fmt.Fprintf(env.stdout, "request (credentials aside):\n%s\n", b)
	return exitOK
}

// newQuickBIMinter is newMinter for Quick BI files.
func newQuickBIMinter(_ context.Context, env *cmdEnv, d *spec.Desired, server *serverFlags, simulator string, offline bool) (*embed.Minter, func(), error) {
	nothing := func() {}
	if offline {
		m, err := embed.New(d, quickbi.NewEmbedIssuer(nil))
		return m, nothing, err
	}
	if simulator != "" {
		seed, err := quickbitest.LoadSeed(simulator)
		if err != nil {
			return nil, nothing, fmt.Errorf("simulator: %w", err)
		}
		sim, err := quickbitest.NewFromOptions(quickbitest.Options{Seed: seed})
		if err != nil {
			return nil, nothing, fmt.Errorf("simulator: %w", err)
		}
		sim.Start()
		c, err := qbclient.New(qbclient.Config{Server: sim.URL(), UserAgent: "permsync/" + version, WriteRPS: -1, ReadRPS: -1,
			Credentials: qbclient.Credentials{AccessKeyID: sim.AccessKeyID(), AccessKeySecret: sim.AccessKeySecret()}})
		if err != nil {
			sim.Close()
			return nil, nothing, fmt.Errorf("simulator: %w", err)
		}
		m, err := embed.New(d, quickbi.NewEmbedIssuer(c))
		if err != nil {
			sim.Close()
			return nil, nothing, err
		}
		return m, sim.Close, nil
	}
	c, err := server.newQuickBIClient(env)
	if err != nil {
		return nil, nothing, err
	}
	m, err := embed.New(d, quickbi.NewEmbedIssuer(c))
	return m, nothing, err
}

// embedHandler adds POST /v1/embed/PROFILE to the service's handler
// (permsync run --embed). It refuses to start without the secret, or over
// credentials that cannot mint (a fixed Youdata token).
func embedHandler(env *cmdEnv, pf *planFlags, s *session, metrics *service.Metrics, logger *slog.Logger, next http.Handler) (http.Handler, error) {
	secret, err := secretenv.Read(env.getenv, service.EnvEmbedSecret)
	if err != nil {
		return nil, fmt.Errorf("--embed: %w", err)
	}
	var issuer embed.Issuer
	switch s.providerName {
	case quickbi.Name:
		api, ok := s.qb.(quickbi.EmbedAPI)
		if !ok {
			return nil, errors.New("--embed: the Quick BI client cannot make tickets")
		}
		issuer = quickbi.NewEmbedIssuer(api)
	default:
		c, ok := s.api.(*apiclient.Client)
		if !ok || !c.CanMintTokens() {
			return nil, errors.New("--embed: Youdata tokens are made with a token key (PERMSYNC_TOKEN_KEY) or an email and password, not a fixed token")
		}
		issuer = youdata.NewEmbedIssuer(c)
	}
	h, err := service.NewEmbedHandler(service.EmbedOptions{
		Secret:  secret,
		Metrics: metrics,
		Logger:  logger,
		Load: func() (*embed.Minter, error) {
			d, err := spec.Load(pf.files)
			if err != nil {
				return nil, err
			}
			return embed.New(d, issuer)
		},
	})
	if err != nil {
		return nil, fmt.Errorf("--embed: %w", err)
	}
	logger.Info("serving POST /v1/embed/PROFILE")
	mux := http.NewServeMux()
	mux.Handle("/v1/embed/", h)
	mux.Handle("/", next)
	return mux, nil
}
