package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bylinehq/byline/content"
)

// entry is one cached response.
type entry struct {
	Key          string    `json:"k"`
	Body         []byte    `json:"b"`
	Gzip         []byte    `json:"gz,omitempty"` // Body compressed once; nil when not worth it
	CacheControl string    `json:"cc"`
	Surrogate    string    `json:"sk"`
	ETag         string    `json:"et"`
	Tags         []string  `json:"t"`
	RedisStart   int64     `json:"rs"` // Redis seq when computation began
	Stored       time.Time `json:"st"`
	Fresh        time.Time `json:"fr"` // served as fresh until
	StaleUntil   time.Time `json:"su"` // served stale (while one refresh runs) until

	localStart uint64        // local seq when computation (or the L2 read) began
	checked    atomic.Uint64 // 1 + the local seq at which it was last found valid; 0: never
	hdr        headers
}

// weight is what an entry holds in memory: its bodies, its tags (a related
// list carries dozens) and its header strings, which the surrogate key
// repeats; plus a fixed overhead for the struct and slices.
func (e *entry) weight() int64 {
	n := len(e.Key) + len(e.Body) + len(e.Gzip) + len(e.CacheControl) + 2*len(e.Surrogate) + 2*len(e.ETag) + 256
	for _, t := range e.Tags {
		n += len(t) + 16 // the string header
	}
	return int64(n)
}

// headers are an entry's response header values, built once.
type headers struct {
	cacheControl, etag, surrogate, length []string
	gzEtag, gzLength                      []string // the gzip representation's
}

// prepare builds the header values.
func (e *entry) prepare() *entry {
	e.hdr = headers{cacheControl: []string{e.CacheControl}, etag: []string{e.ETag}, length: []string{strconv.Itoa(len(e.Body))}}
	if e.Surrogate != "" {
		e.hdr.surrogate = []string{e.Surrogate}
	}
	if e.Gzip != nil {
		// A strong ETag names one representation (RFC 9110 §8.8.3).
		e.hdr.gzEtag = []string{gzipETag(e.ETag)}
		e.hdr.gzLength = []string{strconv.Itoa(len(e.Gzip))}
	}
	return e
}

// gzipETag is the ETag of an entry's gzip representation: "abc" → "abc-gz".
func gzipETag(etag string) string { return strings.TrimSuffix(etag, `"`) + `-gz"` }

// freshness is where an entry stands in time.
type freshness int

const (
	fresh freshness = iota
	stale
	expired
)

func (e *entry) freshness(now time.Time) freshness {
	switch {
	case now.Before(e.Fresh):
		return fresh
	case now.Before(e.StaleUntil):
		return stale
	}
	return expired
}

// cachePolicy is what a response's Cache-Control lets Byline keep.
type cachePolicy struct {
	maxAge, swr int
}

// parsePolicy reads a public, cacheable policy; ok is false for anything
// private, no-store or without a positive max-age.
func parsePolicy(cc string) (p cachePolicy, ok bool) {
	public := false
	for _, part := range strings.Split(cc, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch strings.ToLower(k) {
		case "public":
			public = true
		case "private", "no-store", "no-cache":
			return p, false
		case "max-age":
			p.maxAge, _ = strconv.Atoi(v)
		case "stale-while-revalidate":
			p.swr, _ = strconv.Atoi(v)
		}
	}
	return p, public && p.maxAge > 0
}

// newEntry builds an entry from a response the GraphQL layer answered.
func newEntry(key string, h http.Header, body []byte, pol cachePolicy, localStart uint64, redisStart int64, now time.Time) *entry {
	sum := sha256.Sum256(body)
	tags := strings.Fields(h.Get("Surrogate-Key"))
	if len(tags) == 0 {
		tags = []string{content.TagAll}
	}
	e := &entry{
		Key: key, Body: body, Gzip: gzipBody(body), // once, here: L2 readers get it with the entry
		CacheControl: h.Get("Cache-Control"), Surrogate: h.Get("Surrogate-Key"),
		ETag: `"` + hex.EncodeToString(sum[:12]) + `"`, Tags: tags,
		RedisStart: redisStart, Stored: now,
		Fresh:      now.Add(time.Duration(pol.maxAge) * time.Second),
		StaleUntil: now.Add(time.Duration(pol.maxAge+pol.swr) * time.Second),
		localStart: localStart,
	}
	return e.prepare()
}

func (e *entry) encode() ([]byte, error) { return json.Marshal(e) }

func decodeEntry(b []byte) (*entry, error) {
	var e entry
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, err
	}
	return e.prepare(), nil
}
