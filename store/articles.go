package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bylinehq/byline/content"
)

const articleColumns = `a.id, a.slug, a.title, a.summary, a.source, a.body_format, a.body,
	a.section_slug, s.name, a.image_url, a.image_alt, a.image_width, a.image_height,
	a.published_ms, a.updated_ms, a.reading_minutes`

const articleFrom = ` FROM articles a JOIN sections s ON s.slug = a.section_slug`

type scanner interface{ Scan(dest ...any) error }

func scanArticle(r scanner) (*content.Article, error) {
	var (
		a         content.Article
		format    string
		imgURL    sql.NullString
		imgAlt    string
		imgW      int
		imgH      int
		published sql.NullInt64
		updated   int64
	)
	err := r.Scan(&a.ID, &a.Slug, &a.Title, &a.Summary, &a.Source, &format, &a.Body,
		&a.Section.Slug, &a.Section.Name, &imgURL, &imgAlt, &imgW, &imgH,
		&published, &updated, &a.ReadingTimeMinutes)
	if err != nil {
		return nil, err
	}
	a.BodyFormat = content.BodyFormat(format)
	if imgURL.Valid {
		a.Image = &content.Image{URL: imgURL.String, Alt: imgAlt, Width: imgW, Height: imgH}
	}
	if published.Valid {
		t := time.UnixMilli(published.Int64).UTC()
		a.PublishedAt = &t
	}
	a.UpdatedAt = time.UnixMilli(updated).UTC()
	return &a, nil
}

func (s *DB) articles(ctx context.Context, q string, args ...any) ([]*content.Article, error) {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*content.Article
	for rows.Next() {
		a, err := scanArticle(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Article returns the article with slug.
func (s *DB) Article(ctx context.Context, slug string) (*content.Article, error) {
	a, err := scanArticle(s.queryRow(ctx, "SELECT "+articleColumns+articleFrom+" WHERE a.slug = ?", slug))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &content.NotFoundError{Kind: "article", Key: slug}
	}
	if err != nil {
		return nil, fmt.Errorf("store: get article %q: %w", slug, err)
	}
	return a, nil
}

// record reads the article with slug as the full record a partial update
// merges into, through on (a write transaction, so that nothing changes
// between this read and the write); nil when there is none. Like the
// service's own recordOf it leaves Body, ReadingTimeMinutes and Sample
// unset: the merge derives the first two again.
func (s *DB) record(ctx context.Context, on querier, slug string) (*content.ArticleRecord, error) {
	a, err := scanArticle(s.queryRowOn(ctx, on, "SELECT "+articleColumns+articleFrom+" WHERE a.slug = ?", slug))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("article: %w", err)
	}
	r := &content.ArticleRecord{
		Slug: a.Slug, Title: a.Title, Summary: a.Summary, Source: a.Source, BodyFormat: a.BodyFormat,
		Section: a.Section, Image: a.Image, PublishedAt: a.PublishedAt,
	}
	err = s.namedFor(ctx, on, "article_tags", "tags", "tag_slug", []int64{a.ID}, func(_ int64, slug, name string) {
		r.Tags = append(r.Tags, content.Tag{Slug: slug, Name: name})
	})
	if err != nil {
		return nil, fmt.Errorf("tags: %w", err)
	}
	err = s.namedFor(ctx, on, "article_authors", "authors", "author_slug", []int64{a.ID}, func(_ int64, slug, name string) {
		r.Authors = append(r.Authors, content.Author{Slug: slug, Name: name})
	})
	if err != nil {
		return nil, fmt.Errorf("authors: %w", err)
	}
	if r.Related, err = s.pinned(ctx, on, a.ID); err != nil {
		return nil, fmt.Errorf("pins: %w", err)
	}
	return r, nil
}

// maxIn bounds one IN list; longer lists are sent in chunks.
const maxIn = 500

func chunks[T any](xs []T, f func([]T) error) error {
	for len(xs) > 0 {
		n := min(len(xs), maxIn)
		if err := f(xs[:n]); err != nil {
			return err
		}
		xs = xs[n:]
	}
	return nil
}

func anys[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// ArticlesByID returns the articles among ids.
func (s *DB) ArticlesByID(ctx context.Context, ids []int64) (map[int64]*content.Article, error) {
	out := make(map[int64]*content.Article, len(ids))
	err := chunks(ids, func(part []int64) error {
		list, err := s.articles(ctx, "SELECT "+articleColumns+articleFrom+" WHERE a.id IN ("+placeholders(len(part))+")", anys(part)...)
		for _, a := range list {
			out[a.ID] = a
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: articles by id: %w", err)
	}
	return out, nil
}

// PublicArticlesBySlug returns the public articles among slugs.
func (s *DB) PublicArticlesBySlug(ctx context.Context, slugs []string, now time.Time) (map[string]*content.Article, error) {
	out := make(map[string]*content.Article, len(slugs))
	if len(slugs) == 0 {
		return out, nil
	}
	args := append(anys(slugs), now.UnixMilli())
	list, err := s.articles(ctx, "SELECT "+articleColumns+articleFrom+
		" WHERE a.slug IN ("+placeholders(len(slugs))+") AND a.published_ms <= ?", args...)
	if err != nil {
		return nil, fmt.Errorf("store: articles by slug: %w", err)
	}
	for _, a := range list {
		out[a.Slug] = a
	}
	return out, nil
}

// where builds the filter of a listing: public stories, or the statuses
// an editor asked for.
func (s *DB) where(f content.ListFilter) (string, []any) {
	conds := []string{"a.published_ms IS NOT NULL", "a.published_ms <= ?"}
	args := []any{f.Now.UnixMilli()}
	if len(f.Statuses) > 0 {
		var alts []string
		args = args[:0]
		for _, st := range f.Statuses {
			switch st {
			case content.Draft:
				alts = append(alts, "a.published_ms IS NULL")
			case content.Scheduled:
				alts = append(alts, "a.published_ms > ?")
				args = append(args, f.Now.UnixMilli())
			case content.Published:
				alts = append(alts, "a.published_ms <= ?")
				args = append(args, f.Now.UnixMilli())
			}
		}
		conds = []string{"(" + strings.Join(alts, " OR ") + ")"}
	}
	if f.Section != "" {
		conds = append(conds, "a.section_slug = ?")
		args = append(args, f.Section)
	}
	if f.Tag != "" {
		conds = append(conds, "a.id IN (SELECT article_id FROM article_tags WHERE tag_slug = ?)")
		args = append(args, f.Tag)
	}
	if f.Search != "" {
		if clause, arg, ok := s.d.searchClause(f.Search); ok {
			conds = append(conds, clause)
			args = append(args, arg)
		} else {
			conds = append(conds, "1 = 0") // punctuation alone matches nothing
		}
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// ListArticles returns one page of public articles, newest first.
func (s *DB) ListArticles(ctx context.Context, q content.ListQuery) ([]*content.Article, error) {
	where, args := s.where(q.ListFilter)
	// Drafts have no publication time: among them, the last edited first.
	// Public listings keep the plain column, which its index serves.
	at := "a.published_ms"
	if slices.Contains(q.Statuses, content.Draft) {
		at = "COALESCE(a.published_ms, a.updated_ms)"
	}
	if q.After != nil {
		ms := q.After.PublishedAt.UnixMilli()
		where += " AND (" + at + " < ? OR (" + at + " = ? AND a.id < ?))"
		args = append(args, ms, ms, q.After.ID)
	}
	args = append(args, q.Limit)
	list, err := s.articles(ctx, "SELECT "+articleColumns+articleFrom+where+
		" ORDER BY "+at+" DESC, a.id DESC LIMIT ?", args...)
	if err != nil {
		return nil, fmt.Errorf("store: list articles: %w", err)
	}
	return list, nil
}

// CountArticles counts the public articles matching f.
func (s *DB) CountArticles(ctx context.Context, f content.ListFilter) (int, error) {
	where, args := s.where(f)
	var n int
	if err := s.queryRow(ctx, "SELECT COUNT(*) FROM articles a"+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count articles: %w", err)
	}
	return n, nil
}

// namedFor loads (article_id, slug, name) rows of a join table, in order.
func (s *DB) namedFor(ctx context.Context, on querier, join, table, col string, ids []int64, add func(id int64, slug, name string)) error {
	return chunks(ids, func(part []int64) error {
		rows, err := s.queryOn(ctx, on, "SELECT j.article_id, t.slug, t.name FROM "+join+" j JOIN "+table+" t ON t.slug = j."+col+
			" WHERE j.article_id IN ("+placeholders(len(part))+") ORDER BY j.article_id, j.position", anys(part)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				id         int64
				slug, name string
			)
			if err := rows.Scan(&id, &slug, &name); err != nil {
				return err
			}
			add(id, slug, name)
		}
		return rows.Err()
	})
}

// TagsFor returns each article's tags in order.
func (s *DB) TagsFor(ctx context.Context, ids []int64) (map[int64][]content.Tag, error) {
	out := make(map[int64][]content.Tag, len(ids))
	err := s.namedFor(ctx, s.db, "article_tags", "tags", "tag_slug", ids, func(id int64, slug, name string) {
		out[id] = append(out[id], content.Tag{Slug: slug, Name: name})
	})
	if err != nil {
		return nil, fmt.Errorf("store: tags: %w", err)
	}
	return out, nil
}

// AuthorsFor returns each article's authors in order.
func (s *DB) AuthorsFor(ctx context.Context, ids []int64) (map[int64][]content.Author, error) {
	out := make(map[int64][]content.Author, len(ids))
	err := s.namedFor(ctx, s.db, "article_authors", "authors", "author_slug", ids, func(id int64, slug, name string) {
		out[id] = append(out[id], content.Author{Slug: slug, Name: name})
	})
	if err != nil {
		return nil, fmt.Errorf("store: authors: %w", err)
	}
	return out, nil
}

// Pinned returns an article's pinned related slugs.
func (s *DB) Pinned(ctx context.Context, id int64) ([]string, error) {
	out, err := s.pinned(ctx, s.db, id)
	if err != nil {
		return nil, fmt.Errorf("store: pinned of %d: %w", id, err)
	}
	return out, nil
}

func (s *DB) pinned(ctx context.Context, on querier, id int64) ([]string, error) {
	rows, err := s.queryOn(ctx, on, "SELECT related_slug FROM article_related WHERE article_id = ? ORDER BY position", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var slug string
		if err := rows.Scan(&slug); err != nil {
			return nil, err
		}
		out = append(out, slug)
	}
	return out, rows.Err()
}

// publicInSection and publicInTag hold when an article public at the bound
// time is filed under the outer query's section or tag (aliased s): a
// draft's section or tag exists as a row but must not be named to readers.
const (
	publicInSection = `EXISTS (SELECT 1 FROM articles a WHERE a.section_slug = s.slug
		AND a.published_ms IS NOT NULL AND a.published_ms <= ?)`
	publicInTag = `EXISTS (SELECT 1 FROM article_tags j JOIN articles a ON a.id = j.article_id
		WHERE j.tag_slug = s.slug AND a.published_ms IS NOT NULL AND a.published_ms <= ?)`
)

// Sections lists, by name, the sections with an article public at now.
func (s *DB) Sections(ctx context.Context, now time.Time) ([]content.Section, error) {
	rows, err := s.query(ctx, "SELECT s.slug, s.name FROM sections s WHERE "+publicInSection+" ORDER BY s.name", now.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("store: sections: %w", err)
	}
	defer rows.Close()
	out := []content.Section{}
	for rows.Next() {
		var sec content.Section
		if err := rows.Scan(&sec.Slug, &sec.Name); err != nil {
			return nil, fmt.Errorf("store: sections: %w", err)
		}
		out = append(out, sec)
	}
	return out, rows.Err()
}

// named reads the name of the row of table with slug, when public (an
// EXISTS over the row aliased s) holds at now.
func (s *DB) named(ctx context.Context, table, kind, public, slug string, now time.Time) (string, error) {
	var name string
	err := s.queryRow(ctx, "SELECT s.name FROM "+table+" s WHERE s.slug = ? AND "+public, slug, now.UnixMilli()).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", &content.NotFoundError{Kind: kind, Key: slug}
	}
	if err != nil {
		return "", fmt.Errorf("store: get %s %q: %w", kind, slug, err)
	}
	return name, nil
}

// Section returns the section with slug if an article public at now is in it.
func (s *DB) Section(ctx context.Context, slug string, now time.Time) (*content.Section, error) {
	name, err := s.named(ctx, "sections", "section", publicInSection, slug, now)
	if err != nil {
		return nil, err
	}
	return &content.Section{Slug: slug, Name: name}, nil
}

// Tag returns the tag with slug if an article public at now carries it.
func (s *DB) Tag(ctx context.Context, slug string, now time.Time) (*content.Tag, error) {
	name, err := s.named(ctx, "tags", "tag", publicInTag, slug, now)
	if err != nil {
		return nil, err
	}
	return &content.Tag{Slug: slug, Name: name}, nil
}

// RelatedCandidates ranks public articles by shared tags (two points each)
// and shared section (one point), newest first on ties. Ranking touches
// only ids, dates and sections (index lookups); full rows are read for the
// few winners. Section-only candidates are limited to the newest few, as
// only those can win a tie.
func (s *DB) RelatedCandidates(ctx context.Context, id int64, now time.Time, limit int) ([]*content.Article, error) {
	ms := now.UnixMilli()
	list, err := s.articles(ctx, "SELECT "+articleColumns+articleFrom+` JOIN (
		SELECT c.id, 2 * MAX(c.shared) + CASE WHEN o.section_slug = me.section_slug THEN 1 ELSE 0 END AS score, o.published_ms
		FROM (
			SELECT t.article_id AS id, COUNT(*) AS shared FROM article_tags t
			WHERE t.tag_slug IN (SELECT tag_slug FROM article_tags WHERE article_id = ?)
			GROUP BY t.article_id
			UNION ALL
			SELECT id, 0 AS shared FROM (
				SELECT o2.id FROM articles o2
				WHERE o2.section_slug = (SELECT section_slug FROM articles WHERE id = ?)
				AND o2.published_ms IS NOT NULL AND o2.published_ms <= ?
				ORDER BY o2.published_ms DESC, o2.id DESC LIMIT ?
			) recent
		) c
		JOIN articles o ON o.id = c.id
		JOIN articles me ON me.id = ?
		WHERE o.id <> ? AND o.published_ms IS NOT NULL AND o.published_ms <= ?
		GROUP BY c.id, o.section_slug, me.section_slug, o.published_ms
		ORDER BY score DESC, o.published_ms DESC, c.id DESC LIMIT ?
	) r ON r.id = a.id
	ORDER BY r.score DESC, r.published_ms DESC, a.id DESC`, id, id, ms, limit+1, id, id, ms, limit)
	if err != nil {
		return nil, fmt.Errorf("store: related to %d: %w", id, err)
	}
	return list, nil
}

// IndexDocs returns what the related-stories index needs of the articles
// with the given slugs, or of every article when slugs is nil.
func (s *DB) IndexDocs(ctx context.Context, slugs []string) ([]content.RelatedDoc, error) {
	q := "SELECT a.id, a.slug, a.section_slug, a.published_ms, a.title, a.summary, a.body FROM articles a"
	var args []any
	if slugs != nil {
		if len(slugs) == 0 {
			return nil, nil
		}
		q += " WHERE a.slug IN (" + placeholders(len(slugs)) + ")"
		args = anys(slugs)
	}
	rows, err := s.query(ctx, q+" ORDER BY a.id", args...)
	if err != nil {
		return nil, fmt.Errorf("store: index docs: %w", err)
	}
	var (
		docs []content.RelatedDoc
		ids  []int64
	)
	for rows.Next() {
		var (
			d             content.RelatedDoc
			published     sql.NullInt64
			summary, body string
		)
		if err := rows.Scan(&d.ID, &d.Slug, &d.Section, &published, &d.Title, &summary, &body); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: index docs: %w", err)
		}
		if published.Valid {
			t := time.UnixMilli(published.Int64).UTC()
			d.Published = &t
		}
		d.Text = summary + " " + content.PlainText(body)
		docs = append(docs, d)
		ids = append(ids, d.ID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	tags, err := s.TagsFor(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range docs {
		for _, t := range tags[docs[i].ID] {
			docs[i].Tags = append(docs[i].Tags, t.Slug)
		}
	}
	return docs, nil
}
