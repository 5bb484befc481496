package youdata

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/permsync/permsync/embed"
	"github.com/permsync/permsync/provider/youdata/apiclient"
	"github.com/permsync/permsync/spec"
)

// EmbedAPI is what the embed issuer needs of the client.
type EmbedAPI interface {
	GenEmbedToken(ctx context.Context, req apiclient.EmbedTokenRequest) (string, error)
	RemoveToken(ctx context.Context, t string) error
	RenewEmbedToken(ctx context.Context, t string) error
	ProjectID(ctx context.Context, name string) (int64, error)
	Server() string
}

var _ EmbedAPI = (*apiclient.Client)(nil)

// EmbedIssuer mints Youdata embed tokens: util/genToken with authUniqueId
// (the viewer) and the viewer's rules as filterMap, columnFilterMap and
// tableFilterMap. The client must log in with a token key or an email and
// password of a super admin (only a super admin makes another user's
// token).
type EmbedIssuer struct {
	api EmbedAPI
	now func() time.Time

	// projects caches project ids by name: the integration page's URL
	// needs one, and a project keeps its id.
	mu       sync.Mutex
	projects map[string]int64
}

var _ embed.Issuer = (*EmbedIssuer)(nil)

// NewEmbedIssuer makes an issuer over the client.
func NewEmbedIssuer(api EmbedAPI) *EmbedIssuer {
	return &EmbedIssuer{api: api, now: time.Now, projects: map[string]int64{}}
}

// projectID is the id of the named project, looked up once.
func (is *EmbedIssuer) projectID(ctx context.Context, name string) (int64, error) {
	is.mu.Lock()
	id, ok := is.projects[name]
	is.mu.Unlock()
	if ok {
		return id, nil
	}
	id, err := is.api.ProjectID(ctx, name)
	if err != nil {
		return 0, err
	}
	is.mu.Lock()
	is.projects[name] = id
	is.mu.Unlock()
	return id, nil
}

// Provider is youdata.
func (*EmbedIssuer) Provider() string { return Name }

// EmbedTokenRequest turns a resolved profile into genToken's parameters
// (the client adds its credentials).
func EmbedTokenRequest(r *embed.Resolved) (apiclient.EmbedTokenRequest, error) {
	if r.Youdata == nil || r.YoudataProfile == nil {
		return apiclient.EmbedTokenRequest{}, errors.New("not a resolved Youdata profile")
	}
	req := apiclient.EmbedTokenRequest{
		AuthUniqueID: r.Viewer,
		ExpiryTime:   int64(r.Expires / time.Second),
		Once:         r.YoudataProfile.Once,
	}
	type key struct {
		typ  string
		conn int64
	}
	groups := map[key][]spec.GrantedRule{}
	for _, gr := range r.Youdata.Rules {
		t := gr.Rule.Type
		if t == "" {
			t = "row"
		}
		k := key{t, gr.Rule.Connection}
		groups[k] = append(groups[k], gr)
	}
	keys := make([]key, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].typ != keys[j].typ {
			return keys[i].typ < keys[j].typ
		}
		return keys[i].conn < keys[j].conn
	})
	for _, k := range keys {
		join, filters, err := combine(k.typ, k.conn, groups[k])
		if err != nil {
			return apiclient.EmbedTokenRequest{}, err
		}
		conn := strconv.FormatInt(k.conn, 10)
		switch k.typ {
		case "row":
			if req.FilterMap == nil {
				req.FilterMap = map[string]apiclient.FilterGroup{}
			}
			req.FilterMap[conn] = apiclient.FilterGroup{Rule: join, DataFilters: filters}
		case "column":
			if req.ColumnFilterMap == nil {
				req.ColumnFilterMap = map[string]apiclient.ColumnFilterGroup{}
			}
			req.ColumnFilterMap[conn] = apiclient.ColumnFilterGroup{Rule: join, Type: "column", DataFilters: filters}
		case "table":
			if req.TableFilterMap == nil {
				req.TableFilterMap = map[string]apiclient.FilterGroup{}
			}
			req.TableFilterMap[conn] = apiclient.FilterGroup{Rule: join, DataFilters: filters}
		default:
			return apiclient.EmbedTokenRequest{}, fmt.Errorf("%s: a rule of type %q has no place in a token", groups[k][0].From, k.typ)
		}
	}
	return req, nil
}

// combine makes one connection's entry from the rules on it. One entry
// has one join: the rule's own when there is one rule; several rules are
// joined with "or" (a user holding several data permissions sees the rows
// of each), which a rule of several details joined with "and" cannot be
// part of.
func combine(typ string, conn int64, rules []spec.GrantedRule) (string, []json.RawMessage, error) {
	join := func(r *spec.Rule) string {
		if r.Rule == "" {
			return "or"
		}
		return r.Rule
	}
	out := join(&rules[0].Rule)
	if len(rules) > 1 {
		for _, gr := range rules {
			if join(&gr.Rule) == "and" && len(gr.Rule.Details) > 1 {
				return "", nil, fmt.Errorf("%s joins %d %s details with \"and\" on data connection %d, and the viewer holds %d rules there: one token entry per connection has one join, so the token cannot say both; merge the rules",
					gr.From, len(gr.Rule.Details), typ, conn, len(rules))
			}
		}
		out = "or"
	}
	var filters []json.RawMessage
	for _, gr := range rules {
		for i := range gr.Rule.Details {
			b, err := detailFilter(typ, &gr.Rule.Details[i])
			if err != nil {
				return "", nil, fmt.Errorf("%s details[%d]: %w", gr.From, i, err)
			}
			filters = append(filters, b)
		}
	}
	return out, filters, nil
}

// The shapes of genToken's data filters (l.22-112, l.145-160).
type rowFilter struct {
	FilterType  string       `json:"filterType"`
	SelectType  string       `json:"selectType"`
	Database    string       `json:"database,omitempty"`
	TableName   string       `json:"tableName,omitempty"`
	TableExprID int64        `json:"tableExprId,omitempty"`
	Filter      *spec.Filter `json:"filter"`
}

type columnFilter struct {
	Database    string          `json:"database,omitempty"`
	TableName   string          `json:"tableName"`
	TableExprID int64           `json:"tableExprId,omitempty"`
	TableAlias  string          `json:"tableAlias,omitempty"`
	Type        string          `json:"type"`
	DataMasks   []spec.DataMask `json:"dataMasks"`
}

type tableFilter struct {
	Database   string   `json:"database,omitempty"`
	Produced   string   `json:"produced"`
	SelectType string   `json:"selectType"`
	Select     []string `json:"select"`
}

// detailFilter is one detail as genToken takes it. A field genToken has
// no place for is refused, not dropped: dropping it could widen what the
// viewer sees.
func detailFilter(typ string, d *spec.Detail) (json.RawMessage, error) {
	var v any
	switch typ {
	case "row":
		if d.Model != "" || d.DatabaseAlisa != "" || d.TableAlias != "" {
			return nil, errors.New("model, databaseAlisa and tableAlias have no place in a token's row filter (filterMap)")
		}
		if d.Filter == nil {
			return nil, errors.New("a row detail without a filter")
		}
		v = rowFilter{FilterType: d.FilterType, SelectType: d.SelectType, Database: d.Database, TableName: d.TableName, TableExprID: d.TableExprID, Filter: d.Filter}
	case "column":
		if d.Model != "" || d.DatabaseAlisa != "" {
			return nil, errors.New("model and databaseAlisa have no place in a token's column filter (columnFilterMap)")
		}
		v = columnFilter{Database: d.Database, TableName: d.TableName, TableExprID: d.TableExprID, TableAlias: d.TableAlias, Type: d.Type, DataMasks: d.DataMasks}
	case "table":
		if d.Produced == "" {
			return nil, errors.New("a table rule needs produced (Original or UserDefinedSQL) in a token's tableFilterMap")
		}
		v = tableFilter{Database: d.Database, Produced: d.Produced, SelectType: d.SelectType, Select: d.Select}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding: %w", err)
	}
	return b, nil
}

// Explain is genToken's parameters, credentials aside.
func (is *EmbedIssuer) Explain(r *embed.Resolved) (any, error) {
	req, err := EmbedTokenRequest(r)
	if err != nil {
		return nil, err
	}
	return req, nil
}

// Issue calls genToken and builds the integration page's URL:
// {url}?rid=REPORT&token=TOKEN, url defaulting to the server's
// /dash/integration/{projectId} (l.7211).
func (is *EmbedIssuer) Issue(ctx context.Context, r *embed.Resolved) (*embed.Credential, error) {
	req, err := EmbedTokenRequest(r)
	if err != nil {
		return nil, err
	}
	base := r.YoudataProfile.URL
	if base == "" {
		pid, err := is.projectID(ctx, r.YoudataProfile.Project)
		if err != nil {
			return nil, fmt.Errorf("finding the project of the report: %w", err)
		}
		base = is.api.Server() + "/dash/integration/" + strconv.FormatInt(pid, 10)
	}
	start := r.At
	if start.IsZero() {
		start = is.now()
	}
	tok, err := is.api.GenEmbedToken(ctx, req)
	if err != nil {
		return nil, err
	}
	q := url.Values{"rid": {r.Report}, "token": {tok}}
	return &embed.Credential{Provider: Name, Profile: r.Profile, Viewer: r.Viewer, Kind: "token",
		Value: embed.NewSecret(tok), URL: embed.NewSecret(base + "?" + q.Encode()),
		Expires: start.Add(r.Expires)}, nil
}

// Revoke deletes the token (util/rmToken).
func (is *EmbedIssuer) Revoke(ctx context.Context, _ *embed.Resolved, value string) error {
	return is.api.RemoveToken(ctx, value)
}

// Renew extends the token (util/renewToken).
func (is *EmbedIssuer) Renew(ctx context.Context, _ *embed.Resolved, value string) error {
	return is.api.RenewEmbedToken(ctx, value)
}
