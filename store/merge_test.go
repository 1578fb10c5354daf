package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/store"
)

// Two editors change different fields of one article at the same moment:
// one retitles it, the other retags it. Each write merges into the article
// as it is when the write commits, so both changes are kept.
func TestConcurrentPartialUpdatesKeepBothFields(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *store.DB, svc *content.Service) {
		ctx := context.Background()
		a := mustUpsert(t, svc, article("race", "Start", "news", 1, "Start tag"))
		for i := range 50 {
			title, tag := fmt.Sprintf("Title %d", i), fmt.Sprintf("Tag %d", i)
			inputs := []content.ArticleInput{
				{Slug: "race", Title: ptr(title)},
				{Slug: "race", Tags: []string{tag}},
			}
			start := make(chan struct{})
			errs := make([]error, len(inputs))
			var wg sync.WaitGroup
			for j, in := range inputs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, errs[j] = svc.Upsert(ctx, in)
				}()
			}
			close(start)
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatalf("pair %d: upsert: %v", i, err)
				}
			}
			got, err := db.Article(ctx, "race")
			if err != nil {
				t.Fatalf("pair %d: get: %v", i, err)
			}
			tags, err := db.TagsFor(ctx, []int64{a.ID})
			if err != nil {
				t.Fatalf("pair %d: tags: %v", i, err)
			}
			if got.Title != title {
				t.Errorf("pair %d: title %q, want %q (the retag dropped the retitle)", i, got.Title, title)
			}
			if ts := tags[a.ID]; len(ts) != 1 || ts[0].Name != tag {
				t.Errorf("pair %d: tags %+v, want [%s] (the retitle dropped the retag)", i, ts, tag)
			}
			if t.Failed() {
				return
			}
		}
	})
}
