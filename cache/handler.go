package cache

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bylinehq/byline/internal/acceptenc"
	"github.com/bylinehq/byline/internal/mediatype"
)

// Middleware caches next's public answers to GraphQL queries.
func (c *Cache) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (r.Method != http.MethodGet && r.Method != http.MethodPost) || header(r.Header, "Authorization") != "" {
			c.bypass(w, r, next)
			return
		}
		var req []byte
		if r.Method == http.MethodPost {
			body, err := readBody(r) // the edge has already bounded it
			if err != nil {
				http.Error(w, "could not read the request body", http.StatusBadRequest)
				return
			}
			req = body
			if _, ok := r.Body.(interface{ Bytes() []byte }); !ok {
				r.Body = io.NopCloser(bytes.NewReader(body))
			}
		} else {
			req = []byte(r.URL.RawQuery)
		}
		now := time.Now()
		// The fast path: raw bytes → entry, no parsing.
		raw := rawKeyOf(c.seed, r.Method, req)
		if c.inSync() {
			if it := c.l1.getBytes(raw[:]); it != nil && bytes.Equal(it.req, req) {
				if c.serveEntry(w, r, it.e, now, next, req) {
					return
				}
				c.l1.delete(string(raw[:]))
			}
		}
		rawKey := string(raw[:])

		normalKey, ok := normalKeyOf(c.o.SchemaVersion, r.Method, req)
		if !ok {
			c.bypass(w, r, next)
			return
		}
		// An answer that cannot be cached differs by media type (status,
		// data entry): requests asking for another may not share one.
		if wantsGraphQLResponse(r) {
			normalKey += "\x00" + mediatype.MediaGraphQLResponse
		}
		redisFailed := new(atomic.Bool)
		r = r.WithContext(context.WithValue(r.Context(), redisErrKey{}, redisFailed))
		if e := c.lookup(r.Context(), normalKey, now); e != nil {
			c.l1.put(rawKey, e, req)
			if c.serveEntry(w, r, e, now, next, req) {
				return
			}
		}

		v, _, shared := c.flight.Do(normalKey, func() (any, error) {
			return c.fill(next, r, req, normalKey, rawKey), nil
		})
		res := v.(*filled)
		result, xc := resMiss, "MISS"
		switch {
		case shared:
			result, xc = resCoalesced, "COALESCED"
		case redisFailed.Load():
			result = resError // a miss answered from the database while Redis failed us
		}
		if res.e != nil {
			c.m.results.WithLabelValues(result).Inc()
			c.serve(w, r, res.e, xc, now)
			return
		}
		// Not cacheable (errors, no-store): the answer as it was.
		c.m.results.WithLabelValues(resBypass).Inc()
		res.writeTo(w)
	})
}

func (c *Cache) bypass(w http.ResponseWriter, r *http.Request, next http.Handler) {
	c.m.results.WithLabelValues(resBypass).Inc()
	w.Header().Set("X-Cache", "BYPASS")
	next.ServeHTTP(w, r)
}

// serveEntry answers from an entry (found in L1, or just read from L2) that
// is still valid; false when it is not (invalidated or expired) and the
// caller must look further. A stale one is served while one refresh runs.
func (c *Cache) serveEntry(w http.ResponseWriter, r *http.Request, e *entry, now time.Time, next http.Handler, req []byte) bool {
	if !c.st.validEntry(e) {
		return false
	}
	switch e.freshness(now) {
	case fresh:
		c.m.hits.Inc()
		c.serve(w, r, e, "HIT", now)
		return true
	case stale:
		c.m.results.WithLabelValues(resStale).Inc()
		c.serve(w, r, e, "STALE", now)
		c.refresh(next, r, req, e)
		return true
	}
	return false
}

// serve writes a cached answer, with HTTP caching headers for whatever sits
// in front (browsers, a CDN): ETag and 304, Age, Cache-Control, Surrogate-Key.
// A client that accepts gzip gets the body compressed when it was stored.
func (c *Cache) serve(w http.ResponseWriter, r *http.Request, e *entry, status string, now time.Time) {
	// The entry's header values are built once and shared: net/http only
	// reads them. ETag, Age and Surrogate-Key serve HTTP caches and CDNs,
	// which cache GET only: a POST answer goes without them (less to write
	// on the path that matters most).
	h := w.Header()
	h["Content-Type"] = jsonType
	if wantsGraphQLResponse(r) {
		h["Content-Type"] = graphQLResponseType // the same body, the type asked for
	}
	h["Cache-Control"] = e.hdr.cacheControl
	h["X-Cache"] = xcache[status]
	body, length, etag := e.Body, e.hdr.length, e.hdr.etag
	if e.Gzip != nil {
		if v, ok := h["Vary"]; ok { // CORS's Vary: Origin
			h["Vary"] = append(v[:len(v):len(v)], "Accept-Encoding")
		} else {
			h["Vary"] = varyEncoding
		}
		if acceptenc.Accepts(header(r.Header, "Accept-Encoding"), "gzip") {
			body, length, etag = e.Gzip, e.hdr.gzLength, e.hdr.gzEtag
			h["Content-Encoding"] = gzipEncoding
		}
	}
	if r.Method == http.MethodGet {
		h["Etag"] = etag
		h["Age"] = []string{strconv.Itoa(int(now.Sub(e.Stored) / time.Second))}
		if e.hdr.surrogate != nil {
			h["Surrogate-Key"] = e.hdr.surrogate
		}
		if inm := r.Header.Get("If-None-Match"); inm != "" && (etagMatch(inm, e.ETag) || e.Gzip != nil && etagMatch(inm, e.hdr.gzEtag[0])) {
			delete(h, "Content-Encoding")
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	h["Content-Length"] = length
	_, _ = w.Write(body)
}

var (
	jsonType            = []string{mediatype.MediaJSON}
	graphQLResponseType = []string{mediatype.MediaGraphQLResponse}
	varyEncoding        = []string{"Accept-Encoding"}
	gzipEncoding        = []string{"gzip"}
	xcache              = map[string][]string{"HIT": {"HIT"}, "STALE": {"STALE"}, "MISS": {"MISS"}, "COALESCED": {"COALESCED"}}
)

// wantsGraphQLResponse reports whether the request negotiates
// application/graphql-response+json; the substring test keeps Accept
// parsing off the hit path for every other client.
func wantsGraphQLResponse(r *http.Request) bool {
	a := header(r.Header, "Accept")
	return strings.Contains(a, "graphql-response") && mediatype.Negotiate(r.Header) == mediatype.GraphQLResponse
}

// header is h.Get for a key already in canonical form, without
// canonicalising it again on every request.
func header(h http.Header, canonicalKey string) string {
	if v := h[canonicalKey]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// readBody takes the request body: the bytes themselves when the edge has
// already read it into memory (a Bytes method), else a read.
func readBody(r *http.Request) ([]byte, error) {
	if b, ok := r.Body.(interface{ Bytes() []byte }); ok {
		return b.Bytes(), nil
	}
	if r.ContentLength > 0 && r.ContentLength < 8<<20 {
		buf := bytes.NewBuffer(make([]byte, 0, r.ContentLength+1))
		_, err := buf.ReadFrom(r.Body)
		return buf.Bytes(), err
	}
	return io.ReadAll(r.Body)
}

func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(t), "W/"))
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// lookup finds a valid entry by normal key: L1, then L2. An L2 hit is
// copied into L1.
func (c *Cache) lookup(ctx context.Context, normalKey string, now time.Time) *entry {
	if c.inSync() {
		if it := c.l1.get(normalKey); it != nil {
			if c.st.validEntry(it.e) && it.e.freshness(now) != expired {
				return it.e
			}
			c.l1.delete(normalKey)
		}
	}
	e := c.readL2Now(ctx, normalKey)
	if e == nil || e.freshness(now) == expired {
		return nil
	}
	if c.inSync() {
		c.l1.put(normalKey, e, nil)
	}
	return e
}

// readL2Now is readL2Since for an entry read to be served now: it takes
// this replica's seq itself, just before the read, and asks Redis only
// when it may be asked. nil without Redis.
func (c *Cache) readL2Now(ctx context.Context, normalKey string) *entry {
	if !c.redisOK(ctx) {
		return nil
	}
	return c.readL2Since(ctx, normalKey, c.st.start())
}

// remember keeps an entry in L1 under its normal key and the request's
// raw key.
func (c *Cache) remember(e *entry, rawKey string, req []byte) {
	if c.inSync() {
		c.l1.put(e.Key, e, nil)
		c.l1.put(rawKey, e, req)
	}
}

// readL2Since reads an entry from Redis, only while in sync (before a
// resync an entry can look fresh in Redis though a write it predates has
// returned), and checks its tags: none may still wait for its stamp here,
// and none may have been stamped in Redis since the entry's computation
// began. The entry carries localStart, this replica's seq taken before the
// read (or before the computation the caller waited for): a local stamp of
// its tags after that invalidates it here (see stamps.go).
func (c *Cache) readL2Since(ctx context.Context, normalKey string, localStart uint64) *entry {
	if !c.inSync() {
		return nil
	}
	rc, cancel := c.rctx(ctx)
	defer cancel()
	b, err := c.rdb.Get(rc, c.key("r:", normalKey)).Bytes()
	if c.reqDone(ctx, err) != nil {
		return nil
	}
	e, err := decodeEntry(b)
	if err != nil || c.pend.anyOf(e.Tags) {
		return nil
	}
	if !c.validSince(rc, e.Tags, e.RedisStart, false) {
		return nil
	}
	e.localStart = localStart
	return e
}

// validSince checks tags' Redis stamps against start, one pipelined GET
// each (a Cluster client splits the pipeline by slot). Every tag of a
// stored entry has a stamp, so a missing one fails too: Redis lost it (a
// node restarted empty, a failover dropped writes), and with it any write
// stamped since. storing, for an entry about to be stored, first gives a
// tag without a stamp one at start (SET NX, in the same pipeline: one key
// per command, so Cluster-safe, and ordered before the GET of the same key).
func (c *Cache) validSince(ctx context.Context, tags []string, start int64, storing bool) bool {
	pipe := c.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(tags))
	for i, t := range tags {
		k := c.key("inv:", t)
		if storing {
			pipe.SetNX(ctx, k, start, stampTTL)
		}
		cmds[i] = pipe.Get(ctx, k)
	}
	_, err := pipe.Exec(ctx)
	if c.reqDone(ctx, err) != nil && err != redis.Nil {
		return false
	}
	for _, cmd := range cmds {
		if v, err := cmd.Int64(); err != nil || v > start {
			return false
		}
	}
	return true
}

// filled is the outcome of running the GraphQL layer once.
type filled struct {
	e      *entry // nil: not cacheable
	status int
	header http.Header
	body   []byte
}

func (f *filled) writeTo(w http.ResponseWriter) {
	for k, v := range f.header {
		w.Header()[k] = v
	}
	w.Header().Set("X-Cache", "BYPASS")
	w.WriteHeader(f.status)
	_, _ = w.Write(f.body)
}

// fill runs the GraphQL layer for a miss, once per key per process and,
// where a Redis lease allows, once across replicas, and stores a cacheable
// answer in L1 and L2.
func (c *Cache) fill(next http.Handler, r *http.Request, req []byte, normalKey, rawKey string) *filled {
	ctx := r.Context()
	// A request that missed just before another flight for this key ended
	// starts a flight of its own, which would compute the answer again
	// (and take over this replica's own lease, not yet released).
	if c.inSync() {
		if it := c.l1.get(normalKey); it != nil && c.st.validEntry(it.e) && it.e.freshness(time.Now()) == fresh {
			return &filled{e: it.e}
		}
	}
	localStart := c.st.start()
	if c.redisOK(ctx) {
		e, held := c.awaitLease(ctx, normalKey, localStart)
		if e != nil {
			c.remember(e, rawKey, req)
			return &filled{e: e}
		}
		if held {
			// After the answer is in L2 (the deferred call runs after
			// writeL2), and off the request's path: a replica waiting on
			// the lease sees it go at once, and a failed call in this
			// request does not leave the lease behind for its full term.
			defer func() { go c.releaseLease(normalKey) }()
		}
	}
	redisStart := c.redisSeq(ctx)

	// The work runs detached from this client: others may be waiting on it.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	inner := r.Clone(wctx)
	inner.Body = io.NopCloser(bytes.NewReader(req))
	next.ServeHTTP(rec, inner)

	out := &filled{status: rec.status, header: rec.header, body: rec.buf.Bytes()}
	pol, ok := parsePolicy(rec.header.Get("Cache-Control"))
	if rec.status != http.StatusOK || !ok {
		return out
	}
	now := time.Now()
	e := newEntry(normalKey, rec.header, out.body, pol, localStart, redisStart, now)
	if !c.st.validEntry(e) {
		return out // a write landed while we computed: answer, don't keep
	}
	out.e = e
	c.remember(e, rawKey, req)
	if redisStart >= 0 {
		c.writeL2(ctx, e, pol)
	}
	return out
}

// redisSeq is Redis's invalidation counter before the computation; -1
// when Redis is unavailable (the entry then stays out of L2).
func (c *Cache) redisSeq(ctx context.Context) int64 {
	if !c.redisOK(ctx) {
		return -1
	}
	rc, cancel := c.rctx(ctx)
	defer cancel()
	v, err := c.scripts.readSeq.Run(rc, c.rdb, []string{c.key("seq")}, time.Now().UnixMicro()).Int64()
	if c.reqDone(ctx, err) != nil {
		return -1
	}
	return v
}

// writeL2 stores an entry in Redis, unless one of its tags was stamped
// there since its computation began.
func (c *Cache) writeL2(ctx context.Context, e *entry, pol cachePolicy) {
	if !c.redisOK(ctx) {
		return
	}
	rc, cancel := c.rctx(ctx)
	defer cancel()
	if !c.validSince(rc, e.Tags, e.RedisStart, true) {
		return // stamped since we began: never store it as fresh
	}
	b, err := e.encode()
	if err != nil {
		return
	}
	ttl := time.Duration(pol.maxAge+pol.swr) * time.Second
	c.reqDone(ctx, c.rdb.Set(rc, c.key("r:", e.Key), b, ttl).Err())
}

// awaitLease takes the key's lease, or waits for the replica holding it to
// store the answer. It returns that answer, carrying localStart (this
// replica's seq from before the wait), or nil when the caller should
// compute; held says the caller now holds the lease and must release it.
// The wait ends as soon as the lease is gone: a holder whose answer was
// not cacheable (an error, no-store) stores nothing, and waiting out the
// lease's term for it would cost every waiter LeaseFor.
func (c *Cache) awaitLease(ctx context.Context, normalKey string, localStart uint64) (e *entry, held bool) {
	lease := c.key("lease:", normalKey)
	rc, cancel := c.rctx(ctx)
	got, err := c.scripts.takeLease.Run(rc, c.rdb, []string{lease}, c.replica, c.o.LeaseFor.Milliseconds()).Int()
	cancel()
	if c.reqDone(ctx, err) != nil {
		return nil, false
	}
	if got == 1 {
		return nil, true
	}
	deadline := time.Now().Add(c.o.LeaseFor)
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return nil, false
		case <-time.After(20 * time.Millisecond):
		}
		if !c.redisOK(ctx) {
			return nil, false
		}
		rc, cancel := c.rctx(ctx)
		n, err := c.rdb.Exists(rc, lease).Result()
		cancel()
		if c.reqDone(ctx, err) != nil {
			return nil, false
		}
		if n == 1 {
			continue
		}
		// Released: the holder stored its answer first, if it had one.
		// Only an answer computed since counts: the entry being refreshed
		// may still sit in Redis, stale.
		if e := c.readL2Since(ctx, normalKey, localStart); e != nil && e.freshness(time.Now()) == fresh {
			return e, false
		}
		return nil, false
	}
	return nil, false
}

// releaseLease drops the lease if this replica still holds it (it may have
// expired and been taken by another).
func (c *Cache) releaseLease(normalKey string) {
	if !c.redisOK(context.Background()) {
		return
	}
	rc, cancel := c.rctx(context.Background())
	defer cancel()
	c.done(c.scripts.dropLease.Run(rc, c.rdb, []string{c.key("lease:", normalKey)}, c.replica).Err())
}

// refresh recomputes a stale entry in the background, once per process;
// when another replica has already refreshed it, its answer is taken from
// Redis instead.
func (c *Cache) refresh(next http.Handler, r *http.Request, req []byte, e *entry) {
	// Its own Redis failure flag: the reader it was started for may have
	// had a failed call, which must not keep the refresh out of Redis.
	bg := r.Clone(context.WithValue(context.WithoutCancel(r.Context()), redisErrKey{}, new(atomic.Bool)))
	raw := rawKeyOf(c.seed, r.Method, req)
	rawKey := string(raw[:])
	go c.flight.Do(e.Key, func() (any, error) {
		if fe := c.readL2Now(bg.Context(), e.Key); fe != nil && fe.freshness(time.Now()) == fresh {
			c.remember(fe, rawKey, req)
			return &filled{e: fe}, nil
		}
		return c.fill(next, bg, req, e.Key, rawKey), nil
	})
}

// recorder captures the GraphQL layer's answer.
type recorder struct {
	header http.Header
	status int
	buf    bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(code int)        { r.status = code }
func (r *recorder) Write(b []byte) (int, error) { return r.buf.Write(b) }

type redisErrKey struct{}

// requestFailed is the flag a request's context carries: set once one of
// its Redis calls has failed. nil outside a request (background work).
func requestFailed(ctx context.Context) *atomic.Bool {
	f, _ := ctx.Value(redisErrKey{}).(*atomic.Bool)
	return f
}

// reqDone is done for a call made for a request: it also marks the request
// as answered without Redis's help, for the "error" result.
func (c *Cache) reqDone(ctx context.Context, err error) error {
	err = c.done(err)
	if err != nil && err != redis.Nil {
		if f := requestFailed(ctx); f != nil {
			f.Store(true)
		}
	}
	return err
}
