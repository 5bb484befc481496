// Package planfile reads and writes saved plans: what `permsync plan --out
// PLANFILE` writes and `permsync apply PLANFILE` reads. A saved plan holds
// the plan and everything needed to check, before applying it, that it
// still applies: the files it was computed from and their hashes, the
// server, the state's serial and the options given. It never holds
// credentials.
package planfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"strings"

	"github.com/permsync/permsync/internal/atomicfile"
	"github.com/permsync/permsync/plan"
)

// FormatVersion is the version of the plan file format this package reads
// and writes.
const FormatVersion = "1"

// File is a saved plan.
type File struct {
	// FormatVersion is FormatVersion; Write fills it in when empty.
	FormatVersion string `json:"format_version"`
	// CreatedBy is "permsync VERSION".
	CreatedBy string `json:"created_by"`
	// Server is the server's URL; Write strips any credentials from it.
	Server string `json:"server"`
	// StatePath and StateSerial are the state the plan was computed with.
	StatePath   string `json:"state_path"`
	StateSerial int64  `json:"state_serial"`
	// Files are the desired-state files read, with their hashes. Relative
	// paths are relative to the working directory of `permsync plan`.
	Files []FileRef `json:"files"`
	// Options are the options that shaped the plan.
	Options Options `json:"options"`
	// Plan is the plan itself.
	Plan *plan.Plan `json:"plan"`
}

// FileRef names a file and the SHA-256 of its contents, in hex.
type FileRef struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// Options are the command-line options that shaped the plan.
type Options struct {
	// AllowMassDelete is --allow-mass-delete: settings.maxDeletes refusals
	// were lifted.
	AllowMassDelete bool `json:"allow_mass_delete"`
	// Paths are the -f arguments, as given, so the files can be loaded
	// again exactly as they were (a directory may hold more files later).
	Paths []string `json:"paths"`
	// TokenUser is --token-user, when given.
	TokenUser string `json:"token_user,omitempty"`
	// Simulator is --simulator: the seed of the embedded simulator.
	Simulator string `json:"simulator,omitempty"`
	// Targets are the --target the plan is limited to, as given.
	Targets []string `json:"targets,omitempty"`
}

// HashFiles returns a FileRef for each path, sorted by path, duplicates
// removed.
func HashFiles(paths ...string) ([]FileRef, error) {
	seen := map[string]bool{}
	var refs []FileRef
	for _, p := range paths {
		if seen[p] {
			continue
		}
		seen[p] = true
		sum, err := hashFile(p)
		if err != nil {
			return nil, fmt.Errorf("planfile: hash %s: %w", p, err)
		}
		refs = append(refs, FileRef{Path: p, SHA256: sum})
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].Path < refs[j].Path })
	return refs, nil
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// StripCredentials returns the URL without user information, query or
// fragment, where tokens are put. An unparsable URL is an error that does
// not repeat the URL, since it may hold a secret.
func StripCredentials(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" {
		return "", errors.New("server URL is not a valid URL")
	}
	u.User = nil
	u.RawQuery = ""
	u.ForceQuery = false
	u.Fragment = ""
	u.RawFragment = ""
	return u.String(), nil
}

// Write saves f at path atomically: it writes a temporary file in the same
// directory, syncs it and renames it over path, so that path holds either
// the old plan or the new one, whole. The file's mode is 0600. The server
// URL is written without credentials; f itself is not modified.
func Write(path string, f *File) error {
	if f == nil || f.Plan == nil {
		return fmt.Errorf("planfile: write %s: no plan", path)
	}
	out := *f
	if out.FormatVersion == "" {
		out.FormatVersion = FormatVersion
	}
	if out.FormatVersion != FormatVersion {
		return fmt.Errorf("planfile: write %s: format_version %q, this permsync writes %q", path, out.FormatVersion, FormatVersion)
	}
	server, err := StripCredentials(out.Server)
	if err != nil {
		return fmt.Errorf("planfile: write %s: %w", path, err)
	}
	out.Server = server
	out.Files = append([]FileRef{}, f.Files...)
	sort.Slice(out.Files, func(i, j int) bool { return out.Files[i].Path < out.Files[j].Path })

	var buf bytes.Buffer
	e := json.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	e.SetIndent("", "  ")
	if err := e.Encode(&out); err != nil {
		return fmt.Errorf("planfile: write %s: encode: %w", path, err)
	}
	if err := atomicfile.Write(path, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("planfile: write %s: %w", path, err)
	}
	return nil
}

// Read reads a saved plan. It is strict: a file of another format_version,
// with fields it does not know, or without a plan is an error naming the
// file.
func Read(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("planfile: read %s: %w", path, err)
	}
	var probe struct {
		FormatVersion *string `json:"format_version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("planfile: read %s: not a permsync plan file: %w", path, err)
	}
	if probe.FormatVersion == nil {
		return nil, fmt.Errorf("planfile: read %s: not a permsync plan file (no format_version)", path)
	}
	if *probe.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("planfile: read %s: format_version %q is not supported: this permsync reads plan files of format_version %q; run permsync plan --out again with this version",
			path, *probe.FormatVersion, FormatVersion)
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	var f File
	if err := d.Decode(&f); err != nil {
		return nil, fmt.Errorf("planfile: read %s: %w", path, err)
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("planfile: read %s: data after the plan", path)
	}
	if f.Plan == nil {
		return nil, fmt.Errorf("planfile: read %s: no plan in the file", path)
	}
	// The file is indented; attribute values are compact canonical JSON.
	for i := range f.Plan.Changes {
		c := &f.Plan.Changes[i]
		for _, a := range []plan.Attrs{c.Before, c.After} {
			for name, raw := range a {
				var buf bytes.Buffer
				if err := json.Compact(&buf, raw); err != nil {
					return nil, fmt.Errorf("planfile: read %s: change %d (%s %s): attribute %s: %w", path, i, c.Kind, c.Key, name, err)
				}
				a[name] = json.RawMessage(buf.Bytes())
			}
		}
	}
	for _, r := range f.Files {
		if b, err := hex.DecodeString(r.SHA256); err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("planfile: read %s: file %s: sha256 %q is not a SHA-256 in hex", path, r.Path, r.SHA256)
		}
	}
	return &f, nil
}

// FilesChangedError reports the files that changed or went away since the
// plan was saved.
type FilesChangedError struct {
	Changed []string // contents differ
	Missing []string // no longer exist
	// Unreadable are files that could not be read, with the reason.
	Unreadable []string
}

func (e *FilesChangedError) Error() string {
	var parts []string
	if len(e.Changed) > 0 {
		parts = append(parts, "changed: "+strings.Join(e.Changed, ", "))
	}
	if len(e.Missing) > 0 {
		parts = append(parts, "missing: "+strings.Join(e.Missing, ", "))
	}
	if len(e.Unreadable) > 0 {
		parts = append(parts, "unreadable: "+strings.Join(e.Unreadable, ", "))
	}
	return "planfile: the desired-state files are not those the plan was made from (" +
		strings.Join(parts, "; ") + "); run permsync plan again"
}

// CheckFiles re-hashes the files the plan was made from and returns a
// *FilesChangedError naming every file changed, missing or unreadable, or
// nil when all are as they were.
func (f *File) CheckFiles() error {
	e := &FilesChangedError{}
	for _, r := range f.Files {
		sum, err := hashFile(r.Path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			e.Missing = append(e.Missing, r.Path)
		case err != nil:
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			e.Unreadable = append(e.Unreadable, fmt.Sprintf("%s (%v)", r.Path, err))
		case !strings.EqualFold(sum, r.SHA256):
			e.Changed = append(e.Changed, r.Path)
		}
	}
	if len(e.Changed)+len(e.Missing)+len(e.Unreadable) == 0 {
		return nil
	}
	return e
}
