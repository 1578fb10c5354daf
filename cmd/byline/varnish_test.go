package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/bylinehq/byline/internal/testenv"
)

// TestVarnishInFront runs the shipped VCL in a real Varnish in front of the
// gateway: public GET answers are cached by the gateway's own headers,
// editors' and POST requests pass, and a PURGE naming an answer's surrogate
// keys drops it.
func TestVarnishInFront(t *testing.T) {
	a := newApp(t)
	v := testenv.StartVarnish(t, strings.TrimPrefix(a.srv.URL, "http://"))
	cdn := "http://" + v.Addr
	q := url.Values{"query": {`{ article(slug: "` + seedSlug + `") { title } }`}}.Encode()
	get := func(header ...string) (title, xcdn string, h http.Header) {
		t.Helper()
		req, _ := http.NewRequest("GET", cdn+"/graphql?"+q, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var r struct {
			Data struct{ Article struct{ Title string } }
		}
		if err := json.Unmarshal(raw, &r); err != nil || resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, raw)
		}
		return r.Data.Article.Title, resp.Header.Get("X-CDN"), resp.Header
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
	r := a.query(`mutation { upsertArticle(input: {slug: "`+seedSlug+`", title: "Retitled through the CDN"}) { title } }`, nil, "Authorization", "Bearer "+key)
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	if title, _, _ := get(); title != seedTitle {
		t.Fatalf("before the purge the CDN still holds the old answer: got %q", title)
	}
	purge(t, cdn, "Article:"+seedSlug)
	if title, x, _ := get(); title != "Retitled through the CDN" || x != "MISS" {
		t.Fatalf("after the purge: %q %s", title, x)
	}
}

// purge sends Varnish a PURGE for the xkeys.
func purge(t *testing.T, cdn string, keys ...string) {
	t.Helper()
	req, _ := http.NewRequest("PURGE", cdn+"/", nil)
	req.Header.Set("xkey", strings.Join(keys, " "))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("PURGE: %s", resp.Status)
	}
}
