package content

import (
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// RelatedDoc is what the related-stories index knows of an article.
type RelatedDoc struct {
	ID        int64
	Slug      string
	Section   string
	Tags      []string // slugs
	Published *time.Time
	Title     string
	Text      string // summary and body as plain text
}

// RankConfig weighs the ranking. The defaults are those the evaluation
// (make eval-related) measured best; see bench/RESULTS.md.
type RankConfig struct {
	TextWeight, TagWeight, SectionWeight float64
	HalfLife                             time.Duration // recency decay
	RecencyFloor                         float64       // the weight an old story keeps, 0..1
	MinScore                             float64       // below it a story is not shown
	TagCardinality                       float64       // tags on more than this share of stories are ignored
	TermCardinality                      float64       // likewise for words
	QueryTerms                           int           // the source's most characteristic words used
	DocTerms                             int           // words kept per story in the index
	TitleBoost                           int           // a title word counts this many times
	MaxTitleSimilarity                   float64       // near-duplicate titles above it are dropped
}

// DefaultRankConfig is the configuration the evaluation chose.
func DefaultRankConfig() RankConfig {
	return RankConfig{
		TextWeight: 0.6, TagWeight: 0.3, SectionWeight: 0.1,
		HalfLife: 365 * 24 * time.Hour, RecencyFloor: 0.7, MinScore: 0.12,
		TagCardinality: 0.2, TermCardinality: 0.3,
		QueryTerms: 20, DocTerms: 64, TitleBoost: 3, MaxTitleSimilarity: 0.6,
	}
}

// The index holds no pointer per story, word, tag or posting (arena.go):
// strings are interned to int32 ids, and every list is a span of one of a
// few pointer-free arrays, so a collection marks the index in constant time
// whatever the corpus size.

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

// termTF is a word id and its frequency in one story (title boosted),
// sorted by id.
type termTF struct {
	id int32
	tf float32
}

// tf is r's frequency of word id, 0 when it was not kept.
func (x *RelatedIndex) tf(r *rdoc, id int32) float32 {
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

// RelatedIndex ranks related stories without scanning the corpus: an
// inverted index from words and tags to stories, updated one story at a
// time on every write.
type RelatedIndex struct {
	cfg RankConfig

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

// NewRelatedIndex makes an empty index.
func NewRelatedIndex(cfg RankConfig) *RelatedIndex {
	return &RelatedIndex{cfg: cfg, slugs: newIntern(), words: newIntern(), tagIDs: newIntern(), sections: newIntern()}
}

// number is the story's internal number, if it is indexed.
func (x *RelatedIndex) number(slug string) (int32, bool) {
	id, ok := x.slugs.lookup(slug)
	if !ok || x.bySlug[id] < 0 {
		return 0, false
	}
	return x.bySlug[id], true
}

// Len is the number of indexed stories.
func (x *RelatedIndex) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.live
}

// analysed is a story tokenised, before it joins the index.
type analysed struct {
	doc   RelatedDoc
	title []string
	tf    map[string]float32
}

// analyse tokenises a story; it needs no lock.
func (x *RelatedIndex) analyse(d RelatedDoc) analysed {
	text := Tokens(d.Text)
	// Sized once: a news story has about half as many distinct words as
	// words (the synthetic corpus repeats itself more).
	a := analysed{doc: d, title: Tokens(d.Title), tf: make(map[string]float32, len(text)/2)}
	for _, t := range a.title {
		a.tf[t] += float32(x.cfg.TitleBoost)
	}
	for _, t := range text {
		a.tf[t]++
	}
	return a
}

// Put adds a story or replaces what the index knew of it.
func (x *RelatedIndex) Put(d RelatedDoc) {
	a := x.analyse(d)
	x.mu.Lock()
	defer x.mu.Unlock()
	x.putLocked(a, tailLimit)
}

// tailLimit is how long a list's unsorted tail may grow before it is sorted
// in: small, so a ranking's reads stay bounded between rebuilds.
const tailLimit = 256

// PutAll indexes many stories at once (start-up, imports), sorting each
// list once at the end instead of as it grows.
func (x *RelatedIndex) PutAll(docs []RelatedDoc) {
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

func (x *RelatedIndex) sortTerm(pl *plist) {
	slices.SortFunc(x.plists.list(pl.list), func(p, q posting) int { return cmpDesc(p.impact, q.impact, p.doc, q.doc) })
	pl.sorted = int(pl.list.n)
}

func (x *RelatedIndex) sortTag(tl *tlist) {
	slices.SortFunc(x.tlists.list(tl.list), func(p, q int32) int {
		return cmpDesc(float32(x.docs[p].published), float32(x.docs[q].published), p, q)
	})
	tl.sorted = int(tl.list.n)
}

// compactLocked copies out the room that moved and removed lists left in
// the arenas, once it is a third of an arena; all compacts every arena and
// trims the lists' spare room (after a bulk load). A compaction holds the
// write lock while it copies an arena: tens of milliseconds at 100k
// stories, once per many thousand writes.
func (x *RelatedIndex) compactLocked(all bool) {
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

// wordID interns a word, growing the per-word arrays.
func (x *RelatedIndex) wordID(w string) int32 {
	id := x.words.id(w)
	for int(id) >= len(x.postings) {
		x.postings = append(x.postings, plist{})
		x.df = append(x.df, 0)
	}
	return id
}

func (x *RelatedIndex) tagID(t string) int32 {
	id := x.tagIDs.id(t)
	for int(id) >= len(x.tagLists) {
		x.tagLists = append(x.tagLists, tlist{})
	}
	return id
}

// putLocked adds a story, keeping its most characteristic words; a list
// whose tail passes limit (≥ 0) is sorted.
func (x *RelatedIndex) putLocked(a analysed, limit int) {
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
	// Keep the words with the highest tf-idf at the time of indexing.
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
	for i, kv := range ranked {
		terms[i] = termTF{kv.id, kv.tf}
		r.length += kv.tf
	}
	slices.SortFunc(terms, func(p, q termTF) int { return int(p.id - q.id) })
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

// Remove forgets a story.
func (x *RelatedIndex) Remove(slug string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if n, ok := x.number(slug); ok {
		x.removeLocked(n)
		x.compactLocked(false)
	}
}

func (x *RelatedIndex) removeLocked(n int32) {
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

// Explained is one ranked story with the reasons for it.
type Explained struct {
	Slug        string
	ID          int64
	Score       float64
	SharedTags  []string
	SharedTerms []string
	SameSection bool
	Pinned      bool
}

// scratch holds one ranking's per-story sums, reused across rankings.
type scratch struct {
	text  []float32
	tag   []float32
	seen  []int32
	cands []cand
	vals  []float64
}

type cand struct {
	d     int32
	score float64
}

// Rank returns up to first stories related to slug, best first, among
// those public at now. It touches only the postings of the story's words
// and tags: its cost follows those lists, not the corpus.
func (x *RelatedIndex) Rank(slug string, first int, now time.Time) []Explained {
	x.mu.RLock()
	defer x.mu.RUnlock()
	src, ok := x.number(slug)
	if !ok {
		return nil
	}
	a := &x.docs[src]
	sc, _ := x.scratch.Get().(*scratch)
	if sc == nil || len(sc.text) < len(x.docs) {
		size := len(x.docs) + len(x.docs)/4 + 16
		sc = &scratch{text: make([]float32, size), tag: make([]float32, size)}
	}
	defer func() {
		for _, d := range sc.seen {
			sc.text[d], sc.tag[d] = 0, 0
		}
		sc.seen = sc.seen[:0]
		x.scratch.Put(sc)
	}()
	touch := func(d int32) {
		if sc.text[d] == 0 && sc.tag[d] == 0 {
			sc.seen = append(sc.seen, d)
		}
	}
	n := float64(x.live)
	nowMS := now.UnixMilli()

	// Words: BM25 of each candidate against the source's most
	// characteristic words, normalised by the source's best possible score.
	q := x.queryTerms(a)
	var self float32
	for _, qt := range q {
		df := float64(x.df[qt.id])
		if df > x.cfg.TermCardinality*n && n > 20 {
			continue
		}
		idf := float32(math.Log(1 + (n-df+0.5)/(df+0.5)))
		self += qt.w * idf
		pl := &x.postings[qt.id]
		visit := func(p posting) {
			if p.doc == src {
				return
			}
			touch(p.doc)
			sc.text[p.doc] += qt.w * idf * p.impact
		}
		list := x.plists.list(pl.list)
		for _, p := range list[:min(pl.sorted, scanLimit)] {
			visit(p)
		}
		for _, p := range list[pl.sorted:] {
			visit(p)
		}
	}
	// Tags: shared tags weighted by rarity; common ones ignored.
	var tagTotal float32
	for _, t := range x.ints.list(a.tags) {
		tl := &x.tagLists[t]
		size := float64(tl.list.n)
		if size == 0 || size > x.cfg.TagCardinality*n && n > 20 {
			continue
		}
		idf := float32(math.Log(1 + n/size))
		tagTotal += idf
		visit := func(d int32) {
			if d != src {
				touch(d)
				sc.tag[d] += idf
			}
		}
		list := x.tlists.list(tl.list)
		for _, d := range list[:min(tl.sorted, scanLimit)] {
			visit(d)
		}
		for _, d := range list[tl.sorted:] {
			visit(d)
		}
	}
	cands := sc.cands[:0]
	defer func() { sc.cands = cands[:0] }()
	for _, d := range sc.seen {
		doc := &x.docs[d]
		if !doc.live || doc.published == 0 || doc.published > nowMS {
			continue
		}
		var text, tag, sec float64
		if self > 0 {
			text = math.Min(1, float64(sc.text[d]/self))
		}
		if tagTotal > 0 {
			tag = float64(sc.tag[d] / tagTotal)
		}
		if doc.section == a.section {
			sec = 1
		}
		base := x.cfg.TextWeight*text + x.cfg.TagWeight*tag + x.cfg.SectionWeight*sec
		if base < x.cfg.MinScore {
			continue // recency only lowers a score
		}
		age := float64(nowMS-doc.published) / float64(x.cfg.HalfLife.Milliseconds())
		s := base * (x.cfg.RecencyFloor + (1-x.cfg.RecencyFloor)*math.Exp2(-age))
		if s >= x.cfg.MinScore {
			cands = append(cands, cand{d, s})
		}
	}
	// Only the best few need ordering (diversity may skip some).
	better := func(i, j cand) bool {
		if i.score != j.score {
			return i.score > j.score
		}
		if pi, pj := x.docs[i.d].published, x.docs[j.d].published; pi != pj {
			return pi > pj
		}
		return x.slugs.str(x.docs[i.d].slug) < x.slugs.str(x.docs[j.d].slug)
	}
	keep := first * 8
	if len(cands) > keep*4 {
		sc.vals = sc.vals[:0]
		for _, c := range cands {
			sc.vals = append(sc.vals, c.score)
		}
		threshold := kth(sc.vals, keep)
		kept := cands[:0]
		for _, c := range cands {
			if c.score >= threshold {
				kept = append(kept, c)
			}
		}
		cands = kept
	}
	sort.Slice(cands, func(i, j int) bool { return better(cands[i], cands[j]) })
	var out []Explained
	var chosen [][]int32
	for _, c := range cands {
		if len(out) == first {
			break
		}
		doc := &x.docs[c.d]
		title := x.ints.list(doc.title)
		if nearDuplicate(title, x.ints.list(a.title), x.cfg.MaxTitleSimilarity) || slices.ContainsFunc(chosen, func(t []int32) bool {
			return nearDuplicate(title, t, x.cfg.MaxTitleSimilarity)
		}) {
			continue // diversity: no two stories with nearly the same title
		}
		chosen = append(chosen, title)
		out = append(out, x.explain(a, doc, q, c.score))
	}
	return out
}

type qterm struct {
	id int32
	w  float32
}

// queryTerms are the source's most characteristic words, by tf-idf,
// weighted relative to the strongest: a long story does not outweigh a
// short one.
func (x *RelatedIndex) queryTerms(a *rdoc) []qterm {
	n := float64(x.live)
	terms := x.terms.list(a.terms)
	q := make([]qterm, 0, len(terms))
	for _, tt := range terms {
		q = append(q, qterm{tt.id, tt.tf * float32(math.Log(1+n/float64(x.df[tt.id]+1)))})
	}
	sort.Slice(q, func(i, j int) bool {
		return q[i].w > q[j].w || q[i].w == q[j].w && x.words.str(q[i].id) < x.words.str(q[j].id)
	})
	if len(q) > x.cfg.QueryTerms {
		q = q[:x.cfg.QueryTerms]
	}
	if len(q) > 0 && q[0].w > 0 {
		top := q[0].w
		for i := range q {
			q[i].w /= top
		}
	}
	return q
}

func (x *RelatedIndex) explain(a, d *rdoc, q []qterm, score float64) Explained {
	// Clones: the interned strings point into arrays that must not outlive
	// their use in a response.
	e := Explained{Slug: strings.Clone(x.slugs.str(d.slug)), ID: d.id, Score: math.Round(score*1000) / 1000, SameSection: a.section == d.section}
	dtags := x.ints.list(d.tags)
	for _, t := range x.ints.list(a.tags) {
		if slices.Contains(dtags, t) {
			e.SharedTags = append(e.SharedTags, strings.Clone(x.tagIDs.str(t)))
		}
	}
	for _, qt := range q {
		if x.tf(d, qt.id) > 0 && len(e.SharedTerms) < 5 {
			e.SharedTerms = append(e.SharedTerms, strings.Clone(x.words.str(qt.id)))
		}
	}
	return e
}

// nearDuplicate compares titles' word sets (Jaccard).
func nearDuplicate(a, b []int32, max float64) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	inter, union := 0, 0
	seen := map[int32]int{} // 1: in a, 2: in b, 3: both
	for _, t := range a {
		seen[t] |= 1
	}
	for _, t := range b {
		seen[t] |= 2
	}
	for _, v := range seen {
		union++
		if v == 3 {
			inter++
		}
	}
	return float64(inter)/float64(union) > max
}

// MemoryEstimate is a rough size of the index in bytes, for reports.
func (x *RelatedIndex) MemoryEstimate() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	size := cap(x.docs)*int(unsafe.Sizeof(rdoc{})) + cap(x.bySlug)*4 + cap(x.df)*4 +
		cap(x.postings)*int(unsafe.Sizeof(plist{})) + cap(x.tagLists)*int(unsafe.Sizeof(tlist{}))
	size += x.ints.size() + x.terms.size() + x.plists.size() + x.tlists.size()
	size += x.slugs.size() + x.words.size() + x.tagIDs.size() + x.sections.size()
	return size
}

// kth returns the k-th highest of vals (a threshold that keeps at least k),
// in linear time on average; it reorders vals.
func kth(vals []float64, k int) float64 {
	lo, hi, target := 0, len(vals)-1, k-1
	for lo < hi {
		p := vals[(lo+hi)/2]
		i, j := lo, hi
		for i <= j {
			for vals[i] > p {
				i++
			}
			for vals[j] < p {
				j--
			}
			if i <= j {
				vals[i], vals[j] = vals[j], vals[i]
				i++
				j--
			}
		}
		switch {
		case target <= j:
			hi = j
		case target >= i:
			lo = i
		default:
			return vals[target]
		}
	}
	return vals[target]
}
