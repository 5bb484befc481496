package spec

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// withFormats adds providers for the rest of the test, as a new provider
// adds its line to formats.
func withFormats(t *testing.T, extra ...format) {
	t.Helper()
	savedFormats, savedNames := formats, Providers
	formats = append(append([]format(nil), formats...), extra...)
	Providers = formatNames(formats)
	t.Cleanup(func() { formats, Providers = savedFormats, savedNames })
}

func TestProviderDefaultsToYoudata(t *testing.T) {
	d := mustLoadBytes(t, "version: 1\nusers: [{uniqueId: a}]\n")
	if DefaultProvider != "youdata" {
		t.Errorf("DefaultProvider = %q, want youdata: files written before provider: existed are Youdata's", DefaultProvider)
	}
	if d.Provider != "youdata" {
		t.Errorf("Provider = %q, want youdata", d.Provider)
	}
	if d.ProviderSrc != (Source{}) {
		t.Errorf("ProviderSrc = %+v, want none: no file names a provider", d.ProviderSrc)
	}
	dir := writeFiles(t, map[string]string{
		"a.yaml": "version: 1\nusers: [{uniqueId: a}]\n",
		"b.yaml": "version: 1\nprovider: youdata\nusers: [{uniqueId: b}]\n",
		"c.yaml": "version: 1\nprovider: null\n",
		"d.yaml": "# nothing\n",
	})
	d, err := Load([]string{dir})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := Source{File: filepath.Join(dir, "b.yaml"), Line: 2, Path: "provider"}
	if d.Provider != "youdata" || d.ProviderSrc != want {
		t.Errorf("Provider = %q at %+v, want youdata at %+v", d.Provider, d.ProviderSrc, want)
	}
	if len(d.Users) != 2 {
		t.Errorf("users = %d, want 2", len(d.Users))
	}
}

func TestProviderExplicit(t *testing.T) {
	d := mustLoadBytes(t, "version: 1\nprovider: \" youdata \"\nusers: [{uniqueId: a}]\n")
	want := Source{File: "test.yaml", Line: 2, Path: "provider"}
	if d.Provider != "youdata" || d.ProviderSrc != want {
		t.Errorf("Provider = %q at %+v, want youdata at %+v", d.Provider, d.ProviderSrc, want)
	}
}

func TestProviderUnknown(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"misspelt", "version: 1\nprovider: youdta\n",
			[]string{`f.yaml:2: provider: unknown provider "youdta" (did you mean "youdata"?); known providers: youdata, quickbi`}},
		{"letter case", "version: 1\nprovider: YouData\n",
			[]string{`f.yaml:2: provider: unknown provider "YouData" (did you mean "youdata"?); known providers: youdata, quickbi`}},
		{"far", "version: 1\nprovider: tableau\n",
			[]string{`f.yaml:2: provider: unknown provider "tableau"; known providers: youdata, quickbi`}},
		{"empty", "version: 1\nprovider: \"  \"\n",
			[]string{`f.yaml:2: provider: must not be empty: name the server the file targets (known providers: youdata, quickbi), or leave provider out for youdata`}},
		{"number", "version: 1\nprovider: 1\n",
			[]string{`f.yaml:2: provider: expected a string, got a number (put it in quotes)`}},
		{"list", "version: 1\nprovider:\n  - youdata\n",
			[]string{`f.yaml:3: provider: expected a string, got a list`}},
		{"through an alias", "version: 1\nsettings: {protectedUsers: [&p youdta]}\nprovider: *p\n",
			[]string{`f.yaml:3: provider: unknown provider "youdta" (did you mean "youdata"?); known providers: youdata, quickbi`}},
		// The rest of the file is in a format not known: it is not
		// checked against Youdata's.
		{"rest not decoded", "provider: tableau\nwidgets: [{name: w}]\n",
			[]string{`f.yaml:1: provider: unknown provider "tableau"; known providers: youdata, quickbi`}},
		{"misspelt quickbi", "version: 1\nprovider: quickbl\n",
			[]string{`f.yaml:2: provider: unknown provider "quickbl" (did you mean "quickbi"?); known providers: youdata, quickbi`}},
		{"quickbi letter case", "version: 1\nprovider: QuickBI\n",
			[]string{`f.yaml:2: provider: unknown provider "QuickBI" (did you mean "quickbi"?); known providers: youdata, quickbi`}},
		// A secret is refused whatever the provider.
		{"secret", "version: 1\nprovider: tableau\ntoken: x\n",
			[]string{`f.yaml:2: provider: unknown provider "tableau"; known providers: youdata, quickbi`, "f.yaml:3: token: " + secretMsg}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := LoadBytes("f.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatalf("loaded (provider %q), want problems", d.Provider)
			}
			if diff := cmp.Diff(tc.want, problemLines(err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestProvidersOfOneRunAgree(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string // with DIR for the directory
	}{
		{"both named", map[string]string{
			"a.yaml": "version: 1\nprovider: youdata\n",
			"b.yaml": "version: 1\nprovider: quickbi\nusers: [{account: a}]\n",
		}, []string{`DIR/b.yaml:2: provider: "quickbi" here, but DIR/a.yaml:2 says "youdata": the files of one run target one server`}},
		{"first names none", map[string]string{
			"a.yaml": "version: 1\nusers: [{uniqueId: a}]\n",
			"b.yaml": "# the server\nversion: 1\nprovider: quickbi\n",
		}, []string{`DIR/a.yaml:1: provider: none named here, so "youdata" (the default), but DIR/b.yaml:3 says "quickbi": the files of one run target one server`}},
		{"every other file", map[string]string{
			"a.yaml":     "version: 1\nprovider: quickbi\n",
			"b.yaml":     "version: 1\n",
			"c.yaml":     "version: 1\nprovider: quickbi\n",
			"d/e.yaml":   "\n\nversion: 1\nprovider: youdata\n",
			"empty.yaml": "# no content\n",
		}, []string{
			`DIR/b.yaml:1: provider: none named here, so "youdata" (the default), but DIR/a.yaml:2 says "quickbi": the files of one run target one server`,
			`DIR/d/e.yaml:4: provider: "youdata" here, but DIR/a.yaml:2 says "quickbi": the files of one run target one server`,
		}},
		{"with other problems", map[string]string{
			// Quick BI's files decode strictly into Quick BI's format.
			"a.yaml": "version: 1\nprovider: quickbi\nusers: [{uniqueId: a}]\n",
			"b.yaml": "version: 1\nprovider: youdata\nuserz: []\n",
		}, []string{
			`DIR/a.yaml:3: users[0]: missing required field "account"`,
			`DIR/a.yaml:3: users[0].uniqueId: unknown field "uniqueId"`,
			`DIR/b.yaml:2: provider: "youdata" here, but DIR/a.yaml:2 says "quickbi": the files of one run target one server`,
			`DIR/b.yaml:3: userz: unknown field "userz" (did you mean "users"?)`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, tc.files)
			d, err := Load([]string{dir})
			if err == nil {
				t.Fatalf("loaded (provider %q), want problems", d.Provider)
			}
			got := problemLines(err)
			for i := range got {
				got[i] = strings.ReplaceAll(filepath.ToSlash(got[i]), filepath.ToSlash(dir), "DIR")
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	dir := writeFiles(t, map[string]string{
		"a.yaml": "version: 1\nusers: [{account: a}]\nprovider: quickbi\n",
		"b.yaml": "version: 1\nprovider: quickbi\n",
	})
	d, err := Load([]string{dir})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := Source{File: filepath.Join(dir, "a.yaml"), Line: 3, Path: "provider"}
	if d.Provider != "quickbi" || d.ProviderSrc != want {
		t.Errorf("Provider = %q at %+v, want quickbi at %+v", d.Provider, d.ProviderSrc, want)
	}
}

// widgetDoc is the document type of a provider whose files hold other
// things than Youdata's.
type widgetDoc struct {
	Version  int      `json:"version"`
	Provider string   `json:"provider"`
	Widgets  []string `json:"widgets"`
}

func (d *widgetDoc) formatVersion() int { return d.Version }

// TestProviderChoosesTheDocumentType: the provider a file names decides
// the type the rest of it decodes into.
func TestProviderChoosesTheDocumentType(t *testing.T) {
	withFormats(t, format{name: "widgets", document: func() document { return new(widgetDoc) }})
	d, err := LoadBytes("w.yaml", []byte("version: 1\nwidgets: [a, b]\nprovider: widgets\n"))
	if err != nil {
		t.Fatalf("widgets file: %v", err)
	}
	if d.Provider != "widgets" {
		t.Errorf("Provider = %q, want widgets", d.Provider)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"version: 1\nwidgets: [a]\n", `w.yaml:2: widgets: unknown field "widgets"`},
		{"version: 1\nprovider: widgets\nusers: [{uniqueId: a}]\n", `w.yaml:3: users: unknown field "users"`},
		{"version: 2\nprovider: widgets\n", `w.yaml:1: version: unsupported version 2 (this permsync reads version 1)`},
	} {
		_, err := LoadBytes("w.yaml", []byte(tc.yaml))
		if diff := cmp.Diff([]string{tc.want}, problemLines(err)); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tc.yaml, diff)
		}
	}
}

func TestValidateProvider(t *testing.T) {
	for _, p := range []string{"", "youdata", "quickbi"} {
		if err := Validate(&Desired{Provider: p}); err != nil {
			t.Errorf("Validate(Provider %q): %v", p, err)
		}
	}
	for _, tc := range []struct {
		d    *Desired
		want string
	}{
		{&Desired{Provider: "youdta"}, `provider: unknown provider "youdta" (did you mean "youdata"?); known providers: youdata, quickbi`},
		{&Desired{Provider: " "}, `provider: must not be empty: name the server the file targets (known providers: youdata, quickbi), or leave provider out for youdata`},
		{&Desired{Provider: "tableau", ProviderSrc: Source{File: "gen.yaml", Line: 4, Path: "provider"}},
			`gen.yaml:4: provider: unknown provider "tableau"; known providers: youdata, quickbi`},
	} {
		if diff := cmp.Diff([]string{tc.want}, problemLines(Validate(tc.d))); diff != "" {
			t.Errorf("Provider %q (-want +got):\n%s", tc.d.Provider, diff)
		}
	}
}
