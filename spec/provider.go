package spec

import (
	"fmt"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// DefaultProvider is the server a file targets when it names none: every
// file written before provider: existed is a Youdata file.
const DefaultProvider = "youdata"

// format is one provider's file format: the name a file gives under
// provider: and the type its documents decode into.
type format struct {
	name string
	// document returns a new, empty document of the format.
	document func() document
}

// formats are the providers the files may name, one line each. A new
// provider adds its line here and its document type.
var formats = []format{
	{name: "youdata", document: func() document { return new(Document) }},
	{name: QuickBIProvider, document: func() document { return new(QuickBIDocument) }},
}

// Providers are the names a file may give under provider:, in the order
// of formats.
var Providers = formatNames(formats)

func formatNames(fs []format) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.name
	}
	return out
}

// document is a file's content as written, in its provider's format.
type document interface {
	// formatVersion is the file's version (0 when not given).
	formatVersion() int
}

func (d *Document) formatVersion() int { return d.Version }

func (d *QuickBIDocument) formatVersion() int { return d.Version }

func formatOf(name string) (format, bool) {
	for _, f := range formats {
		if f.name == name {
			return f, true
		}
	}
	return format{}, false
}

// unknownProvider is the problem of a provider: that names no provider
// permsync knows.
func unknownProvider(name string) string {
	msg := fmt.Sprintf("unknown provider %q", name)
	if s := suggest(name, Providers); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return msg + "; known providers: " + strings.Join(Providers, ", ")
}

// emptyProvider is the problem of a provider: given as an empty string.
func emptyProvider() string {
	return fmt.Sprintf("must not be empty: name the server the file targets (known providers: %s), or leave provider out for %s",
		strings.Join(Providers, ", "), DefaultProvider)
}

// provider finds the provider a file names, at the top mapping m, before
// anything else of the file is decoded: the provider decides what the
// rest of the file is. It records it in out and returns its format; it
// returns false (after reporting) when the file names none permsync knows.
func (d *decoder) provider(m *yaml.Node, out *parsed) (format, bool) {
	out.top = m.Line
	var k, v *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		if c := m.Content[i]; c.Kind == yaml.ScalarNode && c.Value == "provider" {
			k, v = c, resolve(m.Content[i+1])
			break
		}
	}
	if k == nil || isNull(v) {
		f, _ := formatOf(DefaultProvider)
		out.provider = DefaultProvider
		return f, true
	}
	if msg := stringProblem(v); msg != "" {
		d.problem(v.Line, "provider", "%s", msg)
		return format{}, false
	}
	name := strings.TrimSpace(v.Value)
	if name == "" {
		d.problem(k.Line, "provider", "%s", emptyProvider())
		return format{}, false
	}
	f, ok := formatOf(name)
	if !ok {
		d.problem(k.Line, "provider", "%s", unknownProvider(name))
		return format{}, false
	}
	out.provider, out.providerLine = name, k.Line
	return f, true
}

// mergeProvider sets the provider of d: the one the first file naming a
// provider names, else DefaultProvider. Every other file must target the
// same, named or by default.
func mergeProvider(d *Desired, docs []parsed, ps *problems) {
	d.Provider = DefaultProvider
	var first *parsed
	for i := range docs {
		if docs[i].doc != nil && docs[i].providerLine > 0 {
			first = &docs[i]
			break
		}
	}
	if first == nil {
		return
	}
	d.Provider = first.provider
	d.ProviderSrc = Source{File: first.path, Line: first.providerLine, Path: "provider"}
	for _, p := range docs {
		if p.doc == nil || p.provider == first.provider {
			continue
		}
		here, line := fmt.Sprintf("%q here", p.provider), p.providerLine
		if line == 0 {
			here, line = fmt.Sprintf("none named here, so %q (the default)", p.provider), p.top
		}
		ps.add(&Problem{File: p.path, Line: line, Path: "provider",
			Msg: fmt.Sprintf("%s, but %s:%d says %q: the files of one run target one server", here, first.path, first.providerLine, first.provider)})
	}
}

// provider checks the provider of a desired state; empty is the default.
func (v *validator) provider() {
	name := v.d.Provider
	if name == "" {
		return
	}
	src := v.d.ProviderSrc
	if src.Path == "" {
		src.Path = "provider"
	}
	switch _, ok := formatOf(name); {
	case strings.TrimSpace(name) == "":
		v.at(src, "", "%s", emptyProvider())
	case !ok:
		v.at(src, "", "%s", unknownProvider(name))
	}
}
