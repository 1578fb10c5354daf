package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/store"
)

// TestAnnounceDueOnce: a scheduled story's publication is announced once,
// however many gateways ask at once, and not before its time.
func TestAnnounceDueOnce(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *store.DB, svc *content.Service) {
		ctx := context.Background()
		build := func(due []*content.ArticleRecord, _ map[string]content.ChangeKind) *content.Invalidation {
			inv := &content.Invalidation{}
			for _, r := range due {
				inv.Tags = append(inv.Tags, content.ArticleTag(r.Slug))
			}
			return inv
		}
		mustUpsert(t, svc, content.ArticleInput{Slug: "earlier", Title: ptr("Earlier"), Section: ptr("news"), PublishedAt: at(1)})
		if _, ok, err := db.NextPublication(ctx, now); ok || err != nil {
			t.Fatalf("before any announcement, a past story counts as next (%v)", err)
		}
		if inv, err := db.AnnounceDue(ctx, now, build); err != nil || inv != nil {
			t.Fatalf("the first call announces nothing: %v %v", inv, err)
		}
		when := now.Add(time.Hour)
		mustUpsert(t, svc, content.ArticleInput{Slug: "later", Title: ptr("Later"), Section: ptr("news"), PublishedAt: &when})
		next, ok, err := db.NextPublication(ctx, now)
		if err != nil || !ok || !next.Equal(when) {
			t.Fatalf("next publication = %v %v %v, want %v", next, ok, err, when)
		}
		if inv, err := db.AnnounceDue(ctx, when.Add(-time.Second), build); err != nil || inv != nil {
			t.Fatalf("announced before its time: %v %v", inv, err)
		}
		var (
			wg        sync.WaitGroup
			mu        sync.Mutex
			announced int
		)
		for range 5 {
			wg.Go(func() {
				inv, err := db.AnnounceDue(ctx, when.Add(time.Second), build)
				if err != nil {
					t.Error(err)
					return
				}
				if inv != nil {
					mu.Lock()
					announced++
					mu.Unlock()
					if len(inv.Tags) != 1 || inv.Tags[0] != "Article:later" || inv.ID == 0 {
						t.Errorf("announced %+v", inv)
					}
				}
			})
		}
		wg.Wait()
		if announced != 1 {
			t.Fatalf("announced %d times, want once", announced)
		}
		if _, ok, _ := db.NextPublication(ctx, when); ok {
			t.Error("a next publication remains after the only one was announced")
		}
	})
}
