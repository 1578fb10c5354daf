package cache

import (
	"bytes"
	"context"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bylinehq/byline/internal/testenv"
)

// load keeps 8 clients asking for a few keys until stop is closed, and
// counts what they saw.
type load struct {
	ok, failed atomic.Int64
	unlabelled atomic.Int64 // answers without X-Cache
	mu         sync.Mutex
	latencies  []time.Duration
	stop       chan struct{}
	wg         sync.WaitGroup
}

func startLoad(r *replica) *load {
	l := &load{stop: make(chan struct{})}
	for w := 0; w < 8; w++ {
		l.wg.Add(1)
		go func(w int) {
			defer l.wg.Done()
			slugs := []string{"a", "b", "c", "d"}
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				start := time.Now()
				resp, err := http.Post(r.srv.URL, "application/json", bytes.NewReader(body(slugs[(i+w)%len(slugs)])))
				if err != nil || resp.StatusCode != 200 {
					l.failed.Add(1)
					continue
				}
				resp.Body.Close()
				if resp.Header.Get("X-Cache") == "" {
					l.unlabelled.Add(1)
				}
				l.ok.Add(1)
				l.mu.Lock()
				l.latencies = append(l.latencies, time.Since(start))
				l.mu.Unlock()
			}
		}(w)
	}
	return l
}

// end stops the clients and returns the p99 and the slowest request.
func (l *load) end() (p99, slowest time.Duration) {
	close(l.stop)
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.latencies) == 0 {
		return 0, 0
	}
	sort.Slice(l.latencies, func(i, j int) bool { return l.latencies[i] < l.latencies[j] })
	return l.latencies[len(l.latencies)*99/100], l.latencies[len(l.latencies)-1]
}

// pauseAll makes every node stop answering for d (CLIENT PAUSE), as an
// overloaded or swapping Redis would: mode ALL stalls every command, WRITE
// only writes (reads still answer).
func pauseAll(t *testing.T, nodes []*testenv.RedisServer, d time.Duration, mode string) {
	t.Helper()
	for _, n := range nodes {
		admin := redis.NewClient(&redis.Options{Addr: n.Addr})
		if err := admin.Do(context.Background(), "CLIENT", "PAUSE", d.Milliseconds(), mode).Err(); err != nil {
			t.Errorf("CLIENT PAUSE on %s: %v", n.Addr, err)
		}
		admin.Close()
	}
}

// TestRedisFaultsUnderLoad: under load, Redis goes down and comes back,
// turns slow (it stops answering for longer than the cache's timeout), or
// flaps; on a standalone server and on a three-node Cluster; and, under
// Sentinel, the master dies and its replica takes over. No request
// fails, the added latency stays bounded (timeouts, then the breaker), a
// write made during the fault still reaches the answers, and the cache
// uses Redis again once it is healthy: a replica with an empty L1 then
// answers from Redis without running the origin.
func TestRedisFaultsUnderLoad(t *testing.T) {
	// redisEnv is what a fault acts on: the data nodes, and the sentinel
	// when there is one.
	type redisEnv struct {
		nodes    []*testenv.RedisServer
		sentinel *testenv.Sentinel
		rdb      redis.UniversalClient
	}
	type fault struct {
		name string
		run  func(t *testing.T, env redisEnv, r *replica, o *origin)
	}
	down := fault{"down then back", func(t *testing.T, env redisEnv, r *replica, o *origin) {
		nodes := env.nodes
		for _, n := range nodes {
			n.Stop()
		}
		waitFor(t, "the replica to notice", func() bool { return !r.c.Bus.subscribed.Load() })
		o.write(r.c, "a", 1) // a write while Redis is down still reaches this replica's answers
		time.Sleep(time.Second)
		for _, n := range nodes {
			n.Start()
		}
	}}
	slow := fault{"slow", func(t *testing.T, env redisEnv, r *replica, o *origin) {
		nodes := env.nodes
		for i := 0; i < 4; i++ { // 300 ms stalls, longer than the 200 ms timeout
			pauseAll(t, nodes, 300*time.Millisecond, "ALL")
			if i == 1 {
				o.write(r.c, "a", 1)
			}
			time.Sleep(350 * time.Millisecond)
		}
	}}
	flapping := fault{"flapping", func(t *testing.T, env redisEnv, r *replica, o *origin) {
		victim := env.nodes[len(env.nodes)-1] // on a Cluster, one node's slots come and go
		for i := 0; i < 4; i++ {
			victim.Stop()
			if i == 1 {
				o.write(r.c, "a", 1)
			}
			time.Sleep(200 * time.Millisecond)
			victim.Start()
			time.Sleep(250 * time.Millisecond)
		}
	}}
	// The master crashes; the sentinel promotes the replica a second or
	// two later, and the client follows it. The write lands while there is
	// no master at all.
	failover := fault{"failover", func(t *testing.T, env redisEnv, r *replica, o *origin) {
		old := env.sentinel.Master.Addr
		env.sentinel.Master.Stop()
		waitFor(t, "the replica to notice", func() bool { return !r.c.Bus.subscribed.Load() })
		o.write(r.c, "a", 1)
		env.sentinel.Failover()
		if now, _ := env.sentinel.MasterAddr(context.Background()); now == old {
			t.Fatalf("the sentinel still names %s", old)
		}
	}}
	nodesClient := func(t *testing.T, nodes []*testenv.RedisServer) redisEnv {
		var addrs []string
		for _, n := range nodes {
			addrs = append(addrs, n.Addr)
		}
		return redisEnv{nodes: nodes, rdb: client(t, addrs)}
	}
	setups := []struct {
		name   string
		start  func(t *testing.T) redisEnv
		faults []fault
	}{
		{"standalone", func(t *testing.T) redisEnv { return nodesClient(t, []*testenv.RedisServer{testenv.StartRedis(t)}) }, []fault{down, slow, flapping}},
		{"cluster", func(t *testing.T) redisEnv { return nodesClient(t, testenv.StartRedisClusterServers(t)) }, []fault{down, slow, flapping}},
		{"sentinel", func(t *testing.T) redisEnv {
			s := testenv.StartRedisSentinel(t)
			return redisEnv{nodes: []*testenv.RedisServer{s.Master, s.Replica}, sentinel: s, rdb: sentinelClient(t, s)}
		}, []fault{failover, slow}},
	}
	for _, s := range setups {
		for _, f := range s.faults {
			t.Run(s.name+"/"+f.name, func(t *testing.T) {
				env := s.start(t)
				rdb := env.rdb
				prefix := testenv.RandomName("fo") + ":"
				o := newOrigin()
				o.delay.Store(int64(2 * time.Millisecond)) // the database's share of a miss
				r := newReplica(t, o, rdb, prefix)
				l := startLoad(r)
				time.Sleep(300 * time.Millisecond)
				before := l.ok.Load()
				f.run(t, env, r, o)
				during := l.ok.Load() - before
				waitFor(t, "the replica to use Redis again", func() bool { return r.c.Bus.subscribed.Load() && !r.c.redis.br.open() })
				time.Sleep(300 * time.Millisecond)
				p99, slowest := l.end()

				if n := l.failed.Load(); n != 0 {
					t.Fatalf("%d requests failed (%d succeeded)", n, l.ok.Load())
				}
				if n := l.unlabelled.Load(); n != 0 {
					t.Fatalf("%d answers without X-Cache", n)
				}
				if during == 0 {
					t.Fatal("no request was answered during the fault")
				}
				// One timed-out call per request (its own) plus, for a
				// coalesced one, its leader's: 0.4 s; the rest is room for
				// a loaded CI machine.
				if slowest > time.Second {
					t.Fatalf("slowest request took %s: timeouts and the breaker should bound it", slowest)
				}
				if got := r.get(t, "a"); got.version != 1 {
					normalKey, _ := normalKeyOf("test", "POST", body("a"))
					it := r.c.Responses.l1.get(normalKey)
					inv, ierr := rdb.Get(context.Background(), prefix+"inv:Article:a").Result()
					seq, _ := rdb.Get(context.Background(), prefix+"seq").Result()
					if it != nil {
						t.Logf("state at failure: L1 entry redisStart=%d localStart=%d checked=%d stamp=%q (%v) seq=%s pending=%v stSeq=%d", it.e.RedisStart, it.e.localStart, it.e.checked.Load(), inv, ierr, seq, r.c.Bus.shared.pending.any.Load(), r.c.Bus.local.start())
					} else {
						t.Logf("state at failure: no L1 entry; stamp=%q (%v) seq=%s", inv, ierr, seq)
					}
					t.Fatalf("after the fault: version %d (%s): the write was lost", got.version, got.xcache)
				}
				// Redis holds entries again: a fresh replica answers from it.
				var fresh answer
				waitFor(t, "an entry stored in Redis after the fault", func() bool {
					r.get(t, "after")
					runs := o.runs.Load()
					fresh = newReplica(t, o, rdb, prefix).get(t, "after")
					return fresh.xcache == "HIT" && o.runs.Load() == runs
				})
				t.Logf("%d requests, none failed, %d during the fault; p99 %s, slowest %s", l.ok.Load(), during, p99, slowest)
			})
		}
	}
}
