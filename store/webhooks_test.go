package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/internal/testenv"
	"github.com/bylinehq/byline/store"
)

// forEachShared runs test on every engine with two handles on one fresh
// database, as two gateways have.
func forEachShared(t *testing.T, test func(t *testing.T, a, b *store.DB)) {
	dsns := map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return filepath.Join(t.TempDir(), "byline.db") },
		"postgres": func(t *testing.T) string { return testenv.PostgresSchema(t) },
	}
	for name, dsn := range dsns {
		t.Run(name, func(t *testing.T) {
			d := dsn(t)
			test(t, open(t, d), open(t, d))
		})
	}
}

var allEvents = content.ArticleEvents()

func TestWebhooksAddListRemove(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *store.DB, svc *content.Service) {
		ctx := context.Background()
		secret, err := svc.AddWebhook(ctx, "rebuild", "https://ci.example.com/hooks/byline?token=x", allEvents)
		if err != nil || !strings.HasPrefix(secret, "whsec_") || len(secret) < 40 {
			t.Fatalf("add: %q %v", secret, err)
		}
		if _, err := svc.AddWebhook(ctx, "rebuild", "https://other.example.com/", allEvents); !errors.Is(err, content.ErrWebhookExists) {
			t.Fatalf("adding an id twice: %v", err)
		}
		bad := []struct {
			name, id, url string
			events        []content.ChangeKind
		}{
			{"an id that is not a slug", "Re Build", "https://x.example/", allEvents},
			{"a relative url", "a", "/hooks", allEvents},
			{"a url with credentials", "a", "https://u:p@x.example/", allEvents},
			{"another scheme", "a", "ftp://x.example/", allEvents},
			{"no events", "a", "https://x.example/", nil},
			{"an event no reader sees", "a", "https://x.example/", []content.ChangeKind{content.ArticlePrivate}},
			{"an unknown event", "a", "https://x.example/", []content.ChangeKind{"article.liked"}},
		}
		for _, c := range bad {
			var inv *content.InvalidError
			if _, err := svc.AddWebhook(ctx, c.id, c.url, c.events); !errors.As(err, &inv) {
				t.Errorf("%s: %v, want an InvalidError", c.name, err)
			}
		}
		list, err := svc.Webhooks(ctx)
		if err != nil || len(list) != 1 {
			t.Fatalf("list: %+v %v", list, err)
		}
		w := list[0]
		if w.ID != "rebuild" || w.URL != "https://ci.example.com/hooks/byline?token=x" || !slices.Equal(w.Events, allEvents) || !w.CreatedAt.Equal(now) {
			t.Errorf("listed %+v", w)
		}
		if w.Secret == secret || strings.Contains(w.Secret, strings.TrimPrefix(secret, "whsec_")) {
			t.Errorf("the secret is stored as it was shown: %q", w.Secret)
		}
		if err := svc.RemoveWebhook(ctx, "rebuild"); err != nil {
			t.Fatal(err)
		}
		if err := svc.RemoveWebhook(ctx, "rebuild"); !content.IsNotFound(err) {
			t.Fatalf("removing it twice: %v", err)
		}
		if list, _ := svc.Webhooks(ctx); len(list) != 0 {
			t.Fatalf("removed, still listed: %+v", list)
		}
	})
}

// event is the JSON a receiver gets.
type event struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"createdAt"`
	Data      struct {
		Slug        string `json:"slug"`
		URL         string `json:"url"`
		Title       string `json:"title"`
		Section     *struct{ Slug, Name string }
		PublishedAt *time.Time `json:"publishedAt"`
	} `json:"data"`
	raw map[string]json.RawMessage
}

func decode(t *testing.T, body []byte) event {
	t.Helper()
	var e event
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	var raw struct{ Data map[string]json.RawMessage }
	_ = json.Unmarshal(body, &raw)
	e.raw = raw.Data
	return e
}

// claimAll claims every delivery due at at.
func claimAll(t *testing.T, db *store.DB, at time.Time) []content.Delivery {
	t.Helper()
	ds, err := db.ClaimDeliveries(context.Background(), at, time.Minute, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestEachChangeIsQueuedOnce: gateways queueing at once queue each public
// change once per story and subscribed webhook, with the story as data,
// from the moment the webhook was added even when no gateway was queueing
// yet; private changes, and changes before a webhook was added, reach
// nobody.
func TestEachChangeIsQueuedOnce(t *testing.T) {
	forEachShared(t, func(t *testing.T, a, b *store.DB) {
		ctx := context.Background()
		svcA := content.NewService(a.Stores(), content.Config{Now: clock, PublicURL: "https://news.example.com"})
		svcB := content.NewService(b.Stores(), content.Config{Now: clock, PublicURL: "https://news.example.com"})
		mustUpsert(t, svcA, article("before", "Before", "News", 1)) // before any webhook: nobody's news
		for _, h := range []struct {
			id     string
			events []content.ChangeKind
		}{{"all", allEvents}, {"launches", []content.ChangeKind{content.ArticlePublished}}} {
			if _, err := svcA.AddWebhook(ctx, h.id, "https://"+h.id+".example/", h.events); err != nil {
				t.Fatal(err)
			}
		}
		// No gateway queues yet: the first to start begins where the
		// oldest webhook was added, not at the end of the log.
		later := now.Add(time.Hour)
		mustUpsert(t, svcA, article("copper", "Copper rises", "Mining", 3))
		mustUpsert(t, svcB, content.ArticleInput{Slug: "copper", Title: ptr("Copper soars")})
		mustUpsert(t, svcA, content.ArticleInput{Slug: "coal", Title: ptr("Coal"), Section: ptr("mining"), PublishedAt: &later})
		mustUpsert(t, svcB, article("gold", "Gold", "Mining", 4))
		if _, err := svcB.Delete(ctx, "gold"); err != nil {
			t.Fatal(err)
		}
		if _, err := svcA.AddWebhook(ctx, "late", "https://late.example/", allEvents); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := range 6 {
			svc := []*content.Service{svcA, svcB}[i%2]
			wg.Go(func() {
				if _, err := svc.QueueWebhookDeliveries(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		got := map[string]event{}
		var kinds []string
		for _, d := range claimAll(t, a, now) {
			e := decode(t, d.Body)
			if e.ID != d.ID || e.Type != string(d.Type) || !strings.HasPrefix(d.ID, "evt_") {
				t.Errorf("delivery %s carries event %s of type %s", d.ID, e.ID, e.Type)
			}
			if d.URL != "https://"+d.WebhookID+".example/" || d.Attempts != 1 {
				t.Errorf("delivery %s: url %s attempts %d", d.ID, d.URL, d.Attempts)
			}
			got[d.ID] = e
			kinds = append(kinds, d.WebhookID+" "+e.Type+" "+e.Data.Slug)
		}
		slices.Sort(kinds)
		want := []string{
			"all article.deleted gold", "all article.published copper", "all article.published gold", "all article.updated copper",
			"launches article.published copper", "launches article.published gold",
		}
		if !slices.Equal(kinds, want) {
			t.Fatalf("queued\n%v\nwant\n%v", kinds, want)
		}
		for _, e := range got {
			switch e.Data.Slug {
			case "copper":
				// An event carries the story as it is when queued.
				if e.Data.Title != "Copper soars" || e.Data.URL != "https://news.example.com/mining/copper" ||
					e.Data.Section == nil || e.Data.Section.Slug != "mining" || e.Data.PublishedAt == nil || !e.Data.PublishedAt.Equal(*at(3)) {
					t.Errorf("copper's event: %+v", e.Data)
				}
			case "gold":
				if e.Type == "article.deleted" && len(e.raw) != 1 {
					t.Errorf("a deletion's data is its slug alone: %v", e.raw)
				}
			}
			if e.CreatedAt.IsZero() {
				t.Errorf("event %s has no time", e.ID)
			}
		}
		if _, err := svcB.QueueWebhookDeliveries(ctx); err != nil {
			t.Fatal(err)
		}
		if again := claimAll(t, b, now.Add(time.Hour)); len(again) != len(want) {
			t.Fatalf("after the claim ran out and another queue step, %d deliveries, want the same %d again", len(again), len(want))
		} else {
			for _, d := range again {
				if _, ok := got[d.ID]; !ok || d.Attempts != 2 {
					t.Errorf("reclaimed %s (attempt %d): not one queued before", d.ID, d.Attempts)
				}
			}
		}
	})
}

// receiver stands in for a webhook receiver behind the sender: it counts the
// attempts at each delivery and fails while down.
type receiver struct {
	mu       sync.Mutex
	down     bool
	attempts map[string]int
	bodies   map[string]string
}

func (r *receiver) SendWebhook(_ context.Context, d content.Delivery) error {
	time.Sleep(time.Millisecond) // overlap with other senders
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.attempts == nil {
		r.attempts, r.bodies = map[string]int{}, map[string]string{}
	}
	r.attempts[d.ID]++
	if prev, ok := r.bodies[d.ID]; ok && prev != string(d.Body) {
		return errors.New("a retry changed the body")
	}
	r.bodies[d.ID] = string(d.Body)
	if d.Secret == "" || strings.HasPrefix(d.Secret, "v1:") {
		return errors.New("the sender was not given the secret opened")
	}
	if r.down {
		return errors.New("503 Service Unavailable")
	}
	return nil
}

// TestDeliveriesAreSentOnceAndRetried: gateways sending at once send each
// delivery once; a failed one is tried again, with the same id and body,
// after a wait that doubles, and given up on after GiveUp.
func TestDeliveriesAreSentOnceAndRetried(t *testing.T) {
	forEachShared(t, func(t *testing.T, a, b *store.DB) {
		ctx := context.Background()
		clk := &movable{now}
		svcA := content.NewService(a.Stores(), content.Config{Now: clk.now})
		svcB := content.NewService(b.Stores(), content.Config{Now: clk.now})
		if _, err := svcA.AddWebhook(ctx, "index", "https://search.example/", allEvents); err != nil {
			t.Fatal(err)
		}
		if _, err := svcA.QueueWebhookDeliveries(ctx); err != nil {
			t.Fatal(err)
		}
		for i := range 12 {
			mustUpsert(t, svcA, article("story-"+string(rune('a'+i)), "Story", "News", 2))
		}
		if n, err := svcA.QueueWebhookDeliveries(ctx); n != 12 || err != nil {
			t.Fatalf("queued %d (%v), want 12", n, err)
		}
		p := content.DeliveryPolicy{FirstRetry: time.Second, MaxRetry: 3 * time.Second, GiveUp: 10 * time.Second, Batch: 5, Parallel: 3}
		rec := &receiver{}
		var wg sync.WaitGroup
		for i := range 6 {
			svc := []*content.Service{svcA, svcB}[i%2]
			wg.Go(func() {
				for {
					n, err := svc.DeliverWebhooks(ctx, rec, p)
					if err != nil {
						t.Error(err)
					}
					if n == 0 {
						return
					}
				}
			})
		}
		wg.Wait()
		if len(rec.attempts) != 12 {
			t.Fatalf("%d deliveries sent, want 12", len(rec.attempts))
		}
		for id, n := range rec.attempts {
			if n != 1 {
				t.Errorf("%s sent %d times", id, n)
			}
		}

		// Down: attempts at 0s, 1s, 3s, 6s and 9s fail (waits 1, 2, 3, 3),
		// the next, past GiveUp, gives up.
		rec.down = true
		mustUpsert(t, svcA, article("late", "Late", "News", 2))
		if n, err := svcA.QueueWebhookDeliveries(ctx); n != 1 || err != nil {
			t.Fatalf("queued %d (%v)", n, err)
		}
		start := clk.t
		for _, step := range []struct {
			at      time.Duration
			attempt bool
		}{{0, true}, {999 * time.Millisecond, false}, {time.Second, true}, {2 * time.Second, false}, {3 * time.Second, true},
			{6 * time.Second, true}, {9 * time.Second, true}, {12 * time.Second, true}, {time.Hour, false}} {
			clk.t = start.Add(step.at)
			before := sum(rec.attempts)
			_, err := svcB.DeliverWebhooks(ctx, rec, p)
			if attempted := sum(rec.attempts) != before; attempted != step.attempt {
				t.Fatalf("at +%v: attempted %v, want %v", step.at, attempted, step.attempt)
			}
			if step.at == 12*time.Second && (err == nil || !strings.Contains(err.Error(), "given up")) {
				t.Fatalf("giving up is not reported: %v", err)
			}
		}
		var id string
		for k, body := range rec.bodies {
			if strings.Contains(body, `"slug":"late"`) {
				id = k
			}
		}
		if rec.attempts[id] != 6 {
			t.Fatalf("the failing delivery was attempted %d times, want 6 under one id", rec.attempts[id])
		}
		list, _ := svcA.Webhooks(ctx)
		if list[0].Pending != 0 || list[0].Failed != 1 {
			t.Fatalf("listed pending %d failed %d, want 0 and 1", list[0].Pending, list[0].Failed)
		}
	})
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
