package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// dialect is what differs between the engines.
type dialect interface {
	name() string
	// rebind turns ? placeholders into the engine's.
	rebind(q string) string
	// searchClause is a WHERE fragment (with one placeholder) matching
	// articles "a" against a reader's search, and the argument for it; ok
	// is false when the search has no searchable word.
	searchClause(search string) (clause string, arg any, ok bool)
	// index makes article id findable by its text, inside tx.
	index(ctx context.Context, tx *sql.Tx, id int64, title, summary, plain string) error
	// unindex forgets article id, inside tx.
	unindex(ctx context.Context, tx *sql.Tx, id int64) error
	// lockMigrations serialises concurrent migrators, inside tx.
	lockMigrations(ctx context.Context, tx *sql.Tx) error
	// lockWrites serialises writers, inside tx.
	lockWrites(ctx context.Context, tx *sql.Tx) error
}

type sqlite struct{}

func (sqlite) name() string           { return "sqlite" }
func (sqlite) rebind(q string) string { return q }

// searchClause quotes every word, so a reader's text can never be FTS5
// syntax; the last word matches as a prefix, for search-as-you-type.
func (sqlite) searchClause(search string) (string, any, bool) {
	words := strings.FieldsFunc(search, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if len(words) == 0 {
		return "", nil, false
	}
	if len(words) > 16 {
		words = words[:16]
	}
	for i, w := range words {
		words[i] = `"` + w + `"`
	}
	words[len(words)-1] += "*"
	return "a.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)", strings.Join(words, " "), true
}

func (d sqlite) index(ctx context.Context, tx *sql.Tx, id int64, title, summary, plain string) error {
	if err := d.unindex(ctx, tx, id); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "INSERT INTO articles_fts (rowid, title, summary, body) VALUES (?, ?, ?, ?)", id, title, summary, plain)
	return err
}

func (sqlite) unindex(ctx context.Context, tx *sql.Tx, id int64) error {
	_, err := tx.ExecContext(ctx, "DELETE FROM articles_fts WHERE rowid = ?", id)
	return err
}

// SQLite transactions here begin IMMEDIATE (see the DSN), which already
// serialises writers.
func (sqlite) lockMigrations(context.Context, *sql.Tx) error { return nil }
func (sqlite) lockWrites(context.Context, *sql.Tx) error     { return nil }

type postgres struct{}

func (postgres) name() string { return "postgres" }

func (postgres) rebind(q string) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// websearch_to_tsquery accepts any text without syntax errors.
func (postgres) searchClause(search string) (string, any, bool) {
	if strings.IndexFunc(search, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) < 0 {
		return "", nil, false
	}
	return "a.search @@ websearch_to_tsquery('english', ?)", search, true
}

func (postgres) index(ctx context.Context, tx *sql.Tx, id int64, title, summary, plain string) error {
	_, err := tx.ExecContext(ctx, `UPDATE articles SET search =
		setweight(to_tsvector('english', $2), 'A') ||
		setweight(to_tsvector('english', $3), 'B') ||
		to_tsvector('english', $4) WHERE id = $1`, id, title, summary, plain)
	return err
}

func (postgres) unindex(context.Context, *sql.Tx, int64) error { return nil } // the row goes

// A fixed advisory lock id: replicas starting together migrate one at a time.
func (postgres) lockMigrations(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(7242091)")
	if err != nil {
		return fmt.Errorf("lock migrations: %w", err)
	}
	return nil
}

// A second advisory lock id for content writes: they commit one at a time.
func (postgres) lockWrites(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(7242092)")
	if err != nil {
		return fmt.Errorf("lock writes: %w", err)
	}
	return nil
}
