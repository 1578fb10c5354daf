package cache

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bylinehq/byline/internal/testenv"
)

// TestLeaseWaitEndsWithTheHolder: replica B waits on A's lease for a key
// whose answer is not cacheable. A stores nothing, so B must stop waiting
// when A lets the lease go, not when the lease's term runs out.
func TestLeaseWaitEndsWithTheHolder(t *testing.T) {
	sharedRedis(t, func(t *testing.T, rdb redis.UniversalClient, prefix string) {
		o := newOrigin()
		o.policy = "no-store"
		o.delay.Store(int64(300 * time.Millisecond))
		long := func(opts *Options) { opts.LeaseFor = 10 * time.Second }
		a, b := newReplicaWith(t, o, rdb, prefix, long), newReplicaWith(t, o, rdb, prefix, long)

		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); a.get(t, "u") }()
		time.Sleep(100 * time.Millisecond) // A holds the lease and is computing
		start := time.Now()
		got := b.get(t, "u")
		took := time.Since(start)
		wg.Wait()
		if got.status != 200 || got.xcache != "BYPASS" {
			t.Fatalf("B: %d %s", got.status, got.xcache)
		}
		if o.runs.Load() != 2 {
			t.Fatalf("origin ran %d times, want 2 (nothing to share)", o.runs.Load())
		}
		if took > 3*time.Second { // A's 200 ms left, then B's own 300 ms
			t.Fatalf("B waited %s for a lease whose holder had finished", took)
		}
	})
}

// TestLeftoverLeaseIsTakenOver: a lease this replica holds while it is not
// computing (its release failed) is taken over at once, instead of the
// replica waiting out its own lease.
func TestLeftoverLeaseIsTakenOver(t *testing.T) {
	sharedRedis(t, func(t *testing.T, rdb redis.UniversalClient, prefix string) {
		o := newOrigin()
		r := newReplicaWith(t, o, rdb, prefix, func(opts *Options) { opts.LeaseFor = 10 * time.Second })
		normalKey, ok := normalKeyOf("test", "POST", body("left"))
		if !ok {
			t.Fatal("no key for the request")
		}
		lease := prefix + "lease:" + normalKey
		if err := rdb.Set(context.Background(), lease, r.c.Responses.replica, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		got := r.get(t, "left")
		if took := time.Since(start); took > 3*time.Second || got.xcache != "MISS" {
			t.Fatalf("%s after %s: the replica waited on its own lease", got.xcache, took)
		}
		waitFor(t, "the lease to be released", func() bool { return rdb.Exists(context.Background(), lease).Val() == 0 })

		// Another replica's lease is waited on (it is computing).
		if err := rdb.Set(context.Background(), lease, "someone-else", 300*time.Millisecond).Err(); err != nil {
			t.Fatal(err)
		}
		o.write(r.c, "left", 1)
		start = time.Now()
		if got := r.get(t, "left"); got.version != 1 || time.Since(start) < 200*time.Millisecond {
			t.Fatalf("version %d after %s: a foreign lease was not waited on", got.version, time.Since(start))
		}
	})
}

// TestOneTimeoutPerRequest: against a Redis that has stopped answering, a
// cold miss pays one timed-out call, not one per call it would make (read,
// lease, counter, store, release).
func TestOneTimeoutPerRequest(t *testing.T) {
	srv := testenv.StartRedis(t)
	// The cache's own deadline is what ends a call here: the client's read
	// timeout is set well past it.
	rdb := clientWith(t, []string{srv.Addr}, func(o *redis.UniversalOptions) { o.ReadTimeout = 5 * time.Second })
	const timeout = 500 * time.Millisecond
	r := newReplicaWith(t, newOrigin(), rdb, testenv.RandomName("ot")+":", func(opts *Options) { opts.RedisTimeout = timeout })
	pauseAll(t, []*testenv.RedisServer{srv}, 10*time.Second, "ALL")

	start := time.Now()
	got := r.get(t, "cold")
	took := time.Since(start)
	if got.status != 200 || got.version != 0 {
		t.Fatalf("%d version %d", got.status, got.version)
	}
	if took < timeout || took > timeout*3/2 { // one timeout, not one per call
		t.Fatalf("a cold miss took %s against a paused Redis; want one %s timeout", took, timeout)
	}
}
