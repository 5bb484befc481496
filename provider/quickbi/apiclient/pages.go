package apiclient

import (
	"context"
	"fmt"
)

// maxPages bounds AllPages against a server that never stops.
const maxPages = 100000

// AllPages reads every page of a paged read, pageSize items at a time,
// from page 1. It returns the whole list or an error, never a part: a
// page that comes back empty before TotalNum items were read, a TotalNum
// that changes between pages (the list changed while being read), or a
// count beyond TotalPages is an error, so that a reconciler never plans
// from a partial read.
func AllPages[T any](ctx context.Context, pageSize int, read func(ctx context.Context, pageNum, pageSize int) (*Page[T], error)) ([]T, error) {
	if pageSize <= 0 {
		return nil, fmt.Errorf("reading all pages: PageSize %d", pageSize)
	}
	var all []T
	total := -1
	for pageNum := 1; ; pageNum++ {
		if pageNum > maxPages {
			return nil, fmt.Errorf("reading all pages: more than %d pages", maxPages)
		}
		p, err := read(ctx, pageNum, pageSize)
		if err != nil {
			return nil, fmt.Errorf("reading page %d: %w", pageNum, err)
		}
		if total < 0 {
			total = p.TotalNum
		} else if p.TotalNum != total {
			return nil, fmt.Errorf("reading page %d: the server counted %d items, then %d: the list changed while being read, read it again", pageNum, total, p.TotalNum)
		}
		all = append(all, p.Data...)
		switch {
		case len(all) > total:
			return nil, fmt.Errorf("reading page %d: %d items read, more than the %d the server counted", pageNum, len(all), total)
		case len(all) == total:
			if all == nil {
				all = []T{}
			}
			return all, nil
		case len(p.Data) == 0:
			return nil, fmt.Errorf("reading page %d: empty after %d of %d items: incomplete read", pageNum, len(all), total)
		case p.TotalPages > 0 && pageNum >= p.TotalPages:
			return nil, fmt.Errorf("reading page %d of %d: %d of %d items: incomplete read", pageNum, p.TotalPages, len(all), total)
		}
	}
}
