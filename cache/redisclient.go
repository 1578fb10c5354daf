package cache

import (
	"time"

	"github.com/redis/go-redis/v9"
)

// TuneClient sets the go-redis options the fail-open promise rests on, so
// the gateway and the tests run the same client. Every call already carries
// the cache's own short deadline (Options.RedisTimeout); the client must
// honour it (ContextTimeoutEnabled) and not stack its own retries on top:
// go-redis by default dials five times with 100 ms pauses and retries a
// command three times, which turns one dead Cluster node into a second's
// stall. One command retry stays, for a pooled connection Redis closed
// while idle (after a restart); dialing is tried once per call, and the
// next request, or the breaker's probe, tries again.
func TuneClient(o *redis.UniversalOptions) {
	o.DialTimeout = 250 * time.Millisecond
	o.ReadTimeout = 200 * time.Millisecond
	o.WriteTimeout = 200 * time.Millisecond
	o.PoolTimeout = 200 * time.Millisecond
	o.ContextTimeoutEnabled = true
	o.MaxRetries = 1
	o.DialerRetries = 1
}
