package cache

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bylinehq/byline/internal/testenv"
)

// nullWriter is the least a ResponseWriter can be: the hit path's own cost
// shows without a recorder's.
type nullWriter struct{ h http.Header }

func (w *nullWriter) Header() http.Header         { return w.h }
func (w *nullWriter) WriteHeader(int)             {}
func (w *nullWriter) Write(b []byte) (int, error) { return len(b), nil }

// BenchmarkHit is the middleware answering a hit from L1, with the request
// built once: in process, and with Redis configured (a live subscription,
// which a hit must not pay for). The answer is long enough to be served
// gzipped, as it is to browsers.
func BenchmarkHit(b *testing.B) {
	for _, setup := range []struct {
		name  string
		redis bool
	}{{"in-process", false}, {"redis", true}} {
		b.Run(setup.name, func(b *testing.B) {
			var rdb redis.UniversalClient
			if setup.redis {
				opts := &redis.UniversalOptions{Addrs: []string{testenv.Redis(b)}}
				TuneClient(opts)
				rdb = redis.NewUniversalClient(opts)
				b.Cleanup(func() { rdb.Close() })
			}
			c := New(Options{Redis: rdb, Prefix: testenv.RandomName("bh") + ":", SchemaVersion: "test",
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { c.Run(ctx); close(done) }()
			b.Cleanup(func() { cancel(); <-done })
			for deadline := time.Now().Add(10 * time.Second); rdb != nil && !c.Bus.subscribed.Load(); time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					b.Fatal("never subscribed")
				}
			}
			h := c.Responses.Middleware(newOrigin())
			req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept-Encoding", "gzip")
			reqBody := body("long-read")
			w := &nullWriter{h: http.Header{}}
			serve := func() {
				req.Body = io.NopCloser(bytes.NewReader(reqBody))
				req.ContentLength = int64(len(reqBody))
				clear(w.h)
				h.ServeHTTP(w, req)
			}
			serve()
			serve()
			if w.h.Get("X-Cache") != "HIT" || w.h.Get("Content-Encoding") != "gzip" {
				b.Fatalf("X-Cache %q, Content-Encoding %q", w.h.Get("X-Cache"), w.h.Get("Content-Encoding"))
			}
			b.ReportAllocs()
			for b.Loop() {
				serve()
			}
		})
	}
}
