package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/store"
)

// TestKeysRevoke: a revoked key is refused on the very next request, the
// others keep working, and the list shows who used what when.
func TestKeysRevoke(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *store.DB, svc *content.Service) {
		ctx := context.Background()
		start := now
		t.Cleanup(func() { now = start })
		desk, err := svc.CreateKey(ctx, "newsdesk")
		if err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Hour)
		sport, err := svc.CreateKey(ctx, "sport")
		if err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Hour)
		k, err := svc.Authenticate(ctx, desk)
		if err != nil {
			t.Fatal(err)
		}
		keys, err := svc.Keys(ctx)
		if err != nil || len(keys) != 2 {
			t.Fatalf("keys = %+v, %v", keys, err)
		}
		if keys[0].Name != "newsdesk" || keys[1].Name != "sport" || keys[0].ID != k.ID {
			t.Fatalf("want newsdesk then sport, got %+v", keys)
		}
		if u := keys[0].LastUsedAt; u == nil || !u.Equal(now) {
			t.Errorf("newsdesk last used %v, want %v", u, now)
		}
		if keys[1].LastUsedAt != nil || keys[0].RevokedAt != nil || keys[1].RevokedAt != nil {
			t.Errorf("unused, unrevoked keys show %+v", keys)
		}

		revoked, err := svc.RevokeKey(ctx, k.ID)
		if err != nil || revoked.RevokedAt == nil || !revoked.RevokedAt.Equal(now) || revoked.Name != "newsdesk" {
			t.Fatalf("revoke: %+v, %v", revoked, err)
		}
		if _, err := svc.Authenticate(ctx, desk); err != content.ErrUnauthenticated {
			t.Fatalf("a revoked key authenticated: %v", err)
		}
		if _, err := svc.Authenticate(ctx, sport); err != nil {
			t.Fatalf("revoking one key broke another: %v", err)
		}

		cases := []struct {
			name, id string
			check    func(t *testing.T, k *content.EditorKey, err error)
		}{
			{"again keeps the first time", k.ID, func(t *testing.T, got *content.EditorKey, err error) {
				if err != nil || got.RevokedAt == nil || !got.RevokedAt.Equal(*revoked.RevokedAt) {
					t.Fatalf("%+v, %v; want revoked at %v", got, err, revoked.RevokedAt)
				}
			}},
			{"by a whole token", sport, func(t *testing.T, got *content.EditorKey, err error) {
				if err != nil || got.Name != "sport" || got.RevokedAt == nil {
					t.Fatalf("%+v, %v", got, err)
				}
				if _, err := svc.Authenticate(ctx, sport); err != content.ErrUnauthenticated {
					t.Fatalf("a revoked key authenticated: %v", err)
				}
			}},
			{"unknown id", "0123456789ab", func(t *testing.T, _ *content.EditorKey, err error) {
				if !content.IsNotFound(err) {
					t.Fatalf("want not found, got %v", err)
				}
			}},
			{"not an id", "newsdesk; DROP TABLE editor_keys", func(t *testing.T, _ *content.EditorKey, err error) {
				var inv *content.InvalidError
				if !errors.As(err, &inv) || inv.Field != "id" {
					t.Fatalf("want an InvalidError about id, got %v", err)
				}
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				now = now.Add(time.Minute)
				got, err := svc.RevokeKey(ctx, c.id)
				c.check(t, got, err)
			})
		}
		if keys, _ := svc.Keys(ctx); len(keys) != 2 || keys[0].RevokedAt == nil || keys[1].RevokedAt == nil {
			t.Fatalf("after revoking both: %+v", keys)
		}
	})
}

func TestKeyNames(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *store.DB, svc *content.Service) {
		for _, c := range []struct{ name, key string }{
			{"empty", "  "},
			{"too long", strings.Repeat("k", 101)},
			{"terminal escape", "desk\x1b]0;pwned\x07"},
			{"newline", "desk\nroot"},
		} {
			t.Run(c.name, func(t *testing.T) {
				var inv *content.InvalidError
				if _, err := svc.CreateKey(context.Background(), c.key); !errors.As(err, &inv) {
					t.Fatalf("want an InvalidError, got %v", err)
				}
			})
		}
	})
}
