package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"text/template"

	"go.yaml.in/yaml/v3"
)

// renderChart renders the chart as `helm template permsync CHART --set
// ...` does, without helm: Go's text/template with the template
// functions the chart uses, each with the semantics of Helm's (Sprig's)
// function of that name, the values of values.yaml coalesced with the
// --set values, and .Release and .Chart. A function the chart starts to
// use and this file lacks fails the parse, naming it. When helm is on
// PATH, TestPackagingHelmRenderer checks that both render the same
// manifests. A refusal returns the template's error.
func renderChart(t *testing.T, dir string, sets []string) ([]byte, error) {
	t.Helper()
	var chart map[string]any
	readYAML(t, filepath.Join(dir, "Chart.yaml"), &chart)
	var defaults map[string]any
	readYAML(t, filepath.Join(dir, "values.yaml"), &defaults)
	// Helm reads values through JSON: every number is a float64.
	defaults = jsonNumbers(t, defaults).(map[string]any)
	user := map[string]any{}
	for _, s := range sets {
		if err := parseSet(user, s); err != nil {
			t.Fatalf("--set %s: %v", s, err)
		}
	}
	values := coalesce(user, defaults)
	top := map[string]any{
		"Values": values,
		"Release": map[string]any{
			"Name": "permsync", "Namespace": "default", "Service": "Helm",
			"IsInstall": true, "IsUpgrade": false, "Revision": 1,
		},
		"Chart": map[string]any{
			"Name": chart["name"], "Version": chart["version"], "AppVersion": chart["appVersion"],
			"Description": chart["description"], "Type": chart["type"],
		},
	}

	// Strict, as helm lint --strict renders: a value the chart names and
	// values.yaml lacks is an error, not an empty string.
	root := template.New("gotpl").Option("missingkey=error")
	funcs := helmFuncs(root)
	root.Funcs(funcs)
	entries, err := os.ReadDir(filepath.Join(dir, "templates"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, "templates", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		name := str(chart["name"]) + "/templates/" + e.Name()
		if _, err := root.New(name).Parse(string(b)); err != nil {
			t.Fatalf("the chart's %s: %v", name, err)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	var out bytes.Buffer
	for _, name := range names {
		base := filepath.Base(name)
		if strings.HasPrefix(base, "_") {
			continue
		}
		ctx := map[string]any{}
		for k, v := range top {
			ctx[k] = v
		}
		ctx["Template"] = map[string]any{"Name": name, "BasePath": str(chart["name"]) + "/templates"}
		var b bytes.Buffer
		if err := root.ExecuteTemplate(&b, name, ctx); err != nil {
			return nil, err
		}
		// As helm does: an absent value prints as nothing, NOTES.txt is
		// not a manifest, and a template that renders blank is left out.
		text := strings.ReplaceAll(b.String(), "<no value>", "")
		if base == "NOTES.txt" || strings.TrimSpace(text) == "" {
			continue
		}
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", name, text)
	}
	return out.Bytes(), nil
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func jsonNumbers(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// parseSet adds one --set argument (a.b[0].c=value, several separated by
// commas; {x,y} is a list) to vals, typed as helm's strvals types them:
// true, false, null, integers (int64), else strings.
func parseSet(vals map[string]any, arg string) error {
	for _, pair := range splitTop(arg) {
		key, value, ok := strings.Cut(pair, "=")
		if !ok {
			return fmt.Errorf("%q: key=value expected", pair)
		}
		var v any
		if strings.HasPrefix(value, "{") && strings.HasSuffix(value, "}") {
			var list []any
			for _, e := range strings.Split(value[1:len(value)-1], ",") {
				list = append(list, typedValue(e))
			}
			v = list
		} else {
			v = typedValue(value)
		}
		if err := setPath(vals, key, v); err != nil {
			return err
		}
	}
	return nil
}

// splitTop splits at the commas outside braces.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '{':
			depth++
		case '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func typedValue(s string) any {
	switch s {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && (s == "0" || !strings.HasPrefix(s, "0")) {
		return n
	}
	return s
}

// setPath sets a.b[0].c in m, making the maps and lists on the way.
func setPath(m map[string]any, path string, v any) error {
	name, rest, more := strings.Cut(path, ".")
	idx := -1
	if i := strings.Index(name, "["); i >= 0 && strings.HasSuffix(name, "]") {
		n, err := strconv.Atoi(name[i+1 : len(name)-1])
		if err != nil || n < 0 {
			return fmt.Errorf("%q: bad index", name)
		}
		name, idx = name[:i], n
	}
	if idx < 0 {
		if !more {
			m[name] = v
			return nil
		}
		child, _ := m[name].(map[string]any)
		if child == nil {
			child = map[string]any{}
			m[name] = child
		}
		return setPath(child, rest, v)
	}
	list, _ := m[name].([]any)
	for len(list) <= idx {
		list = append(list, nil)
	}
	m[name] = list
	if !more {
		list[idx] = v
		return nil
	}
	child, _ := list[idx].(map[string]any)
	if child == nil {
		child = map[string]any{}
		list[idx] = child
	}
	return setPath(child, rest, v)
}

// coalesce is helm's merge of the user's values over the chart's: maps
// merge key by key, anything else (lists too) replaces, and null deletes.
func coalesce(user, defaults map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range defaults {
		out[k] = v
	}
	for k, v := range user {
		if v == nil {
			delete(out, k)
			continue
		}
		um, uok := v.(map[string]any)
		dm, dok := out[k].(map[string]any)
		if uok && dok {
			out[k] = coalesce(um, dm)
		} else {
			out[k] = v
		}
	}
	return out
}

// helmFuncs are the functions the chart uses, as Helm defines them
// (Sprig's, and Helm's include, required, fail and toYaml).
func helmFuncs(root *template.Template) template.FuncMap {
	return template.FuncMap{
		"include": func(name string, data any) (string, error) {
			var b bytes.Buffer
			err := root.ExecuteTemplate(&b, name, data)
			return b.String(), err
		},
		"required": func(msg string, v any) (any, error) {
			if v == nil {
				return nil, fmt.Errorf("%s", msg)
			}
			if s, ok := v.(string); ok && s == "" {
				return nil, fmt.Errorf("%s", msg)
			}
			return v, nil
		},
		"fail": func(msg string) (string, error) { return "", fmt.Errorf("%s", msg) },
		"toYaml": func(v any) string {
			var b bytes.Buffer
			enc := yaml.NewEncoder(&b)
			enc.SetIndent(2)
			if err := enc.Encode(integral(v)); err != nil {
				return ""
			}
			return strings.TrimSuffix(b.String(), "\n")
		},
		"indent":  func(n int, s string) string { return indent(n, s) },
		"nindent": func(n int, s string) string { return "\n" + indent(n, s) },
		"quote": func(args ...any) string {
			var out []string
			for _, a := range args {
				if a != nil {
					out = append(out, fmt.Sprintf("%q", strval(a)))
				}
			}
			return strings.Join(out, " ")
		},
		"default": func(d any, given ...any) any {
			if len(given) == 0 || empty(given[0]) {
				return d
			}
			return given[0]
		},
		"empty":      empty,
		"toString":   strval,
		"trim":       strings.TrimSpace,
		"trimSuffix": func(suffix, s string) string { return strings.TrimSuffix(s, suffix) },
		"trimPrefix": func(prefix, s string) string { return strings.TrimPrefix(s, prefix) },
		"hasSuffix":  func(suffix, s string) bool { return strings.HasSuffix(s, suffix) },
		"hasPrefix":  func(prefix, s string) bool { return strings.HasPrefix(s, prefix) },
		"contains":   func(sub, s string) bool { return strings.Contains(s, sub) },
		"replace":    func(old, new, s string) string { return strings.ReplaceAll(s, old, new) },
		"trunc": func(n int, s string) string {
			if n >= 0 && len(s) > n {
				return s[:n]
			}
			if n < 0 && len(s) > -n {
				return s[len(s)+n:]
			}
			return s
		},
		"int":   func(v any) int { return int(toInt64(v)) },
		"int64": toInt64,
		"add": func(args ...any) int64 {
			var s int64
			for _, a := range args {
				s += toInt64(a)
			}
			return s
		},
		"mul": func(a any, rest ...any) int64 {
			p := toInt64(a)
			for _, r := range rest {
				p *= toInt64(r)
			}
			return p
		},
		"div": func(a, b any) int64 { return toInt64(a) / toInt64(b) },
		"max": func(a any, rest ...any) int64 {
			m := toInt64(a)
			for _, r := range rest {
				if n := toInt64(r); n > m {
					m = n
				}
			}
			return m
		},
		"list": func(args ...any) []any { return args },
		"dict": func(args ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(args); i += 2 {
				m[strval(args[i])] = args[i+1]
			}
			return m
		},
		"has": func(needle any, list any) bool {
			l := reflect.ValueOf(list)
			if l.Kind() != reflect.Slice && l.Kind() != reflect.Array {
				return false
			}
			for i := 0; i < l.Len(); i++ {
				if reflect.DeepEqual(l.Index(i).Interface(), needle) {
					return true
				}
			}
			return false
		},
		"first": func(list any) any {
			l := reflect.ValueOf(list)
			if (l.Kind() != reflect.Slice && l.Kind() != reflect.Array) || l.Len() == 0 {
				return nil
			}
			return l.Index(0).Interface()
		},
	}
}

func indent(n int, s string) string {
	pad := strings.Repeat(" ", n)
	return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
}

// strval is Sprig's: strings as they are, else fmt's %v.
func strval(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case []byte:
		return string(s)
	case fmt.Stringer:
		return s.String()
	case error:
		return s.Error()
	}
	return fmt.Sprintf("%v", v)
}

// empty is Sprig's: nil, zero, "", false, and empty collections.
func empty(v any) bool {
	r := reflect.ValueOf(v)
	if !r.IsValid() {
		return true
	}
	switch r.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return r.Len() == 0
	case reflect.Bool:
		return !r.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return r.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return r.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return r.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return r.IsNil()
	}
	return false
}

// toInt64 is Sprig's (cast.ToInt64): numbers truncated, strings parsed
// (0 when they are not a number), true 1, anything else 0.
func toInt64(v any) int64 {
	switch n := v.(type) {
	case int:
		return int64(n)
	case int64:
		return n
	case int32:
		return int64(n)
	case float64:
		return int64(n)
	case float32:
		return int64(n)
	case bool:
		if n {
			return 1
		}
		return 0
	case string:
		i, err := strconv.ParseInt(strings.TrimSpace(n), 0, 64)
		if err != nil {
			return 0
		}
		return i
	}
	return 0
}

// integral makes whole float64s int64s, as toYaml's way through JSON
// prints them (2000000, not 2e+06).
func integral(v any) any {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x)
		}
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = integral(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = integral(e)
		}
		return out
	}
	return v
}
