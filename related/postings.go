package related

import (
	"math"
	"slices"
	"sort"
)

// rdoc is one indexed story.
type rdoc struct {
	id        int64
	published int64 // unix ms; 0: not public
	slug      int32 // in slugs
	section   int32
	tags      span    // tag ids, in ints
	title     span    // word ids of the title, in ints, for near-duplicate checks
	terms     span    // termTF sorted by word id, in terms
	length    float32 // sum of kept term frequencies
	live      bool
}

// termTF is a word id and its frequency in one story (title boosted).
type termTF struct {
	id int32
	tf float32
}

// tf is r's frequency of word id, 0 when it was not kept.
func (x *Index) tf(r *rdoc, id int32) float32 {
	terms := x.terms.list(r.terms)
	i, ok := slices.BinarySearchFunc(terms, id, func(t termTF, id int32) int { return int(t.id - id) })
	if !ok {
		return 0
	}
	return terms[i].tf
}

// posting is one story's entry under a word: its BM25 term-frequency
// component, fixed when the story is indexed.
type posting struct {
	doc    int32
	impact float32
}

// plist is a posting list whose head (up to sorted) is ordered by impact,
// highest first, and whose tail holds recent additions. A ranking reads
// only the head's best scanLimit entries and the tail: the stories where a
// word matters most. That bounds a ranking's cost whatever the corpus size.
type plist struct {
	list   span // of plists
	sorted int
}

// tlist is a tag's stories, the head ordered newest first.
type tlist struct {
	list   span // of tlists
	sorted int
}

// scanLimit is how many of a list's best entries a ranking reads.
const scanLimit = 500

// tailLimit is how long a list's unsorted tail may grow before it is sorted
// in: small, so a ranking's reads stay bounded between rebuilds.
const tailLimit = 256

func (x *Index) sortTerm(pl *plist) {
	slices.SortFunc(x.plists.list(pl.list), func(p, q posting) int { return cmpDesc(p.impact, q.impact, p.doc, q.doc) })
	pl.sorted = int(pl.list.n)
}

func (x *Index) sortTag(tl *tlist) {
	slices.SortFunc(x.tlists.list(tl.list), func(p, q int32) int {
		return cmpDesc(float32(x.docs[p].published), float32(x.docs[q].published), p, q)
	})
	tl.sorted = int(tl.list.n)
}

// cmpDesc orders by value, highest first, then by number.
func cmpDesc(a, b float32, i, j int32) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return int(i - j)
}

// wordID interns a word, growing the per-word arrays.
func (x *Index) wordID(w string) int32 {
	id := x.words.id(w)
	for int(id) >= len(x.postings) {
		x.postings = append(x.postings, plist{})
		x.df = append(x.df, 0)
	}
	return id
}

func (x *Index) tagID(t string) int32 {
	id := x.tagIDs.id(t)
	for int(id) >= len(x.tagLists) {
		x.tagLists = append(x.tagLists, tlist{})
	}
	return id
}

// putLocked adds a story, keeping its most characteristic words; a list
// whose tail passes limit (≥ 0) is sorted.
func (x *Index) putLocked(a analysed, limit int) {
	d := a.doc
	if n, ok := x.number(d.Slug); ok {
		x.removeLocked(n)
	}
	r := rdoc{id: d.ID, slug: x.slugs.id(d.Slug), live: true, section: x.sections.id(d.Section)}
	if d.Published != nil {
		r.published = d.Published.UnixMilli()
	}
	ids := make([]int32, 0, max(len(d.Tags), len(a.title)))
	for _, t := range d.Tags {
		ids = append(ids, x.tagID(t))
	}
	r.tags = x.ints.put(ids)
	ids = ids[:0]
	for _, t := range a.title {
		ids = append(ids, x.wordID(t))
	}
	r.title = x.ints.put(ids)
	var terms []termTF
	terms, r.length = x.keptTerms(a)
	r.terms = x.terms.put(terms)

	var num int32
	if k := len(x.free); k > 0 {
		num, x.free = x.free[k-1], x.free[:k-1]
		x.docs[num] = r
	} else {
		num = int32(len(x.docs))
		x.docs = append(x.docs, r)
	}
	for int(r.slug) >= len(x.bySlug) {
		x.bySlug = append(x.bySlug, -1)
	}
	x.bySlug[r.slug] = num
	x.live++
	x.sumLen += float64(r.length)
	avg := float32(x.sumLen / float64(x.live))
	const k1, b = 1.2, 0.75
	for _, tt := range terms {
		x.df[tt.id]++
		pl := &x.postings[tt.id]
		tf := tt.tf
		x.plists.push(&pl.list, posting{doc: num, impact: tf * (k1 + 1) / (tf + k1*(1-b+b*r.length/avg))})
		if limit >= 0 && int(pl.list.n)-pl.sorted > limit {
			x.sortTerm(pl)
		}
	}
	for _, t := range x.ints.list(r.tags) {
		tl := &x.tagLists[t]
		x.tlists.push(&tl.list, num)
		if limit >= 0 && int(tl.list.n)-tl.sorted > limit {
			x.sortTag(tl)
		}
	}
	if limit >= 0 {
		x.compactLocked(false)
	}
}

// keptTerms are the story's words with the highest tf-idf at the time of
// indexing, at most DocTerms of them, sorted by id, and the sum of their
// frequencies (the story's length for BM25).
func (x *Index) keptTerms(a analysed) ([]termTF, float32) {
	n := float64(x.live + 1)
	type kv struct {
		id int32
		w  float64
		tf float32
	}
	// Words in order, so ids (and every tie below) do not depend on map
	// iteration: the same corpus always gives the same index.
	words := make([]string, 0, len(a.tf))
	for t := range a.tf {
		words = append(words, t)
	}
	slices.Sort(words)
	ranked := make([]kv, 0, len(words))
	for _, t := range words {
		id := x.wordID(t)
		ranked = append(ranked, kv{id, float64(a.tf[t]) * math.Log(1+n/float64(x.df[id]+1)), a.tf[t]})
	}
	sort.SliceStable(ranked, func(i, j int) bool { return ranked[i].w > ranked[j].w })
	if len(ranked) > x.cfg.DocTerms {
		ranked = ranked[:x.cfg.DocTerms]
	}
	terms := make([]termTF, len(ranked))
	var length float32
	for i, kv := range ranked {
		terms[i] = termTF{kv.id, kv.tf}
		length += kv.tf
	}
	slices.SortFunc(terms, func(p, q termTF) int { return int(p.id - q.id) })
	return terms, length
}

func (x *Index) removeLocked(n int32) {
	r := &x.docs[n]
	for _, tt := range x.terms.list(r.terms) {
		pl := &x.postings[tt.id]
		if i := slices.IndexFunc(x.plists.list(pl.list), func(p posting) bool { return p.doc == n }); i >= 0 {
			x.plists.del(&pl.list, i) // order kept
			if i < pl.sorted {
				pl.sorted--
			}
		}
		x.df[tt.id]--
	}
	for _, t := range x.ints.list(r.tags) {
		tl := &x.tagLists[t]
		if i := slices.Index(x.tlists.list(tl.list), n); i >= 0 {
			x.tlists.del(&tl.list, i)
			if i < tl.sorted {
				tl.sorted--
			}
		}
	}
	x.live--
	x.sumLen -= float64(r.length)
	x.bySlug[r.slug] = -1
	x.ints.free(&r.tags)
	x.ints.free(&r.title)
	x.terms.free(&r.terms)
	x.docs[n] = rdoc{}
	x.free = append(x.free, n)
}

// compactLocked copies out the room that moved and removed lists left in
// the arenas, once it is a third of an arena; all compacts every arena and
// trims the lists' spare room (after a bulk load). A compaction holds the
// write lock while it copies an arena, which is why it waits for a third:
// its cost is paid once per many thousand writes.
func (x *Index) compactLocked(all bool) {
	if all || x.ints.wasteful() {
		x.ints.compact(all, func(visit func(*span)) {
			for i := range x.docs {
				visit(&x.docs[i].tags)
				visit(&x.docs[i].title)
			}
		})
	}
	if all || x.terms.wasteful() {
		x.terms.compact(all, func(visit func(*span)) {
			for i := range x.docs {
				visit(&x.docs[i].terms)
			}
		})
	}
	if all || x.plists.wasteful() {
		x.plists.compact(all, func(visit func(*span)) {
			for i := range x.postings {
				visit(&x.postings[i].list)
			}
		})
	}
	if all || x.tlists.wasteful() {
		x.tlists.compact(all, func(visit func(*span)) {
			for i := range x.tagLists {
				visit(&x.tagLists[i].list)
			}
		})
	}
}
