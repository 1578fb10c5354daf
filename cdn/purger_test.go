package cdn

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bylinehq/byline/content"
)

// memLog is the invalidation log and cursor table in memory; the store's
// own are tested in the store suite, and the whole chain in cmd/byline.
type memLog struct {
	mu     sync.Mutex
	invs   []content.Invalidation
	cursor int64
	at     time.Time
	has    bool
}

func (l *memLog) add(tags ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.invs = append(l.invs, content.Invalidation{ID: int64(len(l.invs) + 1), Tags: tags})
}

func (l *memLog) Invalidations(_ context.Context, after int64, limit int) ([]content.Invalidation, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []content.Invalidation
	for _, inv := range l.invs {
		if inv.ID > after && len(out) < limit {
			out = append(out, inv)
		}
	}
	return out, nil
}

func (l *memLog) LastInvalidation(context.Context) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int64(len(l.invs)), nil
}

func (l *memLog) Cursor(context.Context, string) (int64, time.Time, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cursor, l.at, l.has, nil
}

func (l *memLog) MoveCursor(_ context.Context, _ string, from, to int64, at time.Time) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cursor != from {
		return false, nil
	}
	l.cursor, l.at, l.has = to, at, true
	return true, nil
}

// standIn records purges and fails while down is set.
type standIn struct {
	mu   sync.Mutex
	down bool
	reqs []*http.Request
	body []string
	keys []string
}

func (s *standIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	b, _ := io.ReadAll(r.Body)
	s.reqs, s.body = append(s.reqs, r), append(s.body, string(b))
	for _, h := range []string{"Xkey", "Surrogate-Key"} {
		if v := r.Header.Get(h); v != "" {
			s.keys = append(s.keys, strings.Fields(v)...)
		}
	}
	var cf struct{ Tags []string }
	if json.Unmarshal(b, &cf) == nil {
		s.keys = append(s.keys, cf.Tags...)
	}
	_, _ = io.WriteString(w, `{"success":true,"status":"ok"}`)
}

func (s *standIn) purged() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.keys)
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestPurgesWaitForADownCDN: writes made while the CDN refuses are all
// purged once it answers, and the cursor moves only past purged writes.
func TestPurgesWaitForADownCDN(t *testing.T) {
	cdn := &standIn{}
	srv := httptest.NewServer(cdn)
	defer srv.Close()
	target, err := ParseTarget(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	log := &memLog{}
	log.add("Article:old") // before the purger's first start: not its to purge
	p := New(log, target, quiet(), 10*time.Millisecond)
	ctx := context.Background()
	if err := p.Step(ctx); err != nil {
		t.Fatal(err)
	}
	cdn.down = true
	for _, slug := range []string{"a", "b", "c"} {
		log.add("Article:"+slug, "list:Article")
	}
	log.add() // a change with no tags: nothing to purge, the cursor moves on
	if err := p.Step(ctx); err == nil {
		t.Fatal("a purge to a CDN that is down reported success")
	}
	if log.cursor != 1 {
		t.Fatalf("cursor moved to %d past writes never purged", log.cursor)
	}
	cdn.down = false
	if err := p.Step(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{"Article:a", "Article:b", "Article:c", "list:Article"}
	if got := cdn.purged(); !slices.Equal(got, want) {
		t.Fatalf("purged %v, want %v (coalesced, in one request)", got, want)
	}
	if len(cdn.reqs) != 1 || cdn.reqs[0].Method != "PURGE" || log.cursor != 5 {
		t.Fatalf("%d requests (%v), cursor %d", len(cdn.reqs), cdn.reqs, log.cursor)
	}
}

// TestPurgeEverythingAfterALongAbsence: a purger that was away longer than
// the log keeps its rows purges everything, not just what it still sees.
func TestPurgeEverythingAfterALongAbsence(t *testing.T) {
	cdn := &standIn{}
	srv := httptest.NewServer(cdn)
	defer srv.Close()
	target, _ := ParseTarget(srv.URL + "/")
	log := &memLog{has: true, cursor: 0, at: time.Now().Add(-2 * time.Hour)}
	log.add("Article:a")
	if err := New(log, target, quiet(), time.Millisecond).Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := cdn.purged(); !slices.Equal(got, []string{"all"}) {
		t.Fatalf("purged %v, want everything", got)
	}
}

// TestTargetsSpeakTheirAPIs checks each target's request against a local
// stand-in of its documented shape.
func TestTargetsSpeakTheirAPIs(t *testing.T) {
	many := make([]string, 70)
	for i := range many {
		many[i] = "Article:story-" + strings.Repeat("x", i%7) + string(rune('a'+i%26))
	}
	slices.Sort(many)
	many = slices.Compact(many)
	cases := []struct {
		name     string
		url      func(base string) string
		requests int
		check    func(t *testing.T, r *http.Request, body string)
	}{
		{"varnish", func(b string) string { return b + "/" }, 1, func(t *testing.T, r *http.Request, _ string) {
			if r.Method != "PURGE" || r.Header.Get("xkey") == "" {
				t.Errorf("varnish: %s with xkey %q", r.Method, r.Header.Get("xkey"))
			}
		}},
		{"fastly", func(b string) string { return "fastly://SVC123?token=secret&api=" + b }, 1, func(t *testing.T, r *http.Request, _ string) {
			if r.Method != "POST" || r.URL.Path != "/service/SVC123/purge" || r.Header.Get("Fastly-Key") != "secret" || r.Header.Get("Surrogate-Key") == "" {
				t.Errorf("fastly: %s %s key %q", r.Method, r.URL.Path, r.Header.Get("Fastly-Key"))
			}
		}},
		{"cloudflare", func(b string) string { return "cloudflare://ZONE9?token=secret&api=" + b }, 0, func(t *testing.T, r *http.Request, body string) {
			var req struct{ Tags []string }
			if r.Method != "POST" || r.URL.Path != "/client/v4/zones/ZONE9/purge_cache" || r.Header.Get("Authorization") != "Bearer secret" ||
				json.Unmarshal([]byte(body), &req) != nil || len(req.Tags) == 0 || len(req.Tags) > 30 {
				t.Errorf("cloudflare: %s %s auth %q body %s", r.Method, r.URL.Path, r.Header.Get("Authorization"), body)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cdn := &standIn{}
			srv := httptest.NewServer(cdn)
			defer srv.Close()
			target, err := ParseTarget(c.url(srv.URL))
			if err != nil {
				t.Fatal(err)
			}
			if err := target.Purge(context.Background(), many); err != nil {
				t.Fatal(err)
			}
			if c.requests > 0 && len(cdn.reqs) != c.requests {
				t.Errorf("%d requests, want %d", len(cdn.reqs), c.requests)
			}
			for i, r := range cdn.reqs {
				c.check(t, r, cdn.body[i])
			}
			if got := cdn.purged(); !slices.Equal(got, many) {
				t.Errorf("purged %d keys, want all %d", len(got), len(many))
			}
			if strings.Contains(target.String(), "secret") {
				t.Errorf("%s shows its token", target)
			}
		})
	}
	for _, bad := range []string{"fastly://SVC", "cloudflare://Z", "ftp://x/", "varnish"} {
		if _, err := ParseTarget(bad); err == nil {
			t.Errorf("ParseTarget(%q) accepted it", bad)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("the error shows a token: %v", err)
		}
	}
}
