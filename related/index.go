// Package related ranks related stories from an in-memory inverted index of
// words and tags, so that a ranking reads a bounded part of a few lists and
// never scans the corpus (docs/related.md). It knows nothing of articles,
// storage or caching: its callers feed it Docs, one story at a time on every
// write, and decide what of its rankings a reader may see.
package related

import (
	"runtime"
	"sync"
	"time"
	"unsafe"
)

// Doc is what the index knows of a story.
type Doc struct {
	ID        int64
	Slug      string
	Section   string
	Tags      []string // slugs
	Published *time.Time
	Title     string
	Text      string // summary and body as plain text
}

// Index ranks related stories without scanning the corpus: an inverted
// index from words and tags to stories, updated one story at a time.
//
// It holds no pointer per story, word, tag or posting: strings are interned
// to int32 ids (intern.go) and every list is a span of one of a few
// pointer-free arrays (arena.go), so a garbage collection marks the index
// in constant time whatever the corpus size, and the index lives as long as
// the process.
type Index struct {
	cfg Config

	mu       sync.RWMutex
	docs     []rdoc // by internal number; live false where a story was removed
	free     []int32
	slugs    intern  // every slug ever indexed: a removed story's stays, a few bytes
	bySlug   []int32 // by slug id: the story's number, -1 when it is not indexed
	words    intern
	tagIDs   intern
	sections intern
	postings []plist // by word id
	tagLists []tlist // by tag id
	df       []int32 // by word id: in how many stories the word is kept
	live     int
	sumLen   float64
	scratch  sync.Pool

	ints   arena[int32]   // stories' tags and titles
	terms  arena[termTF]  // stories' kept words
	plists arena[posting] // words' posting lists
	tlists arena[int32]   // tags' story lists
}

// New makes an empty index that ranks with cfg.
func New(cfg Config) *Index {
	return &Index{cfg: cfg, slugs: newIntern(), words: newIntern(), tagIDs: newIntern(), sections: newIntern()}
}

// Config is the configuration the index ranks with, for building its
// replacement.
func (x *Index) Config() Config { return x.cfg }

// Len is the number of indexed stories.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.live
}

// number is the story's internal number, if it is indexed.
func (x *Index) number(slug string) (int32, bool) {
	id, ok := x.slugs.lookup(slug)
	if !ok || x.bySlug[id] < 0 {
		return 0, false
	}
	return x.bySlug[id], true
}

// analysed is a story tokenised, before it joins the index.
type analysed struct {
	doc   Doc
	title []string
	tf    map[string]float32
}

// analyse tokenises a story; it needs no lock.
func (x *Index) analyse(d Doc) analysed {
	text := tokens(d.Text)
	// Sized once: a news story has about half as many distinct words as
	// words (the synthetic corpus repeats itself more).
	a := analysed{doc: d, title: tokens(d.Title), tf: make(map[string]float32, len(text)/2)}
	for _, t := range a.title {
		a.tf[t] += float32(x.cfg.TitleBoost)
	}
	for _, t := range text {
		a.tf[t]++
	}
	return a
}

// Put adds a story or replaces what the index knew of it.
func (x *Index) Put(d Doc) {
	a := x.analyse(d)
	x.mu.Lock()
	defer x.mu.Unlock()
	x.putLocked(a, tailLimit)
}

// PutAll indexes many stories at once (start-up, imports), sorting each
// list once at the end instead of as it grows.
func (x *Index) PutAll(docs []Doc) {
	// A chunk at a time: the tokenised form of a whole corpus would be
	// gigabytes at 100k stories; a chunk's is a few megabytes. Tokenising
	// is most of the work and needs no lock, so every core takes a share
	// of each chunk; putting the chunk in stays serial.
	const chunk = 1000
	workers := runtime.GOMAXPROCS(0)
	as := make([]analysed, chunk)
	for len(docs) > 0 {
		part := docs[:min(chunk, len(docs))]
		docs = docs[len(part):]
		as = as[:len(part)]
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := w; i < len(part); i += workers {
					as[i] = x.analyse(part[i])
				}
			})
		}
		wg.Wait()
		x.mu.Lock()
		for _, a := range as {
			x.putLocked(a, -1)
		}
		x.mu.Unlock()
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for i := range x.postings {
		x.sortTerm(&x.postings[i])
	}
	for i := range x.tagLists {
		x.sortTag(&x.tagLists[i])
	}
	x.compactLocked(true)
}

// Remove forgets a story.
func (x *Index) Remove(slug string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if n, ok := x.number(slug); ok {
		x.removeLocked(n)
		x.compactLocked(false)
	}
}

// MemoryEstimate is a rough size of the index in bytes, for reports.
func (x *Index) MemoryEstimate() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	size := cap(x.docs)*int(unsafe.Sizeof(rdoc{})) + cap(x.bySlug)*4 + cap(x.df)*4 +
		cap(x.postings)*int(unsafe.Sizeof(plist{})) + cap(x.tagLists)*int(unsafe.Sizeof(tlist{}))
	size += x.ints.size() + x.terms.size() + x.plists.size() + x.tlists.size()
	size += x.slugs.size() + x.words.size() + x.tagIDs.size() + x.sections.size()
	return size
}
