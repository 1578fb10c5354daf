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
// already public in every answer.
func (s *DB) AnnounceDue(ctx context.Context, now time.Time, build func(due []*content.ArticleRecord) *content.Invalidation) (*content.Invalidation, error) {
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
	for _, slug := range slugs {
		r, err := s.record(ctx, tx, slug)
		if err != nil {
			return nil, fmt.Errorf("store: announce %q: %w", slug, err)
		}
		if r != nil {
			due = append(due, r)
		}
	}
	var inv *content.Invalidation
	if len(due) > 0 {
		inv = build(due)
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
