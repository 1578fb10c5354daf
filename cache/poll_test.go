package cache

import (
	"context"
	"sync"
	"testing"
	"time"

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

			poller.c.pollOnce(context.Background())
			waitFor(t, "the poller's stamps to land", func() bool { return !poller.c.pend.any.Load() })
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
	writer.c.Invalidate(context.Background(), inv)
	took := time.Since(start)
	if got := reader.get(t, "a"); got.version != 1 {
		t.Fatalf("the write returned after %s, and another replica still served version %d (%s)", took, got.version, got.xcache)
	}
	if took > 3*time.Second {
		t.Fatalf("the write took %s: the wait for the replicas' polls should be bounded", took)
	}
	t.Logf("write returned after %s", took.Round(time.Millisecond))
}
