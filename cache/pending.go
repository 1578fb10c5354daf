package cache

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bylinehq/byline/internal/tick"
)

// pending holds the tags whose Redis stamp has not landed: on its way
// (a write between dropping its copy here and stamping Redis), or failed.
// A write whose tags could not be stamped (Redis down, the breaker open, the
// tag's Cluster node away) must not be forgotten: an entry computed before
// it may sit in Redis, on a node that stayed up, and would pass the stamp
// check as fresh once Redis answers again. Until the stamps land, this
// replica trusts no Redis entry carrying one of those tags, and
// retryPending retries the failed ones; a stamp on its way is its writer's.
type pending struct {
	mu   sync.Mutex
	tags map[string]pend
	gen  uint64
	any  atomic.Bool // tags is not empty: the read path's lock-free check
}

type pend struct {
	gen   uint64 // the generation the tag was added in
	retry bool   // its stamp failed: retryPending's to retry
}

// add makes tags wait, returning the generation landed takes to let go of
// them; retry hands them to retryPending.
func (p *pending) add(tags []string, retry bool) uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tags == nil {
		p.tags = map[string]pend{}
	}
	p.gen++
	for _, t := range tags {
		p.tags[t] = pend{p.gen, retry || p.tags[t].retry}
	}
	p.any.Store(true)
	return p.gen
}

// anyOf says whether any of tags still waits for its stamp.
func (p *pending) anyOf(tags []string) bool {
	if !p.any.Load() {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range tags {
		if _, ok := p.tags[t]; ok {
			return true
		}
	}
	return false
}

// failed is every tag whose stamp failed, and the generation they were
// taken at.
func (p *pending) failed() ([]string, uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var tags []string
	for t, w := range p.tags {
		if w.retry {
			tags = append(tags, t)
		}
	}
	return tags, p.gen
}

// landed lets go of tags stamped after generation gen was taken; a tag
// whose write failed again since keeps waiting.
func (p *pending) landed(tags []string, gen uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range tags {
		if p.tags[t].gen <= gen {
			delete(p.tags, t)
		}
	}
	p.any.Store(len(p.tags) > 0)
}

// retryPending retries the failed stamps until Redis takes them. The tags
// stay distrusted until their stamp has landed.
func (s *sharedStamps) retryPending(ctx context.Context) {
	tick.Every(ctx, 100*time.Millisecond, func(ctx context.Context) {
		// No redis.available here: stamp asks, and a breaker's probe
		// granted to a caller that then makes no call would never be
		// answered.
		if !s.pending.any.Load() {
			return
		}
		tags, gen := s.pending.failed()
		if len(tags) == 0 {
			return // only stamps on their way, which their writers make
		}
		if s.stamp(ctx, tags) != nil {
			return // still pending (stamp re-added them)
		}
		s.pending.landed(tags, gen)
		s.logger.Info("cache: stamped invalidations Redis had missed", "tags", len(tags))
	})
}
