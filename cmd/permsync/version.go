package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
)

func init() {
	register(command{
		name:    "version",
		summary: "print the version, commit and build date",
		run:     runVersion,
	})
}

// buildInfo is what `permsync version` reports.
type buildInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"go"`
	Platform  string `json:"platform"`
}

// currentBuild is the build of this binary: the -ldflags values, else the
// VCS stamp of `go build` in a git checkout, else "unknown".
func currentBuild() buildInfo {
	b := buildInfo{Version: version, Commit: commit, Date: date,
		GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		modified := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if b.Commit == "" {
					b.Commit = s.Value
				}
			case "vcs.time":
				if b.Date == "" {
					b.Date = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if modified && commit == "" && b.Commit != "" {
			b.Commit += "-dirty"
		}
		// `go install module@v1.2.0` records the module's version.
		if b.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version
		}
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	if b.Date == "" {
		b.Date = "unknown"
	}
	return b
}

func runVersion(_ context.Context, env *cmdEnv, args []string) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	asJSON := fs.Bool("json", false, "print as a JSON object")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "Usage: permsync version [--json]")
		fs.PrintDefaults()
	}
	if err := parseFlags(env, fs, args); err != nil {
		return parseErrorCode(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.stderr, "permsync version: unexpected arguments %q\n", fs.Args())
		return exitError
	}
	b := currentBuild()
	if *asJSON {
		out, err := json.MarshalIndent(b, "", "  ")
		if err != nil {
			printErr(env, "version", err)
			return exitError
		}
		fmt.Fprintln(env.stdout, string(out))
		return exitOK
	}
	fmt.Fprintf(env.stdout, "permsync %s\ncommit: %s\nbuilt: %s\ngo: %s %s\n", b.Version, b.Commit, b.Date, b.GoVersion, b.Platform)
	return exitOK
}
