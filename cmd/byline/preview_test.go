package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestEditorPreviews: with an editor key, drafts and scheduled stories can
// be previewed and listed, each with its status, in answers that are
// private and never stored; without one, asking is UNAUTHENTICATED; and a
// public request afterwards gets the public answer, from every cache.
func TestEditorPreviews(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	key, err := a.svc.CreateKey(ctx, "desk")
	if err != nil {
		t.Fatal(err)
	}
	editor := []string{"Authorization", "Bearer " + key}
	later := a.svc.Now().Add(24 * time.Hour).Format(time.RFC3339)
	for _, in := range []map[string]any{
		{"slug": "a-draft-story", "title": "A draft story", "section": "news", "draft": true},
		{"slug": "a-scheduled-story", "title": "A scheduled story", "section": "news", "publishedAt": later},
	} {
		if r := a.query(`mutation($in: ArticleInput!) { upsertArticle(input: $in) { slug } }`, map[string]any{"in": in}, editor...); len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
	}
	preview := `query($s: String!) { article(slug: $s, preview: true) { slug status } }`
	for _, c := range []struct{ slug, status string }{
		{"a-draft-story", "DRAFT"}, {"a-scheduled-story", "SCHEDULED"}, {seedSlug, "PUBLISHED"},
	} {
		r, h := a.do(http.MethodPost, "/graphql", mustJSON(map[string]any{"query": preview, "variables": map[string]any{"s": c.slug}}),
			"Content-Type", "application/json", editor[0], editor[1])
		if len(r.Errors) > 0 || !strings.Contains(string(r.Data["article"]), `"status":"`+c.status+`"`) {
			t.Errorf("preview of %s: %s", c.slug, trim(r.Raw))
		}
		if cc := h.Get("Cache-Control"); cc != "private, no-store" {
			t.Errorf("preview of %s: Cache-Control %q, want private, no-store", c.slug, cc)
		}
	}
	all := `{ articles(first: 100, status: [DRAFT, SCHEDULED, PUBLISHED]) { totalCount edges { node { slug status } } } }`
	r, h := a.do(http.MethodPost, "/graphql", gql(all), "Content-Type", "application/json", editor[0], editor[1])
	if len(r.Errors) > 0 || !strings.Contains(string(r.Raw), "a-draft-story") || !strings.Contains(string(r.Raw), "a-scheduled-story") {
		t.Fatalf("an editor's listing of every status: %s", trim(r.Raw))
	}
	if cc := h.Get("Cache-Control"); cc != "private, no-store" {
		t.Errorf("an editor's listing: Cache-Control %q", cc)
	}
	var page struct {
		TotalCount int
		Edges      []struct{ Node struct{ Slug string } }
	}
	_ = json.Unmarshal(r.Data["articles"], &page)
	if page.TotalCount != len(page.Edges) {
		t.Errorf("totalCount %d for %d stories", page.TotalCount, len(page.Edges))
	}
	// Paging through drafts and published stories alike sees each once.
	seen, _ := pageThrough(t, a, `query($after: String) { articles(first: 7, after: $after, status: [DRAFT, PUBLISHED]) { edges { node { slug } } pageInfo { hasNextPage endCursor } } }`, nil, editor...)
	if !seen["a-draft-story"] || seen["a-scheduled-story"] {
		t.Errorf("paging drafts and published stories: draft seen %v, scheduled seen %v", seen["a-draft-story"], seen["a-scheduled-story"])
	}

	for _, q := range []string{
		`{ article(slug: "a-draft-story", preview: true) { slug } }`,
		`{ articles(status: [DRAFT]) { totalCount } }`,
	} {
		if r := a.query(q, nil); r.code() != "UNAUTHENTICATED" {
			t.Errorf("%s without a key: %q %s", q, r.code(), trim(r.Raw))
		}
		if r := a.query(q, nil, "Authorization", "Bearer byl_not-a-key"); r.code() != "UNAUTHENTICATED" {
			t.Errorf("%s with a forged key: %q", q, r.code())
		}
	}
	// No leak: the public answers, twice (the second from the cache).
	for range 2 {
		for _, q := range []string{
			`{ article(slug: "a-draft-story") { slug } }`,
			`{ article(slug: "a-scheduled-story") { slug } }`,
			`{ articles(first: 100) { edges { node { slug } } } }`,
			`{ articles(first: 100, status: [PUBLISHED]) { edges { node { slug } } } }`,
		} {
			resp, err := http.Get(a.srv.URL + "/graphql?" + url.Values{"query": {q}}.Encode())
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(raw), "a-draft-story") || strings.Contains(string(raw), "a-scheduled-story") {
				t.Errorf("public %s leaks unpublished work: %s", q, raw)
			}
		}
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
