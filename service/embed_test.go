package service

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/permsync/permsync/embed"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/spec"
)

const embedTestFiles = `version: 1
users:
  - uniqueId: bob@corp.com
  - uniqueId: dave@corp.com
projects:
  - name: 销售
    dataPermissions:
      - name: 华北
        users: [bob@corp.com]
        rules:
          - connection: 2010
            details:
              - tableName: 订单
                filterType: listFilter
                selectType: select
                filter: {dim: {field: 地区, dataType: String}, select: [华北]}
embeds:
  - {name: sales-portal, report: "7001", project: 销售, viewer: "${user}", expires: 10m}
`

const testSecret = "s3cret-s3cret-s3cret"

type embedFixture struct {
	sim     *youdatatest.Server
	srv     *httptest.Server
	logs    *bytes.Buffer
	metrics *Metrics
}

func newEmbedFixture(t *testing.T, rps float64, burst int) *embedFixture {
	t.Helper()
	seed := &youdatatest.Seed{Users: []youdatatest.SeedUser{{UniqueID: "bob@corp.com"}, {UniqueID: "dave@corp.com"}},
		Projects: []youdatatest.SeedProject{{ID: 7, Name: "销售"}}}
	sim := youdatatest.New(youdatatest.Options{Seed: seed, TokenKey: "the-key"})
	t.Cleanup(sim.Close)
	c, err := apiclient.New(apiclient.Config{Server: sim.URL(), Credentials: apiclient.Credentials{TokenKey: "the-key"}, RPS: -1})
	if err != nil {
		t.Fatal(err)
	}
	d, err := spec.LoadBytes("e.yaml", []byte(embedTestFiles))
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	m := NewMetrics()
	h, err := NewEmbedHandler(EmbedOptions{Secret: testSecret, Rate: rps, Burst: burst, Metrics: m,
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
		Load:   func() (*embed.Minter, error) { return embed.New(d, youdata.NewEmbedIssuer(c)) }})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/embed/", h)
	mux.Handle("/metrics", m.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &embedFixture{sim: sim, srv: srv, logs: logs, metrics: m}
}

func (f *embedFixture) post(t *testing.T, path, auth, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%d %s: %v", resp.StatusCode, b, err)
	}
	return resp.StatusCode, out
}

func TestEmbedEndpoint(t *testing.T) {
	f := newEmbedFixture(t, 100, 100)
	bearer := "Bearer " + testSecret
	for _, c := range []struct {
		name, path, auth, body string
		want                   int
	}{
		{"no secret", "/v1/embed/sales-portal", "", `{"user": "bob@corp.com"}`, http.StatusUnauthorized},
		{"wrong secret", "/v1/embed/sales-portal", "Bearer nope-nope-nope-nope", `{"user": "bob@corp.com"}`, http.StatusUnauthorized},
		{"not bearer", "/v1/embed/sales-portal", "Basic " + testSecret, `{"user": "bob@corp.com"}`, http.StatusUnauthorized},
		{"unknown profile without the secret", "/v1/embed/nope", "", `{}`, http.StatusUnauthorized},
		{"unknown profile", "/v1/embed/nope", bearer, `{"user": "bob@corp.com"}`, http.StatusNotFound},
		{"viewer not in the files", "/v1/embed/sales-portal", bearer, `{"user": "mallory@corp.com"}`, http.StatusNotFound},
		{"viewer without permissions", "/v1/embed/sales-portal", bearer, `{"user": "dave@corp.com"}`, http.StatusForbidden},
		{"missing variable", "/v1/embed/sales-portal", bearer, `{}`, http.StatusBadRequest},
		{"not JSON", "/v1/embed/sales-portal", bearer, `user=bob`, http.StatusBadRequest},
	} {
		if got, body := f.post(t, c.path, c.auth, c.body); got != c.want {
			t.Errorf("%s: %d %v, want %d", c.name, got, body, c.want)
		}
	}
	if n := len(f.sim.EmbedTokens()); n != 0 {
		t.Fatalf("%d tokens issued for refused requests", n)
	}
	code, out := f.post(t, "/v1/embed/sales-portal", bearer, `{"user": "bob@corp.com"}`)
	if code != http.StatusOK {
		t.Fatalf("%d %v", code, out)
	}
	toks := f.sim.EmbedTokens()
	if len(toks) != 1 || out["credential"] != toks[0].Token || toks[0].User != "bob@corp.com" || toks[0].FilterMap["2010"] == nil {
		t.Fatalf("answered %v; the server issued %+v", out, toks)
	}
	tok := toks[0].Token

	logs := f.logs.String()
	if strings.Count(logs, "embed credential issued") != 1 || !strings.Contains(logs, "viewer=bob@corp.com") || !strings.Contains(logs, "profile=sales-portal") {
		t.Errorf("audit log:\n%s", logs)
	}
	rec := httptest.NewRecorder()
	f.metrics.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	metrics := rec.Body.String()
	if !strings.Contains(metrics, `permsync_embed_credentials_total{profile="sales-portal",result="issued"} 1`) ||
		!strings.Contains(metrics, `permsync_embed_credentials_total{profile="",result="unauthorized"} 4`) {
		t.Errorf("metrics:\n%s", grepLines(metrics, MetricEmbed))
	}
	for what, s := range map[string]string{"logs": logs, "metrics": metrics} {
		if strings.Contains(s, tok) || strings.Contains(s, testSecret) || strings.Contains(s, "the-key") {
			t.Errorf("the %s hold a secret", what)
		}
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestEmbedEndpointRateLimited(t *testing.T) {
	f := newEmbedFixture(t, 0.001, 2)
	bearer := "Bearer " + testSecret
	var codes []int
	for i := 0; i < 3; i++ {
		code, _ := f.post(t, "/v1/embed/sales-portal", bearer, `{"user": "bob@corp.com"}`)
		codes = append(codes, code)
	}
	if codes[0] != 200 || codes[1] != 200 || codes[2] != http.StatusTooManyRequests {
		t.Errorf("codes %v, want 200 200 429", codes)
	}
	if n := len(f.sim.EmbedTokens()); n != 2 {
		t.Errorf("%d tokens, want 2", n)
	}
}

func TestEmbedEndpointNeedsASecret(t *testing.T) {
	load := func() (*embed.Minter, error) { return nil, nil }
	for _, s := range []string{"", "short"} {
		if _, err := NewEmbedHandler(EmbedOptions{Secret: s, Load: load}); err == nil || !strings.Contains(err.Error(), EnvEmbedSecret) {
			t.Errorf("secret %q: %v", s, err)
		}
	}
}
