package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/graph"
	"github.com/bylinehq/byline/internal/testenv"
	"github.com/bylinehq/byline/server"
)

// gateway is one running replica: its own cache and Redis client, its
// background work started, sharing the database and Redis with others.
func gateway(t *testing.T, cfg Config) *testApp {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if cfg.Now == nil {
		cfg.Now = testenv.Clock()
	}
	a, err := openApp(ctx, &cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := seedIfEmpty(ctx, a.svc, log); err != nil {
		t.Fatal(err)
	}
	if err := startRelated(ctx, a.svc, content.DefaultRankConfig(), log); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { a.cache.Run(ctx); close(done) }()
	go publishOnTime(ctx, a.svc, log)
	srv := httptest.NewServer(newHandler(a, log, graph.Options{}, true))
	t.Cleanup(func() { srv.Close(); cancel(); <-done; a.Close() })
	if cfg.Redis != "" {
		deadline := time.Now().Add(5 * time.Second)
		for a.cache.Ping(ctx) != nil || !strings.Contains(get(t, srv.URL+"/readyz"), `"redis":"up"`) {
			if time.Now().After(deadline) {
				t.Fatal("redis never came up")
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond) // the subscription and first heartbeat
	}
	return &testApp{t: t, db: a.db, svc: a.svc, srv: srv}
}

// forEachRedis runs test against a standalone Redis, a three-node Cluster
// and a master with a replica under Sentinel, the last two started by the
// test, as --redis URLs.
func forEachRedis(t *testing.T, test func(t *testing.T, redisURL string)) {
	t.Run("standalone", func(t *testing.T) { test(t, "redis://"+testenv.Redis(t)) })
	t.Run("cluster", func(t *testing.T) { test(t, "redis://"+strings.Join(testenv.StartRedisCluster(t), ",")) })
	t.Run("sentinel", func(t *testing.T) {
		s := testenv.StartRedisSentinel(t)
		test(t, "redis://"+s.Addr+"?master="+s.Name)
	})
}

func get(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

const titleQuery = `query T($s: String!) { article(slug: $s) { title } }`

func (a *testApp) title(t *testing.T) (string, string) {
	t.Helper()
	return titleAt(t, a.srv.URL)
}

// titleAt asks the gateway at base for the seed article's title; it
// returns the title and X-Cache.
func titleAt(t *testing.T, base string) (string, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": titleQuery, "variables": map[string]string{"s": seedSlug}})
	resp, err := http.Post(base+"/graphql", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data struct{ Article struct{ Title string } }
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out.Data.Article.Title, resp.Header.Get("X-Cache")
}

// TestTwoGatewaysSeeAWriteAtOnce: two replicas share PostgreSQL and Redis;
// after upsertArticle returns on one, neither serves the old title.
func TestTwoGatewaysSeeAWriteAtOnce(t *testing.T) {
	forEachRedis(t, testTwoGatewaysSeeAWrite)
}

func testTwoGatewaysSeeAWrite(t *testing.T, redisURL string) {
	cfg := Config{DB: testenv.PostgresSchema(t), Redis: redisURL, Prefix: testenv.RandomName("t") + ":", PublicURL: "https://news.example.com"}
	a, b := gateway(t, cfg), gateway(t, cfg)
	for _, g := range []*testApp{a, b} {
		g.title(t)
		if _, x := g.title(t); x != "HIT" {
			t.Fatalf("warm-up: X-Cache %s", x)
		}
	}
	token, err := a.svc.CreateKey(context.Background(), "desk")
	if err != nil {
		t.Fatal(err)
	}
	for i, title := range []string{"Retitled once", "Retitled twice"} {
		r := a.query(`mutation($in: ArticleInput!) { upsertArticle(input: $in) { title } }`,
			map[string]any{"in": map[string]any{"slug": seedSlug, "title": title}}, "Authorization", "Bearer "+token)
		if len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		for n, g := range []*testApp{a, b} {
			if got, x := g.title(t); got != title {
				t.Fatalf("write %d: gateway %d served %q (%s)", i, n, got, x)
			}
		}
	}
}

// TestCLIImportReachesARunningGateway: an import by a separate command
// without Redis reaches a gateway with an in-process cache within 5 s.
func TestCLIImportReachesARunningGateway(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "byline.db")
	g := gateway(t, Config{DB: dbPath, PublicURL: "https://news.example.com"})
	g.title(t)
	if _, x := g.title(t); x != "HIT" {
		t.Fatalf("warm-up: %s", x)
	}
	dir := t.TempDir()
	src, _ := os.ReadFile("../../content/sample/" + seedSlug + ".md")
	changed := strings.Replace(string(src), "title: Mongolia Prime Minister pays official visit to the USA", "title: Imported title", 1)
	if err := os.WriteFile(filepath.Join(dir, "seed.md"), []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, _, err := runCLI(t, map[string]string{"BYLINE_DATABASE_URL": dbPath}, "import", dir); err != nil {
		t.Fatal(err)
	}
	for {
		if got, _ := g.title(t); got == "Imported title" {
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("the import did not reach the running gateway within 5 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("import visible after %s", time.Since(start).Round(time.Millisecond))
}

// TestPersistedQueryOverGET: register a query once by hash, then fetch it
// over GET with only the hash; the second GET is a cache hit.
func TestPersistedQueryOverGET(t *testing.T) {
	g := gateway(t, Config{DB: filepath.Join(t.TempDir(), "byline.db"), Redis: "redis://" + testenv.Redis(t), Prefix: testenv.RandomName("t") + ":"})
	q := `{ sections { slug name } }`
	sum := sha256.Sum256([]byte(q))
	hash := hex.EncodeToString(sum[:])
	ext := `{"persistedQuery":{"version":1,"sha256Hash":"` + hash + `"}}`
	u := g.srv.URL + "/graphql?extensions=" + url.QueryEscape(ext)
	if body := get(t, u); !strings.Contains(body, "PersistedQueryNotFound") {
		t.Fatalf("unknown hash: %s", body)
	}
	if body := get(t, u+"&query="+url.QueryEscape(q)); !strings.Contains(body, `"slug":"news"`) {
		t.Fatalf("register: %s", body)
	}
	var x []string
	for i := 0; i < 2; i++ {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), `"slug":"news"`) {
			t.Fatalf("by hash: %s", b)
		}
		x = append(x, resp.Header.Get("X-Cache"))
	}
	if x[1] != "HIT" {
		t.Fatalf("X-Cache by hash: %v", x)
	}
	// A wrong hash for a query is refused, not stored.
	bad := g.srv.URL + "/graphql?query=" + url.QueryEscape(q) + "&extensions=" + url.QueryEscape(`{"persistedQuery":{"version":1,"sha256Hash":"00"}}`)
	if body := get(t, bad); !strings.Contains(body, "errors") {
		t.Fatalf("wrong hash accepted: %s", body)
	}
}

// TestRelatedFollowsWritesOnEveryReplica: a story written on one gateway
// shows in the seed's related list on another within seconds, and leaves
// it when deleted; no restart.
func TestRelatedFollowsWritesOnEveryReplica(t *testing.T) {
	cfg := Config{DB: testenv.PostgresSchema(t), Redis: "redis://" + testenv.Redis(t), Prefix: testenv.RandomName("t") + ":", PublicURL: "https://news.example.com"}
	a, b := gateway(t, cfg), gateway(t, cfg)
	related := func(g *testApp) string {
		r := g.query(`query($s: String!) { relatedStories(slug: $s, first: 3) { slug } }`, map[string]any{"s": seedSlug})
		return string(r.Data["relatedStories"])
	}
	before := related(b)
	token, _ := a.svc.CreateKey(context.Background(), "desk")
	r := a.query(`mutation($in: ArticleInput!) { upsertArticle(input: $in) { slug } }`, map[string]any{"in": map[string]any{
		"slug": "us-mongolia-rare-earths-partnership", "section": "News",
		"title":   "Mongolia Prime Minister and USA deepen rare earths partnership",
		"summary": "A follow-up to the Prime Minister's official visit to the USA on rare earths and critical minerals.",
		"body":    "The Prime Minister's official visit to the USA led to a rare earths and critical minerals partnership with the United States, an Open Skies agreement and an economic cooperation roadmap.",
		"tags":    []string{"Mongolia", "United States", "Rare earths", "Critical minerals", "Diplomacy"},
	}}, "Authorization", "Bearer "+token)
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	waitUntil := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: gateway b still serves %s", what, related(b))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitUntil("after the upsert", func() bool { return strings.Contains(related(b), "us-mongolia-rare-earths-partnership") })
	if !strings.Contains(related(a), "us-mongolia-rare-earths-partnership") {
		t.Fatalf("the writer's own related list: %s", related(a))
	}
	r = a.query(`mutation { deleteArticle(slug: "us-mongolia-rare-earths-partnership") }`, nil, "Authorization", "Bearer "+token)
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	waitUntil("after the delete", func() bool { return related(b) == before })
}

// TestCachePolicyFromSchema: over real GraphQL, a response's Cache-Control
// is the minimum over the fields it touched (@cacheControl in the schema),
// a response with errors or with no cacheable field is no-store and never
// served from the cache, and GET answers carry the CDN headers.
func TestCachePolicyFromSchema(t *testing.T) {
	g := gateway(t, Config{DB: filepath.Join(t.TempDir(), "byline.db")})
	for _, c := range []struct {
		name, query, wantCC string
		wantStored          bool
	}{
		{"sections: one hour", `{ sections { slug } }`, "public, max-age=3600, s-maxage=3600, stale-while-revalidate=300", true},
		{"article: five minutes", `{ article(slug: "` + seedSlug + `") { title } }`, "public, max-age=300, s-maxage=300, stale-while-revalidate=60", true},
		{"the minimum wins", `{ sections { slug } articles(first: 2) { edges { node { slug } } } }`, "public, max-age=60, s-maxage=60, stale-while-revalidate=30", true},
		{"an error is not stored", `{ articles(first: 1000) { totalCount } }`, "no-store", false},
		{"no cacheable field", `{ widget(partner: "demo") { headline } }`, "no-store", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			u := g.srv.URL + "/graphql?query=" + url.QueryEscape(c.query)
			var last *http.Response
			for i := 0; i < 2; i++ {
				resp, err := http.Get(u)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				last = resp
			}
			h := last.Header
			if got := h.Get("Cache-Control"); got != c.wantCC {
				t.Fatalf("Cache-Control %q, want %q", got, c.wantCC)
			}
			if stored := h.Get("X-Cache") == "HIT"; stored != c.wantStored {
				t.Fatalf("second request X-Cache %q, want stored=%v", h.Get("X-Cache"), c.wantStored)
			}
			if c.wantStored && (h.Get("Etag") == "" || h.Get("Age") == "" || h.Get("Surrogate-Key") == "") {
				t.Fatalf("GET hit without ETag/Age/Surrogate-Key: %v", h)
			}
		})
	}
}

// TestColdRequestsRunTheResolversOnce: 50 concurrent cold requests for the
// article page, spread over two replicas sharing Redis, execute the
// GraphQL operation once (the replicas' operation counters), and all get
// the same answer. The promise holds while Redis answers in time: a call
// past the cache's 100 ms timeout fails open and a replica computes on its
// own, which the race detector on a loaded machine can cause. So an attempt
// in which either replica counted a Redis error is run again (fresh keys,
// fresh replicas), up to three times; one clean attempt must show one run.
func TestColdRequestsRunTheResolversOnce(t *testing.T) {
	forEachRedis(t, func(t *testing.T, redisURL string) {
		db := testenv.PostgresSchema(t)
		for attempt := 1; attempt <= 3; attempt++ {
			cfg := Config{DB: db, Redis: redisURL, Prefix: testenv.RandomName("c") + ":", PublicURL: "https://news.example.com"}
			replicas := []*testApp{gateway(t, cfg), gateway(t, cfg)}
			runs, redisErrors := coldBurst(t, replicas)
			if redisErrors > 0 {
				t.Logf("attempt %d: %v Redis errors (fail-open), %d runs: again", attempt, redisErrors, runs)
				continue
			}
			if runs != 1 {
				t.Fatalf("50 cold requests ran the operation %d times, want 1", runs)
			}
			return
		}
		t.Fatal("Redis failed calls in every attempt")
	})
}

// coldBurst sends 50 concurrent article-page requests over the replicas and
// returns how many times the operation ran and the Redis errors counted.
func coldBurst(t *testing.T, replicas []*testApp) (runs int, redisErrors float64) {
	t.Helper()
	count := func() (n int, errs float64) {
		for _, g := range replicas {
			n += operationCount(t, g.srv.URL, "ArticlePage")
			errs += metricValue(t, g.srv.URL, "byline_cache_redis_errors_total")
		}
		return n, errs
	}
	// Warm each replica's Redis pool first, with other keys: through
	// Sentinel a new connection asks the sentinel for the master before it
	// dials, and on a loaded machine that can outlast the 100 ms call
	// deadline. The burst is about coalescing, not about dialing.
	var warm sync.WaitGroup
	for i := range 8 {
		warm.Go(func() {
			q := fmt.Sprintf(`{ articles(first: %d) { edges { node { slug } } } }`, i+1)
			resp, err := http.Get(replicas[i%2].srv.URL + "/graphql?query=" + url.QueryEscape(q))
			if err == nil {
				resp.Body.Close()
			}
		})
	}
	warm.Wait()
	body, _ := json.Marshal(map[string]any{"operationName": "ArticlePage", "query": server.ArticlePageQuery, "variables": map[string]string{"slug": seedSlug}})
	runsBefore, errsBefore := count()
	start := make(chan struct{})
	answers := make([]string, 50)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			resp, err := http.Post(replicas[i%2].srv.URL+"/graphql", "application/json", bytes.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			answers[i] = string(b)
		}(i)
	}
	close(start)
	wg.Wait()
	for i, a := range answers {
		if a != answers[0] || !strings.Contains(a, `"title"`) {
			t.Fatalf("answer %d differs or is empty: %.120s", i, a)
		}
	}
	runsAfter, errsAfter := count()
	return runsAfter - runsBefore, errsAfter - errsBefore
}

// operationCount reads how many times a gateway executed the named GraphQL
// operation, from its /metrics.
func operationCount(t *testing.T, base, op string) int {
	t.Helper()
	return int(metricValue(t, base, `byline_graphql_operation_duration_seconds_count{operation="`+op+`"}`))
}

// metricValue reads one series from a gateway's /metrics; 0 when absent.
func metricValue(t *testing.T, base, series string) float64 {
	t.Helper()
	for _, line := range strings.Split(get(t, base+"/metrics"), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metrics line %q: %v", line, err)
			}
			return n
		}
	}
	return 0
}

// TestCacheResultCounters: each answer adds one to exactly the result
// counter its X-Cache names, and to no other.
func TestCacheResultCounters(t *testing.T) {
	a := newApp(t)
	results := []string{"hit", "stale", "miss", "coalesced", "bypass", "error"}
	counts := func() map[string]float64 {
		m := map[string]float64{}
		for _, r := range results {
			m[r] = metricValue(t, a.srv.URL, `byline_cache_requests_total{result="`+r+`"}`)
		}
		return m
	}
	title, _ := json.Marshal(map[string]any{"query": titleQuery, "variables": map[string]string{"s": seedSlug}})
	for _, step := range []struct {
		name   string
		body   []byte
		header []string
		result string
	}{
		{"first query misses", title, nil, "miss"},
		{"the same query hits", title, nil, "hit"},
		{"an error is not stored", gql(`{ article(slug: "x") { nope } }`), nil, "bypass"},
		{"a request with credentials is not stored", title, []string{"Authorization", "Bearer byl_000000000000_x"}, "bypass"},
		{"still a hit after those", title, nil, "hit"},
	} {
		t.Run(step.name, func(t *testing.T) {
			before := counts()
			req, _ := http.NewRequest(http.MethodPost, a.srv.URL+"/graphql", bytes.NewReader(step.body))
			req.Header.Set("Content-Type", "application/json")
			if step.header != nil {
				req.Header.Set(step.header[0], step.header[1])
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if x := resp.Header.Get("X-Cache"); !strings.EqualFold(x, step.result) {
				t.Errorf("X-Cache %q, want %q", x, strings.ToUpper(step.result))
			}
			after := counts()
			for _, r := range results {
				want := before[r]
				if r == step.result {
					want++
				}
				if after[r] != want {
					t.Errorf("result %q: %v → %v, want %v", r, before[r], after[r], want)
				}
			}
		})
	}
}
