package cache

import (
	"context"
	"sync"
	"time"
)

// APQ stores automatic persisted queries in L1 and Redis, so a query
// registered on one replica is known to all. gqlgen checks a query's hash
// before adding it; the size cap and TTL keep garbage from filling Redis.
type APQ struct {
	redis *redisAccess
	mu    sync.Mutex
	local map[string]string
	bytes int // held in local
}

// Limits of the persisted-query store.
const (
	apqMaxQuery   = 32 << 10
	apqTTL        = 24 * time.Hour
	apqLocalMax   = 5000
	apqLocalBytes = 16 << 20
)

func newAPQ(r *redisAccess) *APQ { return &APQ{redis: r, local: map[string]string{}} }

// Get returns a persisted query by hash.
func (a *APQ) Get(ctx context.Context, hash string) (string, bool) {
	a.mu.Lock()
	q, ok := a.local[hash]
	a.mu.Unlock()
	if ok || !a.redis.available(ctx) {
		return q, ok
	}
	rc, cancel := a.redis.callCtx(ctx)
	defer cancel()
	q, err := a.redis.rdb.Get(rc, a.redis.key("apq:", hash)).Result()
	if a.redis.record(err) != nil {
		return "", false
	}
	a.remember(hash, q)
	return q, true
}

// Add stores a persisted query; an oversized one is not kept.
func (a *APQ) Add(ctx context.Context, hash, query string) {
	if len(query) > apqMaxQuery {
		return
	}
	a.remember(hash, query)
	if !a.redis.available(ctx) {
		return
	}
	rc, cancel := a.redis.callCtx(ctx)
	defer cancel()
	a.redis.record(a.redis.rdb.Set(rc, a.redis.key("apq:", hash), query, apqTTL).Err())
}

func (a *APQ) remember(hash, q string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.local[hash]; ok {
		return
	}
	if len(a.local) >= apqLocalMax || a.bytes+len(hash)+len(q) > apqLocalBytes {
		a.local, a.bytes = map[string]string{}, 0 // crude, bounded; Redis keeps the rest
	}
	a.local[hash] = q
	a.bytes += len(hash) + len(q)
}
