package state

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFacetValueRoundTrip: the value of a facet is written on the
// object's line, as encoding/json writes it, and read back as it was.
func TestFacetValueRoundTrip(t *testing.T) {
	value := json.RawMessage(`{"rules":[{"connection":2010,"details":[{"filter":{"select":["华东","<&>"]}}]}]}`)
	st := New()
	st.Objects["dataPermission 销售分析/区域/华东数据"] = &Object{ID: 7, Facets: map[string]Facet{
		"rules":  {Hash: "sha256:abc", Value: value},
		"groups": {Hash: "sha256:def", Items: []string{"华东组"}, Value: json.RawMessage(`{"group_expires":{},"groups":["华东组"]}`)},
	}}
	// Whitespace in a value (a state edited by hand) does not break the
	// line.
	st.Objects["user a@corp.com"] = &Object{Facets: map[string]Facet{
		"position": {Hash: "sha256:123", Value: json.RawMessage("{\n  \"position\": \"经理\"\n}")},
	}}
	path := filepath.Join(t.TempDir(), "state.json")
	if err := Save(path, st); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n != 8 {
		t.Errorf("%d lines, want 8 (one per object):\n%s", n, b)
	}
	for k, o := range st.Objects {
		want := "\n    " + string(marshalNoHTML(t, k)) + ": " + string(marshalNoHTML(t, o))
		if !strings.Contains(string(b), want) {
			t.Errorf("object %q is not written as encoding/json writes it (%s):\n%s", k, want, b)
		}
	}
	got, _, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	f := got.Objects["dataPermission 销售分析/区域/华东数据"].Facets["rules"]
	if !bytes.Equal(f.Value, value) || f.Hash != "sha256:abc" {
		t.Errorf("read back %s %s, want %s", f.Hash, f.Value, value)
	}
	if v := got.Objects["user a@corp.com"].Facets["position"].Value; string(v) != `{"position":"经理"}` {
		t.Errorf("value written as %s", v)
	}
}

// TestCloneCopiesValue: a clone's value is its own.
func TestCloneCopiesValue(t *testing.T) {
	o := &Object{Facets: map[string]Facet{"name": {Hash: "h", Value: json.RawMessage(`{"name":"a"}`)}}}
	c := o.Clone()
	c.Facets["name"].Value[9] = 'b'
	if string(o.Facets["name"].Value) != `{"name":"a"}` {
		t.Errorf("the clone shares its value: %s", o.Facets["name"].Value)
	}
}

// TestStateOfAnEarlierReleaseHasNoValues: the facets of a state an earlier
// release wrote load with a fingerprint and no value (what the plan shows
// as "before unknown").
func TestStateOfAnEarlierReleaseHasNoValues(t *testing.T) {
	st, _, err := Load(filepath.Join("testdata", "release-quickstart.json"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for k, o := range st.Objects {
		for name, f := range o.Facets {
			if f.Value != nil {
				t.Errorf("%s facet %s has a value: %s", k, name, f.Value)
			}
			if f.Hash == "" {
				t.Errorf("%s facet %s has no fingerprint", k, name)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("no facets")
	}
}
