package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hostileRequests are requests an anonymous attacker can send, each a few
// KB to a few hundred KB, that once pinned the CPU, blew up memory or
// answered INTERNAL with a stack in the log.
func hostileRequests() []struct {
	name   string
	body   []byte
	status int
	code   string
} {
	var frags strings.Builder
	for i := range 40 {
		fmt.Fprintf(&frags, "fragment F%d on Article { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	frags.WriteString("fragment F40 on Article { slug }\n")
	bomb := `{ article(slug: "` + seedSlug + `") { ...F0 } }` + "\n" + frags.String()

	repeated := "{ " + strings.Repeat("sections { slug } ", 20000) + "}"
	var aliases strings.Builder
	aliases.WriteString("{ ")
	for i := range 1000 {
		fmt.Fprintf(&aliases, `a%d: articles(first: 1, search: "a") { totalCount } `, i)
	}
	aliases.WriteString("}")
	var fewAliases strings.Builder
	fewAliases.WriteString("{ ")
	for i := range 40 {
		fmt.Fprintf(&fewAliases, `a%d: articles(first: 1, search: "a") { totalCount } `, i)
	}
	fewAliases.WriteString("}")
	batch := "[" + strings.TrimSuffix(strings.Repeat(`{"query":"{ sections { slug } }"},`, 100), ",") + "]"
	return []struct {
		name   string
		body   []byte
		status int
		code   string
	}{
		{"fragments spreading the next twice", gql(bomb), 200, "QUERY_TOO_COMPLEX"},
		{"a fragment that spreads itself", gql(`{ article(slug: "x") { ...A } } fragment A on Article { ...B } fragment B on Article { ...A }`), 422, "BAD_USER_INPUT"},
		{"one field 20,000 times", gql(repeated), 200, "QUERY_TOO_COMPLEX"},
		{"1,000 aliased searches with counts", gql(aliases.String()), 200, "QUERY_TOO_COMPLEX"},
		{"40 aliased searches with counts", gql(fewAliases.String()), 200, "QUERY_TOO_COMPLEX"},
		{"a body that is an empty list", []byte(`[]`), 400, "BAD_USER_INPUT"},
		{"a body that is a number", []byte(`1`), 400, "BAD_USER_INPUT"},
		{"a body that is a string", []byte(`"x"`), 400, "BAD_USER_INPUT"},
		{"a query that is a number", []byte(`{"query":1}`), 400, "BAD_USER_INPUT"},
		{"variables that are a string", []byte(`{"query":"{ sections { slug } }","variables":"x"}`), 400, "BAD_USER_INPUT"},
		{"a batch of 100", []byte(batch), 400, "BAD_USER_INPUT"},
		{"null", []byte(`null`), 400, "BAD_USER_INPUT"},
		{"an empty object", []byte(`{}`), 400, "BAD_USER_INPUT"},
	}
}

// TestHostileRequests sends each hostile request to the real gateway: each
// is answered with a code, fast, with no panic or stack trace in the log,
// and the gateway answers a normal query afterwards.
func TestHostileRequests(t *testing.T) {
	a := newApp(t)
	// Server CPU per request; the race detector costs several times over.
	budget := 100 * time.Millisecond
	if raceEnabled {
		budget *= 10
	}
	for _, c := range hostileRequests() {
		t.Run(c.name, func(t *testing.T) {
			before := cpuTime(t)
			r := a.post(c.body)
			used := cpuTime(t) - before
			if r.Status != c.status || r.code() != c.code {
				t.Errorf("status %d code %q, want %d %q: %s", r.Status, r.code(), c.status, c.code, trim(r.Raw))
			}
			if used > budget {
				t.Errorf("took %v of CPU, budget %v", used, budget)
			}
		})
	}
	t.Run("a malformed publishedAt", func(t *testing.T) {
		key, err := a.svc.CreateKey(context.Background(), "hostile")
		if err != nil {
			t.Fatal(err)
		}
		r := a.query(`mutation { upsertArticle(input: {slug: "x-date", title: "X", section: "news", publishedAt: "yesterday"}) { slug } }`, nil, "Authorization", "Bearer "+key)
		if r.code() != "BAD_USER_INPUT" {
			t.Errorf("code %q, want BAD_USER_INPUT: %s", r.code(), trim(r.Raw))
		}
	})
	if logs := a.logs.String(); strings.Contains(logs, "panic") || strings.Contains(logs, "goroutine ") {
		t.Errorf("the log holds a panic or a stack:\n%.2000s", logs)
	}
	if r := a.query(`{ sections { slug } }`, nil); r.Status != 200 || len(r.Errors) > 0 {
		t.Fatalf("unhealthy after hostile input: %s", trim(r.Raw))
	}
}

// TestPersistedJunkIsNotStored registers junk under correct hashes: none of
// it may be stored, so a later request by hash alone finds nothing.
func TestPersistedJunkIsNotStored(t *testing.T) {
	a := newApp(t)
	junk := bytes.Repeat([]byte("not graphql "), 2000) // 24 KB
	var hashes []string
	for i := range 200 {
		q := fmt.Sprintf("%d %s", i, junk)
		sum := sha256.Sum256([]byte(q))
		h := hex.EncodeToString(sum[:])
		hashes = append(hashes, h)
		body, _ := json.Marshal(map[string]any{"query": q, "extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": h}}})
		if r := a.post(body); r.code() != "BAD_USER_INPUT" {
			t.Fatalf("junk %d: %d %q", i, r.Status, r.code())
		}
	}
	for _, h := range hashes[:5] {
		body, _ := json.Marshal(map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": h}}})
		if r := a.post(body); r.code() != "PERSISTED_QUERY_NOT_FOUND" {
			t.Fatalf("junk %s was stored: %d %q %s", h[:8], r.Status, r.code(), trim(r.Raw))
		}
	}
	// A valid document is still stored.
	q := `{ sections { slug } }`
	sum := sha256.Sum256([]byte(q))
	h := hex.EncodeToString(sum[:])
	reg, _ := json.Marshal(map[string]any{"query": q, "extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": h}}})
	if r := a.post(reg); len(r.Errors) > 0 {
		t.Fatal(trim(r.Raw))
	}
	byHash, _ := json.Marshal(map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": h}}})
	if r := a.post(byHash); len(r.Errors) > 0 {
		t.Fatalf("a valid persisted query was not stored: %s", trim(r.Raw))
	}
}

// cpuTime is the CPU this process has used, user and system.
func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
