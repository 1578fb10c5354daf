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
			waitFor(t, "the entry in Redis", func() bool { return newReplica(t, o, rdb, prefix).get(t, "a").xcache == "HIT" })

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
