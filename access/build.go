package access

import (
	"errors"
	"fmt"
	"time"

	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/spec"
)

// Build is the report of the files and, when live is not nil, of what
// the server showed too, compared (Compare). generated stamps it (zero:
// not stamped).
func Build(a Adapter, d *spec.Desired, live provider.Live, generated time.Time) (*Report, error) {
	if a == nil {
		return nil, errors.New("access report: the provider has no access model")
	}
	files, err := a.FromFiles(d)
	if err != nil {
		return nil, fmt.Errorf("access report: %w", err)
	}
	out := files
	if live != nil {
		server, err := a.FromServer(d, live)
		if err != nil {
			return nil, fmt.Errorf("access report: %w", err)
		}
		if out, err = Compare(files, server); err != nil {
			return nil, fmt.Errorf("access report: %w", err)
		}
	}
	if !generated.IsZero() {
		out.Generated = generated.Format(time.RFC3339)
	}
	return out, nil
}
