package cache

import (
	"context"
	"slices"
	"time"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/internal/tick"
)

// The bus's side of the database's invalidation log: the poller, which
// applies writes that did not come over pub/sub and stamps in Redis those
// their writers did not; and the resync's check for writes Redis lost.

// poll applies the invalidation log's new rows: writes by processes that
// could not tell us over Redis (a CLI import, a gateway without Redis).
func (b *Bus) poll(ctx context.Context) { tick.Every(ctx, b.pollEvery, b.pollOnce) }

func (b *Bus) pollOnce(ctx context.Context) {
	b.mu.Lock()
	after := b.logSeen
	b.mu.Unlock()
	rows, err := b.invLog.Invalidations(ctx, after, 1000)
	if err != nil {
		b.logger.Warn("cache: poll invalidation log", "err", err)
		return
	}
	b.recheck(ctx)
	if len(rows) == 0 {
		return
	}
	mayLackStamp := b.shared.mayLackStamp(ctx, rows)
	if b.redis.configured() {
		b.recent = append(b.recent, rows...)
	}
	for i, inv := range rows {
		if !mayLackStamp[i] {
			b.applyRemote(ctx, inv)
			continue
		}
		// Its writer did not stamp it in Redis: do it for them, the same
		// way the writer would have (on failure it waits in pending).
		_ = b.applyAndStamp(ctx, inv, func() { b.applyRemote(ctx, inv) })
	}
	b.mu.Lock()
	b.logSeen = rows[len(rows)-1].ID
	b.mu.Unlock()
}

// recheckFor is how long after its commit the poller keeps checking that a
// write's mark is still in Redis. Redis can lose a write's stamp after it
// landed without ending any subscription: a Sentinel or Cluster failover
// with the old master still up (planned, or a partition) drops what the
// replica had not received, while the subscriptions carry on. Such a loss happens within
// moments of the write, so a window of seconds catches it; a replica then
// serves the old answer for at most one poll instead of until its TTL.
const recheckFor = 30 * time.Second

// recheckMax bounds the re-checked writes (one EXISTS each per poll) when
// writes come faster than usual, as in a bulk import.
const recheckMax = 1000

// recheck stamps again, in Redis and here, every recent write whose mark
// Redis no longer has: its stamp went with it, so an old entry may pass
// for fresh in Redis, and a replica may have taken one into L1. A write
// whose first stamp is still on its way counts too; stamping it twice
// costs misses, never a stale answer.
func (b *Bus) recheck(ctx context.Context) {
	// By commit time: the log's clock and ours differ by far less than the
	// window.
	cut := 0
	for cut < len(b.recent) && time.Since(b.recent[cut].At) > recheckFor {
		cut++
	}
	cut = max(cut, len(b.recent)-recheckMax)
	b.recent = append(b.recent[:0], b.recent[cut:]...)
	if len(b.recent) == 0 {
		return
	}
	lost, err := b.shared.lacksMark(ctx, b.recent)
	if err != nil {
		return // Redis cannot say now; the next poll asks again
	}
	for i, inv := range b.recent {
		if !lost[i] {
			continue
		}
		// Lost in a failover, or its stamps never landed (then pending).
		b.logger.Warn("cache: a recent write has no mark in Redis; stamping it again", "log_id", inv.ID)
		_ = b.applyAndStamp(ctx, inv, func() { b.local.apply(inv.Tags) })
	}
}

// resyncWrites is how many of the log's newest writes a resync checks for
// their marks: far more than reach Redis in the moment before a crash.
const resyncWrites = 256

// stampMissed stamps "all" in Redis when one of the log's recent writes
// was never stamped there: made while Redis was down, by a CLI without
// --redis, or lost with Redis's data. Not only the newest: a Sentinel
// failover loses what had not reached the replica yet, and two writers'
// stamps reach Redis in any order, so a later write's mark can survive an
// earlier one's loss. Then every unmarked write is marked, so the next
// resync does not stamp "all" again for them.
func (b *Bus) stampMissed(ctx context.Context) {
	if b.invLog == nil {
		return
	}
	last, err := b.invLog.LastInvalidation(ctx)
	if err != nil || last == 0 {
		return
	}
	rows, err := b.invLog.Invalidations(ctx, max(0, last-resyncWrites), resyncWrites)
	if err != nil {
		b.logger.Warn("cache: read the invalidation log on resync", "err", err)
		rows = []content.Invalidation{{ID: last}}
	}
	// A write older than a stamp's life cannot leave an entry that passes
	// for fresh: every entry stored before it has lost a stamp it needs
	// (missing fails the check). Its own mark may have expired too, so
	// counting it would stamp all on every resync of a quiet site.
	rows = slices.DeleteFunc(rows, func(inv content.Invalidation) bool {
		return !inv.At.IsZero() && time.Since(inv.At) > stampTTL
	})
	var missed []int64
	for i, may := range b.shared.mayLackStamp(ctx, rows) {
		if may {
			missed = append(missed, rows[i].ID)
		}
	}
	if len(missed) > 0 {
		b.logger.Info("cache: writes Redis has no stamp for; stamping all", "writes", len(missed))
		_ = b.shared.stamp(ctx, []string{content.TagAll}, missed...)
	}
}
