package service

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/permsync/permsync/embed"
	"github.com/permsync/permsync/internal/textsafe"
)

// The embed endpoint: POST /v1/embed/{profile} mints the profile's
// credential for the viewer the JSON body's variables name. It is opt-in
// (permsync run --embed), needs a bearer secret, is rate limited, logs one
// audit line per credential (profile, viewer, expiry; never the
// credential) and counts them in /metrics.

// EnvEmbedSecret names the variable holding the endpoint's bearer secret.
const EnvEmbedSecret = "PERMSYNC_EMBED_SECRET"

// MetricEmbed counts the endpoint's answers by profile and result.
const MetricEmbed = "permsync_embed_credentials_total"

// Embed results, the values of MetricEmbed's result label.
const (
	EmbedIssued       = "issued"
	EmbedRefused      = "refused"
	EmbedNotFound     = "not_found"
	EmbedBadRequest   = "bad_request"
	EmbedUnauthorized = "unauthorized"
	EmbedRateLimited  = "rate_limited"
	EmbedError        = "error"
)

// Defaults of EmbedOptions.
const (
	DefaultEmbedRate   = 10 // credentials per second
	DefaultEmbedBurst  = 20
	DefaultEmbedReload = 30 * time.Second
	minEmbedSecret     = 16
	maxEmbedBody       = 16 << 10
)

// EmbedOptions configure the endpoint.
type EmbedOptions struct {
	// Secret is the bearer secret clients send (Authorization: Bearer
	// SECRET); at least 16 characters.
	Secret string
	// Load makes the Minter from the files; the endpoint calls it at
	// start and again when Reload has passed, so it follows the files as
	// the runs do. A failed reload keeps the last good Minter.
	Load   func() (*embed.Minter, error)
	Reload time.Duration
	// Rate and Burst limit the credentials minted (default 10/s, burst
	// 20); failed authentications have a limiter of their own, a tenth
	// of it.
	Rate  float64
	Burst int
	// Metrics, when set, get MetricEmbed.
	Metrics *Metrics
	Logger  *slog.Logger
	// Now is the clock (tests).
	Now func() time.Time
}

// EmbedHandler serves POST /v1/embed/{profile}.
type EmbedHandler struct {
	o       EmbedOptions
	secret  [32]byte
	limit   *rate.Limiter
	authLim *rate.Limiter
	counter *prometheus.CounterVec

	mu       sync.Mutex
	minter   *embed.Minter
	loadedAt time.Time
}

// NewEmbedHandler checks the options and loads the files once: it refuses
// to start without a secret, or with files it cannot mint from.
func NewEmbedHandler(o EmbedOptions) (*EmbedHandler, error) {
	if o.Secret == "" {
		return nil, fmt.Errorf("the embed endpoint needs a client secret: set %s", EnvEmbedSecret)
	}
	if len(o.Secret) < minEmbedSecret {
		return nil, fmt.Errorf("%s is shorter than %d characters: use a long random secret", EnvEmbedSecret, minEmbedSecret)
	}
	if o.Load == nil {
		return nil, errors.New("the embed endpoint needs its files")
	}
	if o.Reload <= 0 {
		o.Reload = DefaultEmbedReload
	}
	if o.Rate <= 0 {
		o.Rate = DefaultEmbedRate
	}
	if o.Burst <= 0 {
		o.Burst = DefaultEmbedBurst
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	h := &EmbedHandler{o: o, secret: sha256.Sum256([]byte(o.Secret)),
		limit:   rate.NewLimiter(rate.Limit(o.Rate), o.Burst),
		authLim: rate.NewLimiter(rate.Limit(o.Rate/10), max(1, o.Burst/10))}
	h.o.Secret = ""
	m, err := o.Load()
	if err != nil {
		return nil, fmt.Errorf("embed endpoint: %w", err)
	}
	h.minter, h.loadedAt = m, o.Now()
	if o.Metrics != nil {
		h.counter = prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricEmbed,
			Help: "Answers of the embed endpoint (POST /v1/embed/PROFILE) by profile and result (issued, refused, not_found, bad_request, unauthorized, rate_limited, error).",
		}, []string{"profile", "result"})
		if err := o.Metrics.Registry().Register(h.counter); err != nil {
			return nil, fmt.Errorf("embed endpoint metrics: %w", err)
		}
		for _, p := range m.Profiles() {
			h.counter.WithLabelValues(p, EmbedIssued)
		}
	}
	return h, nil
}

// current is the Minter, reloaded when Reload has passed.
func (h *EmbedHandler) current() *embed.Minter {
	h.mu.Lock()
	defer h.mu.Unlock()
	if now := h.o.Now(); now.Sub(h.loadedAt) >= h.o.Reload {
		h.loadedAt = now
		if m, err := h.o.Load(); err != nil {
			h.o.Logger.Warn("embed endpoint: the files did not load; minting from the last good ones", "error", err.Error())
		} else {
			h.minter = m
		}
	}
	return h.minter
}

func (h *EmbedHandler) count(profile, result string) {
	if h.counter == nil {
		return
	}
	if result != EmbedIssued && result != EmbedRefused {
		profile = "" // names a client sent are not labels
	}
	h.counter.WithLabelValues(profile, result).Inc()
}

// authorized compares the bearer secret in constant time.
func (h *EmbedHandler) authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return false
	}
	sum := sha256.Sum256([]byte(tok))
	return subtle.ConstantTimeCompare(sum[:], h.secret[:]) == 1
}

type embedAnswer struct {
	Provider   string `json:"provider"`
	Profile    string `json:"profile"`
	Viewer     string `json:"viewer"`
	Kind       string `json:"kind"`
	Credential string `json:"credential"`
	Expires    string `json:"expires"`
	URL        string `json:"url,omitempty"`
	Uses       int    `json:"uses,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// ServeHTTP answers 401 before anything else (an unknown profile is not
// told apart from a known one without the secret), then 429, 405, 400,
// 404 (profile or viewer not in the files), 403 (the files refuse the
// viewer), 502 (the server failed) or 200 with the credential.
func (h *EmbedHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.authorized(r) {
		if !h.authLim.Allow() {
			h.count("", EmbedRateLimited)
			w.Header().Set("Retry-After", "1")
			fail(w, http.StatusTooManyRequests, "too many requests")
			return
		}
		h.count("", EmbedUnauthorized)
		w.Header().Set("WWW-Authenticate", `Bearer realm="permsync-embed"`)
		fail(w, http.StatusUnauthorized, "missing or wrong bearer secret")
		return
	}
	if !h.limit.Allow() {
		h.count("", EmbedRateLimited)
		w.Header().Set("Retry-After", "1")
		fail(w, http.StatusTooManyRequests, "too many requests")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.count("", EmbedBadRequest)
		fail(w, http.StatusMethodNotAllowed, "POST only")
		return
	}
	profile, ok := strings.CutPrefix(r.URL.Path, "/v1/embed/")
	if !ok || profile == "" || strings.Contains(profile, "/") {
		h.count("", EmbedNotFound)
		fail(w, http.StatusNotFound, "want /v1/embed/PROFILE")
		return
	}
	vars := map[string]string{}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxEmbedBody+1))
	switch {
	case err != nil:
		h.count("", EmbedBadRequest)
		fail(w, http.StatusBadRequest, "reading the body")
		return
	case len(body) > maxEmbedBody:
		h.count("", EmbedBadRequest)
		fail(w, http.StatusRequestEntityTooLarge, "the body is larger than 16 KiB")
		return
	case len(strings.TrimSpace(string(body))) > 0:
		if err := json.Unmarshal(body, &vars); err != nil {
			h.count("", EmbedBadRequest)
			fail(w, http.StatusBadRequest, `the body is a JSON object of string variables, e.g. {"user": "alice@corp.com"}`)
			return
		}
	}
	m := h.current()
	cred, err := m.Mint(r.Context(), embed.Request{Profile: profile, Vars: vars})
	if err != nil {
		status, result := http.StatusBadGateway, EmbedError
		switch {
		case errors.Is(err, embed.ErrUnknownProfile):
			status, result = http.StatusNotFound, EmbedNotFound
		case errors.Is(err, embed.ErrUnknownViewer):
			status, result = http.StatusNotFound, EmbedNotFound
		case errors.Is(err, embed.ErrVariables):
			status, result = http.StatusBadRequest, EmbedBadRequest
		case errors.Is(err, embed.ErrRefused):
			status, result = http.StatusForbidden, EmbedRefused
		}
		known := result != EmbedNotFound || errors.Is(err, embed.ErrUnknownViewer)
		label := ""
		if known {
			label = profile
			h.count(profile, result)
		} else {
			h.count("", result)
		}
		msg := textsafe.Line(err.Error())
		h.o.Logger.Warn("embed credential refused", "profile", label, "status", status, "error", msg)
		if status == http.StatusBadGateway {
			msg = "the BI server did not issue the credential; see the service's log"
		}
		fail(w, status, msg)
		return
	}
	h.count(cred.Profile, EmbedIssued)
	h.o.Logger.Info("embed credential issued", "provider", cred.Provider, "profile", cred.Profile, "viewer", cred.Viewer,
		"kind", cred.Kind, "expires", cred.Expires.UTC().Format(time.RFC3339), "uses", cred.Uses)
	writeJSON(w, http.StatusOK, embedAnswer{Provider: cred.Provider, Profile: cred.Profile, Viewer: cred.Viewer, Kind: cred.Kind,
		Credential: cred.Value.Reveal(), Expires: cred.Expires.UTC().Format(time.RFC3339), URL: cred.URL.Reveal(), Uses: cred.Uses})
}
