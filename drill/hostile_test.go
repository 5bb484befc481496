package drill

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/apiclient"
)

const hostileToken = "HOSTILE-TOKEN-1234567890"

// hostile serves a minimal healthy server with one endpoint replaced.
func hostile(endpoint string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ep := strings.TrimPrefix(r.URL.Path, "/api/dash/")
		if ep == endpoint {
			h(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch ep {
		case "user/getAllUsers":
			if r.URL.Query().Get("offset") != "0" {
				fmt.Fprint(w, `{"code":200,"result":[]}`)
				return
			}
			fmt.Fprint(w, `{"code":200,"result":[{"id":1,"uniqueId":"admin"}]}`)
		case "project/list":
			fmt.Fprint(w, `{"code":200,"result":{"list":[{"id":101,"name":"P"}],"count":1}}`)
		case "systemRole/list":
			fmt.Fprint(w, `{"code":200,"result":[]}`)
		case "projectUser/list":
			fmt.Fprint(w, `{"code":200,"result":{"list":[{"userId":1,"uniqueId":"admin","category":"admin"}],"total":1}}`)
		case "role/list":
			fmt.Fprint(w, `{"code":200,"result":{"folders":[],"items":[]}}`)
		case "user/permissions":
			fmt.Fprint(w, `{"code":200,"result":{"roles":[{"id":1,"name":"项目管理员","type":1}],"rowPermissions":[],"groups":[]}}`)
		default:
			fmt.Fprint(w, `{"code":404,"message":"no"}`)
		}
	})
}

// TestDrill5HostileAnswers: answers no server should give end the read
// with a clear error, in bounded time and memory, and no plan is built on
// a partial read. The token never shows in an error.
func TestDrill5HostileAnswers(t *testing.T) {
	usersPage := `{"code":200,"result":[{"id":%d,"uniqueId":"u%d"}]}`
	// The paging cases read with a listing limit of 20,000 objects (the
	// default is 200,000) to keep the drill small; pages are of 1,000.
	paged := youdata.ReadOptions{MaxListObjects: 20_000}
	cases := []struct {
		name     string
		endpoint string
		h        http.HandlerFunc
		want     string
		opts     youdata.ReadOptions
		maxCalls int64 // of endpoint; 0: not checked
	}{
		{"endless body", "project/list", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"code":200,"result":{"list":[`)
			chunk := []byte(strings.Repeat(`{"id":1,"name":"x"},`, 1000))
			for r.Context().Err() == nil {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, "larger than the", youdata.ReadOptions{}, 0},
		{"wrong JSON types", "user/getAllUsers", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"code":200,"result":[{"id":"one","uniqueId":7}]}`)
		}, "unexpected result", youdata.ReadOptions{}, 0},
		{"HTML error page echoing the URL", "projectUser/list", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, "<html><body><h1>Error</h1><p>%s</p></body></html>", r.URL.String())
		}, "not JSON", youdata.ReadOptions{}, 0},
		{"HTTP 500 page echoing the URL", "role/list", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, "<html><body>upstream failed for %s</body></html>", r.URL.String())
		}, "500", youdata.ReadOptions{}, 0},
		{"truncated JSON", "systemRole/list", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"code":200,"result":[{"id":101,"na`)
		}, "truncated or malformed JSON", youdata.ReadOptions{}, 0},
		{"page shorter than the total", "projectUser/list", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("offset") != "0" {
				fmt.Fprint(w, `{"code":200,"result":{"list":[],"total":10}}`)
				return
			}
			fmt.Fprint(w, `{"code":200,"result":{"list":[{"userId":1,"uniqueId":"admin","category":"admin"}],"total":10}}`)
		}, "paging ended after 1 of 10", youdata.ReadOptions{}, 0},
		{"users page repeating forever", "user/getAllUsers", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, usersPage, 1, 1)
		}, "seen twice", youdata.ReadOptions{}, 0},
		{"members page repeating forever", "projectUser/list", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"code":200,"result":{"list":[{"userId":1,"uniqueId":"admin","category":"admin"}],"total":100000}}`)
		}, "seen twice", youdata.ReadOptions{}, 0},
		{"empty body", "user/permissions", func(w http.ResponseWriter, r *http.Request) {}, "empty body", youdata.ReadOptions{}, 0},
		{"result of the wrong shape", "role/list", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"code":200,"result":"folders"}`)
		}, "unexpected result", youdata.ReadOptions{}, 0},
		{"users paging that never ends", "user/getAllUsers", endlessPages(func(w http.ResponseWriter, off, lim int) {
			fmt.Fprint(w, `{"code":200,"result":[`)
			for i := 0; i < lim; i++ {
				if i > 0 {
					fmt.Fprint(w, ",")
				}
				fmt.Fprintf(w, `{"id":%d,"uniqueId":"u%09d@corp.example"}`, off+i+1, off+i)
			}
			fmt.Fprint(w, `]}`)
		}), "user/getAllUsers: 21000 users and the list has not ended, beyond the limit of 20000 objects in one listing", paged, 21},
		{"members paging without a total that never ends", "projectUser/list", endlessPages(func(w http.ResponseWriter, off, lim int) {
			writeMembers(w, off, lim, "")
		}), `projectUser/list in project "P": 21000 members without a total and the list has not ended, beyond the limit of 20000`, paged, 21},
		{"members total that keeps growing", "projectUser/list", endlessPages(func(w http.ResponseWriter, off, lim int) {
			writeMembers(w, off, lim, fmt.Sprintf(`,"total":%d`, off+2*lim))
		}), `the member count changed from 2000 to 3000 while paging`, paged, 2},
		{"members beyond the total", "projectUser/list", endlessPages(func(w http.ResponseWriter, off, lim int) {
			writeMembers(w, off, lim, `,"total":10`)
		}), `projectUser/list sent 1000 members, more than the 10 it reports`, paged, 1},
		{"members total beyond the limit", "projectUser/list", endlessPages(func(w http.ResponseWriter, off, lim int) {
			writeMembers(w, off, lim, `,"total":2000000000`)
		}), `projectUser/list in project "P": the server reports 2000000000 members, beyond the limit of 20000 objects in one listing`, paged, 1},
		{"users trickling one a page, slower than the read time limit", "user/getAllUsers", endlessPages(func(w http.ResponseWriter, off, lim int) {
			time.Sleep(10 * time.Millisecond)
			fmt.Fprintf(w, `{"code":200,"result":[{"id":%d,"uniqueId":"u%09d@corp.example"}]}`, off+1, off)
		}), "beyond the limit of 500ms on a read's time", youdata.ReadOptions{MaxReadTime: 500 * time.Millisecond}, 60},
		{"Retry-After beyond the retry budget", "user/getAllUsers", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"code":429,"message":"slow down"}`)
		}, "the server asked to retry after 120s (Retry-After), more than the 30s retry budget left", youdata.ReadOptions{}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int64
			ts := httptest.NewServer(hostile(tc.endpoint, func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				tc.h(w, r)
			}))
			defer ts.Close()
			c, err := apiclient.New(apiclient.Config{Server: ts.URL, Credentials: apiclient.Credentials{Token: hostileToken},
				RPS: -1, Timeout: 5 * time.Second, MaxResponseBytes: 1 << 20,
				Retry: apiclient.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}})
			if err != nil {
				t.Fatal(err)
			}
			var m0, m1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&m0)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			live, err := youdata.ReadLive(ctx, c, []youdata.ProjectRef{{Name: "P"}}, tc.opts)
			runtime.ReadMemStats(&m1)
			if err == nil {
				t.Fatalf("read succeeded: %+v", live)
			}
			if live != nil {
				t.Error("a partial read was returned with the error: a plan could be built on it")
			}
			if ctx.Err() != nil {
				t.Fatalf("the read ran until the drill's deadline: %v", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			if strings.Contains(err.Error(), hostileToken) {
				t.Errorf("the token shows in the error: %v", err)
			}
			if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 64<<20 {
				t.Errorf("the read allocated %d MiB", alloc>>20)
			}
			if n := calls.Load(); tc.maxCalls > 0 && n > tc.maxCalls {
				t.Errorf("%d calls to %s, want at most %d", n, tc.endpoint, tc.maxCalls)
			}
			t.Logf("%s: %v (%d calls to %s, allocated %d KiB)", tc.name, err, calls.Load(), tc.endpoint, (m1.TotalAlloc-m0.TotalAlloc)>>10)
		})
	}
}

// endlessPages serves pages of distinct objects at every offset, as
// write(w, offset, limit) makes them. Far beyond the limits of the drill
// (a million objects) it answers an error, so that a read without limits
// fails the drill instead of running away.
func endlessPages(write func(w http.ResponseWriter, offset, limit int)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		q := r.URL.Query()
		off, _ := strconv.Atoi(q.Get("offset"))
		lim, _ := strconv.Atoi(q.Get("limit"))
		if off > 1_000_000 {
			fmt.Fprintf(w, `{"code":400,"message":"drill: paging went on past offset %d"}`, off)
			return
		}
		write(w, off, min(max(lim, 1), 1000))
	}
}

// writeMembers writes a projectUser/list page of lim members from offset
// off; total is the JSON text after the list (e.g. `,"total":10`).
func writeMembers(w http.ResponseWriter, off, lim int, total string) {
	fmt.Fprint(w, `{"code":200,"result":{"list":[`)
	for i := 0; i < lim; i++ {
		if i > 0 {
			fmt.Fprint(w, ",")
		}
		fmt.Fprintf(w, `{"id":%d,"userId":%d,"uniqueId":"u%09d@corp.example","category":"viewer"}`, off+i+1, off+i+1, off+i)
	}
	fmt.Fprintf(w, `]%s}}`, total)
}
