package apiclient

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// pagedServer serves n users, at most maxSize a page (a server may give
// fewer than asked), counting them as total.
func pagedServer(t *testing.T, n, maxSize int, total func(page int) int) *fakeServer {
	return newFakeServer(t, func(w http.ResponseWriter, r *http.Request, rec recorded) {
		num, _ := strconv.Atoi(rec.Query["PageNum"])
		size, _ := strconv.Atoi(rec.Query["PageSize"])
		size = min(size, maxSize)
		var items []string
		for i := (num - 1) * size; i < min(num*size, n); i++ {
			items = append(items, `{"UserId":"u`+strconv.Itoa(i)+`"}`)
		}
		tot := total(num)
		pages := (tot + size - 1) / size
		writeRaw(w, 200, okResult(`{"Data":[`+strings.Join(items, ",")+`],"PageNum":`+strconv.Itoa(num)+`,"PageSize":`+strconv.Itoa(size)+`,"TotalNum":`+strconv.Itoa(tot)+`,"TotalPages":`+strconv.Itoa(pages)+`}`))
	})
}

func readUsers(c *Client, size int) ([]User, error) {
	return AllPages(context.Background(), size, func(ctx context.Context, num, size int) (*Page[User], error) {
		return c.QueryUserList(ctx, QueryUserListRequest{PageNum: num, PageSize: size})
	})
}

func TestAllPages(t *testing.T) {
	for _, tc := range []struct {
		name          string
		n, maxSize    int
		total         func(int) int
		want, request int
		err           string
	}{
		{"exact pages", 2000, 1000, func(int) int { return 2000 }, 2000, 2, ""},
		{"last page short", 2001, 1000, func(int) int { return 2001 }, 2001, 3, ""},
		{"server pages smaller than asked", 250, 100, func(int) int { return 250 }, 250, 3, ""},
		{"empty", 0, 1000, func(int) int { return 0 }, 0, 1, ""},
		{"fewer items than counted", 1500, 1000, func(int) int { return 2500 }, 0, 3, "incomplete read"},
		{"count changes", 3000, 1000, func(p int) int { return 3000 + p }, 0, 2, "changed while being read"},
		{"more items than counted", 1500, 1000, func(int) int { return 1200 }, 0, 2, "more than the 1200"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := pagedServer(t, tc.n, tc.maxSize, tc.total)
			c := newTestClient(t, testConfig(fs.URL))
			users, err := readUsers(c, 1000)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || users != nil {
					t.Fatalf("users %d, err = %v; want no users and %q", len(users), err, tc.err)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if len(users) != tc.want || users == nil {
					t.Fatalf("%d users, want %d", len(users), tc.want)
				}
				for i, u := range users {
					if u.UserID != "u"+strconv.Itoa(i) {
						t.Fatalf("user %d is %s", i, u.UserID)
					}
				}
			}
			if got := fs.count("QueryUserList"); got != tc.request {
				t.Errorf("%d requests, want %d", got, tc.request)
			}
		})
	}
}
