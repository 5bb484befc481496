package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/permsync/permsync/access"
	"github.com/permsync/permsync/internal/secretenv"
	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/service"
	"github.com/permsync/permsync/spec"
)

// reportFlags are the access report flags of 'permsync run'.
type reportFlags struct {
	report  bool
	dir     string
	formats string
}

func addReportFlags(fs *flag.FlagSet) *reportFlags {
	f := &reportFlags{}
	fs.BoolVar(&f.report, "access-report", false, "after every run that read the server, make the access report (who can see what, and why; docs/access.md): served at /report on --listen to clients holding $"+service.EnvEmbedSecret+", and written to --access-report-dir")
	fs.StringVar(&f.dir, "access-report-dir", "", "with --access-report, also write access.csv, access.html and access.json to this directory after every run")
	fs.StringVar(&f.formats, "access-report-formats", "csv,html,json", "the formats --access-report-dir receives, comma-separated")
	return f
}

// reportService is the access report of a service: the report made after
// each run, and served at /report.
type reportService struct {
	pub    *access.Publisher
	secret string
	dir    string
	logger *slog.Logger
}

// publisher sets up the access report of a service; nil without
// --access-report.
func (f *reportFlags) publisher(env *cmdEnv, providerName, listen string, logger *slog.Logger) (*reportService, error) {
	if !f.report {
		if f.dir != "" {
			return nil, errors.New("--access-report-dir needs --access-report")
		}
		return nil, nil
	}
	adapter, ok := accessAdapters[providerName]
	if !ok {
		return nil, fmt.Errorf("--access-report: the access model of provider %q is not built yet", providerName)
	}
	var formats []string
	for _, s := range strings.Split(f.formats, ",") {
		s = strings.TrimSpace(s)
		known := false
		for _, k := range access.Formats {
			known = known || s == k
		}
		if !known {
			return nil, fmt.Errorf("--access-report-formats %q: want a comma-separated list of %s", f.formats, strings.Join(access.Formats, ", "))
		}
		formats = append(formats, s)
	}
	if listen == "" && f.dir == "" {
		return nil, errors.New("--access-report needs --listen (to serve it at /report) or --access-report-dir (to write it), or both")
	}
	rs := &reportService{pub: &access.Publisher{Adapter: adapter, Dir: f.dir, Formats: formats}, dir: f.dir, logger: logger}
	if listen != "" {
		// Who can see what is for the people who hold the secret.
		secret, err := secretenv.Read(env.getenv, service.EnvEmbedSecret)
		if err != nil {
			return nil, fmt.Errorf("--access-report: %w", err)
		}
		if len(secret) < 16 {
			return nil, fmt.Errorf("--access-report: serving the report at /report needs %s (or %s_FILE), at least 16 characters: the report lists who can see what", service.EnvEmbedSecret, service.EnvEmbedSecret)
		}
		rs.secret = secret
	}
	return rs, nil
}

// afterRead is the reconciler's hook that makes the report of a run.
func (rs *reportService) afterRead() func(context.Context, *spec.Desired, provider.Live) {
	if rs == nil {
		return nil
	}
	return func(_ context.Context, d *spec.Desired, live provider.Live) {
		if err := rs.pub.Publish(d, live); err != nil {
			rs.logger.Error("access report not made; the latest one is kept", "error", err.Error())
			return
		}
		if r := rs.pub.Latest(); r != nil {
			rs.logger.Info("access report made", "grants", len(r.Grants), "dir", rs.dir)
		}
	}
}

// handler serves the latest report at /report in front of next, when it
// is served at all.
func (rs *reportService) handler(next http.Handler) http.Handler {
	if rs == nil || rs.secret == "" {
		return next
	}
	mux := http.NewServeMux()
	mux.Handle("/report", access.Handler(rs.pub.Latest, rs.secret))
	mux.Handle("/", next)
	rs.logger.Info("serving the access report at /report")
	return mux
}
