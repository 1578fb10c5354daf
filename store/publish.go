package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/bylinehq/byline/content"
)

// publishCursor names the cursor whose id is the publication time (unix
// ms) up to which stories have been announced as published.
const publishCursor = "publish"

// NextPublication is the earliest publication time not yet announced: a
// scheduled story's, or a story's whose time has come while no gateway
// announced it. Before the first announcement, only what comes after now
// counts (the first announces nothing). ok is false when there is none.
func (s *DB) NextPublication(ctx context.Context, now time.Time) (time.Time, bool, error) {
	var ms sql.NullInt64
	err := s.queryRow(ctx, "SELECT MIN(published_ms) FROM articles WHERE published_ms > COALESCE((SELECT id FROM cursors WHERE name = ?), ?)",
		publishCursor, now.UnixMilli()).Scan(&ms)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: next publication: %w", err)
	}
	if !ms.Valid {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(ms.Int64).UTC(), true, nil
}

// AnnounceDue logs, in one write transaction, the invalidation build makes
// of the stories whose publication time came since the last announcement
// and moves the announcement up to now. Writes are serialised, so however
// many gateways call it, each story's publication is logged once. The
// first call ever announces nothing: what was published before it is
// already public in every answer. build learns, of each due story, the
// kind of its latest logged change, so that a story its own write already
// made public is not announced as news a second time.
func (s *DB) AnnounceDue(ctx context.Context, now time.Time, build func(due []*content.ArticleRecord, last map[string]content.ChangeKind) *content.Invalidation) (*content.Invalidation, error) {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: announce: begin: %w", err)
	}
	defer tx.Rollback()
	var since int64
	err = s.queryRowOn(ctx, tx, "SELECT id FROM cursors WHERE name = ?", publishCursor).Scan(&since)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = s.exec(ctx, tx, "INSERT INTO cursors (name, id, at_ms) VALUES (?, ?, ?)", publishCursor, now.UnixMilli(), now.UnixMilli())
		if err != nil {
			return nil, fmt.Errorf("store: announce: start: %w", err)
		}
		return nil, tx.Commit()
	case err != nil:
		return nil, fmt.Errorf("store: announce: %w", err)
	}
	rows, err := s.queryOn(ctx, tx, "SELECT slug FROM articles WHERE published_ms > ? AND published_ms <= ? ORDER BY published_ms, id",
		since, now.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("store: announce: due: %w", err)
	}
	var slugs []string
	for rows.Next() {
		var slug string
		if err := rows.Scan(&slug); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: announce: %w", err)
		}
		slugs = append(slugs, slug)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: announce: %w", err)
	}
	var due []*content.ArticleRecord
	last := map[string]content.ChangeKind{}
	for _, slug := range slugs {
		r, err := s.record(ctx, tx, slug)
		if err != nil {
			return nil, fmt.Errorf("store: announce %q: %w", slug, err)
		}
		if r == nil {
			continue
		}
		due = append(due, r)
		if k, ok, err := s.lastChange(ctx, tx, slug); err != nil {
			return nil, fmt.Errorf("store: announce %q: %w", slug, err)
		} else if ok {
			last[slug] = k
		}
	}
	var inv *content.Invalidation
	if len(due) > 0 {
		inv = build(due, last)
		if err := s.logInvalidation(ctx, tx, inv); err != nil {
			return nil, fmt.Errorf("store: announce: %w", err)
		}
	}
	if _, err := s.exec(ctx, tx, "UPDATE cursors SET id = ?, at_ms = ? WHERE name = ?", now.UnixMilli(), now.UnixMilli(), publishCursor); err != nil {
		return nil, fmt.Errorf("store: announce: move: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: announce: commit: %w", err)
	}
	return inv, nil
}

// lastChange is the kind of the latest logged change that names slug; ok
// is false when the log keeps none. Slugs are joined by newlines and hold
// no LIKE wildcards (content.ValidSlug), so the four patterns are exact.
func (s *DB) lastChange(ctx context.Context, on querier, slug string) (content.ChangeKind, bool, error) {
	var kind string
	err := s.queryRowOn(ctx, on, `SELECT kind FROM invalidations
		WHERE slugs = ? OR slugs LIKE ? OR slugs LIKE ? OR slugs LIKE ? ORDER BY id DESC LIMIT 1`,
		slug, slug+"\n%", "%\n"+slug, "%\n"+slug+"\n%").Scan(&kind)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("last change: %w", err)
	}
	return content.ChangeKind(kind), true, nil
}
