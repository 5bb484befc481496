package youdatatest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"
)

func embedServer(t *testing.T) *Server {
	t.Helper()
	s := New(Options{TokenKey: "k", Seed: &Seed{Users: []SeedUser{{UniqueID: "bob"}, {UniqueID: "gone", Left: true}}}})
	t.Cleanup(s.Close)
	return s
}

// gen calls genToken with the token key and the given parameters.
func gen(t *testing.T, s *Server, params map[string]any) env {
	t.Helper()
	b := map[string]any{"tokenType": "tokenKey", "key": "k"}
	for k, v := range params {
		b[k] = v
	}
	raw, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, s, http.MethodPost, "util/genToken", raw)
}

func tokenOf(t *testing.T, e env) string {
	t.Helper()
	var tok string
	if e.Code != CodeOK || json.Unmarshal(e.Result, &tok) != nil || tok == "" {
		t.Fatalf("genToken: %+v", e)
	}
	return tok
}

var listFilter = map[string]any{"filterType": "listFilter", "selectType": "select", "tableName": "订单",
	"filter": map[string]any{"dim": map[string]any{"field": "地区", "dataType": "String"}, "select": []string{"华北"}}}

// TestGenEmbedTokenChecksEveryParameter: genToken refuses what the
// document does not describe, and keeps what a token is bound to.
func TestGenEmbedTokenChecksEveryParameter(t *testing.T) {
	s := embedServer(t)
	for name, c := range map[string]struct {
		params map[string]any
		code   int
	}{
		"misspelt expiryTime (the example's expireTime)": {map[string]any{"authUniqueId": "bob", "expireTime": 10}, CodeBadRequest},
		"expiryTime as a string":                         {map[string]any{"authUniqueId": "bob", "expiryTime": "10"}, CodeBadRequest},
		"expiryTime beyond 30 days":                      {map[string]any{"authUniqueId": "bob", "expiryTime": 86400*30 + 1}, CodeBadRequest},
		"unknown user":                                   {map[string]any{"authUniqueId": "nobody"}, CodeNotFound},
		"a leaver":                                       {map[string]any{"authUniqueId": "gone"}, CodeBadRequest},
		"filterMap key not a connection":                 {map[string]any{"authUniqueId": "bob", "filterMap": map[string]any{"abc": []any{listFilter}}}, CodeBadRequest},
		"filterMap bad join":                             {map[string]any{"authUniqueId": "bob", "filterMap": map[string]any{"1": map[string]any{"rule": "xor", "dataFilters": []any{listFilter}}}}, CodeBadRequest},
		"columnFilterMap without type column": {map[string]any{"authUniqueId": "bob", "columnFilterMap": map[string]any{"1": map[string]any{"rule": "or",
			"dataFilters": []any{map[string]any{"tableName": "t", "type": "dataLevel", "dataMasks": []any{map[string]any{"field": "f", "dataType": "String"}}}}}}}, CodeBadRequest},
		"reportDataFilters naming an unknown model": {map[string]any{"authUniqueId": "bob", "reportDataFilters": []any{map[string]any{"reportId": "1",
			"dataModelFilters": []any{map[string]any{"dataModelId": 99, "dataConnectionId": 1, "rule": "or", "type": "row", "dataFilters": []any{listFilter}}}}}}, CodeReportDataFilters},
		"useType of another user": {map[string]any{"authUniqueId": "bob", "useType": "deleteToken"}, CodeBadRequest},
	} {
		if e := gen(t, s, c.params); e.Code != c.code {
			t.Errorf("%s: code %d %s, want %d", name, e.Code, e.Message, c.code)
		}
	}
	if n := len(s.EmbedTokens()); n != 0 {
		t.Fatalf("%d tokens issued by refused calls", n)
	}
	s.AddDataModel(99)
	tok := tokenOf(t, gen(t, s, map[string]any{"authUniqueId": "bob", "expiryTime": 60, "once": true,
		"filterMap": map[string]any{"1": map[string]any{"rule": "or", "dataFilters": []any{listFilter}}},
		"reportDataFilters": []any{map[string]any{"reportId": "1",
			"dataModelFilters": []any{map[string]any{"dataModelId": 99, "dataConnectionId": 1, "rule": "or", "type": "row", "dataFilters": []any{listFilter}}}}}}))
	got := s.EmbedTokens()
	if len(got) != 1 || got[0].Token != tok || got[0].User != "bob" || got[0].ExpiryTime != 60 || !got[0].Once || got[0].FilterMap["1"] == nil || got[0].ReportDataFilters == nil {
		t.Fatalf("tokens %+v", got)
	}
	// An embed token is not an API token.
	if e := get(t, s, "project/list", map[string]string{"token": tok}); e.Code != CodeTokenInvalid {
		t.Errorf("an embed token read the projects: %+v", e)
	}
}

// TestEmbedTokenRemoveAndRenew: rmToken and renewToken need a token of
// the matching useType.
func TestEmbedTokenRemoveAndRenew(t *testing.T) {
	s := embedServer(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.SetEmbedClock(func() time.Time { return now })
	tok := tokenOf(t, gen(t, s, map[string]any{"authUniqueId": "bob", "expiryTime": 60}))
	del := tokenOf(t, gen(t, s, map[string]any{"useType": "deleteToken"}))
	upd := tokenOf(t, gen(t, s, map[string]any{"useType": "updateToken"}))
	call := func(ep, auth string) env {
		return do(t, s, http.MethodGet, ep+"?"+url.Values{"token": {auth}, "t": {tok}}.Encode(), nil)
	}
	if e := call("util/renewToken", del); e.Code != CodeTokenInvalid {
		t.Errorf("renewToken with a deleteToken token: %+v", e)
	}
	if e := call("util/rmToken", upd); e.Code != CodeTokenInvalid {
		t.Errorf("rmToken with an updateToken token: %+v", e)
	}
	now = now.Add(50 * time.Second)
	if e := call("util/renewToken", upd); e.Code != CodeOK {
		t.Fatalf("renewToken: %+v", e)
	}
	now = now.Add(50 * time.Second) // 100s after issue, 50s after renewal
	if _, err := s.Visit(tok); err != nil {
		t.Errorf("visit within the renewed life: %v", err)
	}
	if e := call("util/rmToken", del); e.Code != CodeOK {
		t.Fatalf("rmToken: %+v", e)
	}
	if _, err := s.Visit(tok); err == nil {
		t.Error("a deleted token opened the page")
	}
}
