package cache

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bylinehq/byline/internal/testenv"
)

// TestRedisDownMidLoad: Redis is killed under load and restarted. No
// request fails, added latency stays bounded, and the cache uses Redis
// again once it is back.
func TestRedisDownMidLoad(t *testing.T) {
	srv := testenv.StartRedis(t)
	rdb := client(t, []string{srv.Addr})
	o := newOrigin()
	o.delay.Store(int64(2 * time.Millisecond)) // the database's share of a miss
	r := newReplica(t, o, rdb, testenv.RandomName("fo")+":")

	var (
		ok, failed atomic.Int64
		slowest    atomic.Int64
		wg         sync.WaitGroup
	)
	stop := make(chan struct{})
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			slugs := []string{"a", "b", "c", "d"}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				resp, err := http.Post(r.srv.URL, "application/json", bytes.NewReader(body(slugs[(i+w)%len(slugs)])))
				if err != nil || resp.StatusCode != 200 {
					failed.Add(1)
					continue
				}
				resp.Body.Close()
				ok.Add(1)
				if d := int64(time.Since(start)); d > slowest.Load() {
					slowest.Store(d)
				}
			}
		}(w)
	}
	time.Sleep(500 * time.Millisecond)
	srv.Stop()
	waitFor(t, "the replica to notice", func() bool { return !r.c.subscribed.Load() })
	// A write while Redis is down still reaches this replica's answers.
	o.write(r.c, "a", 1)
	time.Sleep(time.Second)
	duringOutage := ok.Load()
	srv.Start()
	waitFor(t, "the replica to resubscribe", func() bool { return r.c.subscribed.Load() })
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()

	if failed.Load() != 0 {
		t.Fatalf("%d requests failed (%d succeeded)", failed.Load(), ok.Load())
	}
	if duringOutage == 0 {
		t.Fatal("no request was answered while Redis was down")
	}
	if s := time.Duration(slowest.Load()); s > time.Second {
		t.Fatalf("slowest request took %s: the breaker should bound it", s)
	}
	if got := r.get(t, "a"); got.version != 1 {
		t.Fatalf("after the outage: version %d (%s)", got.version, got.xcache)
	}
	// Redis is used again: a new key's entry lands there.
	r.get(t, "fresh-after-restart")
	n, err := rdb.DBSize(context.Background()).Result()
	if err != nil || n == 0 {
		t.Fatalf("nothing stored in Redis after it came back: %d %v", n, err)
	}
	if got := r.get(t, "fresh-after-restart"); got.xcache != "HIT" {
		t.Fatalf("after restart: %s", got.xcache)
	}
	t.Logf("%d requests, none failed, slowest %s", ok.Load(), time.Duration(slowest.Load()))
}
