package cache

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bylinehq/byline/content"
)

// stampTTL is how long a tag's stamp lives: longer than any entry it can
// invalidate (max-age + stale-while-revalidate).
const stampTTL = 6 * time.Hour

// logDoneTTL is how long Redis remembers that a logged write was stamped:
// far longer than a poll takes to see it. Past it, a write the poller has
// not seen yet (a database away that long) is stamped again, which costs
// misses, never a stale answer.
const logDoneTTL = 24 * time.Hour

// sharedStamps are the invalidation stamps in Redis, which every replica
// reads: the counter (seq), a stamp per tag (inv:<tag>, the counter's value
// at the tag's latest write), a mark per logged write that was stamped
// (logdone:<id>), and the stamps that have not landed yet (pending). The
// bus writes them; the response cache checks its L2 entries against them.
// On a Cluster every command and script touches one key (one slot).
type sharedStamps struct {
	redis   *redisAccess
	nextSeq *redis.Script
	readSeq *redis.Script
	// storeEntry checks stamps and stores an entry (see store).
	storeEntry *redis.Script
	pending    pending
	logger     *slog.Logger
}

func newSharedStamps(r *redisAccess, logger *slog.Logger) *sharedStamps {
	return &sharedStamps{
		redis: r, logger: logger,
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
		// storeEntry: KEYS are the stamps (ARGV[3] of them), then maybe
		// the entry, then maybe its lease; ARGV the start, the stamps'
		// TTL, the count, the entry, its TTL and the lease's holder. A
		// stamp past the start leaves the entry out (the other stamps
		// then need none: nothing is stored that reads them).
		storeEntry: redis.NewScript(`
local start, n, ok = tonumber(ARGV[1]), tonumber(ARGV[3]), 1
for i = 1, n do
  redis.call('SET', KEYS[i], ARGV[1], 'NX', 'PX', ARGV[2])
  local v = tonumber(redis.call('GET', KEYS[i]))
  if not v or v > start then ok = 0; break end
end
if ok == 1 and KEYS[n + 1] then redis.call('SET', KEYS[n + 1], ARGV[4], 'PX', ARGV[5]) end
if KEYS[n + 2] and redis.call('GET', KEYS[n + 2]) == ARGV[6] then redis.call('DEL', KEYS[n + 2]) end
return ok`),
	}
}

// seq is Redis's invalidation counter before a computation; -1 when Redis
// is unavailable (the entry then stays out of L2).
func (s *sharedStamps) seq(ctx context.Context) int64 {
	if !s.redis.available(ctx) {
		return -1
	}
	rc, cancel := s.redis.callCtx(ctx)
	defer cancel()
	v, err := s.readSeq.Run(rc, s.redis.rdb, []string{s.redis.key("seq")}, time.Now().UnixMicro()).Int64()
	if s.redis.recordFor(ctx, err) != nil {
		return -1
	}
	return v
}

// validSince checks tags' Redis stamps against start: one MGET, or on a
// Cluster one pipelined GET each (the client splits the pipeline by slot).
// Every tag of a stored entry has a stamp (see store), so a missing one
// fails too: Redis lost it (a node restarted empty, a failover dropped
// writes), and with it any write stamped since.
func (s *sharedStamps) validSince(ctx context.Context, tags []string, start int64) bool {
	if len(tags) == 0 {
		return true
	}
	keys := make([]string, len(tags))
	for i, t := range tags {
		keys[i] = s.redis.key("inv:", t)
	}
	vals := make([]any, len(keys))
	if s.redis.cluster() {
		pipe := s.redis.rdb.Pipeline()
		cmds := make([]*redis.StringCmd, len(keys))
		for i, k := range keys {
			cmds[i] = pipe.Get(ctx, k)
		}
		_, err := pipe.Exec(ctx)
		if s.redis.recordFor(ctx, err) != nil && err != redis.Nil {
			return false
		}
		for i, cmd := range cmds {
			if v, err := cmd.Result(); err == nil {
				vals[i] = v
			}
		}
	} else {
		var err error
		vals, err = s.redis.rdb.MGet(ctx, keys...).Result()
		if s.redis.recordFor(ctx, err) != nil {
			return false
		}
	}
	for _, v := range vals {
		str, _ := v.(string)
		if n, err := strconv.ParseInt(str, 10, 64); err != nil || n > start {
			return false
		}
	}
	return true
}

// store puts an entry (b, under key) in Redis unless one of its tags was
// stamped there since start, first giving a tag without a stamp one at
// start (a reader counts a missing stamp as lost, see validSince), and
// lets the entry's lease go when holder holds it (lease "": none held).
// Outside a Cluster that is one script whatever the number of tags: a miss
// costs the same with two tags or forty. A Cluster's script may touch one
// slot only, and tags spread over slots, so there it is a script per tag,
// pipelined, then the entry's SET, and the lease is left to the caller.
// released says the lease is gone.
func (s *sharedStamps) store(ctx context.Context, key string, b []byte, ttl time.Duration, tags []string, start int64, lease, holder string) (released bool) {
	stamps := make([]string, len(tags))
	for i, t := range tags {
		stamps[i] = s.redis.key("inv:", t)
	}
	if !s.redis.cluster() {
		keys := append(stamps, key)
		if lease != "" {
			keys = append(keys, lease)
		}
		err := s.storeEntry.Run(ctx, s.redis.rdb, keys, start, stampTTL.Milliseconds(), len(stamps), b, ttl.Milliseconds(), holder).Err()
		return s.redis.recordFor(ctx, err) == nil && lease != ""
	}
	calls := make([]scriptCall, len(stamps))
	for i, k := range stamps {
		calls[i] = scriptCall{s.storeEntry, []string{k}, []any{start, stampTTL.Milliseconds(), 1}}
	}
	cmds, err := s.redis.evalAll(ctx, calls...)
	if s.redis.recordFor(ctx, err) != nil {
		return false
	}
	for _, cmd := range cmds {
		if v, err := cmd.Int(); err != nil || v != 1 {
			return false // stamped since we began: never store it as fresh
		}
	}
	s.redis.recordFor(ctx, s.redis.rdb.Set(ctx, key, b, ttl).Err())
	return false
}

// stamp bumps the shared counter and stamps every tag with it, and marks
// the logged writes it stands for as stamped: one single-key command per
// tag and per write, so it works the same on a Cluster. Tags it could not
// stamp (Redis unavailable, a call failed) wait in s.pending for a retry:
// whoever calls it, a stamp is never just dropped.
func (s *sharedStamps) stamp(ctx context.Context, tags []string, logIDs ...int64) (err error) {
	defer func() {
		if err != nil {
			s.pending.add(tags, true)
		}
	}()
	if !s.redis.available(ctx) {
		return errRedisUnavailable
	}
	rc, cancel := s.redis.exchangeCtx(ctx)
	defer cancel()
	v, err := s.nextSeq.Run(rc, s.redis.rdb, []string{s.redis.key("seq")}, time.Now().UnixMicro()).Int64()
	if s.redis.record(err) != nil {
		return err
	}
	pipe := s.redis.rdb.Pipeline()
	for _, t := range tags {
		pipe.Set(rc, s.redis.key("inv:", t), v, stampTTL)
	}
	for _, id := range logIDs {
		if id > 0 {
			pipe.Set(rc, s.logDoneKey(id), 1, logDoneTTL)
		}
	}
	_, err = pipe.Exec(rc)
	return s.redis.record(err)
}

// logDoneKey marks a logged write as stamped in Redis. A mark per write,
// not a high-water mark: a writer that dies with its stamp pending leaves
// its write unmarked even when later writes are marked, and the poller
// stamps it for it.
func (s *sharedStamps) logDoneKey(logID int64) string {
	return s.redis.key("logdone:", strconv.FormatInt(logID, 10))
}

// mayLackStamp says, row by row, which logged writes may have no stamp in
// Redis because no writer marked them as stamped: every one when Redis
// cannot say (stamping them then waits in s.pending), none without Redis.
func (s *sharedStamps) mayLackStamp(ctx context.Context, rows []content.Invalidation) []bool {
	out, err := s.lacksMark(ctx, rows)
	if err != nil {
		for i := range out {
			out[i] = true
		}
	}
	return out
}

// lacksMark says, row by row, which logged writes have no mark in Redis;
// an error when Redis cannot say, and none without Redis.
func (s *sharedStamps) lacksMark(ctx context.Context, rows []content.Invalidation) ([]bool, error) {
	out := make([]bool, len(rows))
	if !s.redis.configured() {
		return out, nil
	}
	if !s.redis.available(ctx) {
		return out, errRedisUnavailable
	}
	rc, cancel := s.redis.callCtx(ctx)
	defer cancel()
	pipe := s.redis.rdb.Pipeline()
	marks := make([]*redis.IntCmd, len(rows))
	for i, inv := range rows {
		marks[i] = pipe.Exists(rc, s.logDoneKey(inv.ID))
	}
	if _, err := pipe.Exec(rc); s.redis.record(err) != nil {
		return out, err
	}
	for i := range rows {
		out[i] = marks[i].Val() == 0
	}
	return out, nil
}
