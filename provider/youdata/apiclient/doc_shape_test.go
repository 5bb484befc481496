package apiclient

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// shape is the structure of a JSON value: objects keep their keys, arrays
// merge the shapes of their elements, scalars become their kind.
func shape(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := map[string]any{}
		for k, x := range t {
			m[k] = shape(x)
		}
		return m
	case []any:
		var merged any
		for _, x := range t {
			merged = mergeShapes(merged, shape(x))
		}
		if merged == nil {
			return []any{}
		}
		return []any{merged}
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case nil:
		return "null"
	}
	return "?"
}

func mergeShapes(a, b any) any {
	if a == nil {
		return b
	}
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		out := map[string]any{}
		for k, v := range am {
			out[k] = v
		}
		for k, v := range bm {
			out[k] = mergeShapes(out[k], v)
		}
		return out
	}
	aa, aok := a.([]any)
	ba, bok := b.([]any)
	if aok && bok {
		var m any
		for _, x := range append(append([]any{}, aa...), ba...) {
			m = mergeShapes(m, x)
		}
		if m == nil {
			return []any{}
		}
		return []any{m}
	}
	return kinds(a, b)
}

// kinds joins differing kinds: "array|null".
func kinds(a, b any) string {
	set := map[string]bool{}
	for _, x := range []any{a, b} {
		switch t := x.(type) {
		case string:
			for _, k := range strings.Split(t, "|") {
				set[k] = true
			}
		case []any:
			set["array"] = true
		case map[string]any:
			set["object"] = true
		}
	}
	var ks []string
	for k := range set {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, "|")
}

// drop removes a dotted path ("users.phone" walks into arrays) from a shape.
func drop(s any, path string) {
	parts := strings.SplitN(path, ".", 2)
	switch t := s.(type) {
	case map[string]any:
		if len(parts) == 1 {
			delete(t, parts[0])
			return
		}
		drop(t[parts[0]], parts[1])
	case []any:
		for _, x := range t {
			drop(x, path)
		}
	}
}

// docDeviations lists, per example, the paths where the golden request
// and the document's example legitimately differ.
var docDeviations = map[string][]string{
	// The example sends phone as a number; the field table says String.
	// customInfo is shown at the top level, the table lists it as a user
	// field.
	"user/batchImport": {"users.phone", "customInfo"},
	// permsync always sends uniqueIds, never the single uniqueId.
	"role/importDataPermissions.resource": {"uniqueId"},
	// The example omits path, which the notes above it call required.
	"role/importDataPermissions.data": {"uniqueId", "path"},
}

// TestGoldensMatchDocumentExamples checks that the request bodies of
// batchImport, importDataPermissions, syncOrg, delRoles and the group calls
// have the shape (keys, nesting, kinds) of the document's examples in
// testdata/doc. The token is checked by TestMethods; some examples omit it.
func TestGoldensMatchDocumentExamples(t *testing.T) {
	var docs []string
	err := filepath.WalkDir(filepath.Join("testdata", "doc"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
			docs = append(docs, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"group/add", "group/dels", "group/ext/delUsers.erase", "group/ext/delUsers.path", "group/ext/update.id",
		"group/ext/update.path", "orgStructure/syncOrg", "role/importDataPermissions.data",
		"role/importDataPermissions.resource", "user/batchImport", "user/batchImport.userOrgs", "user/delRoles",
	}
	var names []string
	for _, p := range docs {
		rel, _ := filepath.Rel(filepath.Join("testdata", "doc"), p)
		names = append(names, strings.TrimSuffix(filepath.ToSlash(rel), ".json"))
	}
	sort.Strings(names)
	if d := cmp.Diff(want, names); d != "" {
		t.Fatalf("document examples (-want +got):\n%s", d)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			docShape := loadShape(t, filepath.Join("testdata", "doc", filepath.FromSlash(name)+".json"))
			gotShape := loadShape(t, goldenPath(name))
			for _, p := range append([]string{"token"}, docDeviations[name]...) {
				drop(docShape, p)
				drop(gotShape, p)
			}
			if d := cmp.Diff(docShape, gotShape); d != "" {
				t.Errorf("golden %s does not have the shape of the document's example (-doc +golden):\n%s", name, d)
			}
		})
	}
}

func loadShape(t *testing.T, path string) any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return shape(v)
}

// TestShapeDetectsDifferences guards the comparison itself.
func TestShapeDetectsDifferences(t *testing.T) {
	a := shape(map[string]any{"a": []any{map[string]any{"x": 1.0}}, "b": "s"})
	for _, other := range []any{
		map[string]any{"a": []any{map[string]any{"y": 1.0}}, "b": "s"},            // key renamed
		map[string]any{"a": []any{map[string]any{"x": "1"}}, "b": "s"},            // kind changed
		map[string]any{"a": map[string]any{"x": 1.0}, "b": "s"},                   // array became object
		map[string]any{"a": []any{map[string]any{"x": 1.0}}},                      // key missing
		map[string]any{"a": []any{map[string]any{"x": 1.0}}, "b": "s", "c": true}, // key added
	} {
		if cmp.Equal(a, shape(other)) {
			t.Errorf("shape(%v) equals shape of the original", other)
		}
	}
}
