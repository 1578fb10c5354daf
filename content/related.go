package content

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bylinehq/byline/related"
)

// RankConfig weighs the related-stories ranking (cmd/byline's
// --related-* flags set it).
type RankConfig = related.Config

// DefaultRankConfig is the configuration the evaluation chose.
func DefaultRankConfig() RankConfig { return related.DefaultConfig() }

// RelatedDoc is what the related-stories index knows of an article, as the
// store reads it: the index takes it as it is.
type RelatedDoc = related.Doc

// RelatedStory is one related story and why it was chosen.
type RelatedStory struct {
	Article *Article
	Pinned  bool // by an editor: first, whatever the ranking says
	related.Explained
}

// Reasons says, in an editor's words, why the story is there.
func (r RelatedStory) Reasons() []string {
	var out []string
	if r.Pinned {
		out = append(out, "pinned by an editor")
	}
	if len(r.SharedTags) > 0 {
		out = append(out, "shared tags: "+strings.Join(r.SharedTags, ", "))
	}
	if len(r.SharedTerms) > 0 {
		out = append(out, "key shared words: "+strings.Join(r.SharedTerms, ", "))
	}
	if r.SameSection && r.Article != nil {
		out = append(out, "same section: "+r.Article.Section.Name)
	}
	return out
}

// EnableRelatedIndex builds the related-stories index from the store and
// ranks with it from then on (until then, and without it, the SQL ranking
// by shared tags and section serves).
func (s *Service) EnableRelatedIndex(ctx context.Context, cfg RankConfig) (time.Duration, error) {
	start := time.Now()
	idx := related.New(cfg)
	last, err := s.store.Changes.LastInvalidation(ctx)
	if err != nil {
		return 0, err
	}
	docs, err := s.store.Related.IndexDocs(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("content: related index: %w", err)
	}
	idx.PutAll(docs)
	s.relMu.Lock()
	s.related, s.relSeen = idx, last
	s.relMu.Unlock()
	// Writes committed while the index was being built reached ApplyWrite
	// while it had no index; apply them now. From here on every write comes
	// through ApplyWrite (this process's, or the cache's OnWrite for others).
	if err := s.catchUp(ctx); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// RelatedIndexStats reports the index's size, for logs.
func (s *Service) RelatedIndexStats() (stories, bytes int) {
	idx := s.relatedIndex()
	if idx == nil {
		return 0, 0
	}
	return idx.Len(), idx.MemoryEstimate()
}

func (s *Service) relatedIndex() *related.Index {
	s.relMu.Lock()
	defer s.relMu.Unlock()
	return s.related
}

// reindex brings the index up to date with a committed change: the
// stories it names, or all of it after an import.
func (s *Service) reindex(ctx context.Context, c Invalidation) error {
	idx := s.relatedIndex()
	if idx == nil {
		return nil
	}
	// A gateway of the previous release (a rolling upgrade) logged its
	// imports with no kind; it logged every other write with one.
	if c.Kind == ArticlesImported || c.Kind == "" && slices.Contains(c.Tags, TagAll) {
		_, err := s.EnableRelatedIndex(ctx, idx.Config())
		return err
	}
	slugs := c.Slugs
	if len(slugs) == 0 {
		return nil
	}
	docs, err := s.store.Related.IndexDocs(ctx, slugs)
	if err != nil {
		return fmt.Errorf("content: reindex: %w", err)
	}
	found := map[string]bool{}
	for _, d := range docs {
		found[d.Slug] = true
		idx.Put(d)
	}
	for _, slug := range slugs {
		if !found[slug] {
			idx.Remove(slug)
		}
	}
	return nil
}

// catchUp applies the writes logged since the index's snapshot.
func (s *Service) catchUp(ctx context.Context) error {
	s.relMu.Lock()
	after := s.relSeen
	s.relMu.Unlock()
	rows, err := s.store.Changes.Invalidations(ctx, after, 1000)
	if err != nil {
		return fmt.Errorf("content: related index: poll: %w", err)
	}
	for _, inv := range rows {
		s.relMu.Lock()
		done := s.relApplied[inv.ID]
		s.relMu.Unlock()
		if !done {
			if err := s.reindex(ctx, inv); err != nil {
				return err
			}
		}
		s.relMu.Lock()
		s.relSeen = max(s.relSeen, inv.ID)
		s.relMu.Unlock()
	}
	return nil
}

// afterWrite updates this process's index at once (read-your-writes).
func (s *Service) afterWrite(ctx context.Context, inv *Invalidation) {
	s.ApplyWrite(ctx, *inv)
}

// ApplyWrite brings derived state (the related-stories index) up to date
// with a committed write, once per logged write.
func (s *Service) ApplyWrite(ctx context.Context, inv Invalidation) {
	if s.relatedIndex() == nil {
		return
	}
	s.relMu.Lock()
	done := inv.ID != 0 && s.relApplied[inv.ID]
	if s.relApplied == nil || len(s.relApplied) > 10000 {
		s.relApplied = map[int64]bool{}
	}
	s.relApplied[inv.ID] = true
	s.relMu.Unlock()
	if done {
		return
	}
	_ = s.reindex(ctx, inv)
}

// RelatedExplained is Related with each story's score and reasons.
func (s *Service) RelatedExplained(ctx context.Context, slug string, first int) ([]RelatedStory, error) {
	if err := relatedFirst(first); err != nil {
		return nil, err
	}
	a, err := s.Article(ctx, slug)
	if err != nil || a == nil {
		return []RelatedStory{}, err
	}
	return s.relatedStories(ctx, a, first)
}

// relatedStories ranks: pins first, then the index's ranking (or, without
// an index, the SQL ranking by shared tags and section).
func (s *Service) relatedStories(ctx context.Context, a *Article, first int) ([]RelatedStory, error) {
	now := s.cfg.Now()
	out := make([]RelatedStory, 0, first)
	seen := map[int64]bool{a.ID: true}
	// The index is a read too: any write may change a ranking by words,
	// and every write stamps the list. The stories themselves are recorded
	// as the store reads them.
	Record(ctx, ListArticles)
	pinned, err := s.store.Related.Pinned(ctx, a.ID)
	if err != nil {
		return nil, fmt.Errorf("content: related pins of %q: %w", a.Slug, err)
	}
	if len(pinned) > 0 {
		pins, err := s.store.Articles.PublicArticlesBySlug(ctx, pinned, now)
		if err != nil {
			return nil, fmt.Errorf("content: related pins of %q: %w", a.Slug, err)
		}
		for _, slug := range pinned {
			if p := pins[slug]; p != nil && !seen[p.ID] && len(out) < first {
				seen[p.ID] = true
				out = append(out, RelatedStory{Article: p, Pinned: true, Explained: related.Explained{Slug: p.Slug, ID: p.ID, Score: 1}})
			}
		}
	}
	if len(out) == first {
		return out, nil
	}
	idx := s.relatedIndex()
	if idx == nil {
		cands, err := s.store.Related.RelatedCandidates(ctx, a.ID, now, first+len(seen))
		if err != nil {
			return nil, fmt.Errorf("content: related to %q: %w", a.Slug, err)
		}
		for _, c := range cands {
			if !seen[c.ID] && len(out) < first {
				seen[c.ID] = true
				out = append(out, RelatedStory{Article: c, Explained: related.Explained{Slug: c.Slug, ID: c.ID, SameSection: c.Section.Slug == a.Section.Slug}})
			}
		}
		return out, nil
	}
	ranked := idx.Rank(a.Slug, first+len(seen), now)
	ids := make([]int64, 0, len(ranked))
	for _, r := range ranked {
		ids = append(ids, r.ID)
	}
	arts, err := s.store.Articles.ArticlesByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("content: related to %q: %w", a.Slug, err)
	}
	for _, r := range ranked {
		if art := arts[r.ID]; art != nil && art.IsPublic(now) && !seen[r.ID] && len(out) < first {
			seen[r.ID] = true
			out = append(out, RelatedStory{Article: art, Explained: r})
		}
	}
	return out, nil
}
