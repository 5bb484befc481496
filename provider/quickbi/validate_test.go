package quickbi_test

import (
	"strings"
	"testing"

	"github.com/permsync/permsync/provider/quickbi"
	"github.com/permsync/permsync/spec"
)

// TestValidate: group ids the provider cannot move (too long for the
// moved suffix, or ending in it) are refused with their file and line;
// files without a Quick BI part are refused.
func TestValidate(t *testing.T) {
	p := quickbi.New(quickbi.Config{})
	if err := p.Validate(loadDesired(t, exampleDesired)); err != nil {
		t.Errorf("the example: %v", err)
	}
	d := desiredFrom(t, map[string]string{"g.yaml": `version: 1
provider: quickbi
groups:
  - {id: ok, name: 好}
  - {id: sales--moved, name: 销售}
  - {id: ` + strings.Repeat("x", 58) + `, name: 长}
`})
	err := p.Validate(d)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"g.yaml:5", "sales--moved", "g.yaml:6", "1 to 57"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), `"ok"`) {
		t.Errorf("error %q names a good id", err)
	}
	if err := p.Validate(&spec.Desired{}); err == nil {
		t.Error("files without a Quick BI part validate")
	}
}
