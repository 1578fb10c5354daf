package cache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/bylinehq/byline/content"
)

// InvalidationLog is the database's record of writes (content.ChangeLog).
type InvalidationLog interface {
	Invalidations(ctx context.Context, after int64, limit int) ([]content.Invalidation, error)
	LastInvalidation(ctx context.Context) (int64, error)
}

// Options configure the cache's parts. Only SchemaVersion is required.
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
}

// Cache is the cache's parts, built together by New over one Redis client
// (or none). Each part holds one role; they share the Redis access (key
// prefix, per-call deadline, breaker) and this replica's id.
type Cache struct {
	Responses *ResponseCache // the HTTP response cache: Middleware
	Bus       *Bus           // the invalidation bus: Invalidate
	Limiter   *Limiter       // rate limits shared by the replicas
	APQ       *APQ           // automatic persisted queries shared by the replicas

	redis *redisAccess
}

// New builds the cache's parts. Call Run to start their background work.
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
	replica := hex.EncodeToString(id)
	m := newMetrics(o.Metrics)
	r := &redisAccess{rdb: o.Redis, prefix: o.Prefix, timeout: o.RedisTimeout,
		br: breaker{threshold: 3, cooldown: time.Second}, errors: m.redisErrors}
	bus := newBus(r, replica, o, m)
	responses := newResponseCache(r, bus, replica, o, m)
	bus.onGap = responses.l1.clear
	return &Cache{Responses: responses, Bus: bus, Limiter: newLimiter(r), APQ: newAPQ(r), redis: r}
}

// Run does the cache's background work until ctx ends: the bus's, the
// only part that has any.
func (c *Cache) Run(ctx context.Context) { c.Bus.Run(ctx) }

// Ping reports Redis's state for /readyz; nil when Redis is not configured.
func (c *Cache) Ping(ctx context.Context) error { return c.redis.ping(ctx) }
