package access

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// WriteJSON writes the report as JSON (FormatVersion), one grant a line,
// so that two reports diff line by line.
func WriteJSON(w io.Writer, r *Report) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	hb, err := marshal(reportHead{Format: r.Format, Provider: r.Provider, Source: r.Source, Generated: r.Generated,
		Zone: r.Zone, SpaceLabel: r.SpaceLabel, DomainLabel: r.DomainLabel, Notes: r.Notes, Departments: r.Departments})
	if err != nil {
		return fmt.Errorf("write access JSON: %w", err)
	}
	// The header's fields, then users and grants one a line.
	bw.Write(hb[:len(hb)-1])
	bw.WriteString(",")
	bw.WriteString("\n\"users\": [")
	for i := range r.Users {
		b, err := marshal(&r.Users[i])
		if err != nil {
			return fmt.Errorf("write access JSON: %w", err)
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n  ")
		bw.Write(b)
	}
	bw.WriteString("\n],\n\"grants\": [")
	for i := range r.Grants {
		b, err := marshal(&r.Grants[i])
		if err != nil {
			return fmt.Errorf("write access JSON: %w", err)
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n  ")
		bw.Write(b)
	}
	bw.WriteString("\n]}\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write access JSON: %w", err)
	}
	return nil
}

// reportHead is a Report's fields but its users and grants.
type reportHead struct {
	Format      string       `json:"format"`
	Provider    string       `json:"provider"`
	Source      Source       `json:"source"`
	Generated   string       `json:"generated,omitempty"`
	Zone        string       `json:"zone,omitempty"`
	SpaceLabel  string       `json:"spaceLabel,omitempty"`
	DomainLabel string       `json:"domainLabel,omitempty"`
	Notes       []string     `json:"notes,omitempty"`
	Departments []Department `json:"departments,omitempty"`
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// MaxReportBytes bounds the size of a report ReadJSON reads: a report of
// 50,000 users and 20 projects of 2,500 members is about 100 MB.
const MaxReportBytes = 1 << 30

// ReadJSON reads a report that WriteJSON wrote. name names the input in
// errors. A report of another format version, unknown fields, and input
// beyond MaxReportBytes are errors naming the line.
func ReadJSON(rd io.Reader, name string) (*Report, error) {
	data, err := io.ReadAll(io.LimitReader(rd, MaxReportBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read access report %s: %w", name, err)
	}
	if len(data) > MaxReportBytes {
		return nil, fmt.Errorf("read access report %s: larger than %d bytes", name, MaxReportBytes)
	}
	var probe struct {
		Format string `json:"format"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, jsonError(name, data, err)
	}
	if probe.Format != FormatVersion {
		if probe.Format == "" {
			return nil, fmt.Errorf("%s: not a permsync access report (no \"format\": %q)", name, FormatVersion)
		}
		return nil, fmt.Errorf("%s: format %q, but this permsync reads %q", name, probe.Format, FormatVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	r := &Report{}
	if err := dec.Decode(r); err != nil {
		return nil, jsonError(name, data, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: more than one JSON value", name)
	}
	if r.Users == nil {
		r.Users = []User{}
	}
	if r.Grants == nil {
		r.Grants = []Grant{}
	}
	r.Finish()
	return r, nil
}

// ReadJSONFile reads a report from a file (ReadJSON).
func ReadJSONFile(path string) (*Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read access report: %w", err)
	}
	defer f.Close()
	return ReadJSON(f, path)
}

// jsonError names the line of a decoding error.
func jsonError(name string, data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("%s:%d: %w", name, lineAt(data, se.Offset), err)
	case errors.As(err, &te):
		return fmt.Errorf("%s:%d: %s: want %s, got %s", name, lineAt(data, te.Offset), te.Field, te.Type, te.Value)
	}
	if strings.HasPrefix(err.Error(), "json: unknown field") {
		return fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "json: "))
	}
	return fmt.Errorf("%s: %w", name, err)
}

func lineAt(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// CSVHeader is the header row of WriteCSV.
var CSVHeader = []string{"user", "name", "departments", "space", "kind", "target", "rights", "path", "expires", "expired", "rule", "status", "note"}

// WriteCSV writes the report as one row per grant (CSVHeader). A cell
// that a spreadsheet would take for a formula (starting with =, +, -, @,
// a tab or a carriage return) is written with a leading apostrophe.
func WriteCSV(w io.Writer, r *Report) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	cw := csv.NewWriter(bw)
	if err := cw.Write(CSVHeader); err != nil {
		return fmt.Errorf("write access CSV: %w", err)
	}
	now := r.ExpiredAt()
	ui := 0
	row := make([]string, len(CSVHeader))
	for i := range r.Grants {
		g := &r.Grants[i]
		for ui < len(r.Users) && r.Users[ui].ID < g.User {
			ui++
		}
		var u User
		if ui < len(r.Users) && r.Users[ui].ID == g.User {
			u = r.Users[ui]
		}
		expired := ""
		if r.Expired(g.Expires, now) {
			expired = "yes"
		}
		rule := ""
		if g.Rule != nil {
			rule = RuleText(g.Rule)
		}
		row = append(row[:0], g.User, u.Name, strings.Join(u.Departments, " "), g.Space, LabelOf(g), g.Target,
			strings.Join(g.Rights, " "), PathText(g.Path), g.Expires, expired, rule, string(g.Status), g.Note)
		for j := range row {
			row[j] = cell(row[j])
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write access CSV: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write access CSV: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write access CSV: %w", err)
	}
	return nil
}

// cell keeps a spreadsheet from taking a cell for a formula.
func cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
