package cache

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"
)

// heartbeat period and how long a silent replica still counts as live.
const (
	heartbeatEvery = 2 * time.Second
	peerLiveFor    = 3 * heartbeatEvery
	peerForgetFor  = time.Minute
)

// peers are the replicas' heartbeats, in one Redis hash: a replica's field
// is refreshed every heartbeat while its subscription is live, and pruned
// when silent. A write waits for the acknowledgements of the live ones.
type peers struct {
	redis *redisAccess
	self  string // this replica's id
}

// live lists the other replicas that heartbeat recently.
func (p *peers) live(ctx context.Context) ([]string, error) {
	all, err := p.redis.rdb.HGetAll(ctx, p.redis.key("replicas")).Result()
	if err != nil {
		return nil, err
	}
	now := time.Now().UnixMilli()
	var live []string
	for id, v := range all {
		ms, _ := strconv.ParseInt(v, 10, 64)
		switch {
		case id == p.self:
		case now-ms <= peerLiveFor.Milliseconds():
			live = append(live, id)
		case now-ms > peerForgetFor.Milliseconds():
			p.redis.rdb.HDel(ctx, p.redis.key("replicas"), id)
		}
	}
	return live, nil
}

// run heartbeats while subscribed until ctx ends, then takes this replica
// out of the hash.
func (p *peers) run(ctx context.Context, subscribed *atomic.Bool) {
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			rc, cancel := context.WithTimeout(context.Background(), time.Second)
			p.redis.rdb.HDel(rc, p.redis.key("replicas"), p.self)
			cancel()
			return
		case <-t.C:
			if subscribed.Load() {
				p.beat(ctx)
			}
		}
	}
}

func (p *peers) beat(ctx context.Context) {
	rc, cancel := p.redis.callCtx(ctx)
	defer cancel()
	p.redis.record(p.redis.rdb.HSet(rc, p.redis.key("replicas"), p.self, time.Now().UnixMilli()).Err())
}
