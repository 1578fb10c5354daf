package cache

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/bylinehq/byline/content"
)

// message is an invalidation on the pub/sub channel.
type message struct {
	Nonce string    `json:"n"`
	From  string    `json:"f"`
	LogID int64     `json:"id"`
	Tags  []string  `json:"t"`
	At    time.Time `json:"at"`
	// Kind and Slugs are the change's, for the consumers of changes that
	// are not the cache (the related index).
	Kind  content.ChangeKind `json:"k,omitempty"`
	Slugs []string           `json:"s,omitempty"`
}

// Bus is the invalidation bus. A write made here is applied to this
// process's stamps, stamped in Redis and published to the other replicas,
// whose acknowledgements it waits for; the bus receives theirs over
// pub/sub, heartbeats while its subscription is live, keeps the stamps
// that did not land for a retry, and polls the database's invalidation log
// for writes made elsewhere. It says whether this replica is in sync, on
// which serving anything from memory or from Redis rests.
type Bus struct {
	redis   *redisAccess
	local   stamps        // this process's
	shared  *sharedStamps // Redis's
	peers   peers
	replica string
	logger  *slog.Logger

	invLog     InvalidationLog // nil: not polled
	pollEvery  time.Duration
	ackTimeout time.Duration
	consumers  []func(ctx context.Context, inv content.Invalidation) // Subscribe
	// onGap drops what this process holds on the subscription's word (the
	// response cache's L1): a replica that may have missed a message starts
	// empty.
	onGap func()

	// subscribed is true while this replica receives invalidations over
	// pub/sub. With Redis configured, L1 is served only then: a replica
	// that may have missed a message must not answer from memory.
	subscribed atomic.Bool

	mu      sync.Mutex
	waiters map[string]chan string // write nonce → acknowledging replicas
	applied map[int64]bool         // invalidation log ids applied here
	logSeen int64                  // the newest log id the poller has applied

	recent []content.Invalidation // the poller's own: writes it re-checks (recheck)

	invalidationSeconds *prometheus.HistogramVec
}

func newBus(r *redisAccess, replica string, o Options, m *metrics) *Bus {
	return &Bus{
		redis: r, shared: newSharedStamps(r, o.Logger), peers: peers{redis: r, self: replica},
		replica: replica, logger: o.Logger,
		invLog: o.Log, pollEvery: o.PollEvery, ackTimeout: o.AckTimeout,
		waiters: map[string]chan string{}, applied: map[int64]bool{},
		invalidationSeconds: m.invalidation,
	}
}

// inSync says whether this replica knows of every invalidation, so that
// what it holds can be trusted: without Redis, memory is all there is; with
// it, only while its subscription is live and resynced. L1 and reads of
// Redis entries both rest on it: a failover or restart that lost stamps
// ends every subscription, and the resync stamps what was lost
// (stampMissed).
func (b *Bus) inSync() bool { return !b.redis.configured() || b.subscribed.Load() }

// dropMemory empties what only a live subscription makes trustworthy.
func (b *Bus) dropMemory() {
	if b.onGap != nil {
		b.onGap()
	}
}

// Invalidate is called after a write commits. It drops the stale entries
// here at once, stamps the tags in Redis, and tells every other replica,
// returning when all have acknowledged. When that cannot be confirmed (the
// stamp or the message did not get through, a replica did not answer), it
// returns only after every replica's log poll has had time to see the
// write: a write is slower during a Redis fault, so that once it returns no
// replica serves the old answer. It never fails: a cache problem must not
// fail the write that already committed.
func (b *Bus) Invalidate(ctx context.Context, inv content.Invalidation) {
	if !b.redis.configured() {
		b.applyLocal(inv)
		return
	}
	err := b.applyAndStamp(ctx, inv, func() { b.applyLocal(inv) })
	if err != nil {
		b.logger.Warn("cache: stamp invalidation in Redis; retrying", "err", err, "log_id", inv.ID)
	}
	if err != nil || !b.broadcast(ctx, inv) {
		b.awaitPolls(ctx)
	}
}

// applyAndStamp runs apply (the write applied here) and then stamps its
// tags in Redis. From before apply until the stamp lands the tags are
// pending: otherwise a read in between finds this replica's copy dropped,
// fetches the old entry from Redis (whose stamp has not landed yet) and
// keeps it in L1 as if it were read after the write.
func (b *Bus) applyAndStamp(ctx context.Context, inv content.Invalidation, apply func()) error {
	gen := b.shared.pending.add(inv.Tags, false)
	apply()
	if err := b.shared.stamp(ctx, inv.Tags, inv.ID); err != nil {
		return err // the tags stay pending and are retried
	}
	b.shared.pending.landed(inv.Tags, gen)
	return nil
}

// awaitPolls waits until every replica's invalidation-log poller has run
// at least once more: a poll every PollEvery, and half as long again for
// the poll itself. Without a log there is nothing to wait for.
func (b *Bus) awaitPolls(ctx context.Context) {
	if b.invLog == nil {
		return
	}
	t := time.NewTimer(b.pollEvery + b.pollEvery/2)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// applyRemote applies another process's write: derived state first, then
// the stamps.
func (b *Bus) applyRemote(ctx context.Context, inv content.Invalidation) {
	b.mu.Lock()
	done := inv.ID != 0 && b.applied[inv.ID]
	b.mu.Unlock()
	if done {
		return
	}
	b.mu.Lock()
	consumers := b.consumers
	b.mu.Unlock()
	for _, c := range consumers {
		c(ctx, inv)
	}
	b.applyLocal(inv)
}

// Subscribe adds a consumer of the writes other processes commit (another
// replica's, the CLI's), learnt over pub/sub or from the log: it is called
// once per logged write, before this process's entries are dropped, so
// derived state (the related-stories index) is current by the time
// anything is recomputed. This process's own writes reach the domain's
// consumers directly.
func (b *Bus) Subscribe(consume func(ctx context.Context, inv content.Invalidation)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.consumers = append(slices.Clip(b.consumers), consume)
}

// applyLocal stamps tags in this process, once per log id.
func (b *Bus) applyLocal(inv content.Invalidation) bool {
	b.mu.Lock()
	if inv.ID != 0 {
		if b.applied[inv.ID] {
			b.mu.Unlock()
			return false
		}
		b.applied[inv.ID] = true
		if len(b.applied) > 10000 { // the poller's window is far smaller
			b.applied = map[int64]bool{inv.ID: true}
		}
	}
	b.mu.Unlock()
	b.local.apply(inv.Tags)
	if !inv.At.IsZero() {
		b.invalidationSeconds.WithLabelValues("applied").Observe(time.Since(inv.At).Seconds())
	}
	return true
}

// broadcast publishes the invalidation and waits for the live replicas'
// acknowledgements; false when it could not confirm them all.
func (b *Bus) broadcast(ctx context.Context, inv content.Invalidation) bool {
	start := time.Now()
	rc, cancel := b.redis.exchangeCtx(ctx)
	peers, err := b.peers.live(rc)
	cancel()
	if b.redis.record(err) != nil {
		return false
	}
	nonce := strconv.FormatInt(time.Now().UnixNano(), 36) + b.replica
	acks := make(chan string, len(peers)+1)
	b.mu.Lock()
	b.waiters[nonce] = acks
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.waiters, nonce)
		b.mu.Unlock()
	}()
	if !b.subscribed.Load() {
		// Not a subscribed gateway (a CLI command, or a replica whose
		// channel is down): listen for this write's acks on our own.
		stop, err := b.listenAcks(ctx)
		if err != nil {
			return false
		}
		defer stop()
	}
	msg, _ := json.Marshal(message{Nonce: nonce, From: b.replica, LogID: inv.ID, Tags: inv.Tags, At: inv.At, Kind: inv.Kind, Slugs: inv.Slugs})
	rc, cancel = b.redis.exchangeCtx(ctx)
	err = b.redis.rdb.Publish(rc, b.redis.key("inv"), msg).Err()
	cancel()
	if b.redis.record(err) != nil {
		return false
	}
	waiting := map[string]bool{}
	for _, p := range peers {
		waiting[p] = true
	}
	timeout := time.NewTimer(b.ackTimeout)
	defer timeout.Stop()
	for len(waiting) > 0 {
		select {
		case id := <-acks:
			delete(waiting, id)
		case <-timeout.C:
			b.logger.Warn("cache: replicas did not acknowledge an invalidation in time", "missing", len(waiting), "log_id", inv.ID)
			return false
		}
	}
	if !inv.At.IsZero() {
		b.invalidationSeconds.WithLabelValues("acknowledged").Observe(time.Since(inv.At).Seconds())
	}
	b.logger.Debug("cache: invalidation acknowledged", "replicas", len(peers), "took", time.Since(start))
	return true
}

// listenAcks subscribes to acknowledgements until stop is called.
func (b *Bus) listenAcks(ctx context.Context) (stop func(), err error) {
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	ps := b.redis.rdb.Subscribe(lctx, b.redis.key("invack"))
	rc, rcancel := context.WithTimeout(lctx, b.redis.exchangeTimeout())
	_, err = ps.Receive(rc) // the subscription's confirmation
	rcancel()
	if b.redis.record(err) != nil {
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
				b.onMessage(lctx, m)
			}
		}
	}()
	return func() { cancel(); ps.Close() }, nil
}

// Run does the bus's background work until ctx ends: the pub/sub
// subscriber, the heartbeat, the retry of stamps that did not land, and
// the invalidation-log poller.
func (b *Bus) Run(ctx context.Context) {
	if b.invLog != nil {
		if id, err := b.invLog.LastInvalidation(ctx); err == nil {
			b.mu.Lock()
			b.logSeen = id
			b.mu.Unlock()
		}
		go b.poll(ctx)
	}
	if !b.redis.configured() {
		<-ctx.Done()
		return
	}
	go b.peers.run(ctx, &b.subscribed)
	go b.shared.retryPending(ctx)
	b.subscribe(ctx)
}

// subscribe receives invalidations and acknowledgements, keeping
// b.subscribed true only while the subscription is known to be live.
func (b *Bus) subscribe(ctx context.Context) {
	for ctx.Err() == nil {
		b.subscribeOnce(ctx)
		b.subscribed.Store(false)
		b.dropMemory()
		select {
		case <-ctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (b *Bus) subscribeOnce(ctx context.Context) {
	ps := b.redis.rdb.Subscribe(ctx, b.redis.key("inv"), b.redis.key("invack"))
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
				pctx, cancel := context.WithTimeout(ctx, b.redis.exchangeTimeout())
				perr := ps.Ping(pctx)
				cancel()
				if perr == nil {
					continue
				}
			}
			if ctx.Err() == nil && b.subscribed.Load() {
				b.logger.Warn("cache: lost the invalidation channel; serving from the database until it is back", "err", err)
			}
			return
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				subscribed++
			}
			if subscribed == 2 {
				b.resync(ctx)
			}
		case *redis.Message:
			b.onMessage(ctx, m)
		case *redis.Pong:
		}
	}
}

// resync follows a (re)subscription: messages may have been missed, so L1
// starts empty; writes logged while Redis was away are stamped in Redis.
func (b *Bus) resync(ctx context.Context) {
	b.dropMemory()
	b.stampMissed(ctx)
	b.subscribed.Store(true)
	b.peers.beat(ctx)
	b.logger.Info("cache: invalidation channel live", "replica", b.replica)
}

func (b *Bus) onMessage(ctx context.Context, m *redis.Message) {
	switch {
	case strings.HasSuffix(m.Channel, "invack"):
		nonce, from, _ := strings.Cut(m.Payload, " ")
		b.mu.Lock()
		ch := b.waiters[nonce]
		b.mu.Unlock()
		if ch != nil {
			select {
			case ch <- from:
			default:
			}
		}
	default:
		var msg message
		if json.Unmarshal([]byte(m.Payload), &msg) != nil || msg.From == b.replica {
			return
		}
		b.applyRemote(ctx, content.Invalidation{ID: msg.LogID, Tags: msg.Tags, At: msg.At, Kind: msg.Kind, Slugs: msg.Slugs})
		rc, cancel := b.redis.callCtx(ctx)
		b.redis.record(b.redis.rdb.Publish(rc, b.redis.key("invack"), msg.Nonce+" "+b.replica).Err())
		cancel()
	}
}
