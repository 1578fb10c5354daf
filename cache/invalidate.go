package cache

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/internal/tick"
)

// message is an invalidation on the pub/sub channel.
type message struct {
	Nonce string    `json:"n"`
	From  string    `json:"f"`
	LogID int64     `json:"id"`
	Tags  []string  `json:"t"`
	At    time.Time `json:"at"`
}

// errRedisUnavailable: the breaker is open, or this request's Redis has
// already failed.
var errRedisUnavailable = errors.New("cache: redis unavailable")

// Invalidate is called after a write commits. It drops the stale entries
// here at once, stamps the tags in Redis, and tells every other replica,
// returning when all have acknowledged. When that cannot be confirmed (the
// stamp or the message did not get through, a replica did not answer), it
// returns only after every replica's log poll has had time to see the
// write: a write is slower during a Redis fault, so that once it returns no
// replica serves the old answer. It never fails: a cache problem must not
// fail the write that already committed.
func (c *Cache) Invalidate(ctx context.Context, inv content.Invalidation) {
	if c.rdb == nil {
		c.applyLocal(inv)
		return
	}
	err := c.applyAndStamp(ctx, inv, func() { c.applyLocal(inv) })
	if err != nil {
		c.log.Warn("cache: stamp invalidation in Redis; retrying", "err", err, "log_id", inv.ID)
	}
	if err != nil || !c.broadcast(ctx, inv) {
		c.awaitPolls(ctx)
	}
}

// applyAndStamp runs apply (the write applied here) and then stamps its
// tags in Redis. From before apply until the stamp lands the tags are
// pending: otherwise a read in between finds this replica's copy dropped,
// fetches the old entry from Redis (whose stamp has not landed yet) and
// keeps it in L1 as if it were read after the write.
func (c *Cache) applyAndStamp(ctx context.Context, inv content.Invalidation, apply func()) error {
	gen := c.pend.add(inv.Tags, false)
	apply()
	if err := c.stampRedis(ctx, inv.Tags, inv.ID); err != nil {
		return err // the tags stay pending and are retried
	}
	c.pend.landed(inv.Tags, gen)
	return nil
}

// awaitPolls waits until every replica's invalidation-log poller has run
// at least once more: a poll every PollEvery, and half as long again for
// the poll itself. Without a log there is nothing to wait for.
func (c *Cache) awaitPolls(ctx context.Context) {
	if c.o.Log == nil {
		return
	}
	t := time.NewTimer(c.o.PollEvery + c.o.PollEvery/2)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// applyRemote applies another process's write: derived state first, then
// the stamps.
func (c *Cache) applyRemote(ctx context.Context, inv content.Invalidation) {
	c.mu.Lock()
	done := inv.ID != 0 && c.applied[inv.ID]
	c.mu.Unlock()
	if done {
		return
	}
	if c.o.OnWrite != nil {
		c.o.OnWrite(ctx, inv)
	}
	c.applyLocal(inv)
}

// applyLocal stamps tags in this process, once per log id.
func (c *Cache) applyLocal(inv content.Invalidation) bool {
	c.mu.Lock()
	if inv.ID != 0 {
		if c.applied[inv.ID] {
			c.mu.Unlock()
			return false
		}
		c.applied[inv.ID] = true
		if len(c.applied) > 10000 { // the poller's window is far smaller
			c.applied = map[int64]bool{inv.ID: true}
		}
	}
	c.mu.Unlock()
	c.st.apply(inv.Tags)
	if !inv.At.IsZero() {
		c.m.invalidation.WithLabelValues("applied").Observe(time.Since(inv.At).Seconds())
	}
	return true
}

// stampRedis bumps the shared counter and stamps every tag with it: one
// single-key command per tag, so it works the same on a Cluster. Tags it
// could not stamp (Redis unavailable, a call failed) wait in c.pend for a
// retry: whoever calls it, a stamp is never just dropped.
func (c *Cache) stampRedis(ctx context.Context, tags []string, logIDs ...int64) (err error) {
	defer func() {
		if err != nil {
			c.pend.add(tags, true)
		}
	}()
	if !c.redisOK(ctx) {
		return errRedisUnavailable
	}
	rc, cancel := context.WithTimeout(context.WithoutCancel(ctx), 4*c.o.RedisTimeout)
	defer cancel()
	v, err := c.scripts.nextSeq.Run(rc, c.rdb, []string{c.key("seq")}, time.Now().UnixMicro()).Int64()
	if c.done(err) != nil {
		return err
	}
	pipe := c.rdb.Pipeline()
	for _, t := range tags {
		pipe.Set(rc, c.key("inv:", t), v, stampTTL)
	}
	for _, id := range logIDs {
		if id > 0 {
			pipe.Set(rc, c.logDoneKey(id), 1, logDoneTTL)
		}
	}
	_, err = pipe.Exec(rc)
	return c.done(err)
}

// broadcast publishes the invalidation and waits for the live replicas'
// acknowledgements; false when it could not confirm them all.
func (c *Cache) broadcast(ctx context.Context, inv content.Invalidation) bool {
	start := time.Now()
	rc, cancel := context.WithTimeout(context.WithoutCancel(ctx), 4*c.o.RedisTimeout)
	peers, err := c.livePeers(rc)
	cancel()
	if c.done(err) != nil {
		return false
	}
	nonce := strconv.FormatInt(time.Now().UnixNano(), 36) + c.replica
	acks := make(chan string, len(peers)+1)
	c.mu.Lock()
	c.waiters[nonce] = acks
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.waiters, nonce)
		c.mu.Unlock()
	}()
	if !c.subscribed.Load() {
		// Not a subscribed gateway (a CLI command, or a replica whose
		// channel is down): listen for this write's acks on our own.
		stop, err := c.listenAcks(ctx)
		if err != nil {
			return false
		}
		defer stop()
	}
	msg, _ := json.Marshal(message{Nonce: nonce, From: c.replica, LogID: inv.ID, Tags: inv.Tags, At: inv.At})
	rc, cancel = context.WithTimeout(context.WithoutCancel(ctx), 4*c.o.RedisTimeout)
	err = c.rdb.Publish(rc, c.key("inv"), msg).Err()
	cancel()
	if c.done(err) != nil {
		return false
	}
	waiting := map[string]bool{}
	for _, p := range peers {
		waiting[p] = true
	}
	timeout := time.NewTimer(c.o.AckTimeout)
	defer timeout.Stop()
	for len(waiting) > 0 {
		select {
		case id := <-acks:
			delete(waiting, id)
		case <-timeout.C:
			c.log.Warn("cache: replicas did not acknowledge an invalidation in time", "missing", len(waiting), "log_id", inv.ID)
			return false
		}
	}
	if !inv.At.IsZero() {
		c.m.invalidation.WithLabelValues("acknowledged").Observe(time.Since(inv.At).Seconds())
	}
	c.log.Debug("cache: invalidation acknowledged", "replicas", len(peers), "took", time.Since(start))
	return true
}

// listenAcks subscribes to acknowledgements until stop is called.
func (c *Cache) listenAcks(ctx context.Context) (stop func(), err error) {
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	ps := c.rdb.Subscribe(lctx, c.key("invack"))
	rc, rcancel := context.WithTimeout(lctx, 4*c.o.RedisTimeout)
	_, err = ps.Receive(rc) // the subscription's confirmation
	rcancel()
	if c.done(err) != nil {
		cancel()
		ps.Close()
		return nil, err
	}
	context.AfterFunc(lctx, func() { ps.Close() })
	go func() {
		for {
			msg, err := ps.Receive(lctx)
			if err != nil {
				return
			}
			if m, ok := msg.(*redis.Message); ok {
				c.onMessage(lctx, m)
			}
		}
	}()
	return func() { cancel(); ps.Close() }, nil
}

// heartbeat period and how long a silent replica still counts as live.
const (
	heartbeatEvery = 2 * time.Second
	peerLiveFor    = 3 * heartbeatEvery
	peerForgetFor  = time.Minute
)

// livePeers lists the other replicas that heartbeat recently (one hash key:
// a replica's field is refreshed every heartbeat and pruned when silent).
func (c *Cache) livePeers(ctx context.Context) ([]string, error) {
	all, err := c.rdb.HGetAll(ctx, c.key("replicas")).Result()
	if err != nil {
		return nil, err
	}
	now := time.Now().UnixMilli()
	var live []string
	for id, v := range all {
		ms, _ := strconv.ParseInt(v, 10, 64)
		switch {
		case id == c.replica:
		case now-ms <= peerLiveFor.Milliseconds():
			live = append(live, id)
		case now-ms > peerForgetFor.Milliseconds():
			c.rdb.HDel(ctx, c.key("replicas"), id)
		}
	}
	return live, nil
}

// Run does the cache's background work until ctx ends: the pub/sub
// subscriber, the heartbeat, and the invalidation-log poller.
func (c *Cache) Run(ctx context.Context) {
	if c.o.Log != nil {
		if id, err := c.o.Log.LastInvalidation(ctx); err == nil {
			c.mu.Lock()
			c.logSeen = id
			c.mu.Unlock()
		}
		go c.poll(ctx)
	}
	if c.rdb == nil {
		<-ctx.Done()
		return
	}
	go c.heartbeat(ctx)
	go c.stampPending(ctx)
	c.subscribe(ctx)
}

// subscribe receives invalidations and acknowledgements, keeping
// c.subscribed true only while the subscription is known to be live.
func (c *Cache) subscribe(ctx context.Context) {
	for ctx.Err() == nil {
		c.subscribeOnce(ctx)
		c.subscribed.Store(false)
		c.l1.clear()
		select {
		case <-ctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (c *Cache) subscribeOnce(ctx context.Context) {
	ps := c.rdb.Subscribe(ctx, c.key("inv"), c.key("invack"))
	defer ps.Close()
	// A blocked read does not always see ctx end; closing the connection
	// always ends it.
	stop := context.AfterFunc(ctx, func() { ps.Close() })
	defer stop()
	subscribed := 0
	for {
		msg, err := ps.ReceiveTimeout(ctx, heartbeatEvery)
		if err != nil {
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() && subscribed == 2 {
				pctx, cancel := context.WithTimeout(ctx, 4*c.o.RedisTimeout)
				perr := ps.Ping(pctx)
				cancel()
				if perr == nil {
					continue
				}
			}
			if ctx.Err() == nil && c.subscribed.Load() {
				c.log.Warn("cache: lost the invalidation channel; serving from the database until it is back", "err", err)
			}
			return
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				subscribed++
			}
			if subscribed == 2 {
				c.resync(ctx)
			}
		case *redis.Message:
			c.onMessage(ctx, m)
		case *redis.Pong:
		}
	}
}

// resync follows a (re)subscription: messages may have been missed, so L1
// starts empty; writes logged while Redis was away are stamped in Redis.
func (c *Cache) resync(ctx context.Context) {
	c.l1.clear()
	c.stampMissed(ctx)
	c.subscribed.Store(true)
	c.beat(ctx)
	c.log.Info("cache: invalidation channel live", "replica", c.replica)
}

// stampMissed stamps "all" in Redis when one of the log's recent writes
// was never stamped there: made while Redis was down, by a CLI without
// --redis, or lost with Redis's data. Not only the newest: a Sentinel
// failover loses what had not reached the replica yet, and two writers'
// stamps reach Redis in any order, so a later write's mark can survive an
// earlier one's loss. Then every unmarked write is marked, so the next
// resync does not stamp "all" again for them.
func (c *Cache) stampMissed(ctx context.Context) {
	if c.o.Log == nil {
		return
	}
	last, err := c.o.Log.LastInvalidation(ctx)
	if err != nil || last == 0 {
		return
	}
	rows, err := c.o.Log.Invalidations(ctx, max(0, last-resyncWrites), resyncWrites)
	if err != nil {
		c.log.Warn("cache: read the invalidation log on resync", "err", err)
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
	for i, may := range c.mayLackStamp(ctx, rows) {
		if may {
			missed = append(missed, rows[i].ID)
		}
	}
	if len(missed) > 0 {
		c.log.Info("cache: writes Redis has no stamp for; stamping all", "writes", len(missed))
		_ = c.stampRedis(ctx, []string{content.TagAll}, missed...)
	}
}

// resyncWrites is how many of the log's newest writes a resync checks for
// their marks: far more than reach Redis in the moment before a crash.
const resyncWrites = 256

// logDoneTTL is how long Redis remembers that a logged write was stamped:
// far longer than a poll takes to see it. Past it, a write the poller has
// not seen yet (a database away that long) is stamped again, which costs
// misses, never a stale answer.
const logDoneTTL = 24 * time.Hour

// logDoneKey marks a logged write as stamped in Redis. A mark per write,
// not a high-water mark: a writer that dies with its stamp pending leaves
// its write unmarked even when later writes are marked, and the poller
// stamps it for it.
func (c *Cache) logDoneKey(logID int64) string {
	return c.key("logdone:", strconv.FormatInt(logID, 10))
}

// mayLackStamp says, row by row, which logged writes may have no stamp in
// Redis because no writer marked them as stamped: every one when Redis
// cannot say (stamping them then waits in c.pend), none without Redis.
func (c *Cache) mayLackStamp(ctx context.Context, rows []content.Invalidation) []bool {
	out, err := c.lacksMark(ctx, rows)
	if err != nil {
		for i := range out {
			out[i] = true
		}
	}
	return out
}

// lacksMark says, row by row, which logged writes have no mark in Redis;
// an error when Redis cannot say, and none without Redis.
func (c *Cache) lacksMark(ctx context.Context, rows []content.Invalidation) ([]bool, error) {
	out := make([]bool, len(rows))
	if c.rdb == nil {
		return out, nil
	}
	if !c.redisOK(ctx) {
		return out, errRedisUnavailable
	}
	rc, cancel := c.rctx(ctx)
	defer cancel()
	pipe := c.rdb.Pipeline()
	marks := make([]*redis.IntCmd, len(rows))
	for i, inv := range rows {
		marks[i] = pipe.Exists(rc, c.logDoneKey(inv.ID))
	}
	if _, err := pipe.Exec(rc); c.done(err) != nil {
		return out, err
	}
	for i := range rows {
		out[i] = marks[i].Val() == 0
	}
	return out, nil
}

func (c *Cache) onMessage(ctx context.Context, m *redis.Message) {
	switch {
	case strings.HasSuffix(m.Channel, "invack"):
		nonce, from, _ := strings.Cut(m.Payload, " ")
		c.mu.Lock()
		ch := c.waiters[nonce]
		c.mu.Unlock()
		if ch != nil {
			select {
			case ch <- from:
			default:
			}
		}
	default:
		var msg message
		if json.Unmarshal([]byte(m.Payload), &msg) != nil || msg.From == c.replica {
			return
		}
		c.applyRemote(ctx, content.Invalidation{ID: msg.LogID, Tags: msg.Tags, At: msg.At})
		rc, cancel := c.rctx(ctx)
		c.done(c.rdb.Publish(rc, c.key("invack"), msg.Nonce+" "+c.replica).Err())
		cancel()
	}
}

func (c *Cache) heartbeat(ctx context.Context) {
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			rc, cancel := context.WithTimeout(context.Background(), time.Second)
			c.rdb.HDel(rc, c.key("replicas"), c.replica)
			cancel()
			return
		case <-t.C:
			if c.subscribed.Load() {
				c.beat(ctx)
			}
		}
	}
}

func (c *Cache) beat(ctx context.Context) {
	rc, cancel := c.rctx(ctx)
	defer cancel()
	c.done(c.rdb.HSet(rc, c.key("replicas"), c.replica, time.Now().UnixMilli()).Err())
}

// poll applies the invalidation log's new rows: writes by processes that
// could not tell us over Redis (a CLI import, a gateway without Redis).
func (c *Cache) poll(ctx context.Context) { tick.Every(ctx, c.o.PollEvery, c.pollOnce) }

func (c *Cache) pollOnce(ctx context.Context) {
	c.mu.Lock()
	after := c.logSeen
	c.mu.Unlock()
	rows, err := c.o.Log.Invalidations(ctx, after, 1000)
	if err != nil {
		c.log.Warn("cache: poll invalidation log", "err", err)
		return
	}
	c.recheck(ctx)
	if len(rows) == 0 {
		return
	}
	mayLackStamp := c.mayLackStamp(ctx, rows)
	if c.rdb != nil {
		c.recent = append(c.recent, rows...)
	}
	for i, inv := range rows {
		if !mayLackStamp[i] {
			c.applyRemote(ctx, inv)
			continue
		}
		// Its writer did not stamp it in Redis: do it for them, the same
		// way the writer would have (on failure it waits in c.pend).
		_ = c.applyAndStamp(ctx, inv, func() { c.applyRemote(ctx, inv) })
	}
	c.mu.Lock()
	c.logSeen = rows[len(rows)-1].ID
	c.mu.Unlock()
}

// recheckFor is how long after its commit the poller keeps checking that a
// write's mark is still in Redis. Redis can lose a write's stamp after it landed without
// ending any subscription: a Sentinel or Cluster failover with the old
// master still up (planned, or a partition) drops what the replica had not
// received, while the subscriptions carry on. Such a loss happens within
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
func (c *Cache) recheck(ctx context.Context) {
	// By commit time: the log's clock and ours differ by far less than the
	// window.
	cut := 0
	for cut < len(c.recent) && time.Since(c.recent[cut].At) > recheckFor {
		cut++
	}
	cut = max(cut, len(c.recent)-recheckMax)
	c.recent = append(c.recent[:0], c.recent[cut:]...)
	if len(c.recent) == 0 {
		return
	}
	lost, err := c.lacksMark(ctx, c.recent)
	if err != nil {
		return // Redis cannot say now; the next poll asks again
	}
	for i, inv := range c.recent {
		if !lost[i] {
			continue
		}
		// Lost in a failover, or its stamps never landed (then pending).
		c.log.Warn("cache: a recent write has no mark in Redis; stamping it again", "log_id", inv.ID)
		_ = c.applyAndStamp(ctx, inv, func() { c.st.apply(inv.Tags) })
	}
}
