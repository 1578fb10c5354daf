package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

//go:embed migrations
var migrations embed.FS

// DB is every store the domain needs (content.Stores) over one SQL database.
type DB struct {
	db      *sql.DB
	d       dialect
	queries atomic.Int64
}

// Open connects to dsn and brings its schema up to date. dsn is a file path
// or sqlite: URL for SQLite, a postgres:// URL for PostgreSQL.
func Open(ctx context.Context, dsn string) (*DB, error) {
	var (
		s   *DB
		err error
	)
	switch {
	case strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://"):
		s, err = openPostgres(dsn)
	default:
		s, err = openSQLite(dsn)
	}
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

func openPostgres(dsn string) (*DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(20)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return &DB{db: db, d: postgres{}}, nil
}

// openSQLite opens a file in WAL mode: readers never wait for the writer,
// and writes begin IMMEDIATE so two writers queue instead of deadlocking.
func openSQLite(dsn string) (*DB, error) {
	path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite://"), "sqlite:")
	path, _, _ = strings.Cut(path, "?")
	if path == "" {
		return nil, fmt.Errorf("store: sqlite needs a file path")
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("store: sqlite dir: %w", err)
		}
	}
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite %q: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	return &DB{db: db, d: sqlite{}}, nil
}

// Close closes the database.
func (s *DB) Close() error { return s.db.Close() }

// Engine names the SQL engine: "sqlite" or "postgres".
func (s *DB) Engine() string { return s.d.name() }

// QueryCount is how many statements this store has sent, for tests that
// prove a page costs a constant number of queries.
func (s *DB) QueryCount() int64 { return s.queries.Load() }

// Ping reports whether the database answers.
func (s *DB) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// querier runs reads: the pool, or a write transaction reading under its
// lock.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *DB) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return s.queryOn(ctx, s.db, q, args...)
}

func (s *DB) queryOn(ctx context.Context, on querier, q string, args ...any) (*sql.Rows, error) {
	s.queries.Add(1)
	return on.QueryContext(ctx, s.d.rebind(q), args...)
}

func (s *DB) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return s.queryRowOn(ctx, s.db, q, args...)
}

func (s *DB) queryRowOn(ctx context.Context, on querier, q string, args ...any) *sql.Row {
	s.queries.Add(1)
	return on.QueryRowContext(ctx, s.d.rebind(q), args...)
}

func (s *DB) exec(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	s.queries.Add(1)
	return tx.ExecContext(ctx, s.d.rebind(q), args...)
}

// migrate applies the engine's embedded migrations not yet applied, each in
// its own transaction.
func (s *DB) migrate(ctx context.Context) error {
	dir := "migrations/" + s.d.name()
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	if _, err := s.db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY)"); err != nil {
		return fmt.Errorf("store: migrations table: %w", err)
	}
	for _, name := range names {
		if err := s.apply(ctx, dir, name); err != nil {
			return err
		}
	}
	return nil
}

func (s *DB) apply(ctx context.Context, dir, name string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migrate %s: %w", name, err)
	}
	defer tx.Rollback()
	if err := s.d.lockMigrations(ctx, tx); err != nil {
		return fmt.Errorf("store: migrate %s: %w", name, err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, s.d.rebind("SELECT COUNT(*) FROM schema_migrations WHERE name = ?"), name).Scan(&n); err != nil {
		return fmt.Errorf("store: migrate %s: %w", name, err)
	}
	if n > 0 {
		return nil
	}
	body, err := migrations.ReadFile(dir + "/" + name)
	if err != nil {
		return fmt.Errorf("store: migrate %s: %w", name, err)
	}
	for _, stmt := range strings.Split(string(body), ";\n") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("store: migrate %s: %w", name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.d.rebind("INSERT INTO schema_migrations (name) VALUES (?)"), name); err != nil {
		return fmt.Errorf("store: migrate %s: %w", name, err)
	}
	return tx.Commit()
}

// placeholders is "?, ?, …" for n arguments.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
