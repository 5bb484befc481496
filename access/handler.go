package access

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
)

// Latest holds the latest report of a service, safe for concurrent use:
// the run that makes a report Sets it, the handler Gets it.
type Latest struct{ p atomic.Pointer[Report] }

// Set makes r the latest report. A report must not change once set.
func (l *Latest) Set(r *Report) { l.p.Store(r) }

// Get is the latest report, nil before the first.
func (l *Latest) Get() *Report { return l.p.Load() }

// Handler serves the latest report at any path it is mounted on (GET or
// HEAD): the HTML page, or with ?format=json or ?format=csv the JSON or
// CSV. The report lists who can see what, so it is served only to a
// request with "Authorization: Bearer SECRET": a missing or wrong secret
// gets 401, compared in constant time. With no secret set the handler
// serves nothing (404): the report is opt-in. Before the first report it
// answers 503. A report's renderings are made once and kept until the
// next report.
func Handler(latest func() *Report, secret string) http.Handler {
	want := sha256.Sum256([]byte(secret))
	c := &renderCache{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if secret == "" {
			http.Error(w, "the access report is not served: set PERMSYNC_EMBED_SECRET to serve it behind a bearer secret", http.StatusNotFound)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if !bearerMatches(r.Header.Get("Authorization"), want) {
			h.Set("WWW-Authenticate", `Bearer realm="permsync"`)
			http.Error(w, "unauthorized: send Authorization: Bearer with the report secret", http.StatusUnauthorized)
			return
		}
		rep := latest()
		if rep == nil {
			h.Set("Retry-After", "60")
			http.Error(w, "no access report yet: the first run has not finished", http.StatusServiceUnavailable)
			return
		}
		format := r.URL.Query().Get("format")
		if format == "" {
			format = "html"
		}
		body, ctype, err := c.get(rep, format)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h.Set("Content-Type", ctype)
		if format == "html" {
			h.Set("Content-Security-Policy", pageCSP)
			h.Set("X-Frame-Options", "DENY")
		} else {
			h.Set("Content-Disposition", `attachment; filename="access.`+format+`"`)
		}
		h.Set("Content-Length", fmt.Sprint(len(body)))
		if r.Method == http.MethodHead {
			return
		}
		w.Write(body)
	})
}

// pageCSP is the page's Content-Security-Policy, as its meta element
// says it too.
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// bearerMatches compares the bearer token of an Authorization header
// with the secret's hash in constant time (hashes of equal length, so the
// secret's length does not show either).
func bearerMatches(header string, want [32]byte) bool {
	const prefix = "bearer "
	if len(header) < len(prefix) || !strings.EqualFold(header[:len(prefix)], prefix) {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(header[len(prefix):])))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// renderCache keeps the renderings of the latest report.
type renderCache struct {
	mu   sync.Mutex
	rep  *Report
	body map[string][]byte
}

func (c *renderCache) get(r *Report, format string) ([]byte, string, error) {
	ctype, ok := contentTypes[format]
	if !ok {
		return nil, "", fmt.Errorf("format %q: want html, json or csv", format)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rep != r {
		c.rep, c.body = r, map[string][]byte{}
	}
	if b, ok := c.body[format]; ok {
		return b, ctype, nil
	}
	var buf bytes.Buffer
	if err := Write(&buf, r, format); err != nil {
		return nil, "", err
	}
	c.body[format] = buf.Bytes()
	return buf.Bytes(), ctype, nil
}

var contentTypes = map[string]string{
	"html": "text/html; charset=utf-8",
	"json": "application/json",
	"csv":  "text/csv; charset=utf-8",
}

// Formats are the formats a report is written in, sorted.
var Formats = []string{"csv", "html", "json"}

// Write writes a report in one of Formats.
func Write(w io.Writer, r *Report, format string) error {
	switch format {
	case "csv":
		return WriteCSV(w, r)
	case "html":
		return WriteHTML(w, r)
	case "json":
		return WriteJSON(w, r)
	}
	return fmt.Errorf("access report format %q: want csv, html or json", format)
}

// WriteDir writes the report to dir as access.csv, access.html and
// access.json, the formats asked for, each atomically (a temporary file
// renamed into place), and returns the paths written. The files are
// readable by their owner only: they list who can see what.
func WriteDir(dir string, r *Report, formats []string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("write access report: %w", err)
	}
	var out []string
	for _, f := range formats {
		path := filepath.Join(dir, "access."+f)
		if err := writeFileAtomic(path, func(w *os.File) error { return Write(w, r, f) }); err != nil {
			return out, fmt.Errorf("write access report %s: %w", path, err)
		}
		out = append(out, path)
	}
	return out, nil
}

func writeFileAtomic(path string, fill func(*os.File) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := fill(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
