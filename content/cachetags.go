package content

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Cache tags name what a response read, so that a write can invalidate
// exactly the responses that read what it changed. The domain records them
// as it reads (it knows what it touched) and computes them as it writes.
const (
	TagAll       = "all"          // every response; bulk imports stamp it
	ListArticles = "list:Article" // any listing or count of articles
	ListSections = "list:Section" // the sections list
)

// ArticleTag names one article by its slug, the key that never changes, so a
// write can name it before the article has an id.
func ArticleTag(slug string) string { return "Article:" + slug }

// SectionTag names a section.
func SectionTag(slug string) string { return "Section:" + slug }

// TagTag names a tag.
func TagTag(slug string) string { return "Tag:" + slug }

// AuthorTag names an author.
func AuthorTag(slug string) string { return "Author:" + slug }

// Invalidation is one committed write's tags, logged in the same
// transaction as the write: ID orders them, At is the commit time.
type Invalidation struct {
	ID   int64
	Tags []string
	At   time.Time
	// Kind says what the write did to the stories Slugs names
	// (change.go); a write that names no story (an import) has neither.
	Kind  ChangeKind
	Slugs []string
}

// Invalidator learns of committed writes (the response cache). Invalidate
// returns once every replica has dropped what the write made stale, or
// once it has given up waiting; it never fails the write.
type Invalidator interface {
	Invalidate(ctx context.Context, inv Invalidation)
}

// TagSet collects the tags a request read. It is safe for concurrent use:
// GraphQL resolves fields in parallel.
type TagSet struct {
	mu   sync.Mutex
	tags map[string]struct{}
}

type tagSetKey struct{}

// WithTagSet returns a context whose reads record into the returned set.
func WithTagSet(ctx context.Context) (context.Context, *TagSet) {
	ts := &TagSet{tags: map[string]struct{}{}}
	return context.WithValue(ctx, tagSetKey{}, ts), ts
}

// Record adds tags to the context's set, if it has one.
func Record(ctx context.Context, tags ...string) {
	ts, _ := ctx.Value(tagSetKey{}).(*TagSet)
	if ts == nil {
		return
	}
	ts.mu.Lock()
	for _, t := range tags {
		ts.tags[t] = struct{}{}
	}
	ts.mu.Unlock()
}

// Sorted returns the tags in order.
func (ts *TagSet) Sorted() []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	out := make([]string, 0, len(ts.tags))
	for t := range ts.tags {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// writeTags are the tags a write of an article stamps: the article, every
// list, and the section, tags and authors it had before and has after
// (their names show in other articles' responses, and related lists are
// ranked through them).
//
// It takes any number of records (nil ones are skipped): a write's before
// and after, or every story a scheduled publication makes public.
func writeTags(records ...*ArticleRecord) []string {
	set := map[string]struct{}{ListArticles: {}, ListSections: {}}
	for _, r := range records {
		if r == nil {
			continue
		}
		set[ArticleTag(r.Slug)] = struct{}{}
		set[SectionTag(r.Section.Slug)] = struct{}{}
		for _, t := range r.Tags {
			set[TagTag(t.Slug)] = struct{}{}
		}
		for _, a := range r.Authors {
			set[AuthorTag(a.Slug)] = struct{}{}
		}
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}
