// Package store is the domain's stores (content.Stores) over database/sql, for two engines: SQLite
// (pure Go, the embedded default) and PostgreSQL (pgx, for production). The
// engines share every query that standard SQL can say; what differs (DDL,
// full-text search, placeholders, locking) sits behind the small dialect
// type, so one test suite proves both.
package store
