package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Cursor is how far a consumer of the invalidation log (the CDN purger)
// has got: the last id it handled and when it moved. ok is false for a
// consumer that never moved.
func (s *DB) Cursor(ctx context.Context, name string) (id int64, at time.Time, ok bool, err error) {
	var ms int64
	err = s.queryRow(ctx, "SELECT id, at_ms FROM cursors WHERE name = ?", name).Scan(&id, &ms)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, time.Time{}, false, nil
	case err != nil:
		return 0, time.Time{}, false, fmt.Errorf("store: cursor %q: %w", name, err)
	}
	return id, time.UnixMilli(ms), true, nil
}

// MoveCursor moves a consumer's cursor from one id to the next, only if it
// is still at from (a consumer that never moved is at 0): replicas running
// the same consumer do not move it twice, and the one that loses knows.
func (s *DB) MoveCursor(ctx context.Context, name string, from, to int64, at time.Time) (bool, error) {
	n, err := s.update(ctx, "UPDATE cursors SET id = ?, at_ms = ? WHERE name = ? AND id = ?", to, at.UnixMilli(), name, from)
	if err != nil {
		return false, fmt.Errorf("store: move cursor %q: %w", name, err)
	}
	if n > 0 || from != 0 {
		return n > 0, nil
	}
	n, err = s.update(ctx, "INSERT INTO cursors (name, id, at_ms) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING", name, to, at.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("store: start cursor %q: %w", name, err)
	}
	return n > 0, nil
}
