package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"

	"github.com/permsync/permsync/audit"
	"github.com/permsync/permsync/internal/secretenv"
	"github.com/permsync/permsync/notify"
	"github.com/permsync/permsync/service"
)

// Environment variables of the notification webhook: its URL holds the
// robot's token, so neither comes from a flag or the YAML.
const (
	envWebhookURL    = "PERMSYNC_WEBHOOK_URL"
	envWebhookSecret = "PERMSYNC_WEBHOOK_SECRET"
)

// openAudit opens --audit-log ("" : none, "-": standard error).
func openAudit(env *cmdEnv, path, command string) (*audit.Log, error) {
	switch path {
	case "", "none":
		return nil, nil
	case "-":
		return audit.New(env.stderr, command), nil
	}
	return audit.Open(path, command)
}

// trailFlags are the audit trail and notification flags of 'permsync
// run'.
type trailFlags struct {
	auditLog string
	runsDir  string
	keepRuns int
	notify   string
	notifyOn string
}

func addTrailFlags(fs *flag.FlagSet) *trailFlags {
	f := &trailFlags{}
	fs.StringVar(&f.auditLog, "audit-log", "-", `append one JSON line per change a run writes (or tries to) to this file ("-": standard error; "none": no audit log); see docs/audit.md`)
	fs.StringVar(&f.runsDir, "runs-dir", "", "keep each run's plan.json and result.json in DIR/<run id>/ (default: not kept)")
	fs.IntVar(&f.keepRuns, "keep-runs", 50, "with --runs-dir, how many of the newest runs to keep")
	fs.StringVar(&f.notify, "notify", "", "post a notification on drift, refusal and failure to the webhook at $"+envWebhookURL+" (or _FILE), in this format: generic, dingtalk, feishu (lark), wecom or slack; $"+envWebhookSecret+" signs DingTalk's and Feishu's")
	fs.StringVar(&f.notifyOn, "notify-on", "drift,refusal,failure", "which runs --notify tells of: a comma-separated list of drift, refusal, failure")
	return f
}

// observers makes the audit log and the run observers the flags ask for.
func (f *trailFlags) observers(env *cmdEnv, serverURL string, logger *slog.Logger) (*audit.Log, []service.Observer, error) {
	if f.keepRuns < 1 {
		return nil, nil, fmt.Errorf("--keep-runs must be at least 1, got %d", f.keepRuns)
	}
	var obs []service.Observer
	if f.runsDir != "" {
		obs = append(obs, &service.RunKeeper{Dir: f.runsDir, Keep: f.keepRuns, Logger: logger})
	}
	if f.notify != "" {
		format, err := notify.ParseFormat(f.notify)
		if err != nil {
			return nil, nil, fmt.Errorf("--notify: %w", err)
		}
		on, err := parseNotifyOn(f.notifyOn)
		if err != nil {
			return nil, nil, err
		}
		u, err := secretenv.Read(env.getenv, envWebhookURL)
		if err != nil {
			return nil, nil, fmt.Errorf("--notify: %w", err)
		}
		if u == "" {
			return nil, nil, fmt.Errorf("--notify %s: set %s (or %s_FILE) to the webhook's URL", f.notify, envWebhookURL, envWebhookURL)
		}
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			return nil, nil, fmt.Errorf("--notify: %s is not an http(s) URL", envWebhookURL)
		}
		secret, err := secretenv.Read(env.getenv, envWebhookSecret)
		if err != nil {
			return nil, nil, fmt.Errorf("--notify: %w", err)
		}
		obs = append(obs, &service.Notifier{Sender: &notify.Webhook{URL: u, Format: format, Secret: secret}, On: on, Server: serverURL, Logger: logger})
	} else if f.notifyOn != "drift,refusal,failure" {
		return nil, nil, errors.New("--notify-on needs --notify")
	}
	log, err := openAudit(env, f.auditLog, "run")
	if err != nil {
		return nil, nil, err
	}
	return log, obs, nil
}

func parseNotifyOn(s string) ([]notify.Kind, error) {
	var out []notify.Kind
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		ok := false
		for _, k := range notify.Kinds {
			if string(k) == part {
				out, ok = append(out, k), true
			}
		}
		if !ok {
			return nil, fmt.Errorf("--notify-on %q: want a comma-separated list of drift, refusal, failure", s)
		}
	}
	return out, nil
}
