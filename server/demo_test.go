package server

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/store"
)

// demoSite is a gateway over the bundled sample content in a fresh SQLite
// database, plus a draft and a scheduled story that must stay unseen. The
// GraphQL handler is a stand-in: these tests are about the pages.
type demoFixture struct {
	t   *testing.T
	svc *content.Service
	srv *httptest.Server
}

const (
	draftSlug     = "embargoed-copper-deal"
	scheduledSlug = "coal-tender-next-week"
	draftSection  = "Embargoed"
	draftTag      = "Secret merger"
)

func newDemoFixture(t *testing.T) *demoFixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "byline.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	svc := content.NewService(db.Stores(), content.Config{PublicURL: "https://news.example.com"})
	if err := svc.EnsureDemoPartner(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Import(ctx, content.Sample()); err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	yes := true
	later := time.Now().Add(48 * time.Hour)
	for _, in := range []content.ArticleInput{
		{Slug: draftSlug, Title: str("Embargoed copper deal"), Body: str("Not yet."), Section: str(draftSection), Tags: []string{draftTag, "Copper"}, Draft: &yes},
		{Slug: scheduledSlug, Title: str("Coal tender next week"), Body: str("Not yet."), Section: str("Markets"), Tags: []string{"Coal"}, PublishedAt: &later},
	} {
		if _, err := svc.Upsert(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.EnableRelatedIndex(ctx, content.DefaultRankConfig()); err != nil {
		t.Fatal(err)
	}
	gql := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"data":{}}`) })
	h := New(Config{
		GraphQL: gql, Content: svc, PublicURL: "https://gateway.example.com",
		Registry: prometheus.NewRegistry(), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &demoFixture{t: t, svc: svc, srv: srv}
}

type page struct {
	status int
	header http.Header
	body   string
}

// get fetches path without following redirects.
func (f *demoFixture) do(method, path string) page {
	f.t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (f *demoFixture) get(path string) page { f.t.Helper(); return f.do(http.MethodGet, path) }

// publicArticles is every public article, newest first, as the API lists them.
func (f *demoFixture) publicArticles(q content.ArticlesQuery) []*content.Article {
	f.t.Helper()
	var out []*content.Article
	q.First = content.MaxPageSize
	for {
		p, err := f.svc.Articles(context.Background(), q)
		if err != nil {
			f.t.Fatal(err)
		}
		out = append(out, p.Articles...)
		if !p.HasNextPage {
			return out
		}
		q.After = p.EndCursor()
	}
}

var linkAttr = regexp.MustCompile(`\s(?:href|src)="([^"]*)"`)

// links are the href and src targets of an HTML page, unescaped.
func links(body string) []string {
	var out []string
	for _, m := range linkAttr.FindAllStringSubmatch(body, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

// TestDemoCrawl: starting at /, every same-origin link of every HTML page,
// followed breadth first, answers 200, and the crawl reaches every public
// article, section and tag path of the sample site while never meeting a
// draft or a scheduled story. /graphql answers in its own way (a GET
// without a query is a GraphQL error) and the widget's files depend on
// whether it was built: they are checked for being served, not crawled.
func TestDemoCrawl(t *testing.T) {
	f := newDemoFixture(t)
	base, _ := url.Parse(f.srv.URL + "/")
	// Each link is keyed by its decoded path (and query): html/template
	// and net/url may percent-encode a Cyrillic slug in different cases.
	type link struct{ key, uri string }
	from := map[string]string{"/": "(start)"} // each link met, and the page that first had it
	queue := []link{{"/", "/"}}
	const maxPages = 2000
	for len(queue) > 0 && len(from) < maxPages {
		p := queue[0].key
		pg := f.get(queue[0].uri)
		queue = queue[1:]
		if pg.status != http.StatusOK {
			t.Errorf("GET %s (linked from %s): %d", p, from[p], pg.status)
			continue
		}
		if !strings.HasPrefix(pg.header.Get("Content-Type"), "text/html") {
			continue
		}
		for _, l := range links(pg.body) {
			u, err := base.Parse(l)
			if err != nil {
				t.Errorf("%s links to %q: %v", p, l, err)
				continue
			}
			if u.Scheme != base.Scheme || u.Host != base.Host {
				continue // another origin: not this gateway's to answer
			}
			key := u.Path
			if u.RawQuery != "" {
				key += "?" + u.RawQuery
			}
			if _, ok := from[key]; ok {
				continue
			}
			from[key] = p
			switch {
			case u.Path == "/graphql":
				continue
			case strings.HasPrefix(u.Path, "/widget/v1/"):
				if s := f.get(u.RequestURI()).status; s != http.StatusOK && s != http.StatusServiceUnavailable {
					t.Errorf("GET %s (linked from %s): %d", key, p, s)
				}
				continue
			}
			queue = append(queue, link{key, u.RequestURI()})
		}
	}
	if len(queue) > 0 {
		t.Fatalf("the crawl met more than %d pages: a link loop?", maxPages)
	}

	// Everything public was reached.
	want := map[string]bool{}
	for _, a := range f.publicArticles(content.ArticlesQuery{}) {
		want[a.URL()] = true
		want[a.Section.URL()] = true
	}
	ctx := context.Background()
	all := f.publicArticles(content.ArticlesQuery{})
	ids := make([]int64, len(all))
	for i, a := range all {
		ids[i] = a.ID
	}
	tags, err := f.svc.TagsFor(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, ts := range tags {
		for _, tg := range ts {
			want[tg.URL()] = true
		}
	}
	if len(all) < 40 {
		t.Fatalf("only %d public sample articles", len(all))
	}
	for p := range want {
		if _, ok := from[p]; !ok {
			t.Errorf("the crawl never reached %s", p)
		}
	}
	// Nothing unpublished was.
	for p := range from {
		for _, hidden := range []string{draftSlug, scheduledSlug, content.Slugify(draftSection), content.Slugify(draftTag)} {
			if strings.Contains(p, hidden) {
				t.Errorf("%s (linked from %s) names an unpublished story", p, from[p])
			}
		}
	}
	t.Logf("crawled %d same-origin links, %d public paths", len(from), len(want))
}

// TestDemoArticlePage: an article's path shows the article (title, lead
// image, body, tags), its breadcrumbs, its related stories and the widget
// embed, like / does for the seed article.
func TestDemoArticlePage(t *testing.T) {
	f := newDemoFixture(t)
	ctx := context.Background()
	seed, err := f.svc.Article(ctx, SeedSlug)
	if err != nil || seed == nil {
		t.Fatalf("seed article: %v %v", seed, err)
	}
	crumbs := `<ol class="crumbs"><li><a href="/">Home</a></li><li><a href="/news">News</a></li>` +
		`<li><a href="/news/` + SeedSlug + `" aria-current="page">Mongolia Prime Minister pays…</a></li></ol>`
	for _, p := range []string{"/", seed.URL()} {
		pg := f.get(p)
		if pg.status != http.StatusOK || pg.header.Get("Cache-Control") != "no-cache" || pg.header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Fatalf("GET %s: %d, Cache-Control %q, Content-Type %q", p, pg.status, pg.header.Get("Cache-Control"), pg.header.Get("Content-Type"))
		}
		for _, s := range []string{
			"<h1>" + html.EscapeString(seed.Title) + "</h1>",
			"<title>" + html.EscapeString(seed.Title) + " | Mongolia Inc</title>",
			`<link rel="canonical" href="https://news.example.com/news/` + SeedSlug + `">`,
			crumbs,
			`<div data-byline-widget data-partner="demo">`,
			`<script async src="https://gateway.example.com/widget/v1/loader.js">`,
			`<img src="/static/sample/pm-usa-visit.svg"`,
			`<a href="/tag/rare-earths">Rare earths</a>`,
			`<h2 id="related-h">Related stories</h2>`,
			`"@type":"BreadcrumbList"`,
		} {
			if !strings.Contains(pg.body, s) {
				t.Errorf("GET %s: no %s", p, s)
			}
		}
		related, err := f.svc.Related(ctx, seed, content.DefaultRelated)
		if err != nil || len(related) == 0 {
			t.Fatalf("related: %d, %v", len(related), err)
		}
		for _, r := range related {
			if !strings.Contains(pg.body, `<a href="`+r.URL()+`">`+html.EscapeString(r.Title)+`</a>`) {
				t.Errorf("GET %s: no related link to %s", p, r.URL())
			}
		}
	}

	// Every other article too, Cyrillic slugs included.
	for _, a := range f.publicArticles(content.ArticlesQuery{}) {
		pg := f.get((&url.URL{Path: a.URL()}).RequestURI())
		if pg.status != http.StatusOK {
			t.Errorf("GET %s: %d", a.URL(), pg.status)
			continue
		}
		for _, s := range []string{
			"<h1>" + html.EscapeString(a.Title) + "</h1>",
			`<li><a href="/">Home</a></li><li><a href="` + a.Section.URL() + `">` + html.EscapeString(a.Section.Name) + `</a></li>`,
			"data-byline-widget",
		} {
			if !strings.Contains(pg.body, s) {
				t.Errorf("GET %s: no %s", a.URL(), s)
			}
		}
	}
}

// storiesIn is the article paths a listing page lists, in order.
func storiesIn(body string) []string {
	_, list, ok := strings.Cut(body, `<ol class="stories">`)
	if !ok {
		return nil
	}
	list, _, _ = strings.Cut(list, "</ol>")
	var out []string
	for _, m := range regexp.MustCompile(`<h2><a href="([^"]*)">`).FindAllStringSubmatch(list, -1) {
		p, _ := url.PathUnescape(html.UnescapeString(m[1]))
		out = append(out, p)
	}
	return out
}

// TestDemoListings: a section or tag page lists its public stories newest
// first, as articles(section|tag) does, and pages through them.
func TestDemoListings(t *testing.T) {
	f := newDemoFixture(t)
	for _, c := range []struct {
		path, heading string
		q             content.ArticlesQuery
	}{
		{"/news", "News", content.ArticlesQuery{Section: "news"}},
		{"/markets", "Markets", content.ArticlesQuery{Section: "markets"}},
		{"/tag/coal", "Coal", content.ArticlesQuery{Tag: "coal"}},
		{"/tag/copper", "Copper", content.ArticlesQuery{Tag: "copper"}},
		{(&url.URL{Path: "/tag/нүүрс"}).RequestURI(), "Нүүрс", content.ArticlesQuery{Tag: "нүүрс"}},
	} {
		var want []string
		for _, a := range f.publicArticles(c.q) {
			want = append(want, a.URL())
		}
		pg := f.get(c.path)
		if pg.status != http.StatusOK || pg.header.Get("Cache-Control") != "no-cache" {
			t.Errorf("GET %s: %d, Cache-Control %q", c.path, pg.status, pg.header.Get("Cache-Control"))
			continue
		}
		if got := storiesIn(pg.body); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("GET %s lists\n%v\nwant\n%v", c.path, got, want)
		}
		if !strings.Contains(pg.body, "<h1>"+c.heading+"</h1>") || !strings.Contains(pg.body, `<li><a href="/">Home</a></li>`) {
			t.Errorf("GET %s: no heading %q or breadcrumbs", c.path, c.heading)
		}
		if strings.Contains(pg.body, scheduledSlug) || strings.Contains(pg.body, draftSlug) {
			t.Errorf("GET %s lists an unpublished story", c.path)
		}
	}

	// Paging: three at a time, following "Older stories", gives the whole
	// listing once, in order.
	d := &demo{svc: f.svc, log: slog.New(slog.NewTextHandler(io.Discard, nil)), pageSize: 3}
	var want, got []string
	for _, a := range f.publicArticles(content.ArticlesQuery{Section: "energy"}) {
		want = append(want, a.URL())
	}
	next := "/energy"
	for pages := 0; next != ""; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		w := httptest.NewRecorder()
		d.ServeHTTP(w, httptest.NewRequest(http.MethodGet, next, nil))
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", next, w.Code)
		}
		got = append(got, storiesIn(w.Body.String())...)
		next = ""
		if m := regexp.MustCompile(`<a href="([^"]*)" rel="next">`).FindStringSubmatch(w.Body.String()); m != nil {
			next = html.UnescapeString(m[1])
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") || len(want) < 4 {
		t.Errorf("paging /energy three at a time gives\n%v\nwant\n%v", got, want)
	}
	w := httptest.NewRecorder()
	d.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/energy?after=nonsense", nil))
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "<h1>No such page</h1>") {
		t.Errorf("a made-up cursor: %d", w.Code)
	}
}

// TestDemoNotFound: a path that names nothing public is an HTML 404 page,
// drafts and scheduled stories (and the section and tag only a draft has)
// included; a public story under the wrong section moves to its own path.
func TestDemoNotFound(t *testing.T) {
	f := newDemoFixture(t)
	for _, p := range []string{
		"/nope", "/news/nope", "/tag/nope", "/tag", "/a/b/c", "/news/" + SeedSlug + "/more", "/favicon.ico",
		"/news/" + draftSlug, "/" + content.Slugify(draftSection) + "/" + draftSlug, "/" + content.Slugify(draftSection),
		"/tag/" + content.Slugify(draftTag), "/markets/" + scheduledSlug, "/tag/NOT-A-SLUG", "/static/nope.css",
	} {
		pg := f.get(p)
		if pg.status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, pg.status)
			continue
		}
		if strings.HasPrefix(p, "/static/") {
			continue // the file server's own 404
		}
		if pg.header.Get("Content-Type") != "text/html; charset=utf-8" || !strings.Contains(pg.body, "<h1>Page not found</h1>") ||
			!strings.Contains(pg.body, `<meta name="robots" content="noindex">`) {
			t.Errorf("GET %s: %q, not the HTML 404 page:\n%s", p, pg.header.Get("Content-Type"), pg.body)
		}
		if strings.Contains(pg.body, "data-byline-widget") {
			t.Errorf("GET %s: a 404 page embeds the widget", p)
		}
	}
	for _, c := range []struct{ path, to string }{
		{"/markets/" + SeedSlug, "/news/" + SeedSlug},
		{"/news/", "/news"},
		{"/tag/coal/?after=x", "/tag/coal?after=x"},
		{(&url.URL{Path: "/news/нүүрсний-экспорт-өсөв"}).RequestURI(), (&url.URL{Path: "/markets/нүүрсний-экспорт-өсөв"}).RequestURI()},
	} {
		pg := f.get(c.path)
		if pg.status != http.StatusMovedPermanently || pg.header.Get("Location") != c.to {
			t.Errorf("GET %s: %d to %q, want 301 to %q", c.path, pg.status, pg.header.Get("Location"), c.to)
		}
	}
	if pg := f.do(http.MethodPost, "/news"); pg.status != http.StatusMethodNotAllowed || pg.header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /news: %d, Allow %q", pg.status, pg.header.Get("Allow"))
	}
	if pg := f.do(http.MethodHead, "/news"); pg.status != http.StatusOK || pg.body != "" {
		t.Errorf("HEAD /news: %d, %d bytes", pg.status, len(pg.body))
	}
}

// TestDemoRoutesKeepPrecedence: the demo's catch-all takes nothing from
// the routes before it.
func TestDemoRoutesKeepPrecedence(t *testing.T) {
	f := newDemoFixture(t)
	for _, c := range []struct {
		method, path string
		status       int
		contains     string
	}{
		{"GET", "/graphql", 200, `{"data":{}}`},
		{"POST", "/graphql", 200, `{"data":{}}`},
		{"GET", "/healthz", 200, `"status":"ok"`},
		{"GET", "/readyz", 200, `{}`},
		{"GET", "/metrics", 200, "byline_http_requests_total"},
		{"GET", "/explorer", 200, "<h1>Byline</h1>"},
		{"GET", "/static/site.css", 200, "header.site"},
		{"GET", "/widget/frame?partner=demo", 200, "data-byline-widget"},
		{"GET", "/widget/frame?partner=nobody", 404, ""},
		{"GET", "/widget/confirm?token=x", 400, "This link has expired"},
		{"POST", "/widget/confirm?token=x", 400, "This link has expired"},
		{"GET", "/widget/unsubscribe?token=x", 400, "This link has expired"},
		{"POST", "/widget/unsubscribe?token=x", 400, "This link has expired"},
		{"PUT", "/widget/unsubscribe?token=x", 405, ""},
		{"GET", "/widget/files/" + content.DemoIncentiveFile, 403, "This link has expired"},
		{"GET", "/widget/subscribe", 405, ""},
	} {
		pg := f.do(c.method, c.path)
		if pg.status != c.status || !strings.Contains(pg.body, c.contains) {
			t.Errorf("%s %s: %d, want %d with %q:\n%.300s", c.method, c.path, pg.status, c.status, c.contains, pg.body)
		}
	}
	if pg := f.get("/widget/subscribe"); pg.header.Get("Allow") != "POST" {
		t.Errorf("GET /widget/subscribe: Allow %q, want POST", pg.header.Get("Allow"))
	}
}

// TestDemoEscapes: what editors write is text on the page, never markup.
func TestDemoEscapes(t *testing.T) {
	f := newDemoFixture(t)
	str := func(s string) *string { return &s }
	evil := `<script>alert("x")</script> & co`
	a, err := f.svc.Upsert(context.Background(), content.ArticleInput{
		Slug: "escaping-check", Title: str(evil), Summary: str(evil), Body: str("Plain."), Section: str("News"), Tags: []string{`Tag <b>bold</b>`},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{a.URL(), "/news", "/tag/tag-b-bold-b"} {
		pg := f.get(p)
		if pg.status != http.StatusOK {
			t.Fatalf("GET %s: %d", p, pg.status)
		}
		if strings.Contains(pg.body, "<script>alert") || strings.Contains(pg.body, "<b>bold") {
			t.Errorf("GET %s: markup from the content got through", p)
		}
		if !strings.Contains(pg.body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co") {
			t.Errorf("GET %s: the title is not shown escaped", p)
		}
	}
}
