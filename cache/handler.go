package cache

import (
	"bytes"
	"context"
	"hash/maphash"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"

	"github.com/bylinehq/byline/internal/acceptenc"
	"github.com/bylinehq/byline/internal/mediatype"
)

// ResponseCache is the HTTP response cache: the middleware in front of the
// GraphQL layer, its entries in process (L1) and in Redis (L2), and the
// coalescing of concurrent misses (singleflight here, a lease across
// replicas). Whether an entry may be served is the bus's to say: its
// stamps, here and in Redis, and whether this replica is in sync.
type ResponseCache struct {
	l1            *l1
	seed          maphash.Seed // of raw keys
	flight        singleflight.Group
	schemaVersion string
	redis         *redisAccess
	leases        leaseScripts
	leaseFor      time.Duration
	replica       string // a lease's holder

	// Kept by the bus, read here.
	bus    *Bus
	local  *stamps
	shared *sharedStamps

	results *prometheus.CounterVec
	hits    prometheus.Counter // results{hit}
}

func newResponseCache(r *redisAccess, bus *Bus, replica string, o Options, m *metrics) *ResponseCache {
	return &ResponseCache{
		l1: newL1(o.L1Bytes), seed: maphash.MakeSeed(), schemaVersion: o.SchemaVersion,
		redis: r, leases: newLeaseScripts(), leaseFor: o.LeaseFor, replica: replica,
		bus: bus, local: &bus.local, shared: bus.shared,
		results: m.results, hits: m.hits,
	}
}

// Stats reports L1's size, for logs and tests.
func (c *ResponseCache) Stats() (items int, bytes int64) { return c.l1.size() }

// Middleware caches next's public answers to GraphQL queries.
func (c *ResponseCache) Middleware(next http.Handler) http.Handler {
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
		if c.bus.inSync() {
			if it := c.l1.getBytes(raw[:]); it != nil && bytes.Equal(it.req, req) {
				if c.serveEntry(w, r, it.e, now, next, req) {
					return
				}
				c.l1.delete(string(raw[:]))
			}
		}
		rawKey := string(raw[:])

		normalKey, ok := normalKeyOf(c.schemaVersion, r.Method, req)
		if !ok {
			c.bypass(w, r, next)
			return
		}
		// An answer that cannot be cached differs by media type (status,
		// data entry): requests asking for another may not share one.
		if wantsGraphQLResponse(r) {
			normalKey += "\x00" + mediatype.MediaGraphQLResponse
		}
		ctx, redisFailed := withFailureFlag(r.Context())
		r = r.WithContext(ctx)
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
			c.results.WithLabelValues(result).Inc()
			c.serve(w, r, res.e, xc, now)
			return
		}
		// Not cacheable (errors, no-store): the answer as it was.
		c.results.WithLabelValues(resBypass).Inc()
		res.writeTo(w)
	})
}

func (c *ResponseCache) bypass(w http.ResponseWriter, r *http.Request, next http.Handler) {
	c.results.WithLabelValues(resBypass).Inc()
	w.Header().Set("X-Cache", "BYPASS")
	next.ServeHTTP(w, r)
}

// serveEntry answers from an entry (found in L1, or just read from L2) that
// is still valid; false when it is not (invalidated or expired) and the
// caller must look further. A stale one is served while one refresh runs.
func (c *ResponseCache) serveEntry(w http.ResponseWriter, r *http.Request, e *entry, now time.Time, next http.Handler, req []byte) bool {
	if !c.local.validEntry(e) {
		return false
	}
	switch e.freshness(now) {
	case fresh:
		c.hits.Inc()
		c.serve(w, r, e, "HIT", now)
		return true
	case stale:
		c.results.WithLabelValues(resStale).Inc()
		c.serve(w, r, e, "STALE", now)
		c.refresh(next, r, req, e)
		return true
	}
	return false
}

// serve writes a cached answer, with HTTP caching headers for whatever sits
// in front (browsers, a CDN): ETag and 304, Age, Cache-Control, Surrogate-Key.
// A client that accepts gzip gets the body compressed when it was stored.
func (c *ResponseCache) serve(w http.ResponseWriter, r *http.Request, e *entry, status string, now time.Time) {
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
func (c *ResponseCache) lookup(ctx context.Context, normalKey string, now time.Time) *entry {
	if c.bus.inSync() {
		if it := c.l1.get(normalKey); it != nil {
			if c.local.validEntry(it.e) && it.e.freshness(now) != expired {
				return it.e
			}
			c.l1.delete(normalKey)
		}
	}
	e := c.readL2Now(ctx, normalKey)
	if e == nil || e.freshness(now) == expired {
		return nil
	}
	if c.bus.inSync() {
		c.l1.put(normalKey, e, nil)
	}
	return e
}

// readL2Now is readL2Since for an entry read to be served now: it takes
// this replica's seq itself, just before the read, and asks Redis only
// when it may be asked. nil without Redis.
func (c *ResponseCache) readL2Now(ctx context.Context, normalKey string) *entry {
	if !c.redis.available(ctx) {
		return nil
	}
	return c.readL2Since(ctx, normalKey, c.local.start())
}

// readL2Since reads an entry from Redis, only while in sync (before a
// resync an entry can look fresh in Redis though a write it predates has
// returned), and checks its tags: none may still wait for its stamp here,
// and none may have been stamped in Redis since the entry's computation
// began. The entry carries localStart, this replica's seq taken before the
// read (or before the computation the caller waited for): a local stamp of
// its tags after that invalidates it here (see stamps.go).
func (c *ResponseCache) readL2Since(ctx context.Context, normalKey string, localStart uint64) *entry {
	if !c.bus.inSync() {
		return nil
	}
	rc, cancel := c.redis.callCtx(ctx)
	defer cancel()
	b, err := c.redis.rdb.Get(rc, c.redis.key("r:", normalKey)).Bytes()
	if c.redis.recordFor(ctx, err) != nil {
		return nil
	}
	e, err := decodeEntry(b)
	if err != nil || c.shared.pending.anyOf(e.Tags) {
		return nil
	}
	if !c.shared.validSince(rc, e.Tags, e.RedisStart) {
		return nil
	}
	e.localStart = localStart
	return e
}

// remember keeps an entry in L1 under its normal key and the request's
// raw key.
func (c *ResponseCache) remember(e *entry, rawKey string, req []byte) {
	if c.bus.inSync() {
		c.l1.put(e.Key, e, nil)
		c.l1.put(rawKey, e, req)
	}
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
func (c *ResponseCache) fill(next http.Handler, r *http.Request, req []byte, normalKey, rawKey string) *filled {
	ctx := r.Context()
	// A request that missed just before another flight for this key ended
	// starts a flight of its own, which would compute the answer again
	// (and take over this replica's own lease, not yet released).
	if c.bus.inSync() {
		if it := c.l1.get(normalKey); it != nil && c.local.validEntry(it.e) && it.e.freshness(time.Now()) == fresh {
			return &filled{e: it.e}
		}
	}
	localStart := c.local.start()
	redisStart := int64(-1)
	held := false
	if c.redis.available(ctx) {
		var e *entry
		e, held, redisStart = c.awaitLease(ctx, normalKey, localStart)
		if e != nil {
			c.remember(e, rawKey, req)
			return &filled{e: e}
		}
		if held {
			// After the answer is in L2 (the deferred call runs after
			// writeL2), and off the request's path: a replica waiting on
			// the lease sees it go at once, and a failed call in this
			// request does not leave the lease behind for its full term.
			// Storing the answer usually lets it go already.
			defer func() {
				if held {
					go c.releaseLease(normalKey)
				}
			}()
		}
	}
	if redisStart < 0 {
		redisStart = c.shared.seq(ctx)
	}

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
	if !c.local.validEntry(e) {
		return out // a write landed while we computed: answer, don't keep
	}
	out.e = e
	c.remember(e, rawKey, req)
	if redisStart >= 0 && c.writeL2(ctx, e, pol, held) {
		held = false // released with the store
	}
	return out
}

// writeL2 stores an entry in Redis, unless one of its tags was stamped
// there since its computation began, and lets go of the entry's lease when
// held and the store can (see sharedStamps.store); released says it did.
func (c *ResponseCache) writeL2(ctx context.Context, e *entry, pol cachePolicy, held bool) (released bool) {
	if !c.redis.available(ctx) {
		return false
	}
	b, err := e.encode()
	if err != nil {
		return false
	}
	rc, cancel := c.redis.callCtx(ctx)
	defer cancel()
	lease := ""
	if held {
		lease = c.redis.key("lease:", e.Key)
	}
	ttl := time.Duration(pol.maxAge+pol.swr) * time.Second
	return c.shared.store(rc, c.redis.key("r:", e.Key), b, ttl, e.Tags, e.RedisStart, lease, c.replica)
}

// refresh recomputes a stale entry in the background, once per process;
// when another replica has already refreshed it, its answer is taken from
// Redis instead.
func (c *ResponseCache) refresh(next http.Handler, r *http.Request, req []byte, e *entry) {
	// Its own Redis failure flag: the reader it was started for may have
	// had a failed call, which must not keep the refresh out of Redis.
	bgCtx, _ := withFailureFlag(context.WithoutCancel(r.Context()))
	bg := r.Clone(bgCtx)
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
