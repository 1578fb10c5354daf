package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/internal/testenv"
	"github.com/bylinehq/byline/webhook"
)

// attempt is one request a webhook receiver got.
type attempt struct {
	id, signature string
	body          []byte
	accepted      bool
	at            time.Time // wall clock
}

// hookReceiver is a webhook receiver that answers 503 while down.
type hookReceiver struct {
	mu       sync.Mutex
	down     bool
	attempts []attempt
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	a := attempt{id: r.Header.Get("Byline-Delivery"), signature: r.Header.Get("Byline-Signature"), body: body, accepted: !h.down, at: time.Now()}
	h.attempts = append(h.attempts, a)
	if h.down {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *hookReceiver) setDown(down bool) {
	h.mu.Lock()
	h.down = down
	h.mu.Unlock()
}

func (h *hookReceiver) seen() []attempt {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.attempts)
}

// hookEvent is the part of an event the test reads.
type hookEvent struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"createdAt"`
	Data      struct {
		Slug        string     `json:"slug"`
		URL         string     `json:"url"`
		Title       string     `json:"title"`
		PublishedAt *time.Time `json:"publishedAt"`
	} `json:"data"`
}

// verifySignature checks a Byline-Signature as a receiver would, from the
// contract alone: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>.
func verifySignature(header, secret string, body []byte) error {
	var ts, sig string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("no time")
	}
	if d := time.Since(time.Unix(sec, 0)); d > time.Minute || d < -time.Minute {
		return errors.New("stamped " + d.String() + " off the wall clock")
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + string(body)))
	if !hmac.Equal([]byte(sig), []byte(hex.EncodeToString(m.Sum(nil)))) {
		return errors.New("the signature does not match")
	}
	return nil
}

// TestWebhooksReachAReceiverThatWasDown adds a webhook with the CLI, then
// writes while its receiver refuses connections, then while it answers
// 503, then with it up: the receiver gets every event once it is up, every
// attempt's signature verifies, a retried event keeps its Byline-Delivery
// and body, and a scheduled story's article.published comes when the
// story goes live, not when it was saved.
func TestWebhooksReachAReceiverThatWasDown(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testWebhooksReachAReceiver(t, filepath.Join(t.TempDir(), "byline.db")) })
	t.Run("postgres", func(t *testing.T) { testWebhooksReachAReceiver(t, testenv.PostgresSchema(t)) })
}

func testWebhooksReachAReceiver(t *testing.T, dsn string) {
	a := newAppOn(t, dsn)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	// The receiver's address, with nobody listening on it yet.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	out, _, err := runCLI(t, map[string]string{"BYLINE_DATABASE_URL": dsn}, "webhooks", "add", "rebuild",
		"--url", "http://"+addr+"/hooks/byline", "--events", "article.published,article.updated,article.unpublished,article.deleted")
	if err != nil {
		t.Fatal(err)
	}
	secret := strings.TrimSpace(out)

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go publishOnTime(ctx, a.svc, quiet)
	go webhook.Run(ctx, a.svc, quiet, webhook.Options{
		Poll:   50 * time.Millisecond,
		Policy: content.DeliveryPolicy{FirstRetry: 100 * time.Millisecond, MaxRetry: 400 * time.Millisecond},
	})
	key, err := a.svc.CreateKey(ctx, "webhooks")
	if err != nil {
		t.Fatal(err)
	}
	write := func(q string, vars map[string]any) {
		t.Helper()
		if r := a.query(q, vars, "Authorization", "Bearer "+key); len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
	}
	upsert := func(in map[string]any) {
		t.Helper()
		write(`mutation($in: ArticleInput!) { upsertArticle(input: $in) { slug } }`, map[string]any{"in": in})
	}
	story := func(slug, title string) map[string]any {
		return map[string]any{"slug": slug, "title": title, "section": "news", "body": "Mongolia's " + title + "."}
	}

	// Refused: nobody listens.
	upsert(story("copper-output-rises", "Copper output rises"))
	upsert(map[string]any{"slug": "copper-output-rises", "title": "Copper output rises again"})
	draft := story("coal-exports-fall", "Coal exports fall")
	draft["draft"] = true
	upsert(draft)
	scheduled := story("gold-auction-opens", "Gold auction opens")
	goesLive := a.svc.Now().Add(6 * time.Second).Truncate(time.Second)
	wallLive := time.Now().Add(goesLive.Sub(a.svc.Now())) // the domain's clock may be shifted
	scheduled["publishedAt"] = goesLive.Format(time.RFC3339)
	upsert(scheduled)
	time.Sleep(1500 * time.Millisecond)

	// 503.
	rx := &hookReceiver{down: true}
	srv := httptest.NewUnstartedServer(rx)
	if srv.Listener, err = net.Listen("tcp", addr); err != nil {
		t.Skipf("the receiver's port was taken meanwhile: %v", err)
	}
	srv.Start()
	defer srv.Close()
	upsert(map[string]any{"slug": "coal-exports-fall", "publishedAt": a.svc.Now().Add(-time.Minute).Format(time.RFC3339)})
	upsert(map[string]any{"slug": "copper-output-rises", "draft": true})
	time.Sleep(1500 * time.Millisecond)

	// Up.
	rx.setDown(false)
	write(`mutation { deleteArticle(slug: "coal-exports-fall") }`, nil)

	want := []string{
		"article.published copper-output-rises", "article.updated copper-output-rises",
		"article.published coal-exports-fall", "article.unpublished copper-output-rises",
		"article.deleted coal-exports-fall", "article.published gold-auction-opens",
	}
	deadline := wallLive.Add(3 * time.Second)
	var received map[string]string // event → id
	for {
		received = map[string]string{}
		for _, at := range rx.seen() {
			var e hookEvent
			if at.accepted && json.Unmarshal(at.body, &e) == nil {
				received[e.Type+" "+e.Data.Slug] = e.ID
			}
		}
		if len(received) == len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, w := range want {
		if received[w] == "" {
			t.Errorf("never received %s", w)
		}
	}
	if len(received) != len(want) {
		t.Fatalf("received %v, want %v", received, want)
	}

	byID := map[string][]attempt{}
	for _, at := range rx.seen() {
		if err := verifySignature(at.signature, secret, at.body); err != nil {
			t.Errorf("attempt at %s: %v", at.id, err)
		}
		var e hookEvent
		if err := json.Unmarshal(at.body, &e); err != nil || e.ID != at.id || e.CreatedAt.IsZero() {
			t.Errorf("attempt at %s carries %s (%v): %s", at.id, e.ID, err, at.body)
		}
		if e.Type == "article.published" && e.Data.Slug == "gold-auction-opens" && at.at.Before(wallLive) {
			t.Errorf("the scheduled story was announced %v before its time", wallLive.Sub(at.at))
		}
		if e.Type == "article.published" && e.Data.Slug == "copper-output-rises" &&
			(e.Data.URL != "https://news.example.com/news/copper-output-rises" || e.Data.PublishedAt == nil) {
			t.Errorf("a publication's data: %s", at.body)
		}
		byID[at.id] = append(byID[at.id], at)
	}
	if len(byID) != len(want) {
		t.Errorf("%d distinct Byline-Delivery ids, want one for each of the %d events", len(byID), len(want))
	}
	retried := 0
	for id, ats := range byID {
		for _, at := range ats[1:] {
			if string(at.body) != string(ats[0].body) {
				t.Errorf("a retry of %s changed the body:\n%s\n%s", id, ats[0].body, at.body)
			}
		}
		if len(ats) > 1 && !ats[0].accepted && ats[len(ats)-1].accepted {
			retried++
		}
	}
	if retried < 2 {
		t.Errorf("%d events were refused, then taken under the same id; the 503s should have caught at least 2", retried)
	}
	gold := byID[received["article.published gold-auction-opens"]]
	if late := gold[0].at.Sub(wallLive); late > 2*time.Second {
		t.Errorf("the scheduled story was announced %v after its time", late)
	}

	hooks, err := a.svc.Webhooks(ctx)
	if err != nil || len(hooks) != 1 || hooks[0].Pending != 0 || hooks[0].Failed != 0 {
		t.Errorf("after every event landed: %+v %v, want nothing pending or failed", hooks, err)
	}
}

// TestWebhooksCLI: the three subcommands and their one-line errors.
func TestWebhooksCLI(t *testing.T) {
	env := map[string]string{"BYLINE_DATABASE_URL": filepath.Join(t.TempDir(), "cli.db")}
	all := "article.published,article.updated,article.unpublished,article.deleted"
	cases := []struct {
		name    string
		args    []string
		wantOut string
		wantErr string
		usage   bool
	}{
		{"add", []string{"webhooks", "add", "rebuild", "--url", "https://ci.example.com/hook", "--events", all}, "whsec_", "", false},
		{"add with the id after the flags", []string{"webhooks", "add", "--url", "https://search.example.com/", "--events", "article.published", "index"}, "whsec_", "", false},
		{"add an id twice", []string{"webhooks", "add", "rebuild", "--url", "https://x.example/", "--events", all}, "", "exists", false},
		{"add an unknown event", []string{"webhooks", "add", "x", "--url", "https://x.example/", "--events", "article.liked"}, "", "article.liked", false},
		{"add a bad url", []string{"webhooks", "add", "x", "--url", "ftp://x.example/", "--events", all}, "", "url", false},
		{"add without a url", []string{"webhooks", "add", "x", "--events", all}, "", "--url is required", true},
		{"add without events", []string{"webhooks", "add", "x", "--url", "https://x.example/"}, "", "--events is required", true},
		{"add without an id", []string{"webhooks", "add", "--url", "https://x.example/", "--events", all}, "", "want one webhook id", true},
		{"list", []string{"webhooks", "list"}, "index    https://search.example.com/", "", false},
		{"list shows the events", []string{"webhooks", "list"}, "https://ci.example.com/hook  " + all, "", false},
		{"remove", []string{"webhooks", "remove", "index"}, "webhook index removed", "", false},
		{"remove it again", []string{"webhooks", "remove", "index"}, "", "no webhook \"index\"", false},
		{"remove needs an id", []string{"webhooks", "remove"}, "", "want one webhook id", true},
		{"needs a subcommand", []string{"webhooks"}, "", "want a subcommand", true},
		{"an unknown subcommand", []string{"webhooks", "edit"}, "", "unknown subcommand", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, _, err := runCLI(t, env, c.args...)
			if c.wantErr == "" && err != nil {
				t.Fatalf("error %v", err)
			}
			if c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr) || strings.Contains(err.Error(), "\n")) {
				t.Fatalf("error %v, want one line with %q", err, c.wantErr)
			}
			if c.usage != errors.Is(err, errUsage) {
				t.Fatalf("usage error %v, want %v", errors.Is(err, errUsage), c.usage)
			}
			if !strings.Contains(out, c.wantOut) {
				t.Fatalf("output %q, want %q", out, c.wantOut)
			}
		})
	}
}
