package cache

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bylinehq/byline/internal/testenv"
)

// TestLimiterSharedAcrossReplicas: two replicas on one Redis share one
// count, so a client cannot get twice the limit by alternating between them.
func TestLimiterSharedAcrossReplicas(t *testing.T) {
	sharedRedis(t, func(t *testing.T, rdb redis.UniversalClient, prefix string) {
		const limit, win = 10, time.Hour
		for attempt := 0; ; attempt++ {
			a := New(Options{Redis: rdb, Prefix: prefix, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).Limiter
			b := New(Options{Redis: rdb, Prefix: prefix, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).Limiter
			key := testenv.RandomName("client")
			start := time.Now().Truncate(win)
			allowed := 0
			for i := 0; i < 3*limit; i++ {
				if []*Limiter{a, b}[i%2].Allow(context.Background(), key, limit, win) {
					allowed++
				}
			}
			if !time.Now().Truncate(win).Equal(start) && attempt == 0 {
				continue // the window turned over mid-test: once more
			}
			if allowed != limit {
				t.Fatalf("%d of %d events allowed across two replicas, want %d", allowed, 3*limit, limit)
			}
			return
		}
	})
}

// TestLimiterWithoutRedis: with Redis gone the limit still holds, counted
// in process (fail-open for the cache, not for abuse limits).
func TestLimiterWithoutRedis(t *testing.T) {
	srv := testenv.StartRedis(t)
	rdb := client(t, []string{srv.Addr})
	c := New(Options{Redis: rdb, Prefix: testenv.RandomName("rl") + ":", RedisTimeout: 100 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	l := c.Limiter
	srv.Stop()
	allowed := 0
	for i := 0; i < 30; i++ {
		if l.Allow(context.Background(), "client", 10, time.Hour) {
			allowed++
		}
	}
	if allowed != 10 {
		t.Fatalf("%d of 30 allowed with Redis down, want 10", allowed)
	}
}
