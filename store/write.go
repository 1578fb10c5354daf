package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bylinehq/byline/content"
)

// UpsertArticles writes every record, or none, in one transaction.
func (s *DB) UpsertArticles(ctx context.Context, recs []content.ArticleRecord, inv *content.Invalidation) ([]int64, error) {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: upsert: begin: %w", err)
	}
	defer tx.Rollback()
	now := time.Now().UnixMilli()
	ids := make([]int64, 0, len(recs))
	names := nameCache{}
	for i := range recs {
		id, err := s.upsertOne(ctx, tx, &recs[i], now, names)
		if err != nil {
			return nil, fmt.Errorf("store: upsert article %q: %w", recs[i].Slug, err)
		}
		ids = append(ids, id)
	}
	if err := s.logInvalidation(ctx, tx, inv); err != nil {
		return nil, fmt.Errorf("store: upsert: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: upsert: commit: %w", err)
	}
	return ids, nil
}

// MergeArticle reads the article with slug and writes what merge makes of
// it in one write transaction, so no other write can land in between and be
// overwritten by a merge made from an older copy.
func (s *DB) MergeArticle(ctx context.Context, slug string, inv *content.Invalidation, merge func(old *content.ArticleRecord) (content.ArticleRecord, error)) (int64, error) {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: merge article %q: begin: %w", slug, err)
	}
	defer tx.Rollback()
	old, err := s.record(ctx, tx, slug)
	if err != nil {
		return 0, fmt.Errorf("store: merge article %q: read: %w", slug, err)
	}
	rec, err := merge(old)
	if err != nil {
		return 0, err // the caller's own error, as it is
	}
	if rec.Slug != slug {
		return 0, fmt.Errorf("store: merge article %q: merge returned slug %q", slug, rec.Slug)
	}
	id, err := s.upsertOne(ctx, tx, &rec, time.Now().UnixMilli(), nameCache{})
	if err != nil {
		return 0, fmt.Errorf("store: merge article %q: %w", slug, err)
	}
	if err := s.logInvalidation(ctx, tx, inv); err != nil {
		return 0, fmt.Errorf("store: merge article %q: %w", slug, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: merge article %q: commit: %w", slug, err)
	}
	return id, nil
}

// beginWrite starts a write transaction. Writes are serialised (SQLite
// always is; PostgreSQL takes a transaction lock) so that invalidation ids
// commit in order and a poller reading "after id N" never skips one.
func (s *DB) beginWrite(ctx context.Context) (*sql.Tx, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if err := s.d.lockWrites(ctx, tx); err != nil {
		tx.Rollback()
		return nil, err
	}
	return tx, nil
}

// logInvalidation records a write's tags in its own transaction.
func (s *DB) logInvalidation(ctx context.Context, tx *sql.Tx, inv *content.Invalidation) error {
	if inv == nil {
		return nil
	}
	at := time.Now().UTC().Truncate(time.Millisecond)
	s.queries.Add(1)
	err := tx.QueryRowContext(ctx, s.d.rebind("INSERT INTO invalidations (tags, at_ms, kind, slugs) VALUES (?, ?, ?, ?) RETURNING id"),
		strings.Join(inv.Tags, "\n"), at.UnixMilli(), string(inv.Kind), strings.Join(inv.Slugs, "\n")).Scan(&inv.ID)
	if err != nil {
		return fmt.Errorf("log invalidation: %w", err)
	}
	inv.At = at
	// Keep an hour: replicas poll every second, so older rows are history.
	_, err = s.exec(ctx, tx, "DELETE FROM invalidations WHERE at_ms < ?", at.Add(-time.Hour).UnixMilli())
	return err
}

// Invalidations returns logged invalidations after id, oldest first.
func (s *DB) Invalidations(ctx context.Context, after int64, limit int) ([]content.Invalidation, error) {
	rows, err := s.query(ctx, "SELECT id, tags, at_ms, kind, slugs FROM invalidations WHERE id > ? ORDER BY id LIMIT ?", after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: invalidations: %w", err)
	}
	defer rows.Close()
	var out []content.Invalidation
	for rows.Next() {
		var (
			inv               content.Invalidation
			tags, kind, slugs string
			ms                int64
		)
		if err := rows.Scan(&inv.ID, &tags, &ms, &kind, &slugs); err != nil {
			return nil, fmt.Errorf("store: invalidations: %w", err)
		}
		inv.Tags = strings.Split(tags, "\n")
		inv.Kind = content.ChangeKind(kind)
		if slugs != "" {
			inv.Slugs = strings.Split(slugs, "\n")
		}
		inv.At = time.UnixMilli(ms).UTC()
		out = append(out, inv)
	}
	return out, rows.Err()
}

// LastInvalidation is the newest logged invalidation's id.
func (s *DB) LastInvalidation(ctx context.Context) (int64, error) {
	var id sql.NullInt64
	if err := s.queryRow(ctx, "SELECT MAX(id) FROM invalidations").Scan(&id); err != nil {
		return 0, fmt.Errorf("store: last invalidation: %w", err)
	}
	return id.Int64, nil
}

// nameCache remembers which sections, tags and authors a batch has already
// written, so a 10k-article import does not rewrite "news" 10k times.
type nameCache map[string]bool

// upsertName writes a section, tag or author. An empty name (the editor
// gave only a slug) never overwrites a better name already stored.
func (s *DB) upsertName(ctx context.Context, tx *sql.Tx, table, slug, name string, seen nameCache) error {
	key := table + "\x00" + slug + "\x00" + name
	if seen[key] {
		return nil
	}
	seen[key] = true
	if name == "" {
		_, err := s.exec(ctx, tx, "INSERT INTO "+table+" (slug, name) VALUES (?, ?) ON CONFLICT (slug) DO NOTHING", slug, content.TitleCase(slug))
		return err
	}
	_, err := s.exec(ctx, tx, "INSERT INTO "+table+" (slug, name) VALUES (?, ?) ON CONFLICT (slug) DO UPDATE SET name = excluded.name", slug, name)
	return err
}

func (s *DB) upsertOne(ctx context.Context, tx *sql.Tx, r *content.ArticleRecord, now int64, names nameCache) (int64, error) {
	if err := s.upsertName(ctx, tx, "sections", r.Section.Slug, r.Section.Name, names); err != nil {
		return 0, err
	}
	var (
		imgURL     sql.NullString
		imgAlt     string
		imgW, imgH int
		published  sql.NullInt64
	)
	if r.Image != nil {
		imgURL = sql.NullString{String: r.Image.URL, Valid: true}
		imgAlt, imgW, imgH = r.Image.Alt, r.Image.Width, r.Image.Height
	}
	if r.PublishedAt != nil {
		published = sql.NullInt64{Int64: r.PublishedAt.UnixMilli(), Valid: true}
	}
	var id int64
	s.queries.Add(1)
	err := tx.QueryRowContext(ctx, s.d.rebind(`INSERT INTO articles
		(slug, title, summary, source, body_format, body, section_slug, image_url, image_alt,
		 image_width, image_height, published_ms, updated_ms, reading_minutes, sample)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (slug) DO UPDATE SET title = excluded.title, summary = excluded.summary,
		 source = excluded.source, body_format = excluded.body_format, body = excluded.body,
		 section_slug = excluded.section_slug, image_url = excluded.image_url,
		 image_alt = excluded.image_alt, image_width = excluded.image_width,
		 image_height = excluded.image_height, published_ms = excluded.published_ms,
		 updated_ms = excluded.updated_ms, reading_minutes = excluded.reading_minutes,
		 sample = excluded.sample
		RETURNING id`),
		r.Slug, r.Title, r.Summary, r.Source, string(r.BodyFormat), r.Body, r.Section.Slug,
		imgURL, imgAlt, imgW, imgH, published, now, r.ReadingTimeMinutes, r.Sample).Scan(&id)
	if err != nil {
		return 0, err
	}
	for _, q := range []string{"DELETE FROM article_tags WHERE article_id = ?", "DELETE FROM article_authors WHERE article_id = ?", "DELETE FROM article_related WHERE article_id = ?"} {
		if _, err := s.exec(ctx, tx, q, id); err != nil {
			return 0, err
		}
	}
	for i, t := range r.Tags {
		if err := s.upsertName(ctx, tx, "tags", t.Slug, t.Name, names); err != nil {
			return 0, err
		}
		if _, err := s.exec(ctx, tx, "INSERT INTO article_tags (article_id, tag_slug, position) VALUES (?, ?, ?)", id, t.Slug, i); err != nil {
			return 0, err
		}
	}
	for i, a := range r.Authors {
		if err := s.upsertName(ctx, tx, "authors", a.Slug, a.Name, names); err != nil {
			return 0, err
		}
		if _, err := s.exec(ctx, tx, "INSERT INTO article_authors (article_id, author_slug, position) VALUES (?, ?, ?)", id, a.Slug, i); err != nil {
			return 0, err
		}
	}
	for i, slug := range r.Related {
		if _, err := s.exec(ctx, tx, "INSERT INTO article_related (article_id, position, related_slug) VALUES (?, ?, ?)", id, i, slug); err != nil {
			return 0, err
		}
	}
	s.queries.Add(1)
	if err := s.d.index(ctx, tx, id, r.Title, r.Summary, content.PlainText(r.Body)); err != nil {
		return 0, fmt.Errorf("index: %w", err)
	}
	return id, nil
}

// DeleteArticle removes the article with slug and its links.
func (s *DB) DeleteArticle(ctx context.Context, slug string, inv *content.Invalidation) (bool, error) {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return false, fmt.Errorf("store: delete %q: %w", slug, err)
	}
	defer tx.Rollback()
	var id int64
	s.queries.Add(1)
	err = tx.QueryRowContext(ctx, s.d.rebind("DELETE FROM articles WHERE slug = ? RETURNING id"), slug).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: delete %q: %w", slug, err)
	}
	if err := s.d.unindex(ctx, tx, id); err != nil {
		return false, fmt.Errorf("store: delete %q: unindex: %w", slug, err)
	}
	if err := s.logInvalidation(ctx, tx, inv); err != nil {
		return false, fmt.Errorf("store: delete %q: %w", slug, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("store: delete %q: commit: %w", slug, err)
	}
	return true, nil
}

// CreateKey stores an editor key.
func (s *DB) CreateKey(ctx context.Context, k content.EditorKey) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: create key: %w", err)
	}
	defer tx.Rollback()
	if _, err := s.exec(ctx, tx, "INSERT INTO editor_keys (id, name, secret_hash, created_ms) VALUES (?, ?, ?, ?)",
		k.ID, k.Name, k.SecretHash, k.CreatedAt.UnixMilli()); err != nil {
		return fmt.Errorf("store: create key %q: %w", k.Name, err)
	}
	return tx.Commit()
}

const keyColumns = "id, name, secret_hash, created_ms, last_used_ms, revoked_ms"

func scanKey(r scanner) (*content.EditorKey, error) {
	var (
		k             content.EditorKey
		created       int64
		used, revoked sql.NullInt64
	)
	if err := r.Scan(&k.ID, &k.Name, &k.SecretHash, &created, &used, &revoked); err != nil {
		return nil, err
	}
	k.CreatedAt = time.UnixMilli(created).UTC()
	k.LastUsedAt, k.RevokedAt = msTime(used), msTime(revoked)
	return &k, nil
}

// msTime is a nullable millisecond column as a time.
func msTime(ms sql.NullInt64) *time.Time {
	if !ms.Valid {
		return nil
	}
	t := time.UnixMilli(ms.Int64).UTC()
	return &t
}

// Key returns the editor key with the public id.
func (s *DB) Key(ctx context.Context, id string) (*content.EditorKey, error) {
	k, err := scanKey(s.queryRow(ctx, "SELECT "+keyColumns+" FROM editor_keys WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &content.NotFoundError{Kind: "key", Key: id}
	}
	if err != nil {
		return nil, fmt.Errorf("store: get key: %w", err)
	}
	return k, nil
}

// Keys lists every editor key, oldest first.
func (s *DB) Keys(ctx context.Context) ([]content.EditorKey, error) {
	rows, err := s.query(ctx, "SELECT "+keyColumns+" FROM editor_keys ORDER BY created_ms, id")
	if err != nil {
		return nil, fmt.Errorf("store: keys: %w", err)
	}
	defer rows.Close()
	out := []content.EditorKey{}
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("store: keys: %w", err)
		}
		out = append(out, *k)
	}
	return out, rows.Err()
}

// RevokeKey stamps a key revoked; a revoked key keeps its first stamp.
func (s *DB) RevokeKey(ctx context.Context, id string, at time.Time) error {
	n, err := s.update(ctx, "UPDATE editor_keys SET revoked_ms = COALESCE(revoked_ms, ?) WHERE id = ?", at.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("store: revoke key %s: %w", id, err)
	}
	if n == 0 {
		return &content.NotFoundError{Kind: "key", Key: id}
	}
	return nil
}

// TouchKey records a key's use; an older stamp never replaces a newer one.
func (s *DB) TouchKey(ctx context.Context, id string, at time.Time) error {
	ms := at.UnixMilli()
	if _, err := s.update(ctx, "UPDATE editor_keys SET last_used_ms = ? WHERE id = ? AND (last_used_ms IS NULL OR last_used_ms < ?)", ms, id, ms); err != nil {
		return fmt.Errorf("store: touch key %s: %w", id, err)
	}
	return nil
}

// update runs one statement in its own transaction and returns the rows it
// changed.
func (s *DB) update(ctx context.Context, q string, args ...any) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	res, err := s.exec(ctx, tx, q, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	return n, tx.Commit()
}

// Stores is every store the domain needs, all kept in this database.
func (s *DB) Stores() content.Stores {
	return content.Stores{
		Articles: s, Related: s, Writes: s, Changes: s, Publish: s, Keys: s, Installation: s, Health: s,
		Partners: s, Subscribers: s, Outbox: s, Webhooks: s, Deliveries: s,
	}
}
