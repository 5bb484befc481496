package spec

import (
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	schemaFile        = "permsync.schema.json"
	quickBISchemaFile = "permsync-quickbi.schema.json"
)

// TestSchemaUpToDate keeps spec/permsync.schema.json and
// spec/permsync-quickbi.schema.json equal to what the types generate. Run
// with -update after changing the types.
func TestSchemaUpToDate(t *testing.T) {
	for file, got := range map[string][]byte{schemaFile: JSONSchema(), quickBISchemaFile: QuickBIJSONSchema()} {
		if *update {
			if err := os.WriteFile(file, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("%v (run go test ./spec -run TestSchemaUpToDate -update)", err)
		}
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("%s is stale; run go test ./spec -run TestSchemaUpToDate -update (-file +generated):\n%s", file, diff)
		}
	}
}

// jsonFields lists the json names of a struct type's fields, embedded
// structs inlined, found independently of the generator.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" || tag == "" {
			continue
		}
		out = append(out, strings.Split(tag, ",")[0])
	}
	sort.Strings(out)
	return out
}

// TestSchemaMatchesTypes reads the published schemas and checks them
// against the Go types: every struct reachable from the document type has
// a definition (or is the root) whose properties are exactly its json
// fields, with additionalProperties false.
func TestSchemaMatchesTypes(t *testing.T) {
	checkSchemaTypes(t, schemaFile, reflect.TypeOf(Document{}), 20)
	checkSchemaTypes(t, quickBISchemaFile, reflect.TypeOf(QuickBIDocument{}), 11)
}

func checkSchemaTypes(t *testing.T, file string, rootType reflect.Type, minTypes int) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(b, &root); err != nil {
		t.Fatal(err)
	}
	defs, _ := root["definitions"].(map[string]any)
	seen := map[reflect.Type]bool{}
	var check func(t reflect.Type, s map[string]any)
	check = func(typ reflect.Type, s map[string]any) {
		if seen[typ] {
			return
		}
		seen[typ] = true
		if s["additionalProperties"] != false {
			t.Errorf("%s: additionalProperties is %v, want false", typ.Name(), s["additionalProperties"])
		}
		props, _ := s["properties"].(map[string]any)
		var names []string
		for n := range props {
			names = append(names, n)
		}
		sort.Strings(names)
		if diff := cmp.Diff(jsonFields(typ), names); diff != "" {
			t.Errorf("%s: schema properties differ from the json fields (-go +schema):\n%s", typ.Name(), diff)
		}
		var walk func(ft reflect.Type)
		walk = func(ft reflect.Type) {
			switch ft.Kind() {
			case reflect.Pointer, reflect.Slice:
				walk(ft.Elem())
			case reflect.Map:
				walk(ft.Elem())
			case reflect.Struct:
				if ft == typeSource || ft == typeMaxDeletes {
					return
				}
				def, ok := defs[ft.Name()].(map[string]any)
				if !ok {
					t.Errorf("no definition for %s", ft.Name())
					return
				}
				check(ft, def)
			}
		}
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			if f.Anonymous {
				for j := 0; j < f.Type.NumField(); j++ {
					walk(f.Type.Field(j).Type)
				}
				continue
			}
			walk(f.Type)
		}
	}
	check(rootType, root)
	for name := range defs {
		found := false
		for typ := range seen {
			if typ.Name() == name {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: definition %s matches no Go type", file, name)
		}
	}
	if len(seen) < minTypes {
		t.Errorf("%s: only %d types checked", file, len(seen))
	}
}

// TestSchemaEnumsMatchValidation keeps the enumerations of the schema and
// of the validator the same.
func TestSchemaEnumsMatchValidation(t *testing.T) {
	var root map[string]any
	if err := json.Unmarshal(JSONSchema(), &root); err != nil {
		t.Fatal(err)
	}
	defs := root["definitions"].(map[string]any)
	prop := func(def, field string) map[string]any {
		s := root // the document is the root
		if def != "Document" {
			s = defs[def].(map[string]any)
		}
		p := s["properties"].(map[string]any)[field].(map[string]any)
		if items, ok := p["items"].(map[string]any); ok {
			return items
		}
		return p
	}
	for _, tc := range []struct {
		def, field string
		want       []string
	}{
		{"Rule", "type", RuleTypes},
		{"Detail", "filterType", FilterTypes},
		{"Field", "dataType", DataTypes},
		{"ResourceMemberRef", "permissions", ResourceMemberPermissions},
		{"Resource", "type", resourceTypes},
		// Youdata's schema is for Youdata's files: a Quick BI file has
		// its own.
		{"Document", "provider", []string{DefaultProvider}},
	} {
		var got []string
		for _, v := range prop(tc.def, tc.field)["enum"].([]any) {
			if v != nil {
				got = append(got, v.(string))
			}
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s.%s enum (-validator +schema):\n%s", tc.def, tc.field, diff)
		}
	}
}

// TestSchemaMaxDeletesPattern keeps the schema from accepting a string
// maxDeletes that validation refuses.
func TestSchemaMaxDeletesPattern(t *testing.T) {
	re := regexp.MustCompile(maxDeletesPattern)
	for _, s := range []string{"10", "0", "10%", "2.5%", "100%", "100.0%", " 5 % "} {
		if !re.MatchString(s) {
			t.Errorf("pattern refuses %q", s)
		}
	}
	for _, s := range []string{"10", "0", "10%", "2.5%", "100%", "100.0%", "100.5%", "100.01%", "101%", "-1", "-5%", "1.5", "ten", "abc%", "%", ""} {
		_, err := ParseMaxDeletes(s)
		if re.MatchString(s) && err != nil {
			t.Errorf("pattern accepts %q, which validation refuses: %v", s, err)
		}
	}
}

// TestSchemaIDMinimums keeps the lower bounds of ids in the schema the
// ones validation applies.
func TestSchemaIDMinimums(t *testing.T) {
	var root map[string]any
	if err := json.Unmarshal(JSONSchema(), &root); err != nil {
		t.Fatal(err)
	}
	defs := root["definitions"].(map[string]any)
	for _, tc := range []struct {
		def, field string
		yaml       string // a file with the field set to 0
	}{
		{"Resource", "id", "version: 1\nprojects: [{name: P, roles: [{name: R, resources: [{type: SCREEN, id: 0, permissions: [view]}]}]}]\n"},
		{"ResourceMember", "id", "version: 1\nprojects: [{name: P, resourceMembers: [{type: DATA_MODEL, id: 0, members: []}]}]\n"},
		{"Rule", "connection", "version: 1\nprojects: [{name: P, dataPermissions: [{name: D, rules: [{connection: 0, type: table, details: [{selectType: select, select: [t]}]}]}]}]\n"},
		{"Project", "id", "version: 1\nprojects: [{name: P, id: 0}]\n"},
	} {
		p := defs[tc.def].(map[string]any)["properties"].(map[string]any)[tc.field].(map[string]any)
		min, _ := p["minimum"].(float64)
		_, err := LoadBytes("m.yaml", []byte(tc.yaml))
		if schemaAccepts := min <= 0; schemaAccepts != (err == nil) {
			t.Errorf("%s.%s: schema minimum %v, but validation of 0 gives %v", tc.def, tc.field, p["minimum"], err)
		}
	}
}

// TestQuickBISchemaAgreesWithValidation keeps the enumerations, limits
// and patterns of Quick BI's schema those validation applies: a value the
// schema accepts, validation accepts.
func TestQuickBISchemaAgreesWithValidation(t *testing.T) {
	var root map[string]any
	if err := json.Unmarshal(QuickBIJSONSchema(), &root); err != nil {
		t.Fatal(err)
	}
	defs := root["definitions"].(map[string]any)
	prop := func(def, field string) map[string]any {
		s := root
		if def != "QuickBIDocument" {
			s = defs[def].(map[string]any)
		}
		p := s["properties"].(map[string]any)[field].(map[string]any)
		if alts, ok := p["anyOf"].([]any); ok { // nullable
			p = alts[0].(map[string]any)
		}
		return p
	}
	for _, tc := range []struct {
		def, field string
		want       []string
	}{
		{"QuickBIDocument", "provider", []string{QuickBIProvider}},
		{"QuickBIUser", "type", QuickBIUserTypes},
		{"QuickBIDataLevel", "missHit", QuickBIMissHit},
	} {
		var got []string
		for _, v := range prop(tc.def, tc.field)["enum"].([]any) {
			if v != nil {
				got = append(got, v.(string))
			}
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s.%s enum (-validator +schema):\n%s", tc.def, tc.field, diff)
		}
	}
	for _, tc := range []struct {
		def, field, key string
		want            int
	}{
		{"QuickBIUser", "roles", "maxItems", QuickBIMaxOrgRoles},
		{"QuickBIUser", "nick", "maxLength", 50},
		{"QuickBITag", "name", "maxLength", 50},
		{"QuickBITag", "description", "maxLength", 255},
		{"QuickBIGroup", "name", "maxLength", 255},
		{"QuickBIGroup", "description", "maxLength", 255},
		{"QuickBIMember", "roles", "minItems", 1},
	} {
		if got, _ := prop(tc.def, tc.field)[tc.key].(float64); int(got) != tc.want {
			t.Errorf("%s.%s %s = %v, want %d", tc.def, tc.field, tc.key, got, tc.want)
		}
	}
	// Patterns: the schema accepts a value exactly when validation does.
	for _, tc := range []struct {
		def, field, yaml string // yaml: a file with X for the value
		values           []string
	}{
		{"QuickBIGroup", "id", "groups: [{id: \"X\", name: G}]\n",
			[]string{"sales", "3d2c23d4-2b41-4af8-a1f5-f6390f32abcd", "a.b_c", strings.Repeat("g", 64), strings.Repeat("g", 65), "-1", "a,b", "a/b", "销售", "a b"}},
		{"QuickBIUser", "accountId", "users: [{account: a, accountId: \"X\"}]\n",
			[]string{"191476000023754", "0", "1914xx23754", "-1", "1e5"}},
	} {
		p := prop(tc.def, tc.field)
		re := regexp.MustCompile(p["pattern"].(string))
		notConst, _ := p["not"].(map[string]any)
		for _, val := range tc.values {
			schemaOK := re.MatchString(val) && (notConst == nil || notConst["const"] != val)
			_, err := LoadBytes("s.yaml", []byte(qbFile(strings.ReplaceAll(tc.yaml, "X", val))))
			if schemaOK != (err == nil) {
				t.Errorf("%s.%s %q: schema accepts: %v, validation: %v", tc.def, tc.field, val, schemaOK, err)
			}
		}
	}
}
