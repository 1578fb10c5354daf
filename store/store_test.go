package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/internal/testenv"
	"github.com/bylinehq/byline/store"
)

// engines opens a fresh, empty database on every engine: the one suite
// below runs against real SQLite and real PostgreSQL.
func engines(t *testing.T) map[string]func(t *testing.T) *store.DB {
	return map[string]func(t *testing.T) *store.DB{
		"sqlite": func(t *testing.T) *store.DB {
			return open(t, filepath.Join(t.TempDir(), "byline.db"))
		},
		"postgres": func(t *testing.T) *store.DB {
			return open(t, testenv.PostgresSchema(t))
		},
	}
}

func open(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// forEachEngine runs test on every engine.
func forEachEngine(t *testing.T, test func(t *testing.T, db *store.DB, svc *content.Service)) {
	for name, openDB := range engines(t) {
		t.Run(name, func(t *testing.T) {
			db := openDB(t)
			svc := content.NewService(db.Stores(), content.Config{Now: clock})
			test(t, db, svc)
		})
	}
}

var now = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

func ptr[T any](v T) *T { return &v }

func at(day int) *time.Time { t := time.Date(2024, 5, day, 9, 0, 0, 0, time.UTC); return &t }

func mustUpsert(t *testing.T, svc *content.Service, in content.ArticleInput) *content.Article {
	t.Helper()
	a, err := svc.Upsert(context.Background(), in)
	if err != nil {
		t.Fatalf("upsert %s: %v", in.Slug, err)
	}
	return a
}

func article(slug, title, section string, day int, tags ...string) content.ArticleInput {
	return content.ArticleInput{
		Slug: slug, Title: ptr(title), Section: ptr(section), Tags: tags,
		Body: ptr("Body of **" + title + "** about copper and coal."), PublishedAt: at(day),
	}
}

func TestUpsertAndGet(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *store.DB, svc *content.Service) {
		ctx := context.Background()
		in := article("copper-rises", "Copper rises", "Mining", 3, "Copper", "Oyu Tolgoi")
		in.Authors = []string{"Bat Erdene"}
		in.Image = &content.Image{URL: "/media/copper.jpg", Alt: "A copper mine", Width: 1200, Height: 630}
		in.Related = []string{"coal-falls"}
		a := mustUpsert(t, svc, in)
		if a.URL() != "/mining/copper-rises" || a.Section.Name != "Mining" {
			t.Fatalf("url %q section %+v", a.URL(), a.Section)
		}
		if !strings.Contains(a.Body, "<strong>Copper rises</strong>") {
			t.Fatalf("body not rendered: %q", a.Body)
		}
		if a.Image == nil || a.Image.Width != 1200 {
			t.Fatalf("image %+v", a.Image)
		}
		tags, _ := db.TagsFor(ctx, []int64{a.ID})
		if got := tags[a.ID]; len(got) != 2 || got[0].Name != "Copper" || got[1].Slug != "oyu-tolgoi" {
			t.Fatalf("tags %+v", got)
		}
		pins, _ := db.Pinned(ctx, a.ID)
		if len(pins) != 1 || pins[0] != "coal-falls" {
			t.Fatalf("pins %v", pins)
		}

		// {slug, title} retitles and keeps everything else.
		b := mustUpsert(t, svc, content.ArticleInput{Slug: "copper-rises", Title: ptr("Copper soars")})
		if b.ID != a.ID || b.Title != "Copper soars" || b.Body != a.Body || b.Image == nil || b.Section.Slug != "mining" {
			t.Fatalf("partial update lost fields: %+v", b)
		}
		tags, _ = db.TagsFor(ctx, []int64{a.ID})
		if len(tags[a.ID]) != 2 {
			t.Fatalf("partial update lost tags: %+v", tags[a.ID])
		}
		// A tag given by slug does not rename "Oyu Tolgoi".
		mustUpsert(t, svc, content.ArticleInput{Slug: "copper-rises", Tags: []string{"oyu-tolgoi"}})
		tag, err := db.Tag(ctx, "oyu-tolgoi", now)
		if err != nil || tag.Name != "Oyu Tolgoi" {
			t.Fatalf("tag renamed: %+v %v", tag, err)
		}
	})
}

func TestNotFound(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *store.DB, svc *content.Service) {
		ctx := context.Background()
		if _, err := db.Article(ctx, "nope"); !content.IsNotFound(err) {
			t.Fatalf("article: want not found, got %v", err)
		}
		if _, err := db.Section(ctx, "nope", now); !content.IsNotFound(err) {
			t.Fatalf("section: want not found, got %v", err)
		}
		if a, err := svc.Article(ctx, "nope"); a != nil || err != nil {
			t.Fatalf("service: want nil, nil; got %v %v", a, err)
		}
	})
}

func TestListPagination(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *store.DB, svc *content.Service) {
		ctx := context.Background()
		for i := 1; i <= 7; i++ {
			mustUpsert(t, svc, article("a"+string(rune('0'+i)), "Article "+string(rune('0'+i)), "news", i))
		}
		// Same timestamp: id breaks the tie.
		mustUpsert(t, svc, article("a8", "Article 8", "news", 7))
		// Not yet public: scheduled and draft.
		future := now.Add(time.Hour)
		mustUpsert(t, svc, content.ArticleInput{Slug: "later", Title: ptr("Later"), Section: ptr("news"), PublishedAt: &future})
		mustUpsert(t, svc, content.ArticleInput{Slug: "draft", Title: ptr("Draft"), Section: ptr("news"), Draft: ptr(true)})

		var got []string
		after := ""
		for pages := 0; ; pages++ {
			p, err := svc.Articles(ctx, content.ArticlesQuery{First: 3, After: after})
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range p.Articles {
				got = append(got, a.Slug)
			}
			if !p.HasNextPage {
				break
			}
			after = p.EndCursor()
			if pages == 0 {
				// A story published now appears above, not inside, the pages.
				mustUpsert(t, svc, article("breaking", "Breaking", "news", 30))
			}
		}
		want := "a8 a7 a6 a5 a4 a3 a2 a1"
		if strings.Join(got, " ") != want {
			t.Fatalf("pages = %v, want %s", got, want)
		}
		n, err := svc.Count(ctx, content.ListFilter{Now: now})
		if err != nil || n != 9 {
			t.Fatalf("count = %d %v, want 9", n, err)
		}
		if a, _ := svc.Article(ctx, "later"); a != nil {
			t.Fatal("scheduled article is public")
		}
	})
}

func TestFilters(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *store.DB, svc *content.Service) {
		ctx := context.Background()
		mustUpsert(t, svc, content.ArticleInput{Slug: "rare", Title: ptr("Rare earths deal signed"), Section: ptr("News"),
			Tags: []string{"Rare earths"}, Body: ptr("Mongolia and the United States agreed on critical minerals."), PublishedAt: at(1)})
		mustUpsert(t, svc, content.ArticleInput{Slug: "coal", Title: ptr("Coal exports climb"), Section: ptr("Mining"),
			Tags: []string{"Coal"}, Body: ptr("Shipments to China through Gashuunsukhait rose."), PublishedAt: at(2)})
		mustUpsert(t, svc, content.ArticleInput{Slug: "solar", Title: ptr("Нарны цахилгаан станц"), Section: ptr("Energy"),
			Body: ptr("Говьд шинэ нарны станц ашиглалтад орлоо."), PublishedAt: at(3)})
		cases := []struct {
			name string
			q    content.ArticlesQuery
			want string
		}{
			{"section", content.ArticlesQuery{Section: "mining"}, "coal"},
			{"tag", content.ArticlesQuery{Tag: "rare-earths"}, "rare"},
			{"search body word", content.ArticlesQuery{Search: "minerals"}, "rare"},
			{"search stemmed or prefix", content.ArticlesQuery{Search: "shipments china"}, "coal"},
			{"search cyrillic", content.ArticlesQuery{Search: "нарны"}, "solar"},
			{"search syntax is text", content.ArticlesQuery{Search: `"coal*^(`}, "coal"},
			{"search punctuation only", content.ArticlesQuery{Search: `"*()`}, ""},
			{"unknown section", content.ArticlesQuery{Section: "nope"}, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				c.q.First = 10
				p, err := svc.Articles(ctx, c.q)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, a := range p.Articles {
					got = append(got, a.Slug)
				}
				if strings.Join(got, " ") != c.want {
					t.Fatalf("got %v, want %q", got, c.want)
				}
			})
		}
	})
}

func TestRelatedAndDelete(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *store.DB, svc *content.Service) {
		ctx := context.Background()
		mustUpsert(t, svc, article("seed", "Seed", "news", 10, "Copper", "Mongolia"))
		mustUpsert(t, svc, article("two-tags", "Two tags", "mining", 1, "Copper", "Mongolia"))
		mustUpsert(t, svc, article("one-tag-old", "One tag old", "mining", 2, "Copper"))
		mustUpsert(t, svc, article("one-tag-new", "One tag new", "energy", 5, "Mongolia"))
		mustUpsert(t, svc, article("section-only", "Section only", "news", 3))
		mustUpsert(t, svc, article("unrelated", "Unrelated", "energy", 9, "Solar"))
		pin := article("pinned", "Pinned", "energy", 4)
		mustUpsert(t, svc, pin)
		mustUpsert(t, svc, content.ArticleInput{Slug: "seed", Related: []string{"pinned", "missing"}})

		rel, err := svc.RelatedBySlug(ctx, "seed", 5)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range rel {
			got = append(got, a.Slug)
		}
		want := "pinned two-tags one-tag-new one-tag-old section-only"
		if strings.Join(got, " ") != want {
			t.Fatalf("related = %v, want %s", got, want)
		}
		ok, err := svc.Delete(ctx, "two-tags")
		if err != nil || !ok {
			t.Fatalf("delete: %v %v", ok, err)
		}
		if ok, _ := svc.Delete(ctx, "two-tags"); ok {
			t.Fatal("second delete reported a deletion")
		}
		p, _ := svc.Articles(ctx, content.ArticlesQuery{First: 10, Search: "two"})
		if len(p.Articles) != 0 {
			t.Fatal("deleted article still searchable")
		}
	})
}

func TestKeys(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *store.DB, svc *content.Service) {
		ctx := context.Background()
		token, err := svc.CreateKey(ctx, "newsdesk")
		if err != nil {
			t.Fatal(err)
		}
		if k, err := svc.Authenticate(ctx, token); err != nil || k.Name != "newsdesk" {
			t.Fatalf("authenticate: %v %v", k, err)
		}
		for _, bad := range []string{"", "byl_", token + "x", strings.Replace(token, "_", "_0", 1), "Bearer " + token} {
			if _, err := svc.Authenticate(ctx, bad); err != content.ErrUnauthenticated {
				t.Errorf("token %q: want ErrUnauthenticated, got %v", bad, err)
			}
		}
	})
}

func TestImportAllOrNothing(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *store.DB, svc *content.Service) {
		ctx := context.Background()
		good := "---\ntitle: Good\nsection: news\npublished: 2024-05-01\ntags: [Copper]\n---\nHello *world*.\n"
		bad := fstest.MapFS{
			"a.md": {Data: []byte(good)},
			"b.md": {Data: []byte("---\ntittle: Typo\n---\nx")},
			"c.md": {Data: []byte("no front matter")},
		}
		_, err := svc.Import(ctx, bad)
		if err == nil || !strings.Contains(err.Error(), "b.md") || !strings.Contains(err.Error(), "tittle") || !strings.Contains(err.Error(), "c.md") {
			t.Fatalf("want an error naming b.md (tittle) and c.md, got %v", err)
		}
		if n, _ := svc.Count(ctx, content.ListFilter{Now: now}); n != 0 {
			t.Fatalf("a failed batch wrote %d articles", n)
		}
		okFS := fstest.MapFS{"a.md": {Data: []byte(good)}, "README.md": {Data: []byte("# not an article")}}
		for i := 0; i < 2; i++ { // idempotent
			if _, err := svc.Import(ctx, okFS); err != nil {
				t.Fatal(err)
			}
		}
		if n, _ := svc.Count(ctx, content.ListFilter{Now: now}); n != 1 {
			t.Fatalf("re-import: %d articles, want 1", n)
		}
		a, _ := svc.Article(ctx, "a")
		if a == nil || a.Body != "<p>Hello <em>world</em>.</p>" {
			t.Fatalf("imported %+v", a)
		}
	})
}

// recorder is an Invalidator that remembers what it was told.
type recorder struct{ got []content.Invalidation }

func (r *recorder) Invalidate(_ context.Context, inv content.Invalidation) {
	r.got = append(r.got, inv)
}

func TestInvalidationLog(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *store.DB, _ *content.Service) {
		ctx := context.Background()
		rec := &recorder{}
		svc := content.NewService(db.Stores(), content.Config{Now: clock, Invalidator: rec})
		mustUpsert(t, svc, article("a", "A", "news", 1, "Copper"))
		mustUpsert(t, svc, content.ArticleInput{Slug: "a", Section: ptr("Mining"), Tags: []string{"Coal"}})
		if _, err := svc.Delete(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		if len(rec.got) != 3 {
			t.Fatalf("told of %d writes, want 3", len(rec.got))
		}
		// The retag stamps what the article had and what it has now.
		want := []string{"Article:a", "Section:mining", "Section:news", "Tag:coal", "Tag:copper", "list:Article"}
		for _, w := range want {
			if !strings.Contains(strings.Join(rec.got[1].Tags, " "), w) {
				t.Errorf("second write's tags %v lack %s", rec.got[1].Tags, w)
			}
		}
		logged, err := db.Invalidations(ctx, rec.got[0].ID, 10)
		if err != nil || len(logged) != 2 || logged[0].ID != rec.got[1].ID || strings.Join(logged[0].Tags, " ") != strings.Join(rec.got[1].Tags, " ") {
			t.Fatalf("log after first: %+v %v", logged, err)
		}
		last, err := db.LastInvalidation(ctx)
		if err != nil || last != rec.got[2].ID {
			t.Fatalf("last = %d %v, want %d", last, err, rec.got[2].ID)
		}
		// A failed write logs nothing.
		if _, err := svc.Upsert(ctx, content.ArticleInput{Slug: "b"}); err == nil {
			t.Fatal("article without title accepted")
		}
		if last2, _ := db.LastInvalidation(ctx); last2 != last {
			t.Fatal("a refused write was logged")
		}
	})
}
