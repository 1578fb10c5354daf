package cache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"

	"github.com/bylinehq/byline/internal/testenv"
)

// sharedRedis runs test on each Redis set-up on which replicas share a
// cache (standalone, Cluster, Sentinel), with a fresh key prefix.
func sharedRedis(t *testing.T, test func(t *testing.T, rdb redis.UniversalClient, prefix string)) {
	for name, mkClient := range backends(t) {
		if name == "no-redis" {
			continue
		}
		t.Run(name, func(t *testing.T) { test(t, mkClient(t), testenv.RandomName("sh")+":") })
	}
}

// TestStaleWhileRevalidateAcrossReplicas: two replicas on one Redis hold a
// stale entry; readers on both get it at once while one refresh runs, and
// the other replica takes the refreshed answer from Redis instead of
// running the origin again.
func TestStaleWhileRevalidateAcrossReplicas(t *testing.T) {
	sharedRedis(t, func(t *testing.T, rdb redis.UniversalClient, prefix string) {
		o := newOrigin()
		mk := func() *replica { return newReplica(t, o, rdb, prefix) }
		o.policy = "public, max-age=1, stale-while-revalidate=30"
		a, b := mk(), mk()
		a.get(t, "s")
		if got := b.get(t, "s"); got.xcache != "HIT" || o.runs.Load() != 1 {
			t.Fatalf("warm-up: B %s, origin ran %d times", got.xcache, o.runs.Load())
		}
		time.Sleep(1100 * time.Millisecond)
		o.delay.Store(int64(time.Second)) // a stale read must not wait for it
		var wg sync.WaitGroup
		for i := 0; i < 10; i++ {
			wg.Add(1)
			go func(r *replica) {
				defer wg.Done()
				start := time.Now()
				got := r.get(t, "s")
				if got.xcache != "STALE" || time.Since(start) > 500*time.Millisecond {
					t.Errorf("stale read: %s after %s", got.xcache, time.Since(start))
				}
			}([]*replica{a, b}[i%2])
		}
		wg.Wait()
		waitFor(t, "the refresh on both replicas", func() bool {
			return a.get(t, "s").xcache == "HIT" && b.get(t, "s").xcache == "HIT"
		})
		if n := o.runs.Load(); n != 2 {
			t.Fatalf("origin ran %d times, want 2 (one refresh for both replicas)", n)
		}
	})
}

// TestPersistedQueriesInRedis: a query registered on one replica is known
// to another through Redis, with a TTL; an oversized one is never stored.
func TestPersistedQueriesInRedis(t *testing.T) {
	sharedRedis(t, func(t *testing.T, rdb redis.UniversalClient, prefix string) {
		o := newOrigin()
		a, b := newReplica(t, o, rdb, prefix), newReplica(t, o, rdb, prefix)
		ctx := context.Background()
		hash := func(q string) string { s := sha256.Sum256([]byte(q)); return hex.EncodeToString(s[:]) }

		q := `{ sections { slug name } }`
		a.c.APQ.Add(ctx, hash(q), q)
		if got, ok := b.c.APQ.Get(ctx, hash(q)); !ok || got != q {
			t.Fatalf("the other replica got %q, %v", got, ok)
		}
		ttl, err := rdb.TTL(ctx, prefix+"apq:"+hash(q)).Result()
		if err != nil || ttl <= 0 || ttl > apqTTL {
			t.Fatalf("persisted query TTL %s (%v), want (0, %s]", ttl, err, apqTTL)
		}

		huge := "{ sections { slug } }" + strings.Repeat(" ", apqMaxQuery)
		a.c.APQ.Add(ctx, hash(huge), huge)
		if n, err := rdb.Exists(ctx, prefix+"apq:"+hash(huge)).Result(); err != nil || n != 0 {
			t.Fatalf("an oversized query was stored in Redis (%d, %v)", n, err)
		}
		if _, ok := b.c.APQ.Get(ctx, hash(huge)); ok {
			t.Fatal("an oversized query was served")
		}
		if _, ok := a.c.APQ.Get(ctx, hash(huge)); ok {
			t.Fatal("an oversized query was kept in process")
		}
	})
}

// histogram returns the sample count and sum of byline_cache_invalidation_seconds{view}.
func histogram(t *testing.T, reg *prometheus.Registry, view string) (uint64, float64) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "byline_cache_invalidation_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if labelIs(m, "view", view) {
				return m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum()
			}
		}
	}
	return 0, 0
}

func labelIs(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}

// TestInvalidationLatencyIsMeasured: each write is timed from its commit to
// its invalidation being applied on every replica, and to the writer
// hearing every acknowledgement; on one machine both take milliseconds.
func TestInvalidationLatencyIsMeasured(t *testing.T) {
	sharedRedis(t, func(t *testing.T, rdb redis.UniversalClient, prefix string) {
		o := newOrigin()
		regA, regB := prometheus.NewRegistry(), prometheus.NewRegistry()
		a := newReplicaWithMetrics(t, o, rdb, prefix, regA)
		b := newReplicaWithMetrics(t, o, rdb, prefix, regB)
		a.get(t, "x")
		b.get(t, "x")
		const writes = 3
		for i := 1; i <= writes; i++ {
			o.write(a.c, "x", int64(i))
		}
		if n, sum := histogram(t, regA, "acknowledged"); n != writes || sum/writes > 0.5 {
			t.Fatalf("writer: %d acknowledged samples, mean %.3f s; want %d under 0.5 s", n, sum/float64(max(n, 1)), writes)
		}
		waitFor(t, "the other replica's samples", func() bool { n, _ := histogram(t, regB, "applied"); return n == writes })
		if n, sum := histogram(t, regB, "applied"); sum/float64(n) > 0.5 {
			t.Fatalf("other replica: mean applied latency %.3f s over %d writes", sum/float64(n), n)
		}
		if got := b.get(t, "x"); got.version != writes {
			t.Fatalf("other replica serves version %d", got.version)
		}
	})
}
