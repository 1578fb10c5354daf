package store_test

import (
	"context"
	"testing"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/store"
)

func TestCursorMovesOnceFromWhereItIs(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *store.DB, _ *content.Service) {
		ctx := context.Background()
		if _, _, ok, err := db.Cursor(ctx, "purge"); ok || err != nil {
			t.Fatalf("a new cursor: ok %v err %v", ok, err)
		}
		steps := []struct {
			name     string
			from, to int64
			moved    bool
		}{
			{"starts from zero", 0, 5, true},
			{"a second start loses", 0, 7, false},
			{"moves on from where it is", 5, 9, true},
			{"a stale mover loses", 5, 12, false},
		}
		for _, s := range steps {
			moved, err := db.MoveCursor(ctx, "purge", s.from, s.to, now)
			if err != nil || moved != s.moved {
				t.Fatalf("%s: moved %v err %v, want %v", s.name, moved, err, s.moved)
			}
		}
		id, at, ok, err := db.Cursor(ctx, "purge")
		if err != nil || !ok || id != 9 || !at.Equal(now) {
			t.Fatalf("cursor = %d %v %v %v, want 9 at %v", id, at, ok, err, now)
		}
	})
}
