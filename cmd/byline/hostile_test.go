package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bylinehq/byline/internal/hostile"
)

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
	for _, c := range hostile.Requests(seedSlug) {
		t.Run(c.Name, func(t *testing.T) {
			before := cpuTime(t)
			r := a.post(c.Body)
			used := cpuTime(t) - before
			if r.Status != c.Status || r.code() != c.Code {
				t.Errorf("status %d code %q, want %d %q: %s", r.Status, r.code(), c.Status, c.Code, trim(r.Raw))
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

// TestDistinctHugeDocumentsStayBounded: valid 900 KB documents, each new,
// may not pile up in the parsed-document or response caches. Unbounded,
// 150 of them held over a gigabyte of ASTs.
func TestDistinctHugeDocumentsStayBounded(t *testing.T) {
	a := newApp(t)
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	for i := range 150 {
		if r := a.post(hostile.Padded(i, 900<<10)); r.Status != 200 || len(r.Errors) > 0 {
			t.Fatalf("document %d: %d %s", i, r.Status, trim(r.Raw))
		}
	}
	// L1 (64 MiB) and the document cache (16 MiB) may fill; nothing else.
	if grew := int64(heap()) - int64(before); grew > 100<<20 {
		t.Errorf("the live heap grew %d MiB over 150 distinct 900 KB documents", grew>>20)
	}
}
