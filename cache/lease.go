package cache

import "github.com/redis/go-redis/v9"

// leaseScripts are the lease's one-key Lua scripts (one key each, so
// Cluster-safe); go-redis runs them by hash and loads them on a miss.
type leaseScripts struct {
	takeLease *redis.Script
	dropLease *redis.Script
}

func newLeaseScripts() leaseScripts {
	return leaseScripts{
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
