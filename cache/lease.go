package cache

import (
	"time"

	"github.com/redis/go-redis/v9"
)

// stampTTL is how long a tag's stamp lives: longer than any entry it can
// invalidate (max-age + stale-while-revalidate).
const stampTTL = 6 * time.Hour

// scripts are the cache's Lua scripts, one key each (so Cluster-safe);
// go-redis runs them by hash and loads them on a miss.
type scripts struct {
	takeLease *redis.Script
	dropLease *redis.Script
	nextSeq   *redis.Script
	readSeq   *redis.Script
}

func newScripts() scripts {
	return scripts{
		// The invalidation counter never goes back, even when Redis loses
		// it (a node restarted empty): every value is at least the
		// writer's clock in µs, so a counter started again begins past
		// every value handed out before (clocks matter only then, and only
		// by more than the time since the last write).
		nextSeq: redis.NewScript(`
local v = redis.call('INCR', KEYS[1])
local t = tonumber(ARGV[1])
if v < t then redis.call('SET', KEYS[1], t); v = t end
return v`),
		// readSeq is the counter, started at the clock when missing.
		readSeq: redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then v = ARGV[1]; redis.call('SET', KEYS[1], v) end
return tonumber(v)`),
		// takeLease sets the lease unless another replica holds it. A lease this
		// replica holds is a leftover (singleflight allows one computation per key
		// per process, and it is ours), so it is taken over rather than waited on:
		// a release that failed must not make a replica wait for itself.
		takeLease: redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v and v ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`),
		// dropLease deletes the lease only while it is still this
		// replica's: it may have expired and been taken by another.
		dropLease: redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`),
	}
}
