package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/permsync/permsync/access"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/provider/quickbi"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/spec"
)

func init() {
	register(command{
		name:    "access-report",
		summary: "write who can see what, and why, as CSV, JSON and one HTML page; or what changed since a report",
		run:     runAccessReport,
	})
}

// accessAdapters are the providers' access models, by provider name.
var accessAdapters = map[string]access.Adapter{
	youdata.Name: youdata.Access{},
	quickbi.Name: quickbi.Access{},
}

// accessFlags are the flags explain and access-report share: the files
// and, with --live, the server.
type accessFlags struct {
	pf   *planFlags
	live bool
}

func addAccessFlags(fs *flag.FlagSet) *accessFlags {
	pf := &planFlags{}
	fs.Var(&pf.files, "f", "a YAML file or a directory of them (repeatable)")
	fs.StringVar(&pf.statePath, "state", "", "the state file (default .permsync/state.json beside the first -f path); read, never written")
	fs.StringVar(&pf.tokenUser, "token-user", "", "uniqueId of the user behind the token (default $PERMSYNC_TOKEN_USER)")
	fs.StringVar(&pf.simulator, "simulator", "", "read an embedded simulator seeded from this file instead of a server (implies --live)")
	pf.server = addServerFlags(fs)
	f := &accessFlags{pf: pf}
	fs.BoolVar(&f.live, "live", false, "read the server too and mark where it differs from the files (needs the server's credentials)")
	return f
}

// report builds the access report of the files and, with --live, of the
// server, compared. Nothing is written to the server or the state.
func (f *accessFlags) report(ctx context.Context, env *cmdEnv) (*access.Report, error) {
	if len(f.pf.files) == 0 {
		return nil, errors.New("no files given: use -f PATH (a YAML file or a directory), repeatable")
	}
	live := f.live || f.pf.simulator != ""
	var d *spec.Desired
	var lv provider.Live
	if !live {
		env.setPhase("loading the files", "")
		var err error
		if d, err = spec.Load(f.pf.files); err != nil {
			return nil, err
		}
		printWarnings(env, d)
	} else {
		env.setPhase("loading the files and the state", "")
		s, err := f.pf.open(ctx, env)
		if err != nil {
			return nil, err
		}
		defer s.close()
		d = s.desired
		env.setPhase("reading the server", "")
		pipe := s.pipeline(env, false)
		stop := s.startRead(env)
		l, err := pipe.Read(ctx)
		stop()
		if err != nil {
			return nil, err
		}
		lv = l
	}
	a, ok := accessAdapters[providerOf(d)]
	if !ok {
		return nil, fmt.Errorf("the access model of provider %q is not built yet", providerOf(d))
	}
	env.setPhase("building the access model", "")
	return access.Build(a, d, lv, time.Now())
}

func providerOf(d *spec.Desired) string {
	if d.Provider == "" {
		return spec.DefaultProvider
	}
	return d.Provider
}

func runAccessReport(ctx context.Context, env *cmdEnv, args []string) int {
	fs := flag.NewFlagSet("access-report", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	af := addAccessFlags(fs)
	out := fs.String("out", "", "write the report to this directory: access.csv, access.html, access.json")
	formats := fs.String("o", "csv,html,json", "the formats --out writes, comma-separated: csv, html, json")
	diffOld := fs.String("diff", "", "compare with an earlier access.json and print who gained and who lost what")
	diffFormat := fs.String("diff-format", "text", "the diff's format: text or json")
	from := fs.String("report", "", "take the current report from this access.json instead of the files (with --diff: compare two saved reports)")
	detailed := fs.Bool("detailed-exitcode", false, "with --diff: exit 0 when nothing changed, 2 when something did, 1 on error")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "Usage: permsync access-report -f PATH... [--live] --out DIR [-o csv,html,json] [--diff OLD.json [--diff-format text|json] [--detailed-exitcode]]")
		fmt.Fprintln(env.stderr, "       permsync access-report --report NEW.json --diff OLD.json")
		fmt.Fprintln(env.stderr)
		fmt.Fprintln(env.stderr, "The report lists who can see what: keep it where only reviewers can read it. See docs/access.md.")
		fs.PrintDefaults()
	}
	pos, err := parseFlagsInterspersed(env, fs, args)
	if err != nil {
		return parseErrorCode(err)
	}
	if len(pos) > 0 {
		fmt.Fprintf(env.stderr, "permsync access-report: unexpected argument %q (files are given with -f)\n", pos[0])
		return exitError
	}
	fail := func(err error) int {
		printErr(env, "access-report", err)
		return exitError
	}
	var want []string
	for _, f := range strings.Split(*formats, ",") {
		f = strings.TrimSpace(f)
		if !slices.Contains(access.Formats, f) {
			return fail(fmt.Errorf("-o %q: want csv, html or json, comma-separated", f))
		}
		if !slices.Contains(want, f) {
			want = append(want, f)
		}
	}
	switch *diffFormat {
	case "text", "json":
	default:
		return fail(fmt.Errorf("--diff-format %q: want text or json", *diffFormat))
	}
	if *out == "" && *diffOld == "" {
		return fail(errors.New("nothing to do: give --out DIR to write the report, --diff OLD.json to compare with an earlier one, or both"))
	}
	if *from != "" && (len(af.pf.files) > 0 || af.live) {
		return fail(errors.New("--report takes the report from a file: give it without -f and --live"))
	}

	var old *access.Report
	if *diffOld != "" {
		// Read first: a mistyped path fails before the server is read.
		if old, err = access.ReadJSONFile(*diffOld); err != nil {
			return fail(err)
		}
	}
	var rep *access.Report
	newName := ""
	if *from != "" {
		if rep, err = access.ReadJSONFile(*from); err != nil {
			return fail(err)
		}
		newName = *from
	} else {
		if rep, err = af.report(ctx, env); err != nil {
			return fail(err)
		}
		newName = "the files"
		if rep.Source == access.SourceBoth {
			newName = "the files and the server"
		}
	}
	if *out != "" {
		env.setPhase("writing the report", "")
		paths, err := access.WriteDir(*out, rep, want)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(env.stderr, "Wrote %s: %d users, %d grants. It lists who can see what: keep it where only reviewers can read it.\n",
			strings.Join(paths, ", "), len(rep.Users), len(rep.Grants))
	}
	if old == nil {
		return exitOK
	}
	d := access.DiffReports(old, rep, *diffOld, newName)
	if *diffFormat == "json" {
		err = d.WriteJSON(env.stdout)
	} else {
		err = d.WriteText(env.stdout)
	}
	if err != nil {
		return fail(err)
	}
	if *detailed && !d.Empty() {
		return exitChanges
	}
	return exitOK
}
