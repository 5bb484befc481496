package access_test

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/permsync/permsync/access"
	"github.com/permsync/permsync/provider/quickbi"
	"github.com/permsync/permsync/provider/youdata"
	"github.com/permsync/permsync/provider/youdata/benchgen"
	"github.com/permsync/permsync/spec"
)

// The access report's page in a real browser: Debian's Chromium, headless,
// driven over the DevTools protocol. Every request but the page's own file
// is blocked and recorded: the page must make none.

var (
	screenshotDir = flag.String("screenshot-dir", "", "also write the browser tests' screenshots to this directory")
	largeReport   = flag.Bool("large", false, "also open the report of the benchmark's L company (50,000 users) in the browser")
)

// chromiumPath is Chromium's executable, or the test is skipped: with a
// clear message, and only when Chromium is truly absent. Where CI has
// installed it (PERMSYNC_REQUIRE_CHROMIUM=1, .ci/chromium.sh) a browser
// that cannot be found fails the test instead.
func chromiumPath(t testing.TB) string {
	t.Helper()
	tried := []string{}
	for _, p := range []string{os.Getenv("PERMSYNC_CHROMIUM"), "chromium", "chromium-browser", "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		tried = append(tried, p)
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("PERMSYNC_REQUIRE_CHROMIUM") == "1" {
		t.Fatalf("PERMSYNC_REQUIRE_CHROMIUM=1 but no Chromium at %q", tried)
	}
	why := "Chromium is not installed"
	if r := os.Getenv("PERMSYNC_CHROMIUM_UNAVAILABLE"); r != "" {
		why = "Chromium could not be installed: " + r
	}
	t.Skipf("SKIPPED, %s: the browser tests of the access report need Debian's chromium package (apt-get install chromium), or PERMSYNC_CHROMIUM naming one (looked for %q); .ci/run installs it", why, tried)
	return ""
}

// page is one report page open in a headless Chromium.
type page struct {
	ctx     context.Context
	url     string
	mu      sync.Mutex
	other   []string // requests to anything but the page's file
	elapsed time.Duration
}

// openPage writes the report's page to a file and opens it in a fresh
// headless Chromium with every other request blocked, waiting until its
// script has run.
func openPage(t testing.TB, r *access.Report, timeout time.Duration) *page {
	t.Helper()
	exe := chromiumPath(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "access.html")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := access.WriteHTML(f, r); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// The profile is removed once the browser is gone: Chromium's helper
	// processes may still be writing to it as the browser exits.
	profile, err := os.MkdirTemp("", "permsync-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		// Containers give /dev/shm 64 MB, too little for the L page.
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1400, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(bctx, timeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()   // closes the browser
		cancelAlloc() // and waits for its process
		for i := 0; i < 50; i++ {
			if err := os.RemoveAll(profile); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("could not remove Chromium's profile %s", profile)
	})
	p := &page{ctx: ctx, url: (&url.URL{Scheme: "file", Path: file}).String()}
	chromedp.ListenTarget(ctx, func(ev any) {
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			if e.Request.URL != p.url {
				p.mu.Lock()
				p.other = append(p.other, e.Request.URL)
				p.mu.Unlock()
			}
		case *fetch.EventRequestPaused:
			go func() {
				if e.Request.URL == p.url {
					_ = chromedp.Run(ctx, fetch.ContinueRequest(e.RequestID))
					return
				}
				p.mu.Lock()
				p.other = append(p.other, e.Request.URL)
				p.mu.Unlock()
				_ = chromedp.Run(ctx, fetch.FailRequest(e.RequestID, network.ErrorReasonBlockedByClient))
			}()
		}
	})
	// Start the browser before timing the page.
	if err := chromedp.Run(ctx, network.Enable(), fetch.Enable().WithPatterns([]*fetch.RequestPattern{{URLPattern: "*"}})); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	start := time.Now()
	if err := chromedp.Run(ctx, chromedp.Navigate(p.url), chromedp.WaitVisible(`body[data-ready="1"]`, chromedp.ByQuery)); err != nil {
		t.Fatalf("opening the page: %v", err)
	}
	p.elapsed = time.Since(start)
	return p
}

func (p *page) run(t testing.TB, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(p.ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// count is what the page's counter says: rows and users shown.
func (p *page) count(t testing.TB) (rows, users int) {
	t.Helper()
	var r, u string
	var ok bool
	p.run(t, chromedp.AttributeValue("#count", "data-rows", &r, &ok), chromedp.AttributeValue("#count", "data-users", &u, &ok))
	rows, _ = strconv.Atoi(r)
	users, _ = strconv.Atoi(u)
	return rows, users
}

// shownAttr lists an attribute of the table rows a person sees: those
// the browser lays out, whatever their attributes say.
func (p *page) shownAttr(t testing.TB, attr string) []string {
	t.Helper()
	var out []string
	p.run(t, chromedp.Evaluate(fmt.Sprintf(`Array.from(document.querySelectorAll("#rows .row")).filter(r => r.getClientRects().length > 0).map(r => r.getAttribute(%q))`, attr), &out))
	return out
}

// waitCount waits until the counter shows rows.
func (p *page) waitCount(t testing.TB, rows int) {
	t.Helper()
	sel := fmt.Sprintf(`#count[data-rows="%d"]`, rows)
	p.run(t, chromedp.WaitReady(sel, chromedp.ByQuery))
}

func (p *page) noRequests(t testing.TB) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.other) > 0 {
		t.Errorf("the page requested %q: it must load nothing", p.other)
	}
}

func (p *page) screenshot(t testing.TB, name string) {
	t.Helper()
	var png []byte
	p.run(t, chromedp.CaptureScreenshot(&png))
	if len(png) == 0 {
		t.Fatal("empty screenshot")
	}
	dirs := []string{t.TempDir()}
	if *screenshotDir != "" {
		dirs = append(dirs, *screenshotDir)
	}
	for _, d := range dirs {
		path := filepath.Join(d, name)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s (%d bytes)", path, len(png))
	}
}

// browserReport is the report of the benchmark's S company, cut to a few
// projects: enough users that filters matter, small enough to be quick.
func browserReport(t testing.TB) *access.Report {
	t.Helper()
	sh, _ := benchgen.ShapeByName("S")
	sh.Users, sh.Projects, sh.Members, sh.Groups, sh.Roles, sh.DataPermissions = 200, 3, 40, 8, 20, 6
	d := benchgen.Generate(sh, 7).Desired()
	r, err := access.Build(youdata.Access{}, d, nil, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// paths returns the paths the page's legend names, the path filter's
// options and the cards' labels.
func (p *page) paths(t *testing.T) (legend, filter, cards []string) {
	t.Helper()
	p.run(t,
		chromedp.Evaluate(`Array.from(document.querySelectorAll("#legend-paths .badge")).map(b => b.textContent)`, &legend),
		chromedp.Evaluate(`Array.from(document.getElementById("f-via").options).slice(1).map(o => o.textContent)`, &filter),
		chromedp.Evaluate(`Array.from(document.querySelectorAll("#cards .card span")).map(s => s.textContent)`, &cards))
	if !slices.Equal(legend, filter) {
		t.Errorf("the legend names the paths %q, the path filter offers %q", legend, filter)
	}
	return legend, filter, cards
}

func grantsOf(r *access.Report, user, space string) int {
	n := 0
	for _, g := range r.Grants {
		if (user == "" || g.User == user) && (space == "" || g.Space == space) {
			n++
		}
	}
	return n
}

func TestReportPageInBrowser(t *testing.T) {
	r := browserReport(t)
	p := openPage(t, r, 60*time.Second)
	reached := map[string]bool{}
	for _, g := range r.Grants {
		reached[g.User] = true
	}
	if rows, users := p.count(t); rows != len(r.Grants) || users != len(reached) {
		t.Fatalf("the page shows %d grants of %d users, the report has %d of %d", rows, users, len(r.Grants), len(reached))
	}

	// A search for a user shows that user's rows only, all of them.
	user := r.Grants[len(r.Grants)/2].User
	want := grantsOf(r, user, "")
	p.run(t, chromedp.SendKeys("#q-user", user, chromedp.ByID))
	p.waitCount(t, want)
	if rows, users := p.count(t); rows != want || users != 1 {
		t.Errorf("search %q: %d rows of %d users, want %d of 1", user, rows, users, want)
	}
	shown := p.shownAttr(t, "data-user")
	if len(shown) == 0 || len(shown) > want {
		t.Fatalf("search %q: %d rows in view, want 1 to %d", user, len(shown), want)
	}
	for _, u := range shown {
		if u != user {
			t.Errorf("search %q shows a row of %q", user, u)
		}
	}
	p.screenshot(t, "access-search.png")

	// The per-user view lists the user's grants as explain does.
	var lines int
	var who string
	p.run(t,
		chromedp.Click(`#rows .row:not([hidden]) .u`, chromedp.ByQuery),
		chromedp.WaitVisible(`#user-view`, chromedp.ByID),
		chromedp.Evaluate(`document.querySelectorAll("#user-body .line").length`, &lines),
		chromedp.Evaluate(`document.getElementById("user-view").getAttribute("data-user")`, &who),
	)
	if who != user || lines != want {
		t.Errorf("the user view shows %d lines of %q, want %d of %q", lines, who, want, user)
	}
	p.screenshot(t, "access-user.png")
	p.run(t, chromedp.Click("#close-user", chromedp.ByID))

	// A filter by project narrows the matrix to that project.
	p.run(t, chromedp.Click("#clear", chromedp.ByID))
	p.waitCount(t, len(r.Grants))
	space := r.Spaces()[1]
	want = grantsOf(r, "", space)
	if want == 0 || want == len(r.Grants) {
		t.Fatalf("project %s has %d of %d grants: not a test of the filter", space, want, len(r.Grants))
	}
	p.run(t, chromedp.Evaluate(fmt.Sprintf(`(() => {
		const s = document.getElementById("f-space");
		const o = Array.from(s.options).find(o => o.textContent === %q);
		s.value = o.value;
		s.dispatchEvent(new Event("change"));
	})()`, space), nil))
	p.waitCount(t, want)
	for _, s := range p.shownAttr(t, "data-space") {
		if s != space {
			t.Errorf("filter by project %s shows a row of %q", space, s)
		}
	}
	p.screenshot(t, "access-project.png")
	if legend, _, _ := p.paths(t); slices.Contains(legend, "workspace role") || !slices.Contains(legend, "direct") {
		t.Errorf("the legend of a Youdata report names %q", legend)
	}
	p.noRequests(t)
}

// TestReportPageHostileNames: names that are markup stay text.
func TestReportPageHostileNames(t *testing.T) {
	r := access.New("youdata", access.SourceFiles)
	evil := `<img src="http://127.0.0.1:9/x.png" onerror="document.body.dataset.pwned=1">`
	r.Users = []access.User{{ID: "a", Name: evil}}
	r.Grants = []access.Grant{{User: "a", Space: evil, Kind: access.KindRole, Target: evil, Path: []access.Step{{Kind: access.StepGroup, Name: evil}}}}
	r.Finish()
	p := openPage(t, r, 30*time.Second)
	var pwned bool
	var name string
	p.run(t,
		chromedp.Evaluate(`document.body.dataset.pwned === "1" || document.querySelectorAll("img").length > 0`, &pwned),
		chromedp.Text(`#rows .row:not([hidden]) div:nth-child(2)`, &name, chromedp.ByQuery),
	)
	if pwned || name != evil {
		t.Errorf("a name became markup (pwned %v), shown as %q", pwned, name)
	}
	p.noRequests(t)
}

// TestReportPageLarge opens the report of the benchmark's L company
// (50,000 users) and reports how long the page takes; a search still
// shows one user. Run with -large (CI does, without -race).
func TestReportPageLarge(t *testing.T) {
	if !*largeReport {
		t.Skip("the L report: run with -large")
	}
	chromiumPath(t)
	sh, _ := benchgen.ShapeByName("L")
	start := time.Now()
	r, err := access.Build(youdata.Access{}, benchgen.Generate(sh, 1).Desired(), nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("L report: %d users, %d grants, built in %s", len(r.Users), len(r.Grants), time.Since(start).Round(time.Millisecond))
	p := openPage(t, r, 5*time.Minute)
	var timings map[string]float64
	p.run(t, chromedp.Evaluate(`window.permsyncAccess.timings`, &timings))
	t.Logf("L page: open to ready %s in Chromium; in the page: JSON.parse %.0f ms, indexes %.0f ms, first filter and render %.0f ms, ready %.0f ms",
		p.elapsed.Round(time.Millisecond), timings["parse"], timings["index"], timings["filter"], timings["ready"])
	user := r.Grants[len(r.Grants)/3].User
	want := grantsOf(r, user, "")
	start = time.Now()
	p.run(t, chromedp.SendKeys("#q-user", user, chromedp.ByID))
	p.waitCount(t, want)
	p.run(t, chromedp.Evaluate(`window.permsyncAccess.timings`, &timings))
	t.Logf("L page: a search for one user shows its %d grants in %s (filter %.0f ms, after the 150 ms pause for typing)", want, time.Since(start).Round(time.Millisecond), timings["filter"])
	if _, users := p.count(t); users != 1 {
		t.Errorf("search %q shows %d users", user, users)
	}
	p.screenshot(t, "access-large.png")
	p.noRequests(t)
}

// TestReportPageRepeatedFiltering: after one search opened a user's view,
// another search shows the other user's rows only and no view still
// describes the first user; the second user's view opens at its top
// and lists that user's grants; a project filter then narrows it all
// again.
func TestReportPageRepeatedFiltering(t *testing.T) {
	r := browserReport(t)
	p := openPage(t, r, 60*time.Second)
	// The two users with the most grants: both views are longer than
	// the panel, so that a view left scrolled would open scrolled.
	counts := map[string]int{}
	for _, g := range r.Grants {
		counts[g.User]++
	}
	users := make([]string, 0, len(counts))
	for u := range counts {
		users = append(users, u)
	}
	sort.Slice(users, func(i, j int) bool {
		if counts[users[i]] != counts[users[j]] {
			return counts[users[i]] > counts[users[j]]
		}
		return users[i] < users[j]
	})
	first, second := users[0], users[1]
	search := func(user string) {
		t.Helper()
		p.run(t, chromedp.SetValue("#q-user", "", chromedp.ByID), chromedp.SendKeys("#q-user", user, chromedp.ByID))
		p.waitCount(t, counts[user])
	}
	viewed := func() (user string, open bool, lines int, top float64) {
		t.Helper()
		p.run(t,
			chromedp.Evaluate(`document.getElementById("user-view").getAttribute("data-user") || ""`, &user),
			chromedp.Evaluate(`!document.getElementById("user-view").hidden`, &open),
			chromedp.Evaluate(`document.querySelectorAll("#user-body .line").length`, &lines),
			chromedp.Evaluate(`document.getElementById("user-view").scrollTop`, &top),
		)
		return
	}
	onlyRowsOf := func(user string) {
		t.Helper()
		for _, u := range p.shownAttr(t, "data-user") {
			if u != user {
				t.Errorf("searching %q shows a row of %q", user, u)
			}
		}
	}

	search(first)
	onlyRowsOf(first)
	p.run(t, chromedp.Click(`#rows .row:not([hidden]) .u`, chromedp.ByQuery), chromedp.WaitVisible(`#user-view`, chromedp.ByID),
		chromedp.Evaluate(`document.getElementById("user-view").scrollTop = 100000`, nil))
	if u, open, lines, top := viewed(); u != first || !open || lines != counts[first] || top == 0 {
		t.Fatalf("the view of %s: user %q open %v, %d lines, scrolled to %v; want it open on %d lines, scrolled", first, u, open, lines, top, counts[first])
	}

	search(second)
	onlyRowsOf(second)
	if u, open, _, _ := viewed(); open && u != second {
		t.Errorf("searching %q still shows the view of %q", second, u)
	}
	var scrollable bool
	p.run(t, chromedp.Click(`#rows .row:not([hidden]) .u`, chromedp.ByQuery), chromedp.WaitVisible(`#user-view`, chromedp.ByID),
		chromedp.Evaluate(`(() => { const v = document.getElementById("user-view"); return v.scrollHeight > v.clientHeight + 100; })()`, &scrollable))
	if !scrollable {
		t.Fatalf("the view of %s (%d grants) does not scroll: not a test of where it opens", second, counts[second])
	}
	if u, open, lines, top := viewed(); u != second || !open || lines != counts[second] || top != 0 {
		t.Errorf("the view of %s: user %q open %v, %d lines, scrolled to %v; want it open at its top on %d lines", second, u, open, lines, top, counts[second])
	}

	// Narrow by project while the search stays: the rows of that user in
	// that project, and the view stays on the user while some are shown.
	space := ""
	for _, g := range r.Grants {
		if g.User == second {
			space = g.Space
			break
		}
	}
	want := grantsOf(r, second, space)
	p.run(t, chromedp.Evaluate(fmt.Sprintf(`(() => {
		const s = document.getElementById("f-space");
		s.value = Array.from(s.options).find(o => o.textContent === %q).value;
		s.dispatchEvent(new Event("change"));
	})()`, space), nil))
	p.waitCount(t, want)
	for _, s := range p.shownAttr(t, "data-space") {
		if s != space {
			t.Errorf("project %s shows a row of %q", space, s)
		}
	}
	if u, open, _, _ := viewed(); u != second || !open {
		t.Errorf("the view of %s closed (user %q, open %v) while its rows are shown", second, u, open)
	}
	p.noRequests(t)
}

// TestReportPageTallerThanBrowser: a matrix taller than a browser lays
// out (Chromium stops at about 33.5 million pixels, Firefox at 17.9
// million: 1.2 million and 640,000 rows of 28 px) still scrolls to its
// last grant. Run with -large (CI does).
func TestReportPageTallerThanBrowser(t *testing.T) {
	if !*largeReport {
		t.Skip("a report of 1.3 million grants: run with -large")
	}
	chromiumPath(t)
	const users, per = 65000, 20
	r := access.New("youdata", access.SourceFiles)
	r.SpaceLabel = "project"
	for u := 0; u < users; u++ {
		id := fmt.Sprintf("u%06d", u)
		for k := 0; k < per; k++ {
			r.Grants = append(r.Grants, access.Grant{User: id, Space: "p", Kind: access.KindRole, Target: fmt.Sprintf("r%02d", k), Path: []access.Step{{Kind: access.StepDirect}}})
		}
	}
	r.Finish()
	p := openPage(t, r, 5*time.Minute)
	if rows, _ := p.count(t); rows != len(r.Grants) {
		t.Fatalf("the page shows %d grants, the report has %d", rows, len(r.Grants))
	}
	last := r.Grants[len(r.Grants)-1]
	var shown []string
	p.run(t,
		chromedp.Evaluate(`(() => { const v = document.getElementById("viewport"); v.scrollTop = v.scrollHeight; v.dispatchEvent(new Event("scroll")); })()`, nil),
		chromedp.Sleep(300*time.Millisecond),
		chromedp.Evaluate(`(() => { const vp = document.getElementById("viewport").getBoundingClientRect();
			return Array.from(document.querySelectorAll("#rows .row")).filter(r => { const b = r.getBoundingClientRect(); return r.getClientRects().length > 0 && b.top >= vp.top - 1 && b.bottom <= vp.bottom + 1; })
				.map(r => r.children[0].textContent + " " + r.children[4].textContent); })()`, &shown))
	if len(shown) == 0 || shown[len(shown)-1] != last.User+" "+last.Target {
		tail := shown
		if len(tail) > 3 {
			tail = tail[len(tail)-3:]
		}
		t.Errorf("scrolled to the bottom, the last rows in view are %q; want the last grant, %s %s", tail, last.User, last.Target)
	}
	// Halfway down: the rows in view are consecutive grants of the
	// middle of the report.
	index := map[string]int{}
	for i, g := range r.Grants {
		index[g.User+" "+g.Target] = i
	}
	p.run(t,
		chromedp.Evaluate(`(() => { const v = document.getElementById("viewport"); v.scrollTop = (v.scrollHeight - v.clientHeight) / 2; v.dispatchEvent(new Event("scroll")); })()`, nil),
		chromedp.Sleep(300*time.Millisecond),
		chromedp.Evaluate(`(() => { const vp = document.getElementById("viewport").getBoundingClientRect();
			return Array.from(document.querySelectorAll("#rows .row")).filter(r => { const b = r.getBoundingClientRect(); return r.getClientRects().length > 0 && b.top >= vp.top - 1 && b.bottom <= vp.bottom + 1; })
				.sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)
				.map(r => r.children[0].textContent + " " + r.children[4].textContent); })()`, &shown))
	if len(shown) < 10 {
		t.Fatalf("halfway down, %d rows in view", len(shown))
	}
	at := index[shown[0]]
	if at < len(r.Grants)/2-len(shown) || at > len(r.Grants)/2 {
		t.Errorf("halfway down, the view starts at grant %d of %d", at, len(r.Grants))
	}
	for i, s := range shown {
		if j, ok := index[s]; !ok || j != at+i {
			t.Errorf("halfway down, row %d in view is %q (grant %d), want grant %d", i, s, j, at+i)
			break
		}
	}
	p.screenshot(t, "access-tall.png")
}

// TestReportPageQuickBI: the page of a Quick BI report: its workspaces,
// a filter by one of its named rules, and the per-user view's
// organization-wide part.
func TestReportPageQuickBI(t *testing.T) {
	d, err := spec.Load([]string{filepath.Join("..", "provider", "quickbi", "testdata", "explain", "desired")})
	if err != nil {
		t.Fatal(err)
	}
	r, err := access.Build(quickbi.Access{}, d, nil, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	p := openPage(t, r, 60*time.Second)
	var spaceAll, ruleOpt string
	p.run(t,
		chromedp.Evaluate(`document.getElementById("f-space-all").textContent`, &spaceAll),
		chromedp.Evaluate(`Array.from(document.getElementById("f-rule").options).map(o => o.textContent).join("|")`, &ruleOpt))
	if spaceAll != "All workspaces" || !strings.Contains(ruleOpt, "销售分析/订单/按区域") {
		t.Fatalf("the filters say %q and offer the rules %q", spaceAll, ruleOpt)
	}
	want := 0
	for _, g := range r.Grants {
		if g.Rule != nil && g.Rule.Name == "按区域" {
			want++
		}
	}
	p.run(t, chromedp.Evaluate(`(() => {
		const s = document.getElementById("f-rule");
		s.value = Array.from(s.options).find(o => o.textContent === "销售分析/订单/按区域").value;
		s.dispatchEvent(new Event("change"));
	})()`, nil))
	p.waitCount(t, want)
	var heads []string
	p.run(t,
		chromedp.Click(`#rows .row:not([hidden]) .u`, chromedp.ByQuery),
		chromedp.WaitVisible(`#user-view`, chromedp.ByID),
		chromedp.Evaluate(`Array.from(document.querySelectorAll("#user-body h3")).map(h => h.textContent)`, &heads))
	if strings.Join(heads, "|") != "Organization|Workspace 销售分析" {
		t.Errorf("the user view's parts are %q, want Organization and Workspace 销售分析", heads)
	}
	// With the view open the table is narrower than its columns: scrolled
	// sideways, each column stays under its name.
	var offset float64
	p.run(t,
		chromedp.Evaluate(`(() => { const v = document.getElementById("viewport"); v.scrollLeft = 300; v.dispatchEvent(new Event("scroll")); })()`, nil),
		chromedp.Sleep(200*time.Millisecond),
		chromedp.Evaluate(`(() => {
			const h = document.querySelector("#table .thead").children[5].getBoundingClientRect();
			const c = document.querySelector("#rows .row:not([hidden])").children[5].getBoundingClientRect();
			return document.getElementById("viewport").scrollLeft > 0 ? Math.abs(h.left - c.left) : -1; })()`, &offset))
	if offset != 0 {
		t.Errorf("scrolled sideways, the Path column is %v px from its name (-1: the table did not scroll)", offset)
	}
	// Only the paths of this report: Quick BI has no departments and no
	// role objects; its dynamic rules come through user tags.
	legend, _, cards := p.paths(t)
	for _, no := range []string{"department", "role", "data permission"} {
		if slices.Contains(legend, no) {
			t.Errorf("the legend of a Quick BI report names %q: %q", no, legend)
		}
	}
	for _, c := range cards {
		if strings.Contains(c, "department") {
			t.Errorf("a card of a Quick BI report says %q", c)
		}
	}
	if !slices.Contains(legend, "workspace role") {
		t.Errorf("the legend %q lacks the workspace roles the report's grants come through", legend)
	}
	p.screenshot(t, "access-quickbi.png")
	p.noRequests(t)
}
