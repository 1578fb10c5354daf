package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bylinehq/byline/cdn"
	"github.com/bylinehq/byline/internal/testenv"
)

// TestVarnishInFront runs the shipped VCL in a real Varnish in front of the
// gateway: public GET answers are cached by the gateway's own headers,
// editors' requests pass, and every write reaches the CDN through the
// purger within a second, also when Varnish was down while it was made.
func TestVarnishInFront(t *testing.T) {
	a := newApp(t)
	v := testenv.StartVarnish(t, strings.TrimPrefix(a.srv.URL, "http://"))
	cdnURL := "http://" + v.Addr
	q := url.Values{"query": {`{ article(slug: "` + seedSlug + `") { title } }`}}.Encode()
	get := func(header ...string) (title, xcdn string, h http.Header) {
		t.Helper()
		status, raw, h := getFrom(t, cdnURL, q, header...)
		var r struct {
			Data struct{ Article struct{ Title string } }
		}
		if err := json.Unmarshal(raw, &r); err != nil || status != 200 {
			t.Fatalf("status %d: %s", status, raw)
		}
		return r.Data.Article.Title, h.Get("X-CDN"), h
	}
	const seedTitle = "Mongolia Prime Minister pays official visit to the USA"
	if title, x, h := get(); title != seedTitle || x != "MISS" || h.Get("Xkey") != "" {
		t.Fatalf("first read: %q %s (xkey %q leaked)", title, x, h.Get("Xkey"))
	}
	title, x, h := get()
	if title != seedTitle || x != "HIT" {
		t.Fatalf("second read: %q %s, want a HIT", title, x)
	}
	keys := h.Get("Surrogate-Key")
	if !strings.Contains(keys, "Article:"+seedSlug) {
		t.Fatalf("Surrogate-Key %q lacks the article", keys)
	}

	key, err := a.svc.CreateKey(context.Background(), "cdn")
	if err != nil {
		t.Fatal(err)
	}
	if _, x, _ := get("Authorization", "Bearer "+key); x == "HIT" {
		t.Error("an editor's request was answered from the CDN")
	}
	// An editor's preview of a draft through the CDN stays the editor's:
	// the public request for the same slug right after gets null.
	if r := a.query(`mutation { upsertArticle(input: {slug: "cdn-draft", title: "Not yet", section: "news", draft: true}) { slug } }`, nil,
		"Authorization", "Bearer "+key); len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	draft := func(preview bool, header ...string) (string, string) {
		t.Helper()
		q := url.Values{"query": {fmt.Sprintf(`{ article(slug: "cdn-draft", preview: %v) { title } }`, preview)}}.Encode()
		_, raw, h := getFrom(t, cdnURL, q, header...)
		return string(raw), h.Get("Cache-Control")
	}
	for range 2 {
		if body, cc := draft(true, "Authorization", "Bearer "+key); !strings.Contains(body, "Not yet") || cc != "private, no-store" {
			t.Fatalf("the editor's preview through the CDN: %s (%s)", body, cc)
		}
	}
	for _, preview := range []bool{false, true} {
		if body, _ := draft(preview); strings.Contains(body, "Not yet") {
			t.Fatalf("a public request (preview %v) after the editor's got the draft from the CDN: %s", preview, body)
		}
	}
	// The purger, as serve runs it with --purge: a write reaches the CDN
	// within about a poll.
	target, err := cdn.ParseTarget(cdnURL + "/")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	purger := cdn.New(a.db, target, slog.New(slog.NewTextHandler(io.Discard, nil)), 50*time.Millisecond)
	if err := purger.Step(ctx); err != nil { // its first start: the cursor at the log's end
		t.Fatal(err)
	}
	go purger.Run(ctx)
	retitle := func(title string) {
		t.Helper()
		r := a.query(`mutation($s: String!, $t: String!) { upsertArticle(input: {slug: $s, title: $t}) { title } }`,
			map[string]any{"s": seedSlug, "t": title}, "Authorization", "Bearer "+key)
		if len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
	}
	within := func(d time.Duration, want string) {
		t.Helper()
		deadline := time.Now().Add(d)
		for {
			title, _, _ := get()
			if title == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("after %v the CDN still answers %q, want %q", d, title, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	retitle("Retitled through the CDN")
	within(time.Second, "Retitled through the CDN")
	if _, x, _ := get(); x != "HIT" {
		t.Fatalf("the new answer is not cached again: %s", x)
	}

	// Varnish down while editors write: the purges wait for it.
	v.Stop()
	for i := range 3 {
		retitle(fmt.Sprintf("Written while the CDN was down %d", i))
	}
	time.Sleep(300 * time.Millisecond) // purges fail and back off meanwhile
	v.Start()
	within(time.Second, "Written while the CDN was down 2")
	last, err := a.db.LastInvalidation(ctx)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		at, _, _, err := a.db.Cursor(ctx, "cdn-purge")
		if err != nil {
			t.Fatal(err)
		}
		if at == last {
			break // every write's purge landed
		}
		if time.Now().After(deadline) {
			t.Fatalf("the purger stopped at write %d of %d", at, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// getFrom sends GET /graphql?query to base (a gateway or a CDN) with
// header's name, value pairs.
func getFrom(t *testing.T, base, query string, header ...string) (int, []byte, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/graphql?"+query, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, resp.Header
}
