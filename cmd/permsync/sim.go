package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/permsync/permsync/provider/quickbi/quickbitest"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
)

func init() {
	register(command{
		name:    "sim",
		summary: "run a built-in simulator of a server (Youdata or Quick BI) on an address",
		run:     runSim,
	})
}

// runSim serves the in-memory Youdata simulator until the context ends
// (Ctrl-C). It prints the URL and the token it accepts as export lines.
func runSim(ctx context.Context, env *cmdEnv, args []string) int {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	providerName := fs.String("provider", "youdata", "the server to simulate: youdata or quickbi")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (port 0 picks a free port)")
	seedPath := fs.String("seed", "", "YAML or JSON file describing the server's initial content (docs/simulator.md); none: an empty domain")
	token := fs.String("token", "", "the token to accept (default: a random one)")
	tokenKey := fs.String("token-key", "", "a key util/genToken exchanges for a token (tokenType tokenKey)")
	verbose := fs.Bool("v", false, "log every request to stderr (tokens redacted)")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "Usage: permsync sim [--provider youdata|quickbi] [--addr HOST:PORT] [--seed FILE] [--token T]")
		fmt.Fprintln(env.stderr)
		fmt.Fprintln(env.stderr, "Runs an in-memory Youdata (or Quick BI) server that behaves like the")
		fmt.Fprintln(env.stderr, "vendor document describes, for trying permsync or another tool. Ctrl-C")
		fmt.Fprintln(env.stderr, "stops it; nothing is saved.")
		fmt.Fprintln(env.stderr)
		fs.PrintDefaults()
	}
	if err := parseFlags(env, fs, args); err != nil {
		return parseErrorCode(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.stderr, "permsync sim: unexpected argument %q\n", fs.Arg(0))
		return exitError
	}

	var handler http.Handler
	var intro []string
	switch *providerName {
	case "youdata":
		h, lines, err := youdataSim(env, *seedPath, *token, *tokenKey, *verbose)
		if err != nil {
			fmt.Fprintf(env.stderr, "permsync sim: %v\n", err)
			return exitError
		}
		handler, intro = h, lines
	case "quickbi":
		if *token != "" || *tokenKey != "" {
			fmt.Fprintln(env.stderr, "permsync sim: --token and --token-key are Youdata's; the Quick BI simulator accepts the access key it prints")
			return exitError
		}
		h, lines, err := quickbiSim(env, *seedPath, *verbose)
		if err != nil {
			fmt.Fprintf(env.stderr, "permsync sim: %v\n", err)
			return exitError
		}
		handler, intro = h, lines
	default:
		fmt.Fprintf(env.stderr, "permsync sim: --provider %q: want youdata or quickbi\n", *providerName)
		return exitError
	}

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", *addr)
	if err != nil {
		fmt.Fprintf(env.stderr, "permsync sim: listen: %v (choose another address with --addr; port 0 picks a free one)\n", err)
		return exitError
	}
	url := "http://" + ln.Addr().String()
	hs := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	from := "an empty domain"
	if *providerName == "quickbi" {
		from = "an empty organization"
	}
	if *seedPath != "" {
		from = *seedPath
	}
	fmt.Fprintln(env.stdout, fmt.Sprintf(intro[0], url, from))
	fmt.Fprintf(env.stdout, "export PERMSYNC_SERVER=%s\n", url)
	for _, line := range intro[1:] {
		fmt.Fprintln(env.stdout, line)
	}
	fmt.Fprintln(env.stdout, "Press Ctrl-C to stop.")

	select {
	case <-ctx.Done():
	case err := <-served:
		fmt.Fprintf(env.stderr, "permsync sim: serve: %v\n", err)
		return exitError
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		fmt.Fprintf(env.stderr, "permsync sim: shutdown: %v\n", err)
		return exitError
	}
	fmt.Fprintln(env.stderr, "permsync sim: stopped.")
	return exitOK
}

// youdataSim is the Youdata simulator's handler and the lines that say how
// to reach it (the first is a format of the URL and the seed).
func youdataSim(env *cmdEnv, seedPath, token, tokenKey string, verbose bool) (http.Handler, []string, error) {
	opts := youdatatest.Options{Token: token, TokenKey: tokenKey}
	if seedPath != "" {
		seed, err := youdatatest.LoadSeed(seedPath)
		if err != nil {
			return nil, nil, err
		}
		opts.Seed = seed
	}
	if verbose {
		opts.Logf = func(format string, a ...any) { fmt.Fprintf(env.stderr, format+"\n", a...) }
	}
	sim, err := youdatatest.NewFromOptions(opts)
	if err != nil {
		return nil, nil, err
	}
	return sim.Handler(), []string{
		"Youdata simulator on %s, seeded from %s (admin " + sim.TokenUser() + ").",
		"export PERMSYNC_TOKEN=" + sim.Token(),
	}, nil
}

// quickbiSim is the Quick BI simulator's handler and the lines that say
// how to reach it: the access key it accepts, printed on purpose.
func quickbiSim(env *cmdEnv, seedPath string, verbose bool) (http.Handler, []string, error) {
	var opts quickbitest.Options
	if seedPath != "" {
		seed, err := quickbitest.LoadSeed(seedPath)
		if err != nil {
			return nil, nil, err
		}
		opts.Seed = seed
	}
	if verbose {
		opts.Logf = func(format string, a ...any) { fmt.Fprintf(env.stderr, format+"\n", a...) }
	}
	sim, err := quickbitest.NewFromOptions(opts)
	if err != nil {
		return nil, nil, err
	}
	return sim.Handler(), []string{
		"Quick BI simulator on %s, seeded from %s (admin " + sim.AdminUserID() + ").",
		"export PERMSYNC_ACCESS_KEY_ID=" + sim.AccessKeyID(),
		"export PERMSYNC_ACCESS_KEY_SECRET=" + sim.AccessKeySecret(),
	}, nil
}
