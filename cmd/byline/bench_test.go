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
