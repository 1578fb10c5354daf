package cache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"hash/maphash"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"

	"github.com/bylinehq/byline/content"
)

// InvalidationLog is the database's record of writes (content.Store has it).
type InvalidationLog interface {
	Invalidations(ctx context.Context, after int64, limit int) ([]content.Invalidation, error)
	LastInvalidation(ctx context.Context) (int64, error)
}

// Options configure a Cache. Only SchemaVersion is required.
type Options struct {
	Redis         redis.UniversalClient // nil: in process only
	Prefix        string                // Redis key prefix; default "byline:"
	L1Bytes       int64                 // default 64 MiB
	SchemaVersion string                // part of every key: a new schema never reads old entries
	Log           InvalidationLog       // polled for writes made elsewhere; nil: not polled
	PollEvery     time.Duration         // default 1s
	AckTimeout    time.Duration         // how long a write waits for replicas; default 2s
	RedisTimeout  time.Duration         // per Redis call; default 100ms
	LeaseFor      time.Duration         // cross-replica coalescing lease; default 3s
	Logger        *slog.Logger
	Metrics       prometheus.Registerer
	// OnWrite, when set, runs for every write another process made, before
	// this process's entries are dropped: derived state (the related-
	// stories index) is current by the time anything is recomputed.
	OnWrite func(ctx context.Context, inv content.Invalidation)
}

// Cache is the response cache and the invalidation channel.
type Cache struct {
	o       Options
	l1      *l1
	st      stamps
	seed    maphash.Seed
	flight  singleflight.Group
	rdb     redis.UniversalClient
	br      breaker
	scripts scripts
	m       *metrics
	replica string
	log     *slog.Logger

	// subscribed is true while this replica receives invalidations over
	// pub/sub. With Redis configured, L1 is served only then: a replica
	// that may have missed a message must not answer from memory.
	subscribed atomic.Bool

	pend pending // tags whose Redis stamp failed (pending.go)

	mu      sync.Mutex
	waiters map[string]chan string // write nonce → acknowledging replicas
	applied map[int64]bool         // invalidation log ids applied here
	logSeen int64                  // the newest log id the poller has applied

	recent []content.Invalidation // the poller's own: writes it re-checks (recheck)
}

// New builds a cache. Call Run to start its background work.
func New(o Options) *Cache {
	if o.Prefix == "" {
		o.Prefix = "byline:"
	}
	if o.L1Bytes == 0 {
		o.L1Bytes = 64 << 20
	}
	if o.PollEvery == 0 {
		o.PollEvery = time.Second
	}
	if o.AckTimeout == 0 {
		o.AckTimeout = 2 * time.Second
	}
	if o.RedisTimeout == 0 {
		o.RedisTimeout = 100 * time.Millisecond
	}
	if o.LeaseFor == 0 {
		o.LeaseFor = 3 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	return &Cache{
		o: o, l1: newL1(o.L1Bytes), seed: maphash.MakeSeed(), rdb: o.Redis,
		br: breaker{threshold: 3, cooldown: time.Second}, scripts: newScripts(), m: newMetrics(o.Metrics),
		replica: hex.EncodeToString(id), log: o.Logger,
		waiters: map[string]chan string{}, applied: map[int64]bool{},
	}
}

// inSync says whether this replica knows of every invalidation, so that
// what it holds can be trusted: without Redis, memory is all there is; with
// it, only while its subscription is live and resynced. L1 and reads of
// Redis entries both rest on it: a failover or restart that lost stamps
// ends every subscription, and the resync stamps what was lost
// (stampMissed).
func (c *Cache) inSync() bool { return c.rdb == nil || c.subscribed.Load() }

// redisOK says whether to try Redis now for the request ctx carries: not
// while the breaker is open, and not again for a request one of whose calls
// has already failed. The breaker is global and a Cluster node's outage
// never opens it (calls to the other nodes keep succeeding), so without the
// second rule a miss that makes five calls to a dead node pays five
// timeouts; with it, it pays one.
func (c *Cache) redisOK(ctx context.Context) bool {
	if c.rdb == nil {
		return false
	}
	if f := requestFailed(ctx); f != nil && f.Load() {
		return false
	}
	return c.br.allow()
}

// rctx bounds one Redis call.
func (c *Cache) rctx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), c.o.RedisTimeout)
}

// done records a Redis call's outcome for the breaker; a miss (redis.Nil)
// is an answer, not a failure.
func (c *Cache) done(err error) error {
	if err == nil || errors.Is(err, redis.Nil) {
		c.br.success()
		return err
	}
	c.br.failure()
	c.m.redisErrors.Inc()
	return err
}

func (c *Cache) key(parts ...string) string {
	k := c.o.Prefix
	for _, p := range parts {
		k += p
	}
	return k
}

// Ping reports Redis's state for /readyz; nil when Redis is not configured.
func (c *Cache) Ping(ctx context.Context) error {
	if c.rdb == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	return c.rdb.Ping(ctx).Err()
}

// Stats reports L1's size, for logs and tests.
func (c *Cache) Stats() (items int, bytes int64) { return c.l1.size() }
