package content

import (
	"context"
	"time"
)

// recordingReader records the cache tags of what each read touched, in the
// request's TagSet (a no-op without one): tags are recorded where data is
// read, so a new field or loader cannot forget to tag what it shows. A read
// records what may change its answer, found or not: a missing article is
// recorded too, since creating it must drop the cached null.
type recordingReader struct{ ArticleReader }

func (r recordingReader) Article(ctx context.Context, slug string) (*Article, error) {
	Record(ctx, ArticleTag(slug))
	a, err := r.ArticleReader.Article(ctx, slug)
	if a != nil {
		Record(ctx, SectionTag(a.Section.Slug))
	}
	return a, err
}

func (r recordingReader) ArticlesByID(ctx context.Context, ids []int64) (map[int64]*Article, error) {
	m, err := r.ArticleReader.ArticlesByID(ctx, ids)
	for _, a := range m {
		recordArticle(ctx, a)
	}
	// An id that is not there was deleted: the write that deleted it
	// stamped every list the id came from.
	return m, err
}

func (r recordingReader) ListArticles(ctx context.Context, q ListQuery) ([]*Article, error) {
	Record(ctx, ListArticles)
	return r.ArticleReader.ListArticles(ctx, q)
}

func (r recordingReader) CountArticles(ctx context.Context, f ListFilter) (int, error) {
	Record(ctx, ListArticles)
	return r.ArticleReader.CountArticles(ctx, f)
}

func (r recordingReader) TagsFor(ctx context.Context, ids []int64) (map[int64][]Tag, error) {
	m, err := r.ArticleReader.TagsFor(ctx, ids)
	recordEach(ctx, m, func(t Tag) string { return TagTag(t.Slug) })
	return m, err
}

func (r recordingReader) AuthorsFor(ctx context.Context, ids []int64) (map[int64][]Author, error) {
	m, err := r.ArticleReader.AuthorsFor(ctx, ids)
	recordEach(ctx, m, func(a Author) string { return AuthorTag(a.Slug) })
	return m, err
}

// recordEach records the tag of every tag or author a batch read found.
func recordEach[T any](ctx context.Context, m map[int64][]T, tag func(T) string) {
	for _, list := range m {
		for _, v := range list {
			Record(ctx, tag(v))
		}
	}
}

func (r recordingReader) Sections(ctx context.Context, now time.Time) ([]Section, error) {
	Record(ctx, ListSections)
	return r.ArticleReader.Sections(ctx, now)
}

func (r recordingReader) Section(ctx context.Context, slug string, now time.Time) (*Section, error) {
	Record(ctx, SectionTag(slug))
	return r.ArticleReader.Section(ctx, slug, now)
}

func (r recordingReader) Tag(ctx context.Context, slug string, now time.Time) (*Tag, error) {
	Record(ctx, TagTag(slug))
	return r.ArticleReader.Tag(ctx, slug, now)
}

func (r recordingReader) PublicArticlesBySlug(ctx context.Context, slugs []string, now time.Time) (map[string]*Article, error) {
	for _, slug := range slugs {
		Record(ctx, ArticleTag(slug)) // a pin not public yet must show when it is
	}
	m, err := r.ArticleReader.PublicArticlesBySlug(ctx, slugs, now)
	for _, a := range m {
		recordArticle(ctx, a)
	}
	return m, err
}

// recordingRelated records the SQL ranking's reads, as recordingReader
// does the articles'.
type recordingRelated struct{ RelatedStore }

func (r recordingRelated) RelatedCandidates(ctx context.Context, id int64, now time.Time, limit int) ([]*Article, error) {
	Record(ctx, ListArticles) // a new story may rank among them
	list, err := r.RelatedStore.RelatedCandidates(ctx, id, now, limit)
	for _, a := range list {
		recordArticle(ctx, a)
	}
	return list, err
}

func recordArticle(ctx context.Context, a *Article) {
	if a != nil {
		Record(ctx, ArticleTag(a.Slug), SectionTag(a.Section.Slug))
	}
}
