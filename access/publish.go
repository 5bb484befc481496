package access

import (
	"errors"
	"time"

	"github.com/permsync/permsync/provider"
	"github.com/permsync/permsync/spec"
)

// Publisher makes the report of each run of a service: from the files the
// run loaded and what its read of the server showed, compared. It keeps
// the latest for Handler and, when Dir is set, writes it there (WriteDir).
// One run publishes at a time; Handler may read meanwhile.
type Publisher struct {
	Adapter Adapter
	// Dir, when set, receives access.csv, access.html and access.json (or
	// Formats) after every run.
	Dir     string
	Formats []string
	// Now stamps the reports (default time.Now).
	Now func() time.Time

	latest Latest
}

// Publish builds the report of one run and makes it the latest. A report
// that cannot be built or written leaves the latest one as it was.
func (p *Publisher) Publish(d *spec.Desired, live provider.Live) error {
	if p == nil || p.Adapter == nil {
		return errors.New("access report: no provider's access model")
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	r, err := Build(p.Adapter, d, live, now())
	if err != nil {
		return err
	}
	if p.Dir != "" {
		formats := p.Formats
		if len(formats) == 0 {
			formats = Formats
		}
		if _, err := WriteDir(p.Dir, r, formats); err != nil {
			return err
		}
	}
	p.latest.Set(r)
	return nil
}

// Latest is the latest report published, nil before the first: what
// Handler serves.
func (p *Publisher) Latest() *Report { return p.latest.Get() }
