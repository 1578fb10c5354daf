package cache

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bylinehq/byline/internal/testenv"
)

// commandCounter is a go-redis hook that counts, while on, the commands a
// request sends (each command of a pipeline, a script call as one) and the
// round trips they take (a command or a pipeline each). The heartbeat is
// not the request's and is left out.
type commandCounter struct {
	on     atomic.Bool
	skip   string // the heartbeat's key
	mu     sync.Mutex
	trips  [][]string // per round trip, its commands' names
	counts int
}

func (h *commandCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *commandCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.record([]redis.Cmder{cmd})
		return next(ctx, cmd)
	}
}

func (h *commandCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.record(cmds)
		return next(ctx, cmds)
	}
}

func (h *commandCounter) record(cmds []redis.Cmder) {
	if !h.on.Load() {
		return
	}
	var names []string
	for _, c := range cmds {
		if c.Name() == "ping" || strings.Contains(fmt.Sprint(c.Args()...), h.skip) {
			continue
		}
		names = append(names, c.Name())
	}
	if len(names) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.trips = append(h.trips, names)
	h.counts += len(names)
}

func (h *commandCounter) reset() (trips [][]string, commands int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	trips, commands = h.trips, h.counts
	h.trips, h.counts = nil, 0
	return trips, commands
}

// manyTags answers every query with 24 tags, as an article page does.
type manyTags struct{}

const manyTagsN = 24

func (manyTags) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tags := make([]string, manyTagsN)
	for i := range tags {
		tags[i] = fmt.Sprintf("Article:related-%d", i)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=60, stale-while-revalidate=30")
	w.Header().Set("Surrogate-Key", strings.Join(tags, " "))
	_, _ = io.WriteString(w, `{"data":{"article":{"slug":"x","version":0}}}`)
}

// TestMissCostIsBoundedWhateverTheTags: a cold miss whose answer carries
// two dozen tags costs a handful of Redis commands in a handful of round
// trips, not a command or two per tag: the lookup (a GET, what a hit pays
// too), then, for the miss itself, one round trip before computing (lease
// and counter) and one after (every stamp checked, the entry stored and the
// lease let go). The lease's release counts though it runs off the
// request's path.
func TestMissCostIsBoundedWhateverTheTags(t *testing.T) {
	const maxCommands, maxMissTrips = 8, 2
	addr := testenv.Redis(t)
	prefix := testenv.RandomName("mc") + ":"
	h := &commandCounter{skip: prefix + "replicas"}
	rdb := clientWith(t, []string{addr}, func(*redis.UniversalOptions) {})
	rdb.AddHook(h)
	plain := client(t, []string{addr}) // the test's own look, not counted

	c := New(Options{Redis: rdb, Prefix: prefix, SchemaVersion: "test", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		AckTimeout: 3 * time.Second, RedisTimeout: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, "subscription", func() bool { return c.Bus.subscribed.Load() })
	srv := httptest.NewServer(c.Responses.Middleware(manyTags{}))
	t.Cleanup(srv.Close)
	r := &replica{c: c, srv: srv}

	miss := func(slug string) (trips [][]string, commands int) {
		t.Helper()
		normalKey, _ := normalKeyOf("test", "POST", body(slug))
		h.on.Store(true)
		if got := r.get(t, slug); got.xcache != "MISS" {
			t.Fatalf("%s: %s, want a MISS", slug, got.xcache)
		}
		// The release runs after the answer; wait for it, counting.
		waitFor(t, "the lease's release", func() bool {
			return plain.Exists(context.Background(), prefix+"lease:"+normalKey).Val() == 0
		})
		h.on.Store(false)
		time.Sleep(50 * time.Millisecond)
		return h.reset()
	}
	miss("warm-up") // Redis learns the scripts: a first run by hash fails and is sent again
	trips, commands := miss("cold")
	t.Logf("a cold miss with %d tags: %d commands in %d round trips: %v", manyTagsN, commands, len(trips), trips)
	if commands > maxCommands {
		t.Errorf("%d commands, want at most %d", commands, maxCommands)
	}
	if len(trips) == 0 || len(trips[0]) != 1 || trips[0][0] != "get" {
		t.Fatalf("the first round trip is %v, want the lookup's GET", trips)
	}
	if n := len(trips) - 1; n > maxMissTrips {
		t.Errorf("%d round trips after the lookup, want at most %d", n, maxMissTrips)
	}
	if got := r.get(t, "cold"); got.xcache != "HIT" {
		t.Fatalf("after the miss: %s", got.xcache)
	}
}
