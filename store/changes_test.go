package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/store"
)

// movable is a domain clock a test sets.
type movable struct{ t time.Time }

func (m *movable) now() time.Time { return m.t }

// lastChanges returns the changes logged after id, failing the test on an
// error.
func lastChanges(t *testing.T, db *store.DB, after int64) []content.Invalidation {
	t.Helper()
	invs, err := db.Invalidations(context.Background(), after, 100)
	if err != nil {
		t.Fatal(err)
	}
	return invs
}

// TestWritesLogWhatTheyDid: every write of a story logs, in its own
// transaction, one change that names the story and says what a reader saw
// happen to it.
func TestWritesLogWhatTheyDid(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *store.DB, _ *content.Service) {
		ctx := context.Background()
		clk := &movable{now}
		svc := content.NewService(db.Stores(), content.Config{Now: clk.now})
		later, muchLater := now.Add(time.Hour), now.Add(2*time.Hour)
		upsert := func(in content.ArticleInput) func() error {
			return func() error { _, err := svc.Upsert(ctx, in); return err }
		}
		remove := func(slug string) func() error {
			return func() error { _, err := svc.Delete(ctx, slug); return err }
		}
		steps := []struct {
			name  string
			write func() error
			slug  string
			want  content.ChangeKind
		}{
			{"a new public story", upsert(article("copper", "Copper", "Mining", 3)), "copper", content.ArticlePublished},
			{"a public story retitled", upsert(content.ArticleInput{Slug: "copper", Title: ptr("Copper rises")}), "copper", content.ArticleUpdated},
			{"made a draft", upsert(content.ArticleInput{Slug: "copper", Draft: ptr(true)}), "copper", content.ArticleUnpublished},
			{"the draft edited", upsert(content.ArticleInput{Slug: "copper", Title: ptr("Copper falls")}), "copper", content.ArticlePrivate},
			{"the draft made public", upsert(content.ArticleInput{Slug: "copper", PublishedAt: at(4)}), "copper", content.ArticlePublished},
			{"scheduled again for later", upsert(content.ArticleInput{Slug: "copper", PublishedAt: &later}), "copper", content.ArticleUnpublished},
			{"a new scheduled story", upsert(content.ArticleInput{Slug: "coal", Title: ptr("Coal"), Section: ptr("mining"), PublishedAt: &muchLater}), "coal", content.ArticlePrivate},
			{"a new draft", upsert(content.ArticleInput{Slug: "gold", Title: ptr("Gold"), Section: ptr("mining"), Draft: ptr(true)}), "gold", content.ArticlePrivate},
			{"a scheduled story deleted", remove("coal"), "coal", content.ArticlePrivate},
			{"a draft published at once", upsert(content.ArticleInput{Slug: "gold", PublishedAt: &now}), "gold", content.ArticlePublished},
			{"a public story deleted", remove("gold"), "gold", content.ArticleDeleted},
		}
		last, err := db.LastInvalidation(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range steps {
			if err := s.write(); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			got := lastChanges(t, db, last)
			if len(got) != 1 || got[0].Kind != s.want || !slices.Equal(got[0].Slugs, []string{s.slug}) {
				t.Fatalf("%s: logged %+v, want one %s of %s", s.name, got, s.want, s.slug)
			}
			last = got[0].ID
		}
	})
}

// TestPublishDueAnnouncesWhatGoesLive: a scheduled story is logged as
// published when its time comes, not when it is saved; a story its own
// write made public is not announced a second time when PublishDue comes
// across its publication time.
func TestPublishDueAnnouncesWhatGoesLive(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *store.DB, _ *content.Service) {
		ctx := context.Background()
		clk := &movable{now}
		svc := content.NewService(db.Stores(), content.Config{Now: clk.now})
		// The schedule starts: publications after now are announced.
		if _, err := db.AnnounceDue(ctx, now, func([]*content.ArticleRecord, map[string]content.ChangeKind) *content.Invalidation { return nil }); err != nil {
			t.Fatal(err)
		}
		start, _ := db.LastInvalidation(ctx)
		at := now.Add(10 * time.Second)
		mustUpsert(t, svc, content.ArticleInput{Slug: "scheduled", Title: ptr("Scheduled"), Section: ptr("news"), PublishedAt: &at})
		clk.t = now.Add(5 * time.Second)
		mustUpsert(t, svc, content.ArticleInput{Slug: "fresh", Title: ptr("Fresh"), Section: ptr("news")})
		for _, tick := range []time.Duration{5 * time.Second, 9 * time.Second, 11 * time.Second, 12 * time.Second} {
			clk.t = now.Add(tick)
			if _, err := svc.PublishDue(ctx); err != nil {
				t.Fatal(err)
			}
		}
		var published []string
		for _, c := range lastChanges(t, db, start) {
			if c.Kind == content.ArticlePublished {
				published = append(published, c.Slugs...)
			}
		}
		if want := []string{"fresh", "scheduled"}; !slices.Equal(published, want) {
			t.Fatalf("published %v, want %v: each once, the scheduled story when its time came", published, want)
		}
	})
}

// TestTheFirstScheduledStoryIsAnnounced: on a database that never
// announced a publication, the first story scheduled after a gateway
// started looking is announced when its time comes; the first
// announcement used to start the schedule and announce nothing.
func TestTheFirstScheduledStoryIsAnnounced(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *store.DB, _ *content.Service) {
		ctx := context.Background()
		clk := &movable{now}
		svc := content.NewService(db.Stores(), content.Config{Now: clk.now})
		if _, err := svc.PublishDue(ctx); err != nil { // a gateway starts
			t.Fatal(err)
		}
		start, _ := db.LastInvalidation(ctx)
		at := now.Add(10 * time.Second)
		mustUpsert(t, svc, content.ArticleInput{Slug: "first", Title: ptr("First"), Section: ptr("news"), PublishedAt: &at})
		clk.t = at.Add(time.Second)
		if _, err := svc.PublishDue(ctx); err != nil {
			t.Fatal(err)
		}
		got := lastChanges(t, db, start)
		if len(got) != 2 || got[1].Kind != content.ArticlePublished || !slices.Equal(got[1].Slugs, []string{"first"}) {
			t.Fatalf("logged %+v, want the save, then the story published when its time came", got)
		}
	})
}
