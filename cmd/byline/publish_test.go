package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bylinehq/byline/cdn"
	"github.com/bylinehq/byline/internal/testenv"
)

// TestScheduledStoryGoesLiveOnTime schedules a story a few seconds ahead
// with every answer it will change already cached, in the gateway and in a
// real Varnish in front of it: before its time no answer shows it and none
// is fresh past its time; within a second of its time the article, the
// newest-first list, its section's and tag's lists, the seed's related
// stories and its breadcrumbs all show it, from the gateway and the CDN.
func TestScheduledStoryGoesLiveOnTime(t *testing.T) {
	t.Run("one gateway and Varnish", func(t *testing.T) {
		a := newApp(t)
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		go publishOnTime(ctx, a.svc, quiet)
		origins := []string{a.srv.URL}
		if _, err := exec.LookPath("varnishd"); err == nil || testenv.Required("varnish") {
			v := testenv.StartVarnish(t, strings.TrimPrefix(a.srv.URL, "http://"))
			target, err := cdn.ParseTarget("http://" + v.Addr + "/")
			if err != nil {
				t.Fatal(err)
			}
			purger := cdn.New(a.db, target, quiet, 50*time.Millisecond)
			if err := purger.Step(ctx); err != nil {
				t.Fatal(err)
			}
			go purger.Run(ctx)
			origins = append(origins, "http://"+v.Addr)
		}
		scheduleAndWatch(t, a, origins)
	})
	t.Run("two gateways over PostgreSQL and Redis", func(t *testing.T) {
		cfg := Config{DB: testenv.PostgresSchema(t), Redis: "redis://" + testenv.Redis(t), Prefix: testenv.RandomName("s") + ":", PublicURL: "https://news.example.com"}
		a, b := gateway(t, cfg), gateway(t, cfg)
		scheduleAndWatch(t, a, []string{a.srv.URL, b.srv.URL})
	})
	t.Run("a gateway process of its own", func(t *testing.T) {
		if testenv.Shift() != 0 {
			t.Skip("a process of its own runs on the wall clock, not the shifted test clock")
		}
		cfg := Config{DB: testenv.PostgresSchema(t), Redis: "redis://" + testenv.Redis(t), Prefix: testenv.RandomName("s") + ":", PublicURL: "https://news.example.com"}
		a := gateway(t, cfg)
		other := startProcess(t, "--db", cfg.DB, "--redis", cfg.Redis, "--redis-prefix", cfg.Prefix)
		scheduleAndWatch(t, a, []string{a.srv.URL, other})
	})
}

// scheduleAndWatch schedules a story through writer and watches every
// view of it from every origin (see TestScheduledStoryGoesLiveOnTime).
func scheduleAndWatch(t *testing.T, a *testApp, origins []string) {
	t.Helper()
	ctx := context.Background()
	key, err := a.svc.CreateKey(ctx, "scheduler")
	if err != nil {
		t.Fatal(err)
	}
	const slug = "prime-minister-returns-to-washington-for-rare-earths"
	at := a.svc.Now().Add(4 * time.Second).Truncate(time.Second)
	r := a.query(`mutation($in: ArticleInput!) { upsertArticle(input: $in) { slug } }`, map[string]any{"in": map[string]any{
		"slug": slug, "section": "news", "publishedAt": at.Format(time.RFC3339),
		"title":   "Mongolia Prime Minister returns to the USA for rare earths and critical minerals talks",
		"summary": "The Prime Minister of Mongolia visits the United States again to deepen rare earths and critical minerals cooperation.",
		"body":    "Mongolia and the United States discussed rare earths mining, critical minerals supply chains and diplomacy during the Prime Minister's second official visit to the USA.",
		"tags":    []string{"Mongolia", "United States", "Rare earths", "Critical minerals", "Diplomacy"},
	}}, "Authorization", "Bearer "+key)
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	views := []struct{ name, query string }{
		{"article", `{ article(slug: "` + slug + `") { slug } }`},
		{"newest first", `{ articles(first: 5) { edges { node { slug } } } }`},
		{"its section", `{ articles(first: 5, section: "news") { edges { node { slug } } } }`},
		{"its tag", `{ articles(first: 5, tag: "rare-earths") { edges { node { slug } } } }`},
		{"related to the seed", `{ relatedStories(slug: "` + seedSlug + `", first: 20) { slug } }`},
		{"breadcrumbs", `{ breadcrumbs(path: "/news/` + slug + `") { url } }`},
	}
	// shows reports whether the view shows the story from every origin
	// (the gateway, the CDN), checking on the way that no answer before
	// the story's time is fresh past it.
	shows := func(name, q string) bool {
		t.Helper()
		all := true
		for _, origin := range origins {
			left := at.Sub(a.svc.Now())
			status, raw, h := getFrom(t, origin, url.Values{"query": {q}}.Encode())
			if status != 200 || !json.Valid(raw) {
				t.Fatalf("%s from %s: %d %s", name, origin, status, raw)
			}
			// Fresh for max-age less Age from when it was written, which was
			// before this request was sent. Age is in whole seconds (rounded
			// down), so a stored answer may look up to a second fresher than
			// it is: allowed when one is served, not on a fresh computation.
			if left > 0 {
				fresh := time.Duration(maxAge(h.Get("Cache-Control"))-ageOf(h)) * time.Second
				slack := time.Duration(0)
				if h.Get("Age") != "" {
					slack = time.Second
				}
				if fresh > left+slack {
					t.Errorf("%s from %s: %q (Age %q) is fresh past the story's time (%v away)", name, origin,
						h.Get("Cache-Control"), h.Get("Age"), left.Round(time.Millisecond))
				}
			}
			all = all && strings.Contains(string(raw), slug)
		}
		return all
	}
	// showsAnywhere is the opposite test: no origin shows it.
	showsAnywhere := func(name, q string) bool {
		t.Helper()
		for _, origin := range origins {
			if _, raw, _ := getFrom(t, origin, url.Values{"query": {q}}.Encode()); strings.Contains(string(raw), slug) {
				return true
			}
		}
		return false
	}
	for _, v := range views {
		for range 2 { // the second read is a cache hit
			if shows(v.name, v.query) || showsAnywhere(v.name, v.query) {
				t.Fatalf("%s shows the story before its time", v.name)
			}
		}
	}
	// The story's time is on the domain's clock, which a test run may shift.
	time.Sleep(at.Sub(a.svc.Now()))
	deadline := time.Now().Add(time.Second)
	for _, v := range views {
		for !shows(v.name, v.query) {
			if time.Now().After(deadline) {
				t.Fatalf("%s does not show the story a second after its time", v.name)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// Unpublished, it leaves every view at once: a write invalidates.
	r = a.query(`mutation { upsertArticle(input: {slug: "`+slug+`", draft: true}) { slug } }`, nil, "Authorization", "Bearer "+key)
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	deadline = time.Now().Add(time.Second)
	for _, v := range views {
		for showsAnywhere(v.name, v.query) {
			if time.Now().After(deadline) {
				t.Fatalf("%s still shows the story a second after it was unpublished", v.name)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// ageOf is the Age header in seconds; 0 when none.
func ageOf(h http.Header) int {
	n, _ := strconv.Atoi(h.Get("Age"))
	return n
}

// maxAge reads max-age from a Cache-Control value; 0 when none.
func maxAge(cc string) int {
	for part := range strings.SplitSeq(cc, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "max-age="); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return 0
}
