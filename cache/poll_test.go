package cache

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/internal/testenv"
)

// memLog is an invalidation log in memory, standing in for the database's.
type memLog struct {
	mu   sync.Mutex
	rows []content.Invalidation
}

func (l *memLog) append(inv content.Invalidation) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rows = append(l.rows, inv)
}

func (l *memLog) Invalidations(_ context.Context, after int64, limit int) ([]content.Invalidation, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []content.Invalidation
	for _, r := range l.rows {
		if r.ID > after && len(out) < limit {
			out = append(out, r)
		}
	}
	return out, nil
}

func (l *memLog) LastInvalidation(context.Context) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.rows) == 0 {
		return 0, nil
	}
	return l.rows[len(l.rows)-1].ID, nil
}

// TestPollerStampsAWriteItsWriterDidNot: a writer commits write 1 and dies
// before its stamp reaches Redis; another writer's write 2 is stamped
// before any poller looks. The poller must stamp write 1 itself, though a
// later write is stamped: otherwise the old answer stays in Redis as fresh,
// and every replica that reads it from there serves it until its TTL.
func TestPollerStampsAWriteItsWriterDidNot(t *testing.T) {
	for name, addrs := range map[string]func(t *testing.T) []string{
		"standalone": func(t *testing.T) []string { return []string{testenv.Redis(t)} },
		"cluster":    func(t *testing.T) []string { return testenv.StartRedisCluster(t) },
	} {
		t.Run(name, func(t *testing.T) {
			rdb := client(t, addrs(t))
			prefix := testenv.RandomName("pl") + ":"
			o := newOrigin()
			log := &memLog{}
			// Its own poll runs only when the test calls it.
			poller := newReplicaWith(t, o, rdb, prefix, func(opts *Options) { opts.Log, opts.PollEvery = log, time.Hour })
			poller.get(t, "a")
			storedInRedis(t, o, rdb, prefix, "a")

			// The dying writer: its commit is logged, nothing reaches Redis.
			o.mu.Lock()
			o.version["a"]++
			o.mu.Unlock()
			log.append(content.Invalidation{ID: 1, Tags: []string{"Article:a"}, At: time.Now()})
			// A live writer's later write, stamped and logged.
			o.write(newReplica(t, o, rdb, prefix).c, "b", 2)
			log.append(content.Invalidation{ID: 2, Tags: []string{"Article:b"}, At: time.Now()})

			poller.c.Bus.pollOnce(context.Background())
			waitFor(t, "the poller's stamps to land", func() bool { return !poller.c.Bus.shared.pending.any.Load() })
			if got := poller.get(t, "a"); got.version != 1 {
				t.Errorf("the poller served version %d (%s) after seeing the write", got.version, got.xcache)
			}
			// A replica that never heard of write 1 knows it only by the
			// stamp in Redis.
			if got := newReplica(t, o, rdb, prefix).get(t, "a"); got.version != 1 {
				t.Fatalf("another replica served version %d (%s): write 1 was never stamped in Redis", got.version, got.xcache)
			}
		})
	}
}

// TestWriteDuringAFaultReturnsOnceReplicasKnow: the writer cannot reach
// Redis, but another replica's subscription is still live, so nothing
// tells it to drop its copy but the database's log. The write must not
// return before that replica's poller has seen it: once it returns, the
// other replica serves the new version.
func TestWriteDuringAFaultReturnsOnceReplicasKnow(t *testing.T) {
	shared := testenv.StartRedis(t)
	prefix := testenv.RandomName("wf") + ":"
	o := newOrigin()
	log := &memLog{}
	const poll = 200 * time.Millisecond
	withLog := func(opts *Options) { opts.Log, opts.PollEvery = log, poll }
	reader := newReplicaWith(t, o, client(t, []string{shared.Addr}), prefix, withLog)
	// The writer's Redis goes away after it has subscribed: its calls fail,
	// the reader's do not.
	lost := testenv.StartRedis(t)
	writer := newReplicaWith(t, o, client(t, []string{lost.Addr}), prefix, withLog)
	lost.Stop()
	reader.get(t, "a")
	if got := reader.get(t, "a"); got.xcache != "HIT" {
		t.Fatalf("warm-up: %s", got.xcache)
	}

	o.mu.Lock()
	o.version["a"]++
	o.mu.Unlock()
	inv := content.Invalidation{ID: 1, Tags: []string{"Article:a"}, At: time.Now()}
	log.append(inv) // committed
	start := time.Now()
	writer.c.Bus.Invalidate(context.Background(), inv)
	took := time.Since(start)
	if got := reader.get(t, "a"); got.version != 1 {
		t.Fatalf("the write returned after %s, and another replica still served version %d (%s)", took, got.version, got.xcache)
	}
	if took > 3*time.Second {
		t.Fatalf("the write took %s: the wait for the replicas' polls should be bounded", took)
	}
	t.Logf("write returned after %s", took.Round(time.Millisecond))
}

// afterLostWrite sets up what a Sentinel failover can leave behind: the
// new master has the old answer for "a" and a later write's stamp and mark
// (the replica had received the later writer's commands), but neither the
// stamp nor the mark of write 1, which changed "a". Two writes from one
// writer stand in for two writers. withLog gives a replica the log; its
// poller runs only when the test calls it. other is a replica subscribed
// since before the loss.
func afterLostWrite(t *testing.T) (rdb redis.UniversalClient, prefix string, o *origin, withLog func(*Options), writer, other *replica) {
	t.Helper()
	srv := testenv.StartRedis(t)
	rdb = client(t, []string{srv.Addr})
	prefix = testenv.RandomName("rs") + ":"
	o = newOrigin()
	log := &memLog{}
	withLog = func(opts *Options) { opts.Log, opts.PollEvery = log, time.Hour }
	writer = newReplicaWith(t, o, rdb, prefix, withLog)
	other = newReplicaWith(t, o, rdb, prefix, withLog)
	writer.get(t, "a")
	storedInRedis(t, o, rdb, prefix, "a")
	ctx := context.Background()
	// Storing the entry gave its tags stamps; the replica holds this one.
	before, err := rdb.Get(ctx, prefix+"inv:Article:a").Result()
	if err != nil {
		t.Fatal(err)
	}

	log.append(content.Invalidation{ID: 1, Tags: []string{"Article:a"}, At: time.Now()})
	o.write(writer.c, "a", 1)
	log.append(content.Invalidation{ID: 2, Tags: []string{"Article:b"}, At: time.Now()})
	o.write(writer.c, "b", 2)
	writer.c.Bus.pollOnce(ctx) // as a running poller would, a moment after
	if err := rdb.Set(ctx, prefix+"inv:Article:a", before, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Del(ctx, prefix+"logdone:1").Err(); err != nil {
		t.Fatal(err)
	}
	if n, _ := rdb.Exists(ctx, prefix+"logdone:2").Result(); n != 1 {
		t.Fatal("write 2's mark is missing: the test no longer models the loss")
	}
	return rdb, prefix, o, withLog, writer, other
}

// TestResyncStampsAnyRecentWriteRedisLost: a replica that (re)subscribes
// after the loss must not trust the old answer: the newest write being
// marked says nothing about the ones before it.
func TestResyncStampsAnyRecentWriteRedisLost(t *testing.T) {
	rdb, prefix, o, withLog, _, _ := afterLostWrite(t)
	// Its first subscription resyncs before it serves anything.
	if got := newReplicaWith(t, o, rdb, prefix, withLog).get(t, "a"); got.version != 1 {
		t.Fatalf("a replica that resynced after the loss served version %d (%s)", got.version, got.xcache)
	}
	if n, _ := rdb.Exists(context.Background(), prefix+"logdone:1").Result(); n != 1 {
		t.Fatal("the resync stamped the lost write but left it unmarked: every resync would stamp all again")
	}
}

// TestNoRedisEntryBeforeResync: a failover ends every replica's
// subscription. Until a replica has resubscribed and resynced (and so
// stamped what Redis lost), it must not serve entries from Redis: here the
// new master still holds the old answer as fresh.
func TestNoRedisEntryBeforeResync(t *testing.T) {
	rdb, _, _, _, writer, _ := afterLostWrite(t)
	if err := rdb.Do(context.Background(), "CLIENT", "KILL", "TYPE", "pubsub").Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the replica to see its subscription end", func() bool { return !writer.c.Bus.subscribed.Load() })
	if got := writer.get(t, "a"); got.version != 1 {
		t.Fatalf("before its resync, the writer served version %d (%s)", got.version, got.xcache)
	}
	waitFor(t, "the resync", func() bool { return writer.c.Bus.subscribed.Load() })
	if got := writer.get(t, "a"); got.version != 1 {
		t.Fatalf("after its resync, the writer served version %d (%s)", got.version, got.xcache)
	}
}

// TestPollerRestampsAWriteRedisLost: the loss ends no subscription (a
// planned failover, or one node of a Cluster failing over), so no resync
// comes. The poller, re-checking recent writes' marks, must stamp the lost
// write again: the old answer is then served for at most about one poll,
// not until its TTL, by the writer (which has taken it into L1 again) and
// by a replica that reads it from Redis.
func TestPollerRestampsAWriteRedisLost(t *testing.T) {
	rdb, prefix, _, _, writer, other := afterLostWrite(t)
	if got := writer.get(t, "a"); got.version != 0 {
		t.Fatalf("the writer served version %d (%s): the test no longer models the loss", got.version, got.xcache)
	}
	writer.c.Bus.pollOnce(context.Background())
	if got := writer.get(t, "a"); got.version != 1 {
		t.Fatalf("after its next poll the writer served version %d (%s)", got.version, got.xcache)
	}
	if got := other.get(t, "a"); got.version != 1 {
		t.Fatalf("after the writer's next poll another replica served version %d (%s) from Redis", got.version, got.xcache)
	}
	if n, _ := rdb.Exists(context.Background(), prefix+"logdone:1").Result(); n != 1 {
		t.Fatal("the re-stamped write is still unmarked: every poll would stamp it again")
	}
}

// TestResyncIgnoresWritesOlderThanStamps: on a quiet site the log's newest
// writes can be older than their marks' life. They cannot make an entry
// pass for fresh (every entry from before them has lost a stamp it needs),
// so a resync must not stamp all for them: that would empty the shared
// cache on every restart or Redis blip.
func TestResyncIgnoresWritesOlderThanStamps(t *testing.T) {
	rdb := client(t, []string{testenv.Redis(t)})
	prefix := testenv.RandomName("rq") + ":"
	o := newOrigin()
	log := &memLog{}
	withLog := func(opts *Options) { opts.Log, opts.PollEvery = log, time.Hour }
	newReplicaWith(t, o, rdb, prefix, withLog).get(t, "a")
	storedInRedis(t, o, rdb, prefix, "a")
	log.append(content.Invalidation{ID: 1, Tags: []string{"Article:z"}, At: time.Now().Add(-stampTTL - time.Hour)})

	runs := o.runs.Load()
	if got := newReplicaWith(t, o, rdb, prefix, withLog).get(t, "a"); got.xcache != "HIT" || o.runs.Load() != runs {
		t.Fatalf("after a resync over a write older than its stamps: %s, origin ran %d more times", got.xcache, o.runs.Load()-runs)
	}
	// A recent unmarked write still counts.
	log.append(content.Invalidation{ID: 2, Tags: []string{"Article:z"}, At: time.Now()})
	if got := newReplicaWith(t, o, rdb, prefix, withLog).get(t, "a"); got.xcache == "HIT" {
		t.Fatal("a resync over a recent write Redis has no mark for kept the shared entries")
	}
}
