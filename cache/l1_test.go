package cache

import (
	"fmt"
	"strings"
	"testing"
)

// TestL1CountsWhatAnEntryHolds: an entry's tags and its gzip body count
// against L1's budget, so entries with long tag lists cannot grow the heap
// past it.
func TestL1CountsWhatAnEntryHolds(t *testing.T) {
	cases := []struct {
		name  string
		entry func() *entry
		least int64
	}{
		{"many tags", func() *entry {
			e := &entry{Body: []byte("{}")}
			for i := range 1000 {
				e.Tags = append(e.Tags, fmt.Sprintf("Article:%s-%d", strings.Repeat("x", 40), i))
			}
			return e
		}, 1000 * 50},
		{"a gzip body", func() *entry { return &entry{Body: []byte("{}"), Gzip: make([]byte, 64<<10)} }, 64 << 10},
		{"a long surrogate key", func() *entry { return &entry{Body: []byte("{}"), Surrogate: strings.Repeat("k ", 20000)} }, 40000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := newL1(1 << 30)
			l.put("k", c.entry(), nil)
			if _, n := l.size(); n < c.least {
				t.Errorf("L1 counts %d bytes, want at least %d", n, c.least)
			}
		})
	}
	t.Run("the budget holds", func(t *testing.T) {
		const budget = 4 << 20
		l := newL1(budget)
		for i := range 2000 {
			e := &entry{Body: []byte("{}")}
			for j := range 100 {
				e.Tags = append(e.Tags, fmt.Sprintf("Article:story-%d-%d", i, j))
			}
			l.put(fmt.Sprintf("key-%d", i), e, nil)
		}
		if _, n := l.size(); n > budget {
			t.Errorf("L1 holds %d bytes, over its budget of %d", n, budget)
		}
	})
}

// TestAPQLocalIsBoundedInBytes: the in-process copy of persisted queries
// holds at most apqLocalBytes, however many large ones arrive.
func TestAPQLocalIsBoundedInBytes(t *testing.T) {
	a := newAPQ(&redisAccess{})
	q := strings.Repeat("{ sections { slug } } ", apqMaxQuery/24)
	for i := range 2 * apqLocalBytes / len(q) {
		a.remember(fmt.Sprintf("%064d", i), q)
	}
	if a.bytes > apqLocalBytes {
		t.Fatalf("holds %d bytes, over %d", a.bytes, apqLocalBytes)
	}
	var n int
	for h, v := range a.local {
		n += len(h) + len(v)
	}
	if n != a.bytes {
		t.Fatalf("counts %d bytes, holds %d", a.bytes, n)
	}
}
