package youdata_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/permsync/permsync/embed"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/provider/youdata/youdatatest"
	"github.com/permsync/permsync/spec"
)

// embedFiles declares a project whose data permissions cover every rule
// kind a token carries, and profiles over it.
const embedFiles = `
version: 1
users:
  - uniqueId: alice@corp.com
    attrs: {"1": [华东, 华南]}
  - uniqueId: bob@corp.com
  - uniqueId: carol@corp.com
  - uniqueId: dave@corp.com
  - uniqueId: erin@corp.com
projects:
  - name: 销售
    groups:
      - name: 华北组
        members: [bob@corp.com]
    dataPermissions:
      - name: 华北
        groups: [华北组]
        rules:
          - connection: 2010
            rule: or
            details:
              - tableName: 订单总表
                filterType: listFilter
                selectType: select
                filter:
                  dim: {field: 地区, dataType: String}
                  select: [华北, 东北]
      - name: 省份
        users: [carol@corp.com]
        rules:
          - connection: 2010
            details:
              - tableName: 订单总表
                filterType: treeFilter
                selectType: select
                filter:
                  or:
                    - dims: [{field: 地区, dataType: String}, {field: 省份, dataType: String}]
                      cond: {inlist: [[东北, 黑龙江], [华北, 河北]]}
          - connection: 2010
            type: column
            details:
              - type: dataLevel
                tableName: 订单总表
                dataMasks:
                  - {field: 利润, dataType: Decimal, applyRange: [view, export]}
      - name: 按属性
        users: [alice@corp.com]
        rules:
          - connection: 2010
            mode: dynamic
            details:
              - tableName: 订单总表
                filterType: listFilter
                selectType: select
                filter:
                  dim: {field: 地区, dataType: String}
                  attrId: 1
      - name: 表
        users: [erin@corp.com]
        rules:
          - connection: 2010
            details:
              - tableName: 订单总表
                filterType: listFilter
                selectType: unselect
                filter:
                  dim: {field: 地区, dataType: String}
                  select: [西北]
          - connection: 2011
            type: table
            details:
              - database: dev_netease
                produced: Original
                selectType: select
                select: [bigviz_user, api_name]
embeds:
  - name: sales-portal
    report: "7001"
    project: 销售
    viewer: ${user}
    expires: 30m
  - name: open-board
    report: "7002"
    project: 销售
    viewer: ${user}
    permissions: none
    expires: 1h
    once: true
`

type embedEnv struct {
	sim    *youdatatest.Server
	minter *embed.Minter
	now    time.Time
}

func newEmbedEnv(t *testing.T, files string) *embedEnv {
	t.Helper()
	d, err := spec.LoadBytes("embed.yaml", []byte(files))
	if err != nil {
		t.Fatal(err)
	}
	seed := &youdatatest.Seed{Projects: []youdatatest.SeedProject{{ID: 42, Name: "销售"}}}
	for _, u := range d.Users {
		seed.Users = append(seed.Users, youdatatest.SeedUser{UniqueID: u.UniqueID})
	}
	sim := youdatatest.New(youdatatest.Options{Seed: seed, TokenKey: "the-key"})
	t.Cleanup(sim.Close)
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	sim.SetEmbedClock(func() time.Time { return now })
	c, err := apiclient.New(apiclient.Config{Server: sim.URL(), Credentials: apiclient.Credentials{TokenKey: "the-key"}, RPS: -1})
	if err != nil {
		t.Fatal(err)
	}
	m, err := embed.New(d, youdata.NewEmbedIssuer(c), embed.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	return &embedEnv{sim: sim, minter: m, now: now}
}

// mint issues sales-portal's token for viewer and returns what the
// simulator bound it to.
func (e *embedEnv) mint(t *testing.T, profile, viewer string) (*embed.Credential, youdatatest.EmbedToken) {
	t.Helper()
	cred, err := e.minter.Mint(context.Background(), embed.Request{Profile: profile, Vars: map[string]string{"user": viewer}})
	if err != nil {
		t.Fatalf("Mint: %v", err)
	}
	toks := e.sim.EmbedTokens()
	if len(toks) == 0 {
		t.Fatal("the simulator issued no embed token")
	}
	tok := toks[len(toks)-1]
	if tok.Token != cred.Value.Reveal() {
		t.Fatalf("the credential is not the token the server issued")
	}
	return cred, tok
}

func jsonMap(t *testing.T, m map[string]json.RawMessage) map[string]any {
	t.Helper()
	if m == nil {
		return nil
	}
	out := map[string]any{}
	for k, v := range m {
		var x any
		if err := json.Unmarshal(v, &x); err != nil {
			t.Fatal(err)
		}
		out[k] = x
	}
	return out
}

func parse(t *testing.T, s string) map[string]any {
	t.Helper()
	var x map[string]any
	if err := json.Unmarshal([]byte(s), &x); err != nil {
		t.Fatal(err)
	}
	return x
}

func TestEmbedTokenListFilterThroughGroup(t *testing.T) {
	e := newEmbedEnv(t, embedFiles)
	cred, tok := e.mint(t, "sales-portal", "bob@corp.com")
	if tok.User != "bob@corp.com" || tok.ExpiryTime != 1800 || tok.UseType != "" {
		t.Errorf("token bound to %q for %ds (useType %q), want bob@corp.com for 1800s", tok.User, tok.ExpiryTime, tok.UseType)
	}
	want := parse(t, `{"2010": {"rule": "or", "dataFilters": [
		{"filterType": "listFilter", "selectType": "select", "tableName": "订单总表",
		 "filter": {"dim": {"field": "地区", "dataType": "String"}, "select": ["华北", "东北"]}}]}}`)
	if d := cmp.Diff(want, jsonMap(t, tok.FilterMap)); d != "" {
		t.Errorf("filterMap (-want +got):\n%s", d)
	}
	if tok.ColumnFilterMap != nil || tok.TableFilterMap != nil {
		t.Errorf("column or table filters sent for a list-only viewer: %s %s", tok.ColumnFilterMap, tok.TableFilterMap)
	}
	if !cred.Expires.Equal(e.now.Add(30 * time.Minute)) {
		t.Errorf("expires %s, want %s", cred.Expires, e.now.Add(30*time.Minute))
	}
	u, err := url.Parse(cred.URL.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	if u.Path != "/dash/integration/42" || u.Query().Get("rid") != "7001" || u.Query().Get("token") != tok.Token {
		t.Errorf("embed URL %s: want /dash/integration/42?rid=7001&token=<the token>", u.Redacted())
	}
	if _, err := e.sim.Visit(tok.Token); err != nil {
		t.Errorf("visiting with the token: %v", err)
	}
	e.mint(t, "sales-portal", "bob@corp.com")
	if n := e.sim.Calls()["project/list"]; n != 1 {
		t.Errorf("%d project/list calls for two tokens, want 1: the project's id is looked up once", n)
	}
}

func TestEmbedTokenTreeFilterAndColumnMask(t *testing.T) {
	e := newEmbedEnv(t, embedFiles)
	_, tok := e.mint(t, "sales-portal", "carol@corp.com")
	wantRows := parse(t, `{"2010": {"rule": "or", "dataFilters": [
		{"filterType": "treeFilter", "selectType": "select", "tableName": "订单总表",
		 "filter": {"or": [{"dims": [{"field": "地区", "dataType": "String"}, {"field": "省份", "dataType": "String"}],
		                    "cond": {"inlist": [["东北", "黑龙江"], ["华北", "河北"]]}}]}}]}}`)
	if d := cmp.Diff(wantRows, jsonMap(t, tok.FilterMap)); d != "" {
		t.Errorf("filterMap (-want +got):\n%s", d)
	}
	wantCols := parse(t, `{"2010": {"rule": "or", "type": "column", "dataFilters": [
		{"tableName": "订单总表", "type": "dataLevel",
		 "dataMasks": [{"field": "利润", "dataType": "Decimal", "applyRange": ["view", "export"]}]}]}}`)
	if d := cmp.Diff(wantCols, jsonMap(t, tok.ColumnFilterMap)); d != "" {
		t.Errorf("columnFilterMap (-want +got):\n%s", d)
	}
}

func TestEmbedTokenDynamicRuleCarriesAttributeValues(t *testing.T) {
	e := newEmbedEnv(t, embedFiles)
	_, tok := e.mint(t, "sales-portal", "alice@corp.com")
	want := parse(t, `{"2010": {"rule": "or", "dataFilters": [
		{"filterType": "listFilter", "selectType": "select", "tableName": "订单总表",
		 "filter": {"dim": {"field": "地区", "dataType": "String"}, "select": ["华东", "华南"]}}]}}`)
	if d := cmp.Diff(want, jsonMap(t, tok.FilterMap)); d != "" {
		t.Errorf("filterMap (-want +got):\n%s", d)
	}
}

func TestEmbedTokenTableFilter(t *testing.T) {
	e := newEmbedEnv(t, embedFiles)
	_, tok := e.mint(t, "sales-portal", "erin@corp.com")
	want := parse(t, `{"2011": {"rule": "or", "dataFilters": [
		{"database": "dev_netease", "produced": "Original", "selectType": "select", "select": ["bigviz_user", "api_name"]}]}}`)
	if d := cmp.Diff(want, jsonMap(t, tok.TableFilterMap)); d != "" {
		t.Errorf("tableFilterMap (-want +got):\n%s", d)
	}
	if tok.FilterMap["2010"] == nil {
		t.Error("the row rule on 2010 is missing")
	}
}

func TestEmbedTokenRefusals(t *testing.T) {
	e := newEmbedEnv(t, embedFiles)
	ctx := context.Background()
	for _, c := range []struct {
		name, profile, viewer string
		want                  error
	}{
		{"no declared permission", "sales-portal", "dave@corp.com", embed.ErrRefused},
		{"not in the files", "sales-portal", "mallory@corp.com", embed.ErrUnknownViewer},
		{"no such profile", "nope", "bob@corp.com", embed.ErrUnknownProfile},
	} {
		_, err := e.minter.Mint(ctx, embed.Request{Profile: c.profile, Vars: map[string]string{"user": c.viewer}})
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := e.minter.Mint(ctx, embed.Request{Profile: "sales-portal", Vars: map[string]string{"usr": "bob@corp.com"}}); !errors.Is(err, embed.ErrVariables) {
		t.Errorf("a misspelt variable: %v, want ErrVariables", err)
	}
	if n := len(e.sim.EmbedTokens()); n != 0 {
		t.Errorf("%d tokens issued for refused requests", n)
	}
	// permissions: none mints for the same viewer, without filters.
	_, tok := e.mint(t, "open-board", "dave@corp.com")
	if tok.FilterMap != nil || tok.ColumnFilterMap != nil || !tok.Once || tok.ExpiryTime != 3600 {
		t.Errorf("permissions: none token: filters %s %s, once %v, %ds", tok.FilterMap, tok.ColumnFilterMap, tok.Once, tok.ExpiryTime)
	}
	if _, err := e.sim.Visit(tok.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sim.Visit(tok.Token); err == nil {
		t.Error("a once token was visited twice")
	}
}

func TestEmbedTokenRevokeAndRenew(t *testing.T) {
	e := newEmbedEnv(t, embedFiles)
	ctx := context.Background()
	_, tok := e.mint(t, "sales-portal", "bob@corp.com")
	later := e.now.Add(20 * time.Minute)
	e.sim.SetEmbedClock(func() time.Time { return later })
	if err := e.minter.Renew(ctx, "sales-portal", tok.Token); err != nil {
		t.Fatalf("Renew: %v", err)
	}
	later = e.now.Add(45 * time.Minute) // past the first expiry, within the renewed one
	if _, err := e.sim.Visit(tok.Token); err != nil {
		t.Errorf("visit after renewal: %v", err)
	}
	if err := e.minter.Revoke(ctx, "sales-portal", tok.Token); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if _, err := e.sim.Visit(tok.Token); err == nil {
		t.Error("a revoked token still opens the page")
	}
	for _, c := range e.sim.CallLog() {
		if strings.Contains(c.Query, tok.Token) || strings.Contains(string(c.Body), tok.Token) {
			t.Errorf("the call log of %s holds the token", c.Endpoint)
		}
	}
}

func TestEmbedExplainHoldsNoCredential(t *testing.T) {
	e := newEmbedEnv(t, embedFiles)
	ex, err := e.minter.Explain(embed.Request{Profile: "sales-portal", Vars: map[string]string{"user": "carol@corp.com"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(ex)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"the-key", "tokenType", "password"} {
		if strings.Contains(string(b), s) {
			t.Errorf("the explanation holds %q: %s", s, b)
		}
	}
	if !strings.Contains(string(b), `"columnFilterMap"`) || !strings.Contains(string(b), `"authUniqueId":"carol@corp.com"`) {
		t.Errorf("the explanation lacks the filters or the viewer: %s", b)
	}
	if n := e.sim.TotalCalls(); n != 0 {
		t.Errorf("explain made %d calls", n)
	}
}

// TestEmbedTokenCombinesRules: the rules a viewer holds on one connection
// are joined with "or" in one entry; a rule of several details joined
// with "and" cannot be part of such an entry and is refused.
func TestEmbedTokenCombinesRules(t *testing.T) {
	list := func(v string) spec.Detail {
		return spec.Detail{TableName: "t", FilterType: "listFilter", SelectType: "select",
			Filter: &spec.Filter{Dim: &spec.Field{Field: "f", DataType: "String"}, Select: []string{v}}}
	}
	rule := func(join string, ds ...spec.Detail) spec.GrantedRule {
		return spec.GrantedRule{From: "p", Rule: spec.Rule{Connection: 1, Rule: join, Details: ds}}
	}
	resolved := func(rules ...spec.GrantedRule) *embed.Resolved {
		return &embed.Resolved{Viewer: "v", Expires: time.Minute, YoudataProfile: &spec.Embed{}, Youdata: &spec.EmbedGrant{Rules: rules}}
	}
	req, err := youdata.EmbedTokenRequest(resolved(rule("and", list("a")), rule("", list("b"))))
	if err != nil {
		t.Fatal(err)
	}
	if g := req.FilterMap["1"]; g.Rule != "or" || len(g.DataFilters) != 2 {
		t.Errorf("two single-detail rules: %+v", g)
	}
	req, err = youdata.EmbedTokenRequest(resolved(rule("and", list("a"), list("b"))))
	if err != nil || req.FilterMap["1"].Rule != "and" {
		t.Errorf("one and-rule keeps its join: %+v, %v", req.FilterMap, err)
	}
	if _, err := youdata.EmbedTokenRequest(resolved(rule("and", list("a"), list("b")), rule("or", list("c")))); err == nil || !strings.Contains(err.Error(), `joins 2 row details with "and"`) {
		t.Errorf("an and-rule beside another: %v", err)
	}
}
