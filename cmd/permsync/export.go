package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/provider/youdata/export"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/state"
)

func init() {
	register(command{
		name:    "export",
		summary: "write the server's current permissions as permsync YAML, to start from",
		run:     runExport,
	})
}

func runExport(ctx context.Context, env *cmdEnv, args []string) int {
	flags := flag.NewFlagSet("export", flag.ContinueOnError)
	flags.SetOutput(env.stderr)
	sf := addServerFlags(flags)
	providerName := flags.String("provider", "youdata", "the server to export: youdata or quickbi")
	var projects stringList
	flags.Var(&projects, "project", "export only this project (repeatable; default: every project); Quick BI: a workspace")
	out := flags.String("out", "export", "the directory to write the files into")
	split := flags.String("split", string(export.SplitByKind), "file layout: by-kind (users.yaml, system-roles.yaml, projects/NAME.yaml), by-project (common.yaml, NAME.yaml) or single (permsync.yaml)")
	statePath := flags.String("state", "", "the state file to write (default .permsync/state.json beside --out, where 'permsync plan -f OUT' looks)")
	simulator := flags.String("simulator", "", "read an embedded simulator seeded from this file instead of a server")
	force := flags.Bool("force", false, "write into a directory that already holds YAML files, and over an existing state file")
	flags.Usage = func() {
		fmt.Fprintln(env.stderr, "Usage: permsync export [--provider youdata|quickbi] [--server URL | --simulator SEED] [--project NAME]... [--out DIR] [--split by-kind|by-project|single] [--state PATH]")
		fmt.Fprintln(env.stderr)
		fmt.Fprintln(env.stderr, "Writes what the API can read back as permsync YAML, with a state file, so")
		fmt.Fprintln(env.stderr, "that a first 'permsync plan -f DIR' against the same server shows no changes.")
		fmt.Fprintln(env.stderr)
		flags.PrintDefaults()
	}
	if err := parseFlags(env, flags, args); err != nil {
		return parseErrorCode(err)
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(env.stderr, "permsync export: unexpected argument %q\n", flags.Arg(0))
		return exitError
	}
	switch *providerName {
	case "youdata":
	case "quickbi":
		return runExportQuickBI(ctx, env, sf, exportArgs{projects: projects, out: *out, split: *split, statePath: *statePath, simulator: *simulator, force: *force})
	default:
		printErr(env, "export", fmt.Errorf("--provider %q: want youdata or quickbi", *providerName))
		return exitError
	}
	sp, err := export.ParseSplit(*split)
	if err != nil {
		printErr(env, "export", fmt.Errorf("--split: %w", err))
		return exitError
	}
	if *out == "" {
		printErr(env, "export", errors.New("--out must name a directory"))
		return exitError
	}
	stPath := *statePath
	if stPath == "" {
		stPath = state.DefaultPath(*out)
	}
	if !*force {
		if _, err := os.Stat(stPath); err == nil {
			printErr(env, "export", fmt.Errorf("state %s already exists and may record what permsync created: pass --state to write elsewhere, or --force to replace it", stPath))
			return exitError
		} else if !errors.Is(err, fs.ErrNotExist) {
			printErr(env, "export", fmt.Errorf("state %s: %w", stPath, err))
			return exitError
		}
		// Refuse now rather than after reading the whole server.
		if err := export.CheckDir(*out); err != nil {
			printErr(env, "export", err)
			return exitError
		}
	}

	api, server, closeAPI, err := exportClient(ctx, env, sf, *simulator)
	if err != nil {
		printErr(env, "export", err)
		return exitError
	}
	defer closeAPI()

	opts := sf.readOptions("")
	progress := newProgressLine(env)
	opts.Progress = func(p youdata.ReadProgress) {
		progress.show("Reading the server: %d objects, %d calls, %s ", p.Objects, p.Calls, p.Elapsed.Round(100*time.Millisecond))
	}
	env.setPhase("reading the server", "")
	live, err := export.Read(ctx, api, projects, opts)
	progress.clear()
	if err != nil {
		printErr(env, "export", fmt.Errorf("reading the server: %w", err))
		return exitError
	}

	env.setPhase("writing the files", fmt.Sprintf("The files in %s may be incomplete; the state was not written.", *out))
	res, err := export.Write(live, *out, export.Options{
		Split:  sp,
		Header: "Exported by 'permsync export' from " + server + ".",
		Force:  *force,
		Progress: func(done, total int) {
			progress.show("Writing files: %d of %d ", done, total)
		},
	})
	progress.clear()
	if err != nil {
		printErr(env, "export", err)
		return exitError
	}
	if err := state.Save(stPath, export.State(live, server)); err != nil {
		printErr(env, "export", err)
		return exitError
	}

	c := res.Counts
	fmt.Fprintf(env.stdout, "Exported %s, %s, %s (%s, %s, %s, %s) to %s in %s.\n",
		plural(c.Users, "user"), plural(c.SystemRoles, "custom system role"), plural(c.Projects, "project"),
		plural(c.Members, "member"), plural(c.Groups, "group"), plural(c.Roles, "role"), plural(c.DataPermissions, "data permission"),
		*out, plural(len(res.Files), "file"))
	fmt.Fprintf(env.stdout, "Wrote the state to %s.\n", stPath)
	if c.RulesUnknown > 0 {
		fmt.Fprintf(env.stdout, "%s without rules in the files: their rules cannot be read back (see the comments).\n", plural(c.RulesUnknown, "data permission"))
	}
	if c.Skipped > 0 {
		fmt.Fprintf(env.stdout, "%s could not be written in the format (see the comments in the files).\n", plural(c.Skipped, "object"))
	}
	for _, o := range res.Others {
		fmt.Fprintf(env.stderr, "permsync export: warning: %s was not written by this export but will be loaded with it\n", o)
	}
	fmt.Fprintln(env.stdout, "Resource permissions, departments and user attributes cannot be read back; see the comments in the files.")
	next := "permsync plan -f " + *out
	switch {
	case *simulator != "":
		// plan gives a simulator a fresh state unless told otherwise.
		next += " --simulator " + *simulator + " --state " + stPath
	case *statePath != "":
		next += " --state " + stPath
	}
	fmt.Fprintf(env.stdout, "Next: %s (it should show no changes).\n", next)
	return exitOK
}

// exportClient connects to the server the flags name, or starts the
// embedded simulator. server identifies it in the state file.
func exportClient(ctx context.Context, env *cmdEnv, sf *serverFlags, simulator string) (api apiclient.Reader, server string, closeFn func(), err error) {
	if simulator == "" {
		c, err := sf.newClient(ctx, env)
		if err != nil {
			return nil, "", nil, err
		}
		return c, sf.serverURL(env), func() {}, nil
	}
	seed, err := youdatatest.LoadSeed(simulator)
	if err != nil {
		return nil, "", nil, fmt.Errorf("simulator: %w", err)
	}
	sim := youdatatest.New(youdatatest.Options{Seed: seed})
	c, err := apiclient.New(apiclient.Config{
		Server:      sim.URL(),
		Credentials: apiclient.Credentials{Token: sim.Token()},
		UserAgent:   "permsync/" + version,
	})
	if err != nil {
		sim.Close()
		return nil, "", nil, fmt.Errorf("simulator: %w", err)
	}
	return c, simulatorURL(simulator), sim.Close, nil
}

// plural renders "1 user", "2 users".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
