package cache

import (
	"context"
	"time"

	"github.com/bylinehq/byline/internal/tick"
)

// Stamps that did not reach Redis. A write whose tags could not be stamped
// (Redis down, the breaker open, the tag's Cluster node away) must not be
// forgotten: an entry computed before it may sit in Redis, on a node that
// stayed up, and would pass the stamp check as fresh once Redis answers
// again. Until the stamps land, this replica trusts no Redis entry carrying
// one of those tags, and a background loop retries them.
type pending struct {
	tags map[string]uint64 // tag → the generation it was added in
	gen  uint64
}

// addPending remembers tags whose Redis stamp failed.
func (c *Cache) addPending(tags []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pend.tags == nil {
		c.pend.tags = map[string]uint64{}
	}
	c.pend.gen++
	for _, t := range tags {
		c.pend.tags[t] = c.pend.gen
	}
	c.anyPending.Store(true)
}

// pendingAny says whether any of tags still waits for its Redis stamp; one
// atomic load when nothing does.
func (c *Cache) pendingAny(tags []string) bool {
	if !c.anyPending.Load() {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range tags {
		if _, ok := c.pend.tags[t]; ok {
			return true
		}
	}
	return false
}

// stampPending retries the waiting stamps until Redis takes them.
func (c *Cache) stampPending(ctx context.Context) {
	tick.Every(ctx, 100*time.Millisecond, func(ctx context.Context) {
		if !c.anyPending.Load() || !c.redisOK(ctx) {
			return
		}
		// The tags stay pending (distrusted) until the stamp has landed;
		// only those added before it was taken are then let go: a write
		// failing meanwhile keeps its own.
		c.mu.Lock()
		gen := c.pend.gen
		tags := make([]string, 0, len(c.pend.tags))
		for t := range c.pend.tags {
			tags = append(tags, t)
		}
		c.mu.Unlock()
		if err := c.stampRedis(ctx, tags, 0); err != nil {
			return
		}
		c.mu.Lock()
		for _, t := range tags {
			if c.pend.tags[t] <= gen {
				delete(c.pend.tags, t)
			}
		}
		c.anyPending.Store(len(c.pend.tags) > 0)
		c.mu.Unlock()
		c.log.Info("cache: stamped invalidations Redis had missed", "tags", len(tags))
	})
}
