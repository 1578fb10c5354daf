// Package testenv finds the real services tests run against (PostgreSQL,
// Redis, Chromium). A missing service skips the test on a laptop, but fails
// it when BYLINE_TEST_REQUIRE names it, as CI does.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the driver the store uses
)

// Required reports whether BYLINE_TEST_REQUIRE names service.
func Required(service string) bool {
	for _, s := range strings.Split(os.Getenv("BYLINE_TEST_REQUIRE"), ",") {
		if strings.TrimSpace(s) == service {
			return true
		}
	}
	return false
}

// Missing skips t, or fails it when the service is required.
func Missing(t testing.TB, service string, err error) {
	t.Helper()
	if Required(service) {
		t.Fatalf("%s is required (BYLINE_TEST_REQUIRE) but unavailable: %v", service, err)
	}
	t.Skipf("%s unavailable: %v", service, err)
}

// PostgresURL is the server tests use.
func PostgresURL() string {
	if u := os.Getenv("BYLINE_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// RedisAddr is the Redis tests use.
func RedisAddr() string {
	if a := os.Getenv("BYLINE_TEST_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// RandomName is a fresh identifier for a schema, key prefix or file.
func RandomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// PostgresSchema makes an empty schema for one test and returns a URL whose
// connections use it; the schema is dropped when the test ends.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	base := PostgresURL()
	db, err := sql.Open("pgx", base)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err = db.PingContext(ctx)
		cancel()
	}
	if err != nil {
		Missing(t, "postgres", err)
	}
	schema := RandomName("t_")
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		_, _ = db.Exec("DROP SCHEMA " + schema + " CASCADE")
		db.Close()
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// Redis returns the address of a reachable Redis, or skips/fails.
func Redis(t testing.TB) string {
	t.Helper()
	addr := RedisAddr()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		Missing(t, "redis", err)
	}
	c.Close()
	return addr
}
