package quickbi_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/quickbi"
	"github.com/permsync/permsync/provider/quickbi/apiclient"
	"github.com/permsync/permsync/provider/quickbi/quickbitest"
	"github.com/permsync/permsync/spec"
	"github.com/permsync/permsync/state"
)

var (
	exampleSeed    = filepath.Join("..", "..", "examples", "quickbi", "server-before.yaml")
	exampleDesired = filepath.Join("..", "..", "examples", "quickbi", "desired")
)

// sim is a simulator and a client of it that neither rate-limits nor
// waits long between retries.
type sim struct {
	*quickbitest.Server
	client *apiclient.Client
}

func newSim(t testing.TB, seed *quickbitest.Seed, opts ...func(*quickbitest.Options)) *sim {
	t.Helper()
	o := quickbitest.Options{Seed: seed}
	for _, f := range opts {
		f(&o)
	}
	s, err := quickbitest.NewFromOptions(o)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(s.Close)
	return &sim{Server: s, client: newClient(t, s.URL(), s, nil)}
}

func newClient(t testing.TB, url string, s *quickbitest.Server, tune func(*apiclient.Config)) *apiclient.Client {
	t.Helper()
	cfg := apiclient.Config{
		Server:      url,
		Credentials: apiclient.Credentials{AccessKeyID: s.AccessKeyID(), AccessKeySecret: s.AccessKeySecret(), SecurityToken: s.SecurityToken()},
		WriteRPS:    -1, ReadRPS: -1,
		Retry: apiclient.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond},
	}
	if tune != nil {
		tune(&cfg)
	}
	c, err := apiclient.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func loadSeed(t testing.TB, path string) *quickbitest.Seed {
	t.Helper()
	seed, err := quickbitest.LoadSeed(path)
	if err != nil {
		t.Fatal(err)
	}
	return seed
}

func parseSeed(t testing.TB, text string) *quickbitest.Seed {
	t.Helper()
	seed, err := quickbitest.ParseSeed([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return seed
}

func loadDesired(t testing.TB, paths ...string) *spec.Desired {
	t.Helper()
	d, err := spec.Load(paths)
	if err != nil {
		t.Fatal(err)
	}
	if d.QuickBI == nil {
		t.Fatalf("%v: no Quick BI part", paths)
	}
	return d
}

// desiredFrom loads files written in a temporary folder.
func desiredFrom(t testing.TB, files map[string]string) *spec.Desired {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		writeFile(t, filepath.Join(dir, name), text)
	}
	return loadDesired(t, dir)
}

// adminAccount is the account of the simulator's admin, the member
// behind its access key.
func adminAccount(s *sim) string { return s.Snapshot().UserByID(s.AdminUserID()).AccountName }

// pipeline is what permsync plan and apply run, on the simulator.
func (s *sim) pipeline(d *spec.Desired, st *state.State, tune ...func(*quickbi.Config)) *engine.Pipeline {
	if st == nil {
		st = state.New()
	}
	cfg := quickbi.Config{API: s.client}
	for _, f := range tune {
		f(&cfg)
	}
	return &engine.Pipeline{Provider: quickbi.New(cfg), Desired: d, State: st, TokenUser: adminAccount(s)}
}

// mustPlan plans, failing the test on an error.
func mustPlan(t testing.TB, p *engine.Pipeline) *plan.Plan {
	t.Helper()
	pl, err := p.Plan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return pl
}

// applyAll plans and applies, and fails the test unless every change was
// applied; it returns the plan and the result.
func applyAll(t testing.TB, p *engine.Pipeline) (*plan.Plan, *engine.Result) {
	t.Helper()
	pl := mustPlan(t, p)
	if len(pl.Refusals) > 0 {
		t.Fatalf("plan refused: %v", pl.RefusalMessages())
	}
	res, err := p.Apply(context.Background(), pl, engine.ApplyOptions{})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	for _, c := range res.Changes {
		if c.Status != engine.StatusApplied {
			t.Errorf("%s %s %s: %s %v %s", c.Change.Action, c.Change.Kind, c.Change.Key, c.Status, c.Err, c.Reason)
		}
	}
	return pl, res
}

// expectEmpty fails when the next plan changes anything.
func expectEmpty(t testing.TB, p *engine.Pipeline) {
	t.Helper()
	pl := mustPlan(t, p)
	for _, c := range pl.Changes {
		t.Errorf("the next plan still has %s %s %s (%s)", c.Action, c.Kind, c.Key, c.Reason)
	}
}

// changeIDs lists a plan's changes as "action kind key".
func changeIDs(pl *plan.Plan) []string {
	var out []string
	for _, c := range pl.Changes {
		out = append(out, fmt.Sprintf("%s %s %s", c.Action, c.Kind, c.Key))
	}
	return out
}

// image is a server's content as lines, without the ids the server
// chooses (UserIds, TagIds, RuleIds): users by account, tags by name,
// groups by their caller-chosen ids, rules by name.
func image(st *quickbitest.State) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	accounts := func(ids []string) string { return strings.Join(st.Accounts(ids), ",") }
	for _, u := range st.Users {
		var tags []string
		for k, v := range u.Tags {
			tags = append(tags, k+"="+v)
		}
		sort.Strings(tags)
		add("user %s uid=%s nick=%s type=%d roles=%v inactive=%v tags=%v", u.AccountName, u.AccountID, u.NickName, u.UserType, u.Roles, u.Inactive, tags)
	}
	for _, tg := range st.Tags {
		add("tag %s %q", tg.Name, tg.Description)
	}
	for _, g := range st.Groups {
		add("group %s name=%s parent=%s desc=%q members=%s", g.ID, g.Name, g.Parent, g.Description, accounts(g.Members))
	}
	for _, w := range st.Workspaces {
		add("workspace %s owner=%s", w.Name, accounts([]string{w.Owner}))
		for _, m := range w.Members {
			add("member %s/%s %v", w.Name, accounts([]string{m.UserID}), m.Roles)
		}
		for _, d := range w.Datasets {
			for _, lv := range []struct {
				name string
				l    quickbitest.Level
			}{{"row", d.Row}, {"column", d.Column}} {
				l := lv.l
				add("level %s/%s/%s open=%v missHit=%s white=%s/%v", w.Name, d.Name, lv.name, l.Open, l.MissHitPolicy, accounts(l.WhiteUsers), l.WhiteGroups)
				for _, r := range l.Rules {
					add("rule %s/%s/%s/%s scope=%s users=%s groups=%v content=%s type=%s hit=%d open=%d origin=%s",
						w.Name, d.Name, lv.name, r.Name, r.Scope, accounts(r.Users), r.Groups, r.ContentJSON, r.ContentType, r.HitTakeEffect, r.IsOpen, r.OriginConfigJSON)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func writeFile(t testing.TB, path, text string) {
	t.Helper()
	if err := mkdirWrite(path, text); err != nil {
		t.Fatal(err)
	}
}

func mkdirWrite(path, text string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(text), 0o644)
}
