// Package embed mints the credentials of embedded reports (a Youdata
// token, a Quick BI ticket) from the embed profiles of the files and the
// data permissions they declare for the viewer: the same source of truth
// as the permissions permsync applies.
//
// An application imports it to mint in-process:
//
//	desired, err := spec.Load([]string{"permissions/"})
//	...
//	m, err := embed.New(desired, youdata.NewEmbedIssuer(client))
//	...
//	cred, err := m.Mint(ctx, embed.Request{Profile: "sales-portal", Vars: map[string]string{"user": "alice@corp.com"}})
//	...
//	url := cred.URL.Reveal() // the page's iframe src; never log it
//
// The package knows no server: an Issuer (provider/youdata, provider/quickbi)
// turns a resolved profile into the server's request. Nothing here prints
// a credential: Secret redacts itself under every verb and in JSON.
package embed

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/permsync/permsync/spec"
)

// Secret is a credential or a URL holding one. It prints as REDACTED under
// every fmt verb, in JSON and as text; Reveal gives the value.
type Secret struct{ v string }

// NewSecret wraps a value.
func NewSecret(v string) Secret { return Secret{v: v} }

// Reveal is the value. Hand it to the page, never to a log.
func (s Secret) Reveal() string { return s.v }

// Empty reports whether there is no value.
func (s Secret) Empty() bool { return s.v == "" }

func (s Secret) String() string {
	if s.v == "" {
		return ""
	}
	return "REDACTED"
}

// GoString redacts for %#v.
func (s Secret) GoString() string { return "embed.Secret{REDACTED}" }

// Format redacts under every verb.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, s.GoString())
		return
	}
	fmt.Fprint(f, s.String())
}

// MarshalJSON redacts.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// MarshalText redacts.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Credential is a minted token or ticket.
type Credential struct {
	Provider string `json:"provider"`
	Profile  string `json:"profile"`
	Viewer   string `json:"viewer"`
	// Kind is "token" (Youdata) or "ticket" (Quick BI).
	Kind string `json:"kind"`
	// Value is the token or ticket; URL the embed page's address holding
	// it (empty when the profile gives no url and the server has no
	// documented default).
	Value Secret `json:"-"`
	URL   Secret `json:"-"`
	// Expires is when the credential stops working, by the local clock
	// when it was asked for.
	Expires time.Time `json:"expires"`
	// Uses is how many visits a ticket allows (Quick BI's TicketNum); 0
	// for a token.
	Uses int `json:"uses,omitempty"`
}

// Request asks for one credential.
type Request struct {
	Profile string
	// Vars are the values of the profile's variables (viewer: ${user}
	// takes Vars["user"]).
	Vars map[string]string
}

// Resolved is a profile resolved for one viewer: everything the request
// to the server carries but its own credentials. It holds no secret.
type Resolved struct {
	Provider    string
	Profile     string
	Viewer      string
	Report      string
	Component   string
	Permissions string
	Expires     time.Duration
	// At is when the profile was resolved (the Minter's clock): the
	// credential's expiry counts from it.
	At time.Time

	// Youdata is set for a Youdata profile, QuickBI for a Quick BI one.
	Youdata        *spec.EmbedGrant
	YoudataProfile *spec.Embed
	QuickBI        *spec.QuickBIEmbedGrant
	QuickBIProfile *spec.QuickBIEmbed
}

// Issuer mints credentials on one server. provider/youdata and
// provider/quickbi implement it. Its errors never hold a credential.
type Issuer interface {
	// Provider is the issuer's server: youdata or quickbi.
	Provider() string
	// Explain is what the request for r would carry, credentials aside:
	// the filters, the viewer, the lifetime. It does no I/O.
	Explain(r *Resolved) (any, error)
	// Issue mints the credential.
	Issue(ctx context.Context, r *Resolved) (*Credential, error)
	// Revoke deletes a credential the server issued. r names the
	// profile only (no viewer).
	Revoke(ctx context.Context, r *Resolved, value string) error
	// Renew extends a credential by the profile's lifetime; r names the
	// profile only.
	Renew(ctx context.Context, r *Resolved, value string) error
}

// Errors of resolution. Each comes wrapped with the profile and the
// reason; test them with errors.Is.
var (
	// ErrUnknownProfile: no profile of the files has the name.
	ErrUnknownProfile = errors.New("no such embed profile")
	// ErrUnknownViewer: the viewer is not a user the files declare.
	ErrUnknownViewer = errors.New("viewer not declared in the files")
	// ErrVariables: a variable is missing, unknown to the profile, or
	// malformed.
	ErrVariables = errors.New("embed variables")
	// ErrRefused: the files give the viewer no credential (no declared
	// permission, a leaver, a filter that would not restrict ...).
	ErrRefused = errors.New("refused by the files")
)

// Minter mints credentials from the files through one server's Issuer.
// It is safe for concurrent use.
type Minter struct {
	desired *spec.Desired
	issuer  Issuer
	now     func() time.Time
}

// Option configures a Minter.
type Option func(*Minter)

// WithClock sets the clock that decides which bindings have ended
// (expires: of the files) and the credentials' expiry times.
func WithClock(now func() time.Time) Option { return func(m *Minter) { m.now = now } }

// New makes a Minter of the files' profiles. desired must be valid
// (spec.Load validates what it loads) and target the issuer's server.
func New(desired *spec.Desired, issuer Issuer, opts ...Option) (*Minter, error) {
	if desired == nil || issuer == nil {
		return nil, errors.New("embed: no desired state or no issuer")
	}
	p := desired.Provider
	if p == "" {
		p = spec.DefaultProvider
	}
	if p != issuer.Provider() {
		return nil, fmt.Errorf("embed: the files target %s, the issuer %s", p, issuer.Provider())
	}
	m := &Minter{desired: desired, issuer: issuer, now: time.Now}
	for _, o := range opts {
		o(m)
	}
	return m, nil
}

// Load loads the files (spec.Load: validated) and makes a Minter.
func Load(paths []string, issuer Issuer, opts ...Option) (*Minter, error) {
	d, err := spec.Load(paths)
	if err != nil {
		return nil, err
	}
	return New(d, issuer, opts...)
}

// Profiles lists the names of the profiles, sorted.
func (m *Minter) Profiles() []string { return m.desired.EmbedNames() }

// Desired is the files the Minter mints from.
func (m *Minter) Desired() *spec.Desired { return m.desired }

// Resolve works out what the files give req's viewer under req's profile.
func (m *Minter) Resolve(req Request) (*Resolved, error) {
	if e := m.desired.EmbedByName(req.Profile); e != nil && m.issuer.Provider() == spec.DefaultProvider {
		viewer, err := bindViewer(e.Name, e.Viewer, req.Vars)
		if err != nil {
			return nil, err
		}
		g, err := m.desired.YoudataEmbedGrant(e, viewer, m.now())
		if err != nil {
			return nil, refusal(err)
		}
		exp, err := spec.YoudataEmbedExpires(e.Expires)
		if err != nil {
			return nil, fmt.Errorf("embed profile %q: expires: %w", e.Name, err)
		}
		if !g.Ends.IsZero() {
			// The token must not outlive the binding it comes from.
			left := g.Ends.Sub(m.now()).Truncate(time.Second)
			if left < time.Second {
				return nil, fmt.Errorf("embed profile %q, viewer %q: %w: the data permission the token would carry ends now", e.Name, viewer, ErrRefused)
			}
			exp = min(exp, left)
		}
		return &Resolved{Provider: spec.DefaultProvider, Profile: e.Name, Viewer: viewer, Report: e.Report,
			Permissions: g.Permissions, Expires: exp, At: m.now(), Youdata: g, YoudataProfile: e}, nil
	}
	if e := m.desired.QuickBIEmbedByName(req.Profile); e != nil && m.issuer.Provider() == spec.QuickBIProvider {
		viewer, err := bindViewer(e.Name, e.Viewer, req.Vars)
		if err != nil {
			return nil, err
		}
		g, err := m.desired.QuickBIEmbedGrant(e, viewer)
		if err != nil {
			return nil, refusal(err)
		}
		exp, err := spec.QuickBIEmbedExpires(e.Expires)
		if err != nil {
			return nil, fmt.Errorf("embed profile %q: expires: %w", e.Name, err)
		}
		r := &Resolved{Provider: spec.QuickBIProvider, Profile: e.Name, Viewer: viewer, Report: e.Report,
			Permissions: g.Permissions, Expires: exp, At: m.now(), QuickBI: g, QuickBIProfile: e}
		if e.Component != nil {
			r.Component = *e.Component
		}
		return r, nil
	}
	return nil, fmt.Errorf("embed profile %q: %w (the files have %s)", req.Profile, ErrUnknownProfile, listNames(m.Profiles()))
}

func listNames(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// refusal wraps a *spec.EmbedRefusal with the sentinel it stands for.
func refusal(err error) error {
	var r *spec.EmbedRefusal
	if errors.As(err, &r) && r.UnknownViewer {
		return fmt.Errorf("%w: %w", ErrUnknownViewer, err)
	}
	return fmt.Errorf("%w: %w", ErrRefused, err)
}

// maxVarLen bounds a variable's value: a viewer is a uniqueId or an
// account name.
const maxVarLen = 256

// bindViewer gives the viewer of a profile: the user it names, or the
// value of its variable. Variables the profile does not use are refused,
// so a misspelt one is not silently ignored.
func bindViewer(profile, viewer string, vars map[string]string) (string, error) {
	name := spec.EmbedVar(viewer)
	var unknown []string
	for k := range vars {
		if k != name {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	if len(unknown) > 0 {
		uses := "no variable"
		if name != "" {
			uses = fmt.Sprintf("the variable %q only", name)
		}
		return "", fmt.Errorf("embed profile %q: %w: %s given, and the profile uses %s", profile, ErrVariables, listNames(unknown), uses)
	}
	if name == "" {
		return viewer, nil
	}
	v, ok := vars[name]
	switch {
	case !ok || v == "":
		return "", fmt.Errorf("embed profile %q: %w: the viewer is ${%s}: give its value (--var %s=VALUE, or {\"%s\": ...})", profile, ErrVariables, name, name, name)
	case len(v) > maxVarLen || strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "", fmt.Errorf("embed profile %q: %w: the value of %q is not a user name (control characters, or longer than %d bytes)", profile, ErrVariables, name, maxVarLen)
	}
	return v, nil
}

// Explain is what the request for req would carry, credentials aside.
func (m *Minter) Explain(req Request) (*Explanation, error) {
	r, err := m.Resolve(req)
	if err != nil {
		return nil, err
	}
	params, err := m.issuer.Explain(r)
	if err != nil {
		return nil, err
	}
	ex := &Explanation{Provider: r.Provider, Profile: r.Profile, Viewer: r.Viewer, Report: r.Report,
		Permissions: r.Permissions, Expires: r.Expires.String(), Request: params}
	if r.Youdata != nil {
		for _, gr := range r.Youdata.Rules {
			ex.From = append(ex.From, gr.From)
		}
	}
	if r.QuickBI != nil {
		for _, gr := range r.QuickBI.Rules {
			ex.From = append(ex.From, fmt.Sprintf("%s rule %q of dataset %q (%s), applied by the server to the viewer", gr.Level, gr.Rule, gr.Dataset, gr.Via))
		}
	}
	ex.From = slices.Compact(ex.From)
	return ex, nil
}

// Explanation is what permsync token --explain prints.
type Explanation struct {
	Provider    string   `json:"provider"`
	Profile     string   `json:"profile"`
	Viewer      string   `json:"viewer"`
	Report      string   `json:"report"`
	Permissions string   `json:"permissions"`
	Expires     string   `json:"expires"`
	From        []string `json:"from,omitempty"`
	// Request is the server's request, credentials aside.
	Request any `json:"request"`
}

// Mint issues the credential of req.
func (m *Minter) Mint(ctx context.Context, req Request) (*Credential, error) {
	r, err := m.Resolve(req)
	if err != nil {
		return nil, err
	}
	c, err := m.issuer.Issue(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("embed profile %q, viewer %q: %w", r.Profile, r.Viewer, err)
	}
	return c, nil
}

// profile resolves a profile without a viewer: enough to revoke or renew
// one of its credentials.
func (m *Minter) profile(name string) (*Resolved, error) {
	if e := m.desired.EmbedByName(name); e != nil && m.issuer.Provider() == spec.DefaultProvider {
		exp, err := spec.YoudataEmbedExpires(e.Expires)
		if err != nil {
			return nil, fmt.Errorf("embed profile %q: expires: %w", e.Name, err)
		}
		return &Resolved{Provider: spec.DefaultProvider, Profile: e.Name, Report: e.Report, Expires: exp, YoudataProfile: e}, nil
	}
	if e := m.desired.QuickBIEmbedByName(name); e != nil && m.issuer.Provider() == spec.QuickBIProvider {
		exp, err := spec.QuickBIEmbedExpires(e.Expires)
		if err != nil {
			return nil, fmt.Errorf("embed profile %q: expires: %w", e.Name, err)
		}
		return &Resolved{Provider: spec.QuickBIProvider, Profile: e.Name, Report: e.Report, Expires: exp, QuickBIProfile: e}, nil
	}
	return nil, fmt.Errorf("embed profile %q: %w (the files have %s)", name, ErrUnknownProfile, listNames(m.Profiles()))
}

// Revoke deletes a credential minted under the profile.
func (m *Minter) Revoke(ctx context.Context, profile, value string) error {
	r, err := m.profile(profile)
	if err != nil {
		return err
	}
	if value == "" {
		return errors.New("embed: no credential to revoke")
	}
	if err := m.issuer.Revoke(ctx, r, value); err != nil {
		return fmt.Errorf("embed profile %q: revoking: %w", r.Profile, err)
	}
	return nil
}

// Renew extends a credential minted under the profile by its lifetime.
func (m *Minter) Renew(ctx context.Context, profile, value string) error {
	r, err := m.profile(profile)
	if err != nil {
		return err
	}
	if value == "" {
		return errors.New("embed: no credential to renew")
	}
	if err := m.issuer.Renew(ctx, r, value); err != nil {
		return fmt.Errorf("embed profile %q: renewing: %w", r.Profile, err)
	}
	return nil
}
