package apiclient

import (
	"context"
	"fmt"
)

// AllUsers reads every domain user, pageSize at a time (DefaultPageSize
// when <= 0). user/getAllUsers gives no total, so a page shorter than
// pageSize ends the list; a page longer than asked, or one that repeats
// users already read (a server ignoring offset), is an error rather than a
// silently wrong list.
func (c *Client) AllUsers(ctx context.Context, pageSize int) ([]User, error) {
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	var all []User
	seen := map[string]bool{}
	for offset := 0; ; {
		page, err := c.GetAllUsers(ctx, offset, pageSize)
		if err != nil {
			return nil, err
		}
		if len(page) > pageSize {
			return nil, fmt.Errorf("listing users: the server answered %d users at offset %d for a page of %d", len(page), offset, pageSize)
		}
		for _, u := range page {
			key := u.UniqueID
			if seen[key] {
				return nil, fmt.Errorf("listing users: user %q came twice (at offset %d): the list changed while paging or the server ignores offset", key, offset)
			}
			seen[key] = true
		}
		all = append(all, page...)
		if len(page) < pageSize {
			return all, nil
		}
		offset += len(page)
	}
}

// AllProjectUsers reads every member of a project, pageSize at a time. It
// stops when the server's total is reached, or on a short page when the
// server gives no total. An empty page before the total is reached is an
// error, never a silently short list.
func (c *Client) AllProjectUsers(ctx context.Context, projectID int64, pageSize int) ([]ProjectUser, error) {
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	var all []ProjectUser
	seen := map[string]bool{}
	for offset := 0; ; {
		page, total, err := c.ListProjectUsers(ctx, projectID, offset, pageSize)
		if err != nil {
			return nil, err
		}
		if len(page) > pageSize {
			return nil, fmt.Errorf("listing members of project %d: the server answered %d members at offset %d for a page of %d", projectID, len(page), offset, pageSize)
		}
		for _, m := range page {
			if seen[m.UniqueID] {
				return nil, fmt.Errorf("listing members of project %d: member %q came twice (at offset %d): the list changed while paging or the server ignores offset", projectID, m.UniqueID, offset)
			}
			seen[m.UniqueID] = true
		}
		all = append(all, page...)
		if total < 0 { // no total: a short page is the last
			if len(page) < pageSize {
				return all, nil
			}
		} else {
			if len(all) >= total {
				return all, nil
			}
			if len(page) == 0 {
				return nil, fmt.Errorf("listing members of project %d: the server said %d members but stopped after %d", projectID, total, len(all))
			}
		}
		offset += len(page)
	}
}
