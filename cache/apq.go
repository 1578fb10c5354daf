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
	c     *Cache
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

// APQ returns the persisted-query store.
func (c *Cache) APQ() *APQ { return &APQ{c: c, local: map[string]string{}} }

// Get returns a persisted query by hash.
func (a *APQ) Get(ctx context.Context, hash string) (string, bool) {
	a.mu.Lock()
	q, ok := a.local[hash]
	a.mu.Unlock()
	if ok || !a.c.redisOK(ctx) {
		return q, ok
	}
	rc, cancel := a.c.rctx(ctx)
	defer cancel()
	q, err := a.c.rdb.Get(rc, a.c.key("apq:", hash)).Result()
	if a.c.done(err) != nil {
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
	if !a.c.redisOK(ctx) {
		return
	}
	rc, cancel := a.c.rctx(ctx)
	defer cancel()
	a.c.done(a.c.rdb.Set(rc, a.c.key("apq:", hash), query, apqTTL).Err())
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
