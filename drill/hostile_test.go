package drill

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/permsync/permsync/apiclient"
	"github.com/permsync/permsync/reconcile"
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
	cases := []struct {
		name     string
		endpoint string
		h        http.HandlerFunc
		want     string
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
		}, "larger than the"},
		{"wrong JSON types", "user/getAllUsers", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"code":200,"result":[{"id":"one","uniqueId":7}]}`)
		}, "unexpected result"},
		{"HTML error page echoing the URL", "projectUser/list", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, "<html><body><h1>Error</h1><p>%s</p></body></html>", r.URL.String())
		}, "not JSON"},
		{"HTTP 500 page echoing the URL", "role/list", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, "<html><body>upstream failed for %s</body></html>", r.URL.String())
		}, "500"},
		{"truncated JSON", "systemRole/list", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"code":200,"result":[{"id":101,"na`)
		}, "truncated or malformed JSON"},
		{"page shorter than the total", "projectUser/list", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("offset") != "0" {
				fmt.Fprint(w, `{"code":200,"result":{"list":[],"total":10}}`)
				return
			}
			fmt.Fprint(w, `{"code":200,"result":{"list":[{"userId":1,"uniqueId":"admin","category":"admin"}],"total":10}}`)
		}, "paging ended after 1 of 10"},
		{"users page repeating forever", "user/getAllUsers", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, usersPage, 1, 1)
		}, "seen twice"},
		{"members page repeating forever", "projectUser/list", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"code":200,"result":{"list":[{"userId":1,"uniqueId":"admin","category":"admin"}],"total":1000000}}`)
		}, "seen twice"},
		{"empty body", "user/permissions", func(w http.ResponseWriter, r *http.Request) {}, "empty body"},
		{"result of the wrong shape", "role/list", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"code":200,"result":"folders"}`)
		}, "unexpected result"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := httptest.NewServer(hostile(tc.endpoint, tc.h))
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
			live, err := reconcile.ReadLive(ctx, c, []reconcile.ProjectRef{{Name: "P"}}, reconcile.ReadOptions{})
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
			t.Logf("%s: %v (allocated %d KiB)", tc.name, err, (m1.TotalAlloc-m0.TotalAlloc)>>10)
		})
	}
}
