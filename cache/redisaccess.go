package cache

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// redisAccess is how every part of the cache calls Redis: keys under one
// prefix, a short deadline per call, one breaker for the process, and no
// more calls for a request one of whose calls has already failed. Without
// a client it allows no call.
type redisAccess struct {
	rdb     redis.UniversalClient // nil: in process only
	prefix  string
	timeout time.Duration // per call
	br      breaker
	errors  prometheus.Counter
}

// errRedisUnavailable: the breaker is open, or this request's Redis has
// already failed.
var errRedisUnavailable = errors.New("cache: redis unavailable")

// configured says whether there is a Redis at all.
func (r *redisAccess) configured() bool { return r.rdb != nil }

// available says whether to try Redis now for the request ctx carries: not
// while the breaker is open, and not again for a request one of whose calls
// has already failed. The breaker is global and a Cluster node's outage
// never opens it (calls to the other nodes keep succeeding), so without the
// second rule a miss that makes five calls to a dead node pays five
// timeouts; with it, it pays one.
func (r *redisAccess) available(ctx context.Context) bool {
	if r.rdb == nil {
		return false
	}
	if f := requestFailed(ctx); f != nil && f.Load() {
		return false
	}
	return r.br.allow()
}

// callCtx bounds one Redis call by the cache's own deadline, not the
// caller's; the context's values (the request's failure flag) carry over.
func (r *redisAccess) callCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), r.timeout)
}

// exchangeTimeout bounds what takes a few round trips or waits on Redis's
// other clients: a script followed by a pipeline of stamps, a publish, a
// subscription's confirmation.
func (r *redisAccess) exchangeTimeout() time.Duration { return 4 * r.timeout }

// exchangeCtx is callCtx for an exchange (exchangeTimeout).
func (r *redisAccess) exchangeCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), r.exchangeTimeout())
}

// record records a Redis call's outcome for the breaker; a miss (redis.Nil)
// is an answer, not a failure.
func (r *redisAccess) record(err error) error {
	if err == nil || errors.Is(err, redis.Nil) {
		r.br.success()
		return err
	}
	r.br.failure()
	r.errors.Inc()
	return err
}

// recordFor is record for a call made for a request: a failure also marks
// the request, which then makes no more calls and counts as answered
// without Redis's help (the "error" result).
func (r *redisAccess) recordFor(ctx context.Context, err error) error {
	err = r.record(err)
	if err != nil && err != redis.Nil {
		if f := requestFailed(ctx); f != nil {
			f.Store(true)
		}
	}
	return err
}

// cluster says whether Redis is a Cluster, where a script may touch only
// keys of one slot; elsewhere (standalone, Sentinel) one script may touch
// any keys.
func (r *redisAccess) cluster() bool {
	_, ok := r.rdb.(*redis.ClusterClient)
	return ok
}

// scriptCall is one script to run in evalAll.
type scriptCall struct {
	s    *redis.Script
	keys []string
	args []any
}

// evalAll runs scripts in one pipeline, by hash. Those Redis does not know
// yet (NOSCRIPT: their first use since it started) go again with their
// source: a second round trip, then, only.
func (r *redisAccess) evalAll(ctx context.Context, calls ...scriptCall) ([]*redis.Cmd, error) {
	cmds := make([]*redis.Cmd, len(calls))
	pipe := r.rdb.Pipeline()
	for i, c := range calls {
		cmds[i] = c.s.EvalSha(ctx, pipe, c.keys, c.args...)
	}
	if _, err := pipe.Exec(ctx); err == nil {
		return cmds, nil
	}
	pipe = r.rdb.Pipeline()
	again := false
	for i, c := range calls {
		if redis.HasErrorPrefix(cmds[i].Err(), "NOSCRIPT") {
			cmds[i] = c.s.Eval(ctx, pipe, c.keys, c.args...)
			again = true
		}
	}
	if again {
		_, _ = pipe.Exec(ctx)
	}
	for _, cmd := range cmds {
		if err := cmd.Err(); err != nil && err != redis.Nil {
			return cmds, err
		}
	}
	return cmds, nil
}

// key is a Redis key under the prefix.
func (r *redisAccess) key(parts ...string) string {
	k := r.prefix
	for _, p := range parts {
		k += p
	}
	return k
}

// ping reports Redis's state; nil when Redis is not configured.
func (r *redisAccess) ping(ctx context.Context) error {
	if r.rdb == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	return r.rdb.Ping(ctx).Err()
}

type requestFailedKey struct{}

// withFailureFlag gives a request (or background work done for one) its
// own "a Redis call failed" flag, which recordFor sets and available reads.
func withFailureFlag(ctx context.Context) (context.Context, *atomic.Bool) {
	f := new(atomic.Bool)
	return context.WithValue(ctx, requestFailedKey{}, f), f
}

// requestFailed is the flag a request's context carries: set once one of
// its Redis calls has failed. nil outside a request (background work).
func requestFailed(ctx context.Context) *atomic.Bool {
	f, _ := ctx.Value(requestFailedKey{}).(*atomic.Bool)
	return f
}
