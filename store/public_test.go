package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/store"
)

// trailOf is a breadcrumb trail as "Label>url / Label>url".
func trailOf(t *testing.T, svc *content.Service, path string) string {
	t.Helper()
	trail, err := svc.Breadcrumbs(context.Background(), path, nil)
	if err != nil {
		t.Fatalf("breadcrumbs %s: %v", path, err)
	}
	var parts []string
	for _, b := range trail {
		parts = append(parts, b.Label+">"+b.URL)
	}
	return strings.Join(parts, " / ")
}

func sectionNames(t *testing.T, svc *content.Service) string {
	t.Helper()
	list, err := svc.Sections(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range list {
		names = append(names, s.Name)
	}
	return strings.Join(names, ", ")
}

// TestUnpublishedWorkStaysUnnamed: a draft or scheduled story creates its
// section and tags as rows, but readers must not learn their names (a new
// section "Merger Talks" gives a scoop away) until a story in them is public.
func TestUnpublishedWorkStaysUnnamed(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *store.DB, svc *content.Service) {
		start := now
		t.Cleanup(func() { now = start })
		mustUpsert(t, svc, article("copper", "Copper rises", "News", 1, "Copper"))
		draft := article("merger", "Secret merger", "Merger Talks", 2, "Takeover Bid", "Copper")
		draft.Draft = ptr(true)
		mustUpsert(t, svc, draft)
		later := now.Add(48 * time.Hour)
		scheduled := article("embargo", "Embargoed report", "Embargoed", 1, "Embargo Tag")
		scheduled.PublishedAt = &later
		mustUpsert(t, svc, scheduled)
		// A story once public, then taken back to draft, hides its section again.
		mustUpsert(t, svc, article("retracted", "Retracted", "Retractions", 1, "Retracted Tag"))
		mustUpsert(t, svc, content.ArticleInput{Slug: "retracted", Draft: ptr(true)})

		if got, want := sectionNames(t, svc), "News"; got != want {
			t.Errorf("sections = %q, want %q", got, want)
		}
		cases := []struct{ name, path, want string }{
			{"public section", "/news", "Home>/ / News>/news"},
			{"public tag", "/tag/copper", "Home>/ / Copper>/tag/copper"},
			{"draft's section", "/merger-talks", ""},
			{"draft's tag", "/tag/takeover-bid", ""},
			{"scheduled story's section", "/embargoed", ""},
			{"scheduled story's tag", "/tag/embargo-tag", ""},
			{"unpublished story's section", "/retractions", ""},
			{"unpublished story's tag", "/tag/retracted-tag", ""},
			{"draft's article path", "/merger-talks/merger", ""},
			{"unknown section", "/nope", ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if got := trailOf(t, svc, c.path); got != c.want {
					t.Errorf("breadcrumbs(%s) = %q, want %q", c.path, got, c.want)
				}
			})
		}

		// Once the embargo lifts on the service's clock, the section and tag
		// are named.
		now = later
		if got, want := sectionNames(t, svc), "Embargoed, News"; got != want {
			t.Errorf("after the embargo: sections = %q, want %q", got, want)
		}
		if got, want := trailOf(t, svc, "/tag/embargo-tag"), "Home>/ / Embargo Tag>/tag/embargo-tag"; got != want {
			t.Errorf("after the embargo: breadcrumbs = %q, want %q", got, want)
		}
	})
}
