package cache

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bylinehq/byline/internal/testenv"
)

// writerWithStoredEntry starts a Redis server of the test's own and a
// replica whose answer for "a" is stored in it.
func writerWithStoredEntry(t *testing.T) (*testenv.RedisServer, redis.UniversalClient, string, *origin, *replica) {
	t.Helper()
	srv := testenv.StartRedis(t)
	rdb := client(t, []string{srv.Addr})
	prefix := testenv.RandomName("pd") + ":"
	o := newOrigin()
	writer := newReplica(t, o, rdb, prefix)
	writer.get(t, "a")
	storedInRedis(t, o, rdb, prefix, "a")
	return srv, rdb, prefix, o, writer
}

// storedInRedis waits until a replica that never answered slug finds it in
// Redis.
func storedInRedis(t *testing.T, o *origin, rdb redis.UniversalClient, prefix, slug string) {
	t.Helper()
	waitFor(t, "the entry in Redis", func() bool { return newReplica(t, o, rdb, prefix).get(t, slug).xcache == "HIT" })
}

// TestStampThatMissedRedisIsRetried: a write lands while Redis refuses
// writes (CLIENT PAUSE … WRITE: reads still work, so the old entry stays
// readable, as on a Cluster whose tag node is away while the entry's node is
// up). The writer must not serve the old entry from Redis meanwhile, and
// once Redis takes writes again the stamp lands, so a replica that never
// heard of the write does not serve it either.
func TestStampThatMissedRedisIsRetried(t *testing.T) {
	srv, rdb, prefix, o, writer := writerWithStoredEntry(t)

	pauseAll(t, []*testenv.RedisServer{srv}, 1500*time.Millisecond, "WRITE")
	o.write(writer.c, "a", 1) // its stamp cannot land
	if !writer.c.Bus.shared.pending.any.Load() {
		t.Fatal("the failed stamp was not kept for a retry")
	}
	if got := writer.get(t, "a"); got.version != 1 {
		t.Fatalf("the writer served version %d (%s) while its stamp was pending", got.version, got.xcache)
	}
	waitFor(t, "the stamp to land", func() bool { return !writer.c.Bus.shared.pending.any.Load() })
	// A replica that never heard of the write (it started after it, so no
	// message and no local stamp) sees it through the stamp alone.
	other := newReplica(t, o, rdb, prefix)
	if got := other.get(t, "a"); got.version != 1 {
		t.Fatalf("another replica served version %d (%s) after the stamp landed", got.version, got.xcache)
	}
}

// TestWriterKeepsNoOldEntry: the writer drops its own copy at once, but its
// stamp takes a moment to reach Redis (here: Redis holds writes for 150 ms,
// less than the timeout, so the stamp does land). A read on the writer in
// that moment must not fetch the old entry from Redis and keep it: once the
// write has returned, the writer serves the new version.
func TestWriterKeepsNoOldEntry(t *testing.T) {
	srv, _, _, o, writer := writerWithStoredEntry(t)

	pauseAll(t, []*testenv.RedisServer{srv}, 150*time.Millisecond, "WRITE")
	done := make(chan struct{})
	go func() { o.write(writer.c, "a", 1); close(done) }()
	reads := 0
	for waiting := true; waiting; reads++ {
		select {
		case <-done:
			waiting = false
		default:
			writer.get(t, "a") // what it answers while the write is under way may be either
		}
	}
	for i := 0; i < 3; i++ {
		if got := writer.get(t, "a"); got.version != 1 {
			t.Fatalf("after the write returned, the writer served version %d (%s); %d reads during it", got.version, got.xcache, reads)
		}
	}
}

// TestPendingRetriesOnlyFailedStamps: a stamp on its way is distrusted but
// left to its writer; a failed one is the retry loop's until it lands, even
// when a later write of the same tag is on its way.
func TestPendingRetriesOnlyFailedStamps(t *testing.T) {
	var p pending
	g := p.add([]string{"Article:a"}, false)
	if !p.anyOf([]string{"Article:a"}) {
		t.Fatal("a stamp on its way is trusted")
	}
	if tags, _ := p.failed(); len(tags) != 0 {
		t.Fatalf("retrying %v, which no stamp failed", tags)
	}
	p.landed([]string{"Article:a"}, g)
	if p.any.Load() {
		t.Fatal("a landed stamp still waits")
	}
	p.add([]string{"Article:b"}, true)
	g = p.add([]string{"Article:b"}, false) // a later write, on its way
	if tags, _ := p.failed(); len(tags) != 1 || tags[0] != "Article:b" {
		t.Fatalf("failed %v, want [Article:b]", tags)
	}
	p.landed([]string{"Article:b"}, g)
	if p.anyOf([]string{"Article:b"}) {
		t.Fatal("the later stamp landed, which covers the failed one: nothing should wait")
	}
}
