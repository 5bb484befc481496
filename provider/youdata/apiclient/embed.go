package apiclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// epRmToken deletes a token (GET util/rmToken, l.765). Deleting twice
// leaves the token deleted: it may be retried.
var epRmToken = endpoint{path: "util/rmToken", method: http.MethodGet, retry: true}

// Use types of genToken's useType: a token that may only delete, or only
// renew, another token (l.765, l.789).
const (
	UseTypeDeleteToken = "deleteToken"
	UseTypeUpdateToken = "updateToken"
)

// EmbedTokenRequest is what an embed token carries (POST util/genToken,
// l.122): the user it is for and that user's data filters. The client
// adds its own credentials (tokenType, key or email and password).
type EmbedTokenRequest struct {
	// AuthUniqueID is the user the token authenticates (only a super
	// admin may make another user's token).
	AuthUniqueID string `json:"authUniqueId,omitempty"`
	// FilterMap is row filters by data connection id (l.145, 5.2 form).
	FilterMap map[string]FilterGroup `json:"filterMap,omitempty"`
	// ColumnFilterMap is column permissions by data connection id.
	ColumnFilterMap map[string]ColumnFilterGroup `json:"columnFilterMap,omitempty"`
	// TableFilterMap is the tables one may see, by data connection id.
	TableFilterMap map[string]FilterGroup `json:"tableFilterMap,omitempty"`
	// ExpiryTime is the token's life in seconds.
	ExpiryTime int64 `json:"expiryTime,omitempty"`
	// Once: only the first visitor may use the token.
	Once bool `json:"once,omitempty"`
	// UseType is deleteToken or updateToken for the tokens of rmToken and
	// renewToken; empty for an embed token.
	UseType string `json:"useType,omitempty"`
}

// FilterGroup is one connection's entry of filterMap or tableFilterMap:
// the filters and how they combine ("or", "and").
type FilterGroup struct {
	Rule        string            `json:"rule"`
	DataFilters []json.RawMessage `json:"dataFilters"`
}

// ColumnFilterGroup is one connection's entry of columnFilterMap; Type is
// always "column".
type ColumnFilterGroup struct {
	Rule        string            `json:"rule"`
	Type        string            `json:"type"`
	DataFilters []json.RawMessage `json:"dataFilters"`
}

// genEmbedBody is genToken's body: the client's credentials and the
// request.
type genEmbedBody struct {
	TokenType string `json:"tokenType"`
	Key       string `json:"key,omitempty"`
	Email     string `json:"email,omitempty"`
	Password  string `json:"password,omitempty"`
	EmbedTokenRequest
}

// ErrNoTokenCredentials: a fixed token cannot make other tokens.
var ErrNoTokenCredentials = errors.New("a fixed token (PERMSYNC_TOKEN) cannot make other tokens: genToken takes a token key (PERMSYNC_TOKEN_KEY) or an email and password")

// GenEmbedToken makes a token with the client's credentials (POST
// util/genToken). The token is registered as a secret: no log or error
// of this client shows it.
func (c *Client) GenEmbedToken(ctx context.Context, req EmbedTokenRequest) (string, error) {
	body := genEmbedBody{EmbedTokenRequest: req}
	switch c.creds.Kind() {
	case "tokenKey":
		body.TokenType, body.Key = "tokenKey", c.creds.TokenKey
	case "userPassword":
		body.TokenType, body.Email, body.Password = "userPassword", c.creds.Email, c.creds.Password
	default:
		return "", fmt.Errorf("generating a token: %w", ErrNoTokenCredentials)
	}
	return c.genToken(ctx, body)
}

// RemoveToken deletes token t: it makes a token of useType deleteToken
// and sends GET util/rmToken with it (l.765).
func (c *Client) RemoveToken(ctx context.Context, t string) error {
	if t == "" {
		return errors.New("removing a token: no token given")
	}
	c.addSecret(t)
	del, err := c.GenEmbedToken(ctx, EmbedTokenRequest{UseType: UseTypeDeleteToken})
	if err != nil {
		return fmt.Errorf("removing a token: %w", err)
	}
	q := url.Values{"token": {del}, "t": {t}}
	if err := c.call(ctx, epRmToken, q, nil, nil); err != nil {
		return fmt.Errorf("removing a token: %w", err)
	}
	return nil
}

// RenewEmbedToken extends token t: it makes a token of useType
// updateToken and sends GET util/renewToken with it (l.789).
func (c *Client) RenewEmbedToken(ctx context.Context, t string) error {
	if t == "" {
		return errors.New("renewing a token: no token given")
	}
	c.addSecret(t)
	upd, err := c.GenEmbedToken(ctx, EmbedTokenRequest{UseType: UseTypeUpdateToken})
	if err != nil {
		return fmt.Errorf("renewing a token: %w", err)
	}
	return c.RenewToken(ctx, upd, t)
}

// ProjectID finds a project's id by name (GET project/list).
func (c *Client) ProjectID(ctx context.Context, name string) (int64, error) {
	ps, err := c.ListProjects(ctx)
	if err != nil {
		return 0, err
	}
	for _, p := range ps {
		if p.Name == name {
			return p.ID, nil
		}
	}
	return 0, fmt.Errorf("project %q is not on the server", name)
}

// CanMintTokens reports whether the client's credentials can make other
// tokens (a token key or an email and password; not a fixed token).
func (c *Client) CanMintTokens() bool { return c.creds.renewable() }
