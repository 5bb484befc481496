package quickbi

import (
	"encoding/json"
	"testing"
)

// TestNormalizeContent: a raw ruleContentJson string and a mapping that
// mean the same compare equal, whatever the key order, spacing and way of
// writing numbers; what differs stays different.
func TestNormalizeContent(t *testing.T) {
	mapping := map[string]any{"conditionNode": map[string]any{"name": "region", "value": map[string]any{"value": []any{"华北"}, "valueType": "ENUM"}, "isMeasure": false, "n": 1}}
	same := []any{
		mapping,
		`{"conditionNode":{"isMeasure":false,"n":1,"name":"region","value":{"valueType":"ENUM","value":["华北"]}}}`,
		"{ \"conditionNode\" : {\n \"n\": 1.0, \"name\":\"region\", \"isMeasure\": false, \"value\": {\"value\": [\"华北\"], \"valueType\": \"ENUM\"}}}",
		json.RawMessage(`{"conditionNode":{"n":1e0,"name":"region","isMeasure":false,"value":{"value":["华北"],"valueType":"ENUM"}}}`),
		map[any]any{"conditionNode": map[any]any{"name": "region", "value": map[any]any{"value": []any{"华北"}, "valueType": "ENUM"}, "isMeasure": false, "n": 1}},
	}
	want, err := NormalizeContent(same[0])
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range same[1:] {
		got, err := NormalizeContent(v)
		if err != nil {
			t.Fatalf("%d: %v", i+1, err)
		}
		if string(got) != string(want) {
			t.Errorf("%d: %s, want %s", i+1, got, want)
		}
	}
	for _, v := range []any{`{"conditionNode":{"name":"region","n":2}}`, `{"pathId":["a","b"]}`, `{"pathId":["b","a"]}`} {
		got, err := NormalizeContent(v)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) == string(want) {
			t.Errorf("%v equals %s", v, want)
		}
	}
	for _, bad := range []any{nil, "", "[1]", `{"a":1} x`, "not json", 3} {
		if c, err := NormalizeContent(bad); err == nil {
			t.Errorf("%#v: %s, want an error", bad, c)
		}
	}
}
