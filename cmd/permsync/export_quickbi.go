package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/permsync/permsync/provider/quickbi"
	qbclient "github.com/permsync/permsync/provider/quickbi/apiclient"
	qbexport "github.com/permsync/permsync/provider/quickbi/export"
	"github.com/permsync/permsync/provider/quickbi/quickbitest"
	"github.com/permsync/permsync/state"
)

// exportArgs are the flags of an export that are not the server's.
type exportArgs struct {
	projects                         stringList
	out, split, statePath, simulator string
	force                            bool
}

// runExportQuickBI writes a Quick BI organization as permsync YAML, with a
// state, so that the first plan of the files is empty.
func runExportQuickBI(ctx context.Context, env *cmdEnv, sf *serverFlags, a exportArgs) int {
	sp, err := qbexport.ParseSplit(a.split)
	if err != nil {
		printErr(env, "export", fmt.Errorf("--split: %w", err))
		return exitError
	}
	if a.out == "" {
		printErr(env, "export", errors.New("--out must name a directory"))
		return exitError
	}
	stPath := a.statePath
	if stPath == "" {
		stPath = state.DefaultPath(a.out)
	}
	if !a.force {
		if _, err := os.Stat(stPath); err == nil {
			printErr(env, "export", fmt.Errorf("state %s already exists and may record what permsync created: pass --state to write elsewhere, or --force to replace it", stPath))
			return exitError
		} else if !errors.Is(err, fs.ErrNotExist) {
			printErr(env, "export", fmt.Errorf("state %s: %w", stPath, err))
			return exitError
		}
		if err := qbexport.CheckDir(a.out); err != nil {
			printErr(env, "export", err)
			return exitError
		}
	}

	var api qbclient.Reader
	var server, tokenUser string
	if a.simulator != "" {
		seed, err := quickbitest.LoadSeed(a.simulator)
		if err != nil {
			printErr(env, "export", fmt.Errorf("simulator: %w", err))
			return exitError
		}
		sim := quickbitest.New(quickbitest.Options{Seed: seed})
		defer sim.Close()
		c, err := qbclient.New(qbclient.Config{Server: sim.URL(), UserAgent: "permsync/" + version,
			Credentials: qbclient.Credentials{AccessKeyID: sim.AccessKeyID(), AccessKeySecret: sim.AccessKeySecret()}})
		if err != nil {
			printErr(env, "export", fmt.Errorf("simulator: %w", err))
			return exitError
		}
		api, server = c, simulatorURL(a.simulator)
		if u := sim.Snapshot().UserByID(sim.AdminUserID()); u != nil {
			tokenUser = u.AccountName
		}
	} else {
		c, err := sf.newQuickBIClient(env)
		if err != nil {
			printErr(env, "export", err)
			return exitError
		}
		api, server = c, c.Endpoint()
		tokenUser = env.getenv("PERMSYNC_TOKEN_USER")
	}

	ro := sf.readOptions("")
	opts := quickbi.ReadOptions{MaxListObjects: ro.MaxListObjects, MaxReadObjects: ro.MaxReadObjects, MaxReadTime: ro.MaxReadTime}
	progress := newProgressLine(env)
	opts.Progress = func(p quickbi.ReadProgress) {
		progress.show("Reading the server: %d objects, %d calls, %s ", p.Objects, p.Calls, p.Elapsed.Round(100*time.Millisecond))
	}
	env.setPhase("reading the server", "")
	live, err := qbexport.Read(ctx, api, a.projects, tokenUser, opts)
	progress.clear()
	if err != nil {
		printErr(env, "export", fmt.Errorf("reading the server: %w", err))
		return exitError
	}
	env.setPhase("writing the files", fmt.Sprintf("The files in %s may be incomplete; the state was not written.", a.out))
	res, err := qbexport.Write(live, a.out, qbexport.Options{Split: sp, Workspaces: a.projects,
		Header: "Exported by 'permsync export' from " + server + ".", Force: a.force})
	if err != nil {
		printErr(env, "export", err)
		return exitError
	}
	if err := state.Save(stPath, qbexport.State(live, a.projects, server)); err != nil {
		printErr(env, "export", err)
		return exitError
	}
	c := res.Counts
	fmt.Fprintf(env.stdout, "Exported %s, %s, %s, %s (%s, %s, %s) to %s in %s.\n",
		plural(c.Tags, "tag"), plural(c.Users, "user"), plural(c.Groups, "group"), plural(c.Workspaces, "workspace"),
		plural(c.Members, "member"), plural(c.Datasets, "dataset"), plural(c.Rules, "rule"), a.out, plural(len(res.Files), "file"))
	fmt.Fprintf(env.stdout, "Wrote the state to %s.\n", stPath)
	if c.Skipped > 0 {
		fmt.Fprintf(env.stdout, "%s could not be written in the format (see the comments in the files).\n", plural(c.Skipped, "object"))
	}
	for _, o := range res.Others {
		fmt.Fprintf(env.stderr, "permsync export: warning: %s was not written by this export but will be loaded with it\n", o)
	}
	next := "permsync plan -f " + a.out
	switch {
	case a.simulator != "":
		next += " --simulator " + a.simulator + " --state " + stPath
	case a.statePath != "":
		next += " --state " + stPath
	}
	fmt.Fprintf(env.stdout, "Next: %s (it should show no changes).\n", next)
	return exitOK
}
