package cache

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// leaseScripts take and drop the lease by which one replica computes a
// missed key while the others wait for its answer; one key each, so
// Cluster-safe. go-redis runs them by hash and loads them on a miss.
type leaseScripts struct {
	take *redis.Script
	drop *redis.Script
}

func newLeaseScripts() leaseScripts {
	return leaseScripts{
		// take sets the lease unless another replica holds it. A lease this
		// replica holds is a leftover (singleflight allows one computation per key
		// per process, and it is ours), so it is taken over rather than waited on:
		// a release that failed must not make a replica wait for itself.
		take: redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v and v ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`),
		// drop deletes the lease only while it is still this
		// replica's: it may have expired and been taken by another.
		drop: redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`),
	}
}

// awaitLease takes the key's lease, or waits for the replica holding it to
// store the answer. It returns that answer, carrying localStart (this
// replica's seq from before the wait), or nil when the caller should
// compute; held says the caller now holds the lease and must release it.
// The lease is asked for with Redis's counter, in one round trip: a caller
// that gets the lease at once computes with redisStart, the counter read
// just before; any other has none (-1) and reads it when it computes.
// The wait ends as soon as the lease is gone: a holder whose answer was
// not cacheable (an error, no-store) stores nothing, and waiting out the
// lease's term for it would cost every waiter LeaseFor.
func (c *ResponseCache) awaitLease(ctx context.Context, normalKey string, localStart uint64) (e *entry, held bool, redisStart int64) {
	lease := c.redis.key("lease:", normalKey)
	rc, cancel := c.redis.callCtx(ctx)
	cmds, err := c.redis.evalAll(rc,
		scriptCall{c.shared.readSeq, []string{c.redis.key("seq")}, []any{time.Now().UnixMicro()}},
		scriptCall{c.leases.take, []string{lease}, []any{c.replica, c.leaseFor.Milliseconds()}})
	cancel()
	if c.redis.recordFor(ctx, err) != nil {
		return nil, false, -1
	}
	seq, err1 := cmds[0].Int64()
	got, err2 := cmds[1].Int()
	if err1 != nil || err2 != nil {
		return nil, false, -1
	}
	if got == 1 {
		return nil, true, seq
	}
	deadline := time.Now().Add(c.leaseFor)
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return nil, false, -1
		case <-time.After(20 * time.Millisecond):
		}
		if !c.redis.available(ctx) {
			return nil, false, -1
		}
		rc, cancel := c.redis.callCtx(ctx)
		n, err := c.redis.rdb.Exists(rc, lease).Result()
		cancel()
		if c.redis.recordFor(ctx, err) != nil {
			return nil, false, -1
		}
		if n == 1 {
			continue
		}
		// Released: the holder stored its answer first, if it had one.
		// Only an answer computed since counts: the entry being refreshed
		// may still sit in Redis, stale.
		if e := c.readL2Since(ctx, normalKey, localStart); e != nil && e.freshness(time.Now()) == fresh {
			return e, false, -1
		}
		return nil, false, -1
	}
	return nil, false, -1
}

// releaseLease drops the lease if this replica still holds it (it may have
// expired and been taken by another), when storing the answer did not
// (see sharedStamps.store).
func (c *ResponseCache) releaseLease(normalKey string) {
	if !c.redis.available(context.Background()) {
		return
	}
	rc, cancel := c.redis.callCtx(context.Background())
	defer cancel()
	c.redis.record(c.leases.drop.Run(rc, c.redis.rdb, []string{c.redis.key("lease:", normalKey)}, c.replica).Err())
}
