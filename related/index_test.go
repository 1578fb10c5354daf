package related

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestIndexStaysConsistent rewrites and removes stories until every arena
// has compacted, then checks the index against what its stories say:
// each kept word's posting list holds the story once, each tag's list
// likewise, document frequencies match, and every slug finds its story.
func TestIndexStaysConsistent(t *testing.T) {
	x, arts := SynthIndex(2000)
	doc := SynthDoc
	r := rand.New(rand.NewPCG(3, 4))
	live := map[string]bool{}
	for _, a := range arts {
		live[a.Slug] = true
	}
	// Rewrites, removals and new stories (which grow the lists until they
	// move): enough that every arena compacts on its own.
	extra := 0
	for round := 0; round < 30000 && (x.ints.compactions < 2 || x.terms.compactions < 2 || x.plists.compactions < 2 || x.tlists.compactions < 2); round++ {
		i := r.IntN(len(arts))
		o := arts[r.IntN(len(arts))]
		d := doc(i, arts[i])
		switch op := r.IntN(10); {
		case op < 2:
			x.Remove(d.Slug)
			live[d.Slug] = false
			continue
		case op < 6:
			extra++
			d.ID, d.Slug = int64(len(arts)+extra), fmt.Sprintf("extra-%d", extra)
		}
		d.Title, d.Text, d.Tags = o.Title, o.Summary+" "+o.Body, o.Tags
		x.Put(d)
		live[d.Slug] = true
	}
	for name, n := range map[string]int{"ints": x.ints.compactions, "terms": x.terms.compactions, "plists": x.plists.compactions, "tlists": x.tlists.compactions} {
		if n < 2 {
			t.Errorf("arena %s compacted %d times: the test did not reach its incremental compaction", name, n)
		}
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	df := make([]int32, len(x.df))
	count := 0
	for slug, want := range live {
		n, ok := x.number(slug)
		if ok != want {
			t.Fatalf("%s: indexed %v, want %v", slug, ok, want)
		}
		if !ok {
			continue
		}
		count++
		d := &x.docs[n]
		if got := x.slugs.str(d.slug); got != slug || !d.live {
			t.Fatalf("story %d: slug %q live %v, want %q", n, got, d.live, slug)
		}
		for _, tt := range x.terms.list(d.terms) {
			df[tt.id]++
			hits := 0
			for _, p := range x.plists.list(x.postings[tt.id].list) {
				if p.doc == n {
					hits++
				}
			}
			if hits != 1 {
				t.Fatalf("%s: in the postings of %q %d times", slug, x.words.str(tt.id), hits)
			}
		}
		for _, tag := range x.ints.list(d.tags) {
			if c := countOf(x.tlists.list(x.tagLists[tag].list), n); c != 1 {
				t.Fatalf("%s: in tag %q's list %d times", slug, x.tagIDs.str(tag), c)
			}
		}
	}
	if count != x.live {
		t.Fatalf("%d live stories, index counts %d", count, x.live)
	}
	if !slices.Equal(df, x.df) {
		t.Fatal("document frequencies differ from the stories' kept words")
	}
	for id := range x.postings {
		if l := x.plists.list(x.postings[id].list); len(l) != int(df[id]) {
			t.Fatalf("word %q: %d postings, %d stories keep it", x.words.str(int32(id)), len(l), df[id])
		}
	}
	if got := x.Rank(arts[0].Slug, 5, time.Now()); live[arts[0].Slug] && got == nil {
		t.Fatal("a live story ranks nothing")
	}
}

func countOf(l []int32, v int32) int {
	c := 0
	for _, x := range l {
		if x == v {
			c++
		}
	}
	return c
}

// TestIndexUnderConcurrentWrites ranks while another goroutine rewrites,
// removes and compacts (run with -race): a ranking reads the arenas only
// under the read lock, and what it returns shares nothing with them.
func TestIndexUnderConcurrentWrites(t *testing.T) {
	x, arts := SynthIndex(600)
	doc := SynthDoc
	now := time.Now()
	got := x.Rank(arts[1].Slug, 5, now)
	if len(got) == 0 {
		t.Fatal("nothing ranked")
	}
	keep := fmt.Sprint(got)
	done := make(chan struct{})
	go func() {
		defer close(done)
		r := rand.New(rand.NewPCG(5, 6))
		for i := 0; i < 3000; i++ {
			k := r.IntN(len(arts))
			if k == 1 {
				continue
			}
			if i%5 == 0 {
				x.Remove(arts[k].Slug)
				continue
			}
			d, o := doc(k, arts[k]), arts[r.IntN(len(arts))]
			d.Title, d.Text, d.Tags = o.Title, o.Summary+" "+o.Body, o.Tags
			x.Put(d)
		}
	}()
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
			for _, e := range x.Rank(arts[(len(arts)/2)].Slug, 5, now) {
				if e.Slug == "" {
					t.Fatal("a ranked story without a slug")
				}
			}
		}
	}
	if fmt.Sprint(got) != keep {
		t.Fatal("a ranking changed after it was returned: it shares memory with the index")
	}
	if x.ints.compactions+x.terms.compactions+x.plists.compactions+x.tlists.compactions <= 4 {
		t.Fatal("no compaction ran during the writes: the test does not cover one")
	}
}
