package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/permsync/permsync/provider/youdata/youdatatest"
)

func init() {
	register(command{
		name:    "sim",
		summary: "run the built-in Youdata simulator on an address",
		run:     runSim,
	})
}

// runSim serves the in-memory Youdata simulator until the context ends
// (Ctrl-C). It prints the URL and the token it accepts as export lines.
func runSim(ctx context.Context, env *cmdEnv, args []string) int {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (port 0 picks a free port)")
	seedPath := fs.String("seed", "", "YAML or JSON file describing the server's initial content (docs/simulator.md); none: an empty domain")
	token := fs.String("token", "", "the token to accept (default: a random one)")
	tokenKey := fs.String("token-key", "", "a key util/genToken exchanges for a token (tokenType tokenKey)")
	verbose := fs.Bool("v", false, "log every request to stderr (tokens redacted)")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "Usage: permsync sim [--addr HOST:PORT] [--seed FILE] [--token T]")
		fmt.Fprintln(env.stderr)
		fmt.Fprintln(env.stderr, "Runs an in-memory Youdata server that behaves like the vendor document")
		fmt.Fprintln(env.stderr, "describes, for trying permsync or another tool. Ctrl-C stops it; nothing")
		fmt.Fprintln(env.stderr, "is saved.")
		fmt.Fprintln(env.stderr)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return parseErrorCode(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.stderr, "permsync sim: unexpected argument %q\n", fs.Arg(0))
		return exitError
	}

	opts := youdatatest.Options{Token: *token, TokenKey: *tokenKey}
	if *seedPath != "" {
		seed, err := youdatatest.LoadSeed(*seedPath)
		if err != nil {
			fmt.Fprintf(env.stderr, "permsync sim: %v\n", err)
			return exitError
		}
		opts.Seed = seed
	}
	if *verbose {
		opts.Logf = func(format string, a ...any) { fmt.Fprintf(env.stderr, format+"\n", a...) }
	}
	sim, err := youdatatest.NewFromOptions(opts)
	if err != nil {
		fmt.Fprintf(env.stderr, "permsync sim: %v\n", err)
		return exitError
	}

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", *addr)
	if err != nil {
		fmt.Fprintf(env.stderr, "permsync sim: listen: %v (choose another address with --addr; port 0 picks a free one)\n", err)
		return exitError
	}
	url := "http://" + ln.Addr().String()
	hs := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	from := "an empty domain"
	if *seedPath != "" {
		from = *seedPath
	}
	fmt.Fprintf(env.stdout, "Youdata simulator on %s, seeded from %s (admin %s).\n", url, from, sim.TokenUser())
	fmt.Fprintf(env.stdout, "export PERMSYNC_SERVER=%s\n", url)
	fmt.Fprintf(env.stdout, "export PERMSYNC_TOKEN=%s\n", sim.Token())
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
