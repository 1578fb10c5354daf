package cache

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/internal/testenv"
)

// origin stands in for the GraphQL layer: it answers with a version per
// article, tags the answer, and counts how often it ran.
type origin struct {
	runs    atomic.Int64
	mu      sync.Mutex
	version map[string]int
	delay   atomic.Int64 // a time.Duration
	policy  string
}

func newOrigin() *origin {
	return &origin{version: map[string]int{}, policy: "public, max-age=60, s-maxage=60, stale-while-revalidate=30"}
}

func (o *origin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.runs.Add(1)
	time.Sleep(time.Duration(o.delay.Load()))
	var req struct {
		Variables struct{ Slug string } `json:"variables"`
	}
	body, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(body, &req)
	if r.Method == http.MethodGet {
		_ = json.Unmarshal([]byte(r.URL.Query().Get("variables")), &req.Variables)
	}
	o.mu.Lock()
	v := o.version[req.Variables.Slug]
	pol := o.policy
	o.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", pol)
	w.Header().Set("Surrogate-Key", "Article:"+req.Variables.Slug+" all")
	pad := ""
	if strings.HasPrefix(req.Variables.Slug, "long-") { // an answer worth compressing
		pad = strings.Repeat("Mongolia's copper and rare earths, ", 80)
	}
	fmt.Fprintf(w, `{"data":{"article":{"slug":%q,"version":%d,"body":%q}}}`, req.Variables.Slug, v, pad)
}

// write changes an article at the origin, then invalidates through c, as
// content.Service does after a commit.
func (o *origin) write(c *Cache, slug string, id int64) {
	o.mu.Lock()
	o.version[slug]++
	o.mu.Unlock()
	c.Bus.Invalidate(context.Background(), content.Invalidation{ID: id, Tags: []string{"Article:" + slug}, At: time.Now()})
}

const query = `query A($slug: String!) { article(slug: $slug) { slug version } }`

func body(slug string) []byte {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": map[string]string{"slug": slug}})
	return b
}

type replica struct {
	c   *Cache
	srv *httptest.Server
}

func newReplica(t *testing.T, o *origin, rdb redis.UniversalClient, prefix string) *replica {
	t.Helper()
	return newReplicaWithMetrics(t, o, rdb, prefix, nil)
}

// newReplicaWithMetrics is newReplica with the cache's metrics in reg.
func newReplicaWithMetrics(t *testing.T, o *origin, rdb redis.UniversalClient, prefix string, reg prometheus.Registerer) *replica {
	t.Helper()
	return newReplicaWith(t, o, rdb, prefix, func(opts *Options) { opts.Metrics = reg })
}

// newReplicaWith is newReplica with the test's own changes to the options.
func newReplicaWith(t *testing.T, o *origin, rdb redis.UniversalClient, prefix string, change func(*Options)) *replica {
	t.Helper()
	opts := Options{Redis: rdb, Prefix: prefix, SchemaVersion: "test", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		AckTimeout: 3 * time.Second, RedisTimeout: 200 * time.Millisecond}
	change(&opts)
	c := New(opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	if rdb != nil {
		waitFor(t, "subscription", func() bool { return c.Bus.subscribed.Load() })
	}
	srv := httptest.NewServer(c.Responses.Middleware(o))
	t.Cleanup(srv.Close)
	return &replica{c: c, srv: srv}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type answer struct {
	status  int
	xcache  string
	version int
	header  http.Header
}

func (r *replica) get(t *testing.T, slug string) answer {
	t.Helper()
	resp, err := http.Post(r.srv.URL, "application/json", bytes.NewReader(body(slug)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data struct{ Article struct{ Version int } }
	}
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%d %q", resp.StatusCode, b)
	}
	return answer{resp.StatusCode, resp.Header.Get("X-Cache"), out.Data.Article.Version, resp.Header}
}

// backends are the Redis set-ups every cache test runs on: none (in
// process only), a standalone server, a three-node Cluster, and a master
// and replica under Sentinel.
func backends(t *testing.T) map[string]func(t *testing.T) redis.UniversalClient {
	return map[string]func(t *testing.T) redis.UniversalClient{
		"no-redis": func(t *testing.T) redis.UniversalClient { return nil },
		"standalone": func(t *testing.T) redis.UniversalClient {
			addr := testenv.Redis(t)
			return client(t, []string{addr})
		},
		"cluster": func(t *testing.T) redis.UniversalClient {
			return client(t, testenv.StartRedisCluster(t))
		},
		"sentinel": func(t *testing.T) redis.UniversalClient {
			return sentinelClient(t, testenv.StartRedisSentinel(t))
		},
	}
}

// sentinelClient is the gateway's client for a master found through
// Sentinel (what ?master= in --redis gives).
func sentinelClient(t *testing.T, s *testenv.Sentinel) redis.UniversalClient {
	t.Helper()
	return clientWith(t, []string{s.Addr}, func(o *redis.UniversalOptions) { o.MasterName = s.Name })
}

func client(t *testing.T, addrs []string) redis.UniversalClient {
	t.Helper()
	return clientWith(t, addrs, func(*redis.UniversalOptions) {})
}

// clientWith is client with the test's own change to the gateway's options.
func clientWith(t *testing.T, addrs []string, change func(*redis.UniversalOptions)) redis.UniversalClient {
	t.Helper()
	opts := &redis.UniversalOptions{Addrs: addrs}
	TuneClient(opts) // the gateway's client: its timeouts are what fail-open rests on
	change(opts)
	if len(addrs) > 1 && opts.MasterName == "" {
		opts.IsClusterMode = true
	}
	rdb := redis.NewUniversalClient(opts)
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis: %v", err)
	}
	return rdb
}

func forEachBackend(t *testing.T, test func(t *testing.T, mk func() *replica, o *origin, shared bool)) {
	for name, mkClient := range backends(t) {
		t.Run(name, func(t *testing.T) {
			rdb := mkClient(t)
			o := newOrigin()
			prefix := testenv.RandomName("bt") + ":"
			test(t, func() *replica { return newReplica(t, o, rdb, prefix) }, o, rdb != nil)
		})
	}
}

func TestHitAfterFirstQuery(t *testing.T) {
	forEachBackend(t, func(t *testing.T, mk func() *replica, o *origin, _ bool) {
		r := mk()
		first, second := r.get(t, "a"), r.get(t, "a")
		if first.xcache != "MISS" || second.xcache != "HIT" || o.runs.Load() != 1 {
			t.Fatalf("X-Cache %s then %s, origin ran %d times", first.xcache, second.xcache, o.runs.Load())
		}
		if !strings.HasPrefix(second.header.Get("Cache-Control"), "public, max-age=60") {
			t.Fatalf("Cache-Control on POST: %v", second.header)
		}
		// GET, what HTTP caches and CDNs store, gets the rest.
		u := r.srv.URL + "?query=" + url.QueryEscape(`{article(slug:"a"){slug}}`)
		for i := 0; i < 2; i++ {
			resp, err := http.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if i == 1 && (resp.Header.Get("X-Cache") != "HIT" || resp.Header.Get("Etag") == "" || resp.Header.Get("Age") == "" ||
				!strings.Contains(resp.Header.Get("Surrogate-Key"), "Article:") || !strings.HasPrefix(resp.Header.Get("Cache-Control"), "public, max-age=60")) {
				t.Fatalf("HTTP caching headers on GET: %v", resp.Header)
			}
		}
	})
}

func TestWriteVisibleOnNextQueryOnEveryReplica(t *testing.T) {
	forEachBackend(t, func(t *testing.T, mk func() *replica, o *origin, shared bool) {
		a := mk()
		replicas := []*replica{a}
		if shared {
			replicas = append(replicas, mk()) // a second gateway on the same Redis
		}
		for _, r := range replicas {
			r.get(t, "a")
			if got := r.get(t, "a"); got.xcache != "HIT" || got.version != 0 {
				t.Fatalf("warm-up: %+v", got)
			}
		}
		for i := 1; i <= 3; i++ {
			o.write(a.c, "a", int64(i)) // returns once every replica has acknowledged
			for n, r := range replicas {
				if got := r.get(t, "a"); got.version != i {
					t.Fatalf("write %d: replica %d served version %d (%s)", i, n, got.version, got.xcache)
				}
			}
		}
		// An unrelated entry survives.
		a.get(t, "b")
		o.write(a.c, "a", 4)
		if got := a.get(t, "b"); got.xcache != "HIT" {
			t.Fatalf("unrelated entry was dropped: %s", got.xcache)
		}
	})
}

func TestConcurrentColdRequestsCoalesce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, mk func() *replica, o *origin, shared bool) {
		o.delay.Store(int64(100 * time.Millisecond))
		replicas := []*replica{mk()}
		if shared {
			replicas = append(replicas, mk())
		}
		// Warm each replica's Redis pool first, with other keys: a new
		// connection (through Sentinel, one that asks the sentinel for the
		// master first) can outlast the 100 ms call deadline on a loaded
		// machine, and the lease then fails open. The burst is about
		// coalescing, not dialing.
		var warm sync.WaitGroup
		for i := range 8 {
			warm.Go(func() {
				resp, err := http.Post(replicas[i%len(replicas)].srv.URL, "application/json", bytes.NewReader(body(fmt.Sprintf("warm%d", i))))
				if err == nil {
					resp.Body.Close()
				}
			})
		}
		warm.Wait()
		before := o.runs.Load()
		var wg sync.WaitGroup
		failed := atomic.Int64{}
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func(r *replica) {
				defer wg.Done()
				resp, err := http.Post(r.srv.URL, "application/json", bytes.NewReader(body("cold")))
				if err != nil || resp.StatusCode != 200 {
					failed.Add(1)
					return
				}
				resp.Body.Close()
			}(replicas[i%len(replicas)])
		}
		wg.Wait()
		if runs := o.runs.Load() - before; failed.Load() > 0 || runs != 1 {
			t.Fatalf("50 cold requests over %d replica(s): origin ran %d times, %d failed", len(replicas), runs, failed.Load())
		}
	})
}

func TestStaleWhileRevalidate(t *testing.T) {
	o := newOrigin()
	// max-age 2 s: the refreshed answer must still be fresh when the test
	// looks, even with the race detector on a loaded machine.
	o.policy = "public, max-age=2, stale-while-revalidate=30"
	r := newReplica(t, o, nil, "")
	r.get(t, "s")
	time.Sleep(2100 * time.Millisecond)
	o.delay.Store(int64(300 * time.Millisecond))
	start := time.Now()
	got := r.get(t, "s")
	if got.xcache != "STALE" || time.Since(start) > 200*time.Millisecond {
		t.Fatalf("stale read: %s after %s", got.xcache, time.Since(start))
	}
	for i := 0; i < 5; i++ {
		r.get(t, "s") // still stale: no second refresh starts
	}
	waitFor(t, "the refresh", func() bool { return o.runs.Load() == 2 && r.get(t, "s").xcache == "HIT" })
	if o.runs.Load() != 2 {
		t.Fatalf("origin ran %d times, want 2 (one refresh)", o.runs.Load())
	}
}

func TestNeverStored(t *testing.T) {
	o := newOrigin()
	r := newReplica(t, o, nil, "")
	for name, policy := range map[string]string{"no-store": "no-store", "private": "private, max-age=60", "no max-age": "public"} {
		t.Run(name, func(t *testing.T) {
			o.mu.Lock()
			o.policy = policy
			o.mu.Unlock()
			slug := strings.ReplaceAll(name, " ", "-")
			r.get(t, slug)
			if got := r.get(t, slug); got.xcache == "HIT" {
				t.Fatalf("%s response was cached", policy)
			}
		})
	}
	// Mutations and editors' requests go straight through.
	for _, req := range []struct {
		body string
		auth bool
	}{{`{"query":"mutation { deleteArticle(slug: \"a\") }"}`, false}, {string(body("a")), true}} {
		hreq, _ := http.NewRequest("POST", r.srv.URL, strings.NewReader(req.body))
		if req.auth {
			hreq.Header.Set("Authorization", "Bearer x")
		}
		resp, err := http.DefaultClient.Do(hreq)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("X-Cache") != "BYPASS" {
			t.Fatalf("%q auth=%v: X-Cache %s", req.body, req.auth, resp.Header.Get("X-Cache"))
		}
	}
}

// A query computed before a write must not be stored as fresh after it.
func TestRacingWriteIsNotStored(t *testing.T) {
	o := newOrigin()
	r := newReplica(t, o, nil, "")
	o.delay.Store(int64(200 * time.Millisecond))
	done := make(chan answer)
	go func() { done <- r.get(t, "race") }()
	time.Sleep(50 * time.Millisecond) // the query is computing with version 0
	o.delay.Store(int64(0))
	o.write(r.c, "race", 1)
	<-done
	if got := r.get(t, "race"); got.version != 1 {
		t.Fatalf("served version %d (%s) after the write", got.version, got.xcache)
	}
}

func TestNormalisedKeySharesEntries(t *testing.T) {
	o := newOrigin()
	r := newReplica(t, o, nil, "")
	r.get(t, "n")
	alt := `{"variables":{"slug":"n"},"query":"query A($slug: String!) {\n  article(slug: $slug) { slug   version }\n} # comment"}`
	resp, err := http.Post(r.srv.URL, "application/json", strings.NewReader(alt))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Cache") != "HIT" || o.runs.Load() != 1 {
		t.Fatalf("a reformatted request missed: %s, %d runs", resp.Header.Get("X-Cache"), o.runs.Load())
	}
}

func TestETag304(t *testing.T) {
	o := newOrigin()
	r := newReplica(t, o, nil, "")
	url := r.srv.URL + "?query=" + strings.ReplaceAll(`{article(slug:"g"){slug}}`, " ", "")
	first, _ := http.Get(url)
	first.Body.Close()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("If-None-Match", first.Header.Get("Etag"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if first.Header.Get("Etag") == "" || resp.StatusCode != http.StatusNotModified {
		t.Fatalf("ETag %q, conditional GET got %d", first.Header.Get("Etag"), resp.StatusCode)
	}
}

// TestGzipRepresentation: a long answer is stored compressed once; clients
// that accept gzip get those bytes, others the plain body, both marked
// Vary: Accept-Encoding, each with its own ETag, on hits and through L2.
func TestGzipRepresentation(t *testing.T) {
	for name, mk := range backends(t) {
		t.Run(name, func(t *testing.T) {
			rdb := mk(t)
			prefix := fmt.Sprintf("gz%d:", time.Now().UnixNano())
			o := newOrigin()
			a := newReplica(t, o, rdb, prefix)
			raw := &http.Client{Transport: &http.Transport{DisableCompression: true}}
			fetch := func(r *replica, method, slug, ae, inm string) (*http.Response, []byte) {
				t.Helper()
				var req *http.Request
				if method == http.MethodGet {
					req, _ = http.NewRequest(method, r.srv.URL+"?query="+url.QueryEscape(query)+"&variables="+url.QueryEscape(`{"slug":"`+slug+`"}`), nil)
				} else {
					req, _ = http.NewRequest(method, r.srv.URL, bytes.NewReader(body(slug)))
					req.Header.Set("Content-Type", "application/json")
				}
				if ae != "" {
					req.Header.Set("Accept-Encoding", ae)
				}
				if inm != "" {
					req.Header.Set("If-None-Match", inm)
				}
				resp, err := raw.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp, b
			}
			plainResp, plain := fetch(a, http.MethodGet, "long-read", "", "")
			if plainResp.Header.Get("Content-Encoding") != "" || plainResp.Header.Get("Vary") != "Accept-Encoding" || !json.Valid(plain) {
				t.Fatalf("identity answer: encoding %q, vary %q, %d bytes", plainResp.Header.Get("Content-Encoding"), plainResp.Header.Get("Vary"), len(plain))
			}
			for _, r := range []*replica{a, newReplica(t, o, rdb, prefix)} {
				zr, zb := fetch(r, http.MethodGet, "long-read", "gzip, deflate, br", "")
				if zr.Header.Get("Content-Encoding") != "gzip" || zr.Header.Get("Vary") != "Accept-Encoding" {
					t.Fatalf("gzip answer (%s): encoding %q, vary %q", zr.Header.Get("X-Cache"), zr.Header.Get("Content-Encoding"), zr.Header.Get("Vary"))
				}
				if len(zb) >= len(plain)/3 || zr.Header.Get("Content-Length") != fmt.Sprint(len(zb)) {
					t.Fatalf("gzip body %d bytes (Content-Length %s) for %d plain", len(zb), zr.Header.Get("Content-Length"), len(plain))
				}
				gr, err := gzip.NewReader(bytes.NewReader(zb))
				if err != nil {
					t.Fatal(err)
				}
				if got, _ := io.ReadAll(gr); !bytes.Equal(got, plain) {
					t.Fatalf("gzip answer decompresses to other bytes than the plain one")
				}
				if zr.Header.Get("Etag") == plainResp.Header.Get("Etag") || zr.Header.Get("Etag") == "" {
					t.Fatalf("both representations carry ETag %q", zr.Header.Get("Etag"))
				}
				for _, etag := range []string{zr.Header.Get("Etag"), plainResp.Header.Get("Etag")} {
					if nm, b := fetch(r, http.MethodGet, "long-read", "gzip", etag); nm.StatusCode != http.StatusNotModified || len(b) != 0 {
						t.Fatalf("If-None-Match %s: %d, %d bytes", etag, nm.StatusCode, len(b))
					}
				}
				if rdb == nil {
					break // without Redis a second replica has its own cache: nothing to share
				}
			}
			if pr, pb := fetch(a, http.MethodPost, "long-read", "gzip;q=0, br", ""); pr.Header.Get("Content-Encoding") != "" || !bytes.Equal(pb, plain) {
				t.Fatalf("gzip;q=0 got encoding %q", pr.Header.Get("Content-Encoding"))
			}
			if sr, _ := fetch(a, http.MethodPost, "short", "gzip", ""); sr.Header.Get("Content-Encoding") != "" || sr.Header.Get("Vary") != "" {
				t.Fatalf("a short answer was compressed (encoding %q, vary %q)", sr.Header.Get("Content-Encoding"), sr.Header.Get("Vary"))
			}
			if got := o.runs.Load(); got != 2 { // long-read (GET and POST share the normal key), short
				t.Errorf("origin ran %d times, want 2", got)
			}
		})
	}
}
