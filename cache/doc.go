// Package cache is Byline's response cache: whole GraphQL responses kept in
// process (L1, bounded in bytes) in front of Redis (L2, shared by replicas),
// invalidated by tag the moment a write commits, and never in the way: with
// Redis slow or gone, requests are answered from the database.
//
// Correctness rests on one rule: an entry is valid only while every tag it
// read has not been stamped since the entry's computation began. Stamps are
// sequence numbers, not clocks: locally an atomic counter, in Redis an INCR,
// so a response computed before a write can never pass as fresh after it,
// whatever the replicas' clocks say. A write stamps each tag with one
// single-key SET (no growing tag sets, no KEYS or SCAN, Cluster-safe), tells
// the other replicas over pub/sub and waits for their acknowledgements, so
// once it returns no replica serves what it replaced. The database's
// invalidation log, polled every second, carries writes made without Redis
// (a CLI import) to every running gateway.
//
// New builds the parts, each with one role: ResponseCache (the middleware,
// entries in L1 and L2, coalescing of misses by singleflight and lease),
// Bus (the stamps here and in Redis, pub/sub and acknowledgements,
// heartbeats, stamps still to land, the invalidation-log poller), Limiter
// and APQ. All of them call Redis through one helper, redisAccess: the key
// prefix, the per-call deadline, the breaker, and the request's "a call
// already failed" flag.
package cache
