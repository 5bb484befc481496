package apiclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Token endpoints. genToken makes a new token each time (an extra token is
// harmless) and renewToken extends one: both may be retried.
var (
	epGenToken   = endpoint{path: "util/genToken", method: http.MethodPost, retry: true}
	epRenewToken = endpoint{path: "util/renewToken", method: http.MethodGet, retry: true}
)

type genTokenKeyRequest struct {
	TokenType string `json:"tokenType"`
	Key       string `json:"key"`
}

type genTokenPasswordRequest struct {
	TokenType string `json:"tokenType"`
	Email     string `json:"email"`
	Password  string `json:"password"`
}

// GenTokenKey exchanges a token key for a token (POST util/genToken with
// tokenType "tokenKey", l.122).
func (c *Client) GenTokenKey(ctx context.Context, key string) (string, error) {
	c.addSecret(key)
	return c.genToken(ctx, genTokenKeyRequest{TokenType: "tokenKey", Key: key})
}

// GenTokenPassword exchanges an account's email (or uniqueId) and password
// for a token (POST util/genToken with tokenType "userPassword", l.122).
func (c *Client) GenTokenPassword(ctx context.Context, email, password string) (string, error) {
	c.addSecret(password)
	return c.genToken(ctx, genTokenPasswordRequest{TokenType: "userPassword", Email: email, Password: password})
}

func (c *Client) genToken(ctx context.Context, req any) (string, error) {
	var tok string
	if err := c.call(ctx, epGenToken, nil, req, &tok); err != nil {
		return "", fmt.Errorf("generating a token: %w", err)
	}
	if tok == "" {
		return "", fmt.Errorf("generating a token: %w", &ResponseError{Endpoint: epGenToken.path, HTTPStatus: http.StatusOK, Reason: "empty token"})
	}
	c.addSecret(tok)
	return tok, nil
}

// RenewToken extends token t, authenticated by updateToken, a token made
// with useType "updateToken" (GET util/renewToken, l.789).
func (c *Client) RenewToken(ctx context.Context, updateToken, t string) error {
	c.addSecret(updateToken, t)
	q := url.Values{"token": {updateToken}, "t": {t}}
	if err := c.call(ctx, epRenewToken, q, nil, nil); err != nil {
		return fmt.Errorf("renewing a token: %w", err)
	}
	return nil
}

func (c *Client) lockToken(ctx context.Context) error {
	select {
	case c.tokenLock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the token: %w", ctx.Err())
	}
}

func (c *Client) unlockToken() { <-c.tokenLock }

// currentToken gives the cached token and its generation, generating one
// on first use.
func (c *Client) currentToken(ctx context.Context) (string, int, error) {
	if err := c.lockToken(ctx); err != nil {
		return "", 0, err
	}
	defer c.unlockToken()
	if c.token == "" {
		if err := c.generateLocked(ctx); err != nil {
			return "", 0, err
		}
	}
	return c.token, c.tokenGen, nil
}

// renewToken replaces the token of generation gen, unless another call
// already did.
func (c *Client) renewToken(ctx context.Context, gen int) error {
	if err := c.lockToken(ctx); err != nil {
		return err
	}
	defer c.unlockToken()
	if c.tokenGen != gen && c.token != "" {
		return nil
	}
	return c.generateLocked(ctx)
}

func (c *Client) generateLocked(ctx context.Context) error {
	if c.authErr != nil {
		return c.authErr
	}
	var tok string
	var err error
	switch c.creds.Kind() {
	case "tokenKey":
		tok, err = c.GenTokenKey(ctx, c.creds.TokenKey)
	case "userPassword":
		tok, err = c.GenTokenPassword(ctx, c.creds.Email, c.creds.Password)
	default:
		return ErrNoCredentials
	}
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) && !IsRetryable(err) {
			c.authErr = err
		}
		return err
	}
	c.token = tok
	c.tokenGen++
	return nil
}

// addSecret registers strings that must never be printed.
func (c *Client) addSecret(ss ...string) {
	c.secretsMu.Lock()
	defer c.secretsMu.Unlock()
	for _, s := range ss {
		if s == "" {
			continue
		}
		known := false
		for _, k := range c.secrets {
			if k == s {
				known = true
				break
			}
		}
		if !known {
			c.secrets = append(c.secrets, s)
		}
	}
	// Every form of every secret, once, longest first: the replacer tries
	// its pairs in order at each position and replaces in one pass, so a
	// short secret never cuts into a longer one, nor into a REDACTED
	// already written.
	var forms []string
	seen := map[string]bool{}
	for _, sec := range c.secrets {
		for _, f := range secretForms(sec) {
			if f != "" && !seen[f] {
				seen[f] = true
				forms = append(forms, f)
			}
		}
	}
	sort.SliceStable(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, "REDACTED")
	}
	c.scrubber = strings.NewReplacer(pairs...)
}

// secretForms are the ways a secret can appear: plain, URL-encoded and
// JSON-escaped.
func secretForms(sec string) []string {
	forms := []string{sec, url.QueryEscape(sec), url.PathEscape(sec)}
	if j, err := json.Marshal(sec); err == nil {
		forms = append(forms, string(j[1:len(j)-1]))
	}
	return forms
}

// scrub replaces every known secret, in plain, URL-encoded and JSON-escaped
// form, with REDACTED.
func (c *Client) scrub(s string) string {
	c.secretsMu.Lock()
	r := c.scrubber
	c.secretsMu.Unlock()
	if r == nil {
		return s
	}
	return r.Replace(s)
}

// trace writes one debug line per exchange, and the request body.
func (c *Client) trace(ep endpoint, u string, body []byte, status int, d time.Duration, n int, err error) {
	if c.debug == nil {
		return
	}
	path := u
	if pu, perr := url.Parse(u); perr == nil {
		path = pu.RequestURI()
	}
	st := fmt.Sprint(status)
	if err != nil {
		st = fmt.Sprintf("%d error=%q", status, err.Error())
	}
	line := fmt.Sprintf("http: %s %s -> %s in %s, sent %dB, received %dB\n", ep.method, path, st, d.Round(time.Microsecond), len(body), n)
	if len(body) > 0 {
		const maxBody = 2048
		b := string(body)
		if len(b) > maxBody {
			b = strings.ToValidUTF8(b[:maxBody], "") + "...(truncated)"
		}
		line += "http:   body " + b + "\n"
	}
	line = c.scrub(line)
	c.debugMu.Lock()
	defer c.debugMu.Unlock()
	_, _ = io.WriteString(c.debug, line)
}
