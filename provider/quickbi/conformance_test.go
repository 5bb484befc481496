package quickbi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/permsync/permsync/provider/providertest"
	"github.com/permsync/permsync/provider/quickbi"
	"github.com/permsync/permsync/provider/quickbi/apiclient"
	"github.com/permsync/permsync/provider/quickbi/quickbitest"
)

// TestConformance runs the providers' conformance suite for Quick BI
// against its simulator, seeded with examples/quickbi/server-before.yaml
// and planned with examples/quickbi/desired.
func TestConformance(t *testing.T) {
	h := providertest.Harness{New: newConformanceFixture}
	if testing.Short() {
		h.CrashPoints = []int{1, 4, 9, 15}
	}
	providertest.Run(t, h)
}

// action is the Quick BI action of a request: from the x-acs-action
// header (V3) or the Action parameter (RPC).
func action(r *http.Request) string {
	if a := r.Header.Get("x-acs-action"); a != "" {
		return a
	}
	return r.URL.Query().Get("Action")
}

// isRead reports whether an action only reads.
func isRead(a string) bool {
	for _, p := range []string{"Query", "List", "Get", "Check"} {
		if strings.HasPrefix(a, p) {
			return true
		}
	}
	return false
}

// faultyServer serves the simulator with the faults the suite asks for.
type faultyServer struct {
	sim *quickbitest.Server

	mu     sync.Mutex
	fault  providertest.ReadFault
	writes int
	crashN int // handle this many more writes, then crash; 0: off
	crash  func()
	dead   bool
}

func (f *faultyServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a := action(r)
	f.mu.Lock()
	fault, dead := f.fault, f.dead
	f.mu.Unlock()
	if dead {
		http.Error(w, "the process that sent this is gone", http.StatusServiceUnavailable)
		return
	}
	if isRead(a) {
		switch {
		case fault == providertest.ReadError:
			http.Error(w, "read failed", http.StatusInternalServerError)
			return
		case fault == providertest.ReadShort && a == "QueryUserList":
			f.short(w, r)
			return
		case fault == providertest.ReadEndless && a == "QueryUserList":
			endlessUsers(w, r)
			return
		}
		f.sim.Handler().ServeHTTP(w, r)
		return
	}
	f.sim.Handler().ServeHTTP(w, r)
	f.mu.Lock()
	f.writes++
	var crash func()
	if f.crashN > 0 {
		f.crashN--
		if f.crashN == 0 {
			f.dead, crash = true, f.crash
		}
	}
	f.mu.Unlock()
	if crash != nil {
		crash()
	}
}

// short answers a page of members with the total the server counts but
// none of the members.
func (f *faultyServer) short(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	f.sim.Handler().ServeHTTP(rec, r)
	var env map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err == nil {
		var res map[string]json.RawMessage
		if json.Unmarshal(env["Result"], &res) == nil {
			res["Data"] = json.RawMessage("[]")
			env["Result"], _ = json.Marshal(res)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(env)
}

// endlessUsers answers every page of members with new members, and a
// total that never comes.
func endlessUsers(w http.ResponseWriter, r *http.Request) {
	page := r.URL.Query().Get("PageNum")
	var b bytes.Buffer
	b.WriteString(`{"RequestId":"E","Success":true,"Result":{"PageNum":1,"PageSize":1000,"TotalNum":1000000000,"TotalPages":1000000,"Data":[`)
	for i := 0; i < 1000; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"UserId":"u%s-%d","AccountName":"a%s-%d","NickName":"n%s-%d","UserType":1}`, page, i, page, i, page, i)
	}
	b.WriteString("]}}")
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b.Bytes())
}

func newConformanceFixture(t *testing.T) *providertest.Fixture {
	seed := loadSeed(t, exampleSeed)
	s, err := quickbitest.NewFromOptions(quickbitest.Options{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	fs := &faultyServer{sim: s}
	ts := httptest.NewServer(fs)
	t.Cleanup(ts.Close)
	client := newClient(t, ts.URL, s, func(c *apiclient.Config) { c.Retry = apiclient.RetryPolicy{MaxAttempts: 1} })
	desired := loadDesired(t, exampleDesired)
	admin := s.Snapshot().UserByID(s.AdminUserID()).AccountName
	return &providertest.Fixture{
		Provider:  quickbi.New(quickbi.Config{API: client, Read: quickbi.ReadOptions{MaxListObjects: 5000}}),
		Desired:   desired,
		TokenUser: admin,
		Snapshot:  func() any { return image(s.Snapshot()) },
		FailReads: func(rf providertest.ReadFault) {
			fs.mu.Lock()
			fs.fault = rf
			fs.mu.Unlock()
		},
		CrashAfter: func(n int, crash func()) {
			fs.mu.Lock()
			fs.crashN, fs.crash = n, crash
			fs.mu.Unlock()
		},
		Writes: func() int {
			fs.mu.Lock()
			defer fs.mu.Unlock()
			return fs.writes
		},
		ClearFaults: func() {
			fs.mu.Lock()
			fs.fault, fs.crashN, fs.crash, fs.dead = 0, 0, nil, false
			fs.mu.Unlock()
		},
		Missing: func(ctx context.Context) error {
			return client.DeleteUserGroup(ctx, "no-such-group")
		},
		Taken: func(ctx context.Context) error {
			_, err := client.CreateUserGroup(ctx, apiclient.CreateUserGroupRequest{UserGroupName: "又一个总部", ParentUserGroupID: apiclient.RootUserGroupID, UserGroupID: "hq"})
			return err
		},
	}
}
