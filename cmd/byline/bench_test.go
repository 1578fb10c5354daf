package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/bylinehq/byline/graph"
	"github.com/bylinehq/byline/server"
)

// benchHandler is the whole gateway over the sample content, in process.
func benchHandler(b *testing.B, cached bool) http.Handler {
	b.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := openApp(ctx, &Config{DB: filepath.Join(b.TempDir(), "b.db")}, log)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(a.Close)
	if err := seedIfEmpty(ctx, a.svc, log); err != nil {
		b.Fatal(err)
	}
	return newHandler(a, log, graph.Options{}, cached)
}

func articlePageBody() []byte {
	body, _ := json.Marshal(map[string]any{"operationName": "ArticlePage", "query": server.ArticlePageQuery, "variables": map[string]string{"slug": seedSlug}})
	return body
}

// BenchmarkArticlePage compares, in one run, the cache-hit path with the
// uncached query, through the whole HTTP stack (no network).
func BenchmarkArticlePage(b *testing.B) {
	body := articlePageBody()
	for _, c := range []struct {
		name   string
		cached bool
	}{{"hit", true}, {"uncached", false}} {
		b.Run(c.name, func(b *testing.B) {
			h := benchHandler(b, c.cached)
			serve := func() *httptest.ResponseRecorder {
				req := httptest.NewRequest("POST", "/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				return w
			}
			if w := serve(); w.Code != 200 {
				b.Fatalf("status %d", w.Code)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				serve()
			}
		})
	}
}

// nullWriter is the least a ResponseWriter can be: the hit path's own cost
// shows without a recorder's.
type nullWriter struct{ h http.Header }

func (w *nullWriter) Header() http.Header         { return w.h }
func (w *nullWriter) WriteHeader(int)             {}
func (w *nullWriter) Write(b []byte) (int, error) { return len(b), nil }

// BenchmarkHitHandler is the cache-hit path through every layer of the
// gateway's handler, with the request built once: what Byline adds to
// net/http's own work per request.
func BenchmarkHitHandler(b *testing.B) {
	body := articlePageBody()
	h := benchHandler(b, true)
	req := httptest.NewRequest("POST", "/graphql", nil)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Encoding", "gzip")
	w := &nullWriter{h: http.Header{}}
	serve := func() {
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		clear(w.h)
		h.ServeHTTP(w, req)
	}
	serve()
	serve()
	if w.h.Get("X-Cache") != "HIT" {
		b.Fatalf("X-Cache %q", w.h.Get("X-Cache"))
	}
	b.ReportAllocs()
	for b.Loop() {
		serve()
	}
}
