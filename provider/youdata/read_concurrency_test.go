package youdata

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/permsync/permsync/provider/youdata/apiclient"
)

// barrierReader holds every user/permissions call until limit calls are
// in flight (or a while has passed), and counts the most in flight at
// once.
type barrierReader struct {
	*fakeReader
	limit int

	mu       sync.Mutex
	inFlight int
	max      int
	release  chan struct{}
	opened   bool
}

func (b *barrierReader) enter() {
	b.mu.Lock()
	b.inFlight++
	if b.inFlight > b.max {
		b.max = b.inFlight
	}
	if b.inFlight >= b.limit && !b.opened {
		// Held a moment more: a read that allowed more calls than its
		// limit would start them now.
		b.opened = true
		time.AfterFunc(100*time.Millisecond, func() { close(b.release) })
	}
	b.mu.Unlock()
	select {
	case <-b.release:
	case <-time.After(3 * time.Second):
		// The limit was never reached: let the read end and report.
	}
}

func (b *barrierReader) leave() {
	b.mu.Lock()
	b.inFlight--
	b.mu.Unlock()
}

func (b *barrierReader) UserPermissions(ctx context.Context, id int64, uid string) (*apiclient.UserPermissions, error) {
	b.enter()
	defer b.leave()
	return b.fakeReader.UserPermissions(ctx, id, uid)
}

// manyMembers is a server of projects × members.
func manyMembers(projects, members int) *fakeReader {
	f := &fakeReader{members: map[int64][]apiclient.ProjectUser{}, trees: map[string]*apiclient.RoleTree{}, perms: map[string]*apiclient.UserPermissions{}}
	for p := 1; p <= projects; p++ {
		f.projects = append(f.projects, apiclient.Project{ID: int64(p), Name: fmt.Sprintf("p%02d", p)})
		for m := 0; m < members; m++ {
			uid := fmt.Sprintf("u%04d", m)
			f.members[int64(p)] = append(f.members[int64(p)], apiclient.ProjectUser{UserID: int64(m + 1), UniqueID: uid, Category: "viewer"})
		}
	}
	return f
}

// TestReadConcurrencyReachesTheLimit: a read keeps Concurrency calls in
// flight when there is work, within one large project as across many
// small ones, and never more.
func TestReadConcurrencyReachesTheLimit(t *testing.T) {
	for _, tc := range []struct {
		name              string
		projects, members int
		concurrency       int
	}{
		{"one large project", 1, 200, 32},
		{"many small projects", 40, 2, 16},
		{"the default", 1, 100, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			limit := tc.concurrency
			if limit == 0 {
				limit = 8
			}
			b := &barrierReader{fakeReader: manyMembers(tc.projects, tc.members), limit: limit, release: make(chan struct{})}
			var refs []ProjectRef
			for _, p := range b.projects {
				refs = append(refs, ProjectRef{Name: p.Name})
			}
			if _, err := ReadLive(context.Background(), b, refs, ReadOptions{Concurrency: tc.concurrency}); err != nil {
				t.Fatal(err)
			}
			if b.max != limit {
				t.Errorf("at most %d calls in flight, want %d (the limit)", b.max, limit)
			}
		})
	}
}
