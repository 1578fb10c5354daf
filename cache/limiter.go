package cache

import (
	"context"
	"sync"
	"time"
)

// Limiter counts events per key in fixed windows: in Redis when it is
// configured and answering, so replicas share one count, else in process.
// Fail-open for Redis, not for limits: when Redis is sick the local count
// still applies.
type Limiter struct {
	redis *redisAccess
	mu    sync.Mutex
	local map[string]*window
	swept time.Time
}

type window struct {
	n     int
	until time.Time
}

func newLimiter(r *redisAccess) *Limiter { return &Limiter{redis: r, local: map[string]*window{}} }

// Allow counts one event for key and reports whether it is within limit
// for the current window.
func (l *Limiter) Allow(ctx context.Context, key string, limit int, win time.Duration) bool {
	if l.redis.available(ctx) {
		rc, cancel := l.redis.callCtx(ctx)
		defer cancel()
		k := l.redis.key("rl:", key, ":", time.Now().Truncate(win).Format("150405"))
		pipe := l.redis.rdb.Pipeline()
		incr := pipe.Incr(rc, k)
		pipe.PExpire(rc, k, win+time.Second)
		_, err := pipe.Exec(rc)
		if l.redis.record(err) == nil {
			return incr.Val() <= int64(limit)
		}
	}
	return l.allowLocal(key, limit, win)
}

func (l *Limiter) allowLocal(key string, limit int, win time.Duration) bool {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute { // keep the map to live windows
		for k, w := range l.local {
			if now.After(w.until) {
				delete(l.local, k)
			}
		}
		l.swept = now
	}
	w := l.local[key]
	if w == nil || now.After(w.until) {
		w = &window{until: now.Truncate(win).Add(win)}
		l.local[key] = w
	}
	w.n++
	return w.n <= limit
}
