package related

import (
	"iter"
	"math"
	"sort"
	"time"
)

// Explained is one ranked story with the reasons for it.
type Explained struct {
	Slug        string
	ID          int64
	Score       float64
	SharedTags  []string
	SharedTerms []string
	SameSection bool
}

// scanned is what a ranking reads of a list whose head, up to sorted, is
// ordered best first: the head's best scanLimit entries and the whole
// unsorted tail of recent additions.
func scanned[T any](list []T, sorted int) iter.Seq[T] {
	return func(yield func(T) bool) {
		for _, v := range list[:min(sorted, scanLimit)] {
			if !yield(v) {
				return
			}
		}
		for _, v := range list[sorted:] {
			if !yield(v) {
				return
			}
		}
	}
}

// Rank returns up to first stories related to slug, best first, among
// those public at now. It touches only the postings of the story's words
// and tags: its cost follows those lists, not the corpus.
func (x *Index) Rank(slug string, first int, now time.Time) []Explained {
	x.mu.RLock()
	defer x.mu.RUnlock()
	src, ok := x.number(slug)
	if !ok {
		return nil
	}
	sc := x.scratchFor(src)
	defer x.release(sc)
	a := &x.docs[src]
	q := x.queryTerms(a)
	self, tagTotal := x.gather(sc, a, q)
	sc.cands = x.candidates(sc, a, self, tagTotal, now.UnixMilli())
	return x.choose(sc, a, q, first)
}

// gather sums, for every story a bounded read of the source's lists
// reaches, the evidence of its words and of its tags. It returns what the
// sums are normalised by: the source's score against itself, and the
// weight of its tags.
func (x *Index) gather(sc *scratch, a *rdoc, q []qterm) (self, tagTotal float32) {
	n := float64(x.live)
	// Words: BM25 of each candidate against the source's most
	// characteristic words; words on most stories say nothing.
	for _, qt := range q {
		df := float64(x.df[qt.id])
		if df > x.cfg.TermCardinality*n && n > 20 {
			continue
		}
		idf := float32(math.Log(1 + (n-df+0.5)/(df+0.5)))
		self += qt.w * idf
		pl := &x.postings[qt.id]
		for p := range scanned(x.plists.list(pl.list), pl.sorted) {
			sc.credit(sc.text, p.doc, qt.w*idf*p.impact)
		}
	}
	// Tags: shared tags weighted by rarity; common ones ignored.
	for _, t := range x.ints.list(a.tags) {
		tl := &x.tagLists[t]
		size := float64(tl.list.n)
		if size == 0 || size > x.cfg.TagCardinality*n && n > 20 {
			continue
		}
		idf := float32(math.Log(1 + n/size))
		tagTotal += idf
		for d := range scanned(x.tlists.list(tl.list), tl.sorted) {
			sc.credit(sc.tag, d, idf)
		}
	}
	return self, tagTotal
}

// candidates scores the stories gather reached that are public at nowMS,
// keeping those that reach MinScore.
func (x *Index) candidates(sc *scratch, a *rdoc, self, tagTotal float32, nowMS int64) []cand {
	cands := sc.cands[:0]
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
	return cands
}

type qterm struct {
	id int32
	w  float32
}

// queryTerms are the source's most characteristic words, by tf-idf, each
// weighted by its frequency in the source, saturated as BM25 saturates a
// story's (k1 1.2): a word the source repeats counts more, but not in
// proportion, so the whole story speaks rather than its two loudest words
// (Reuters TRAIN sources, make eval-related-real: precision@5 0.739 with
// tf-idf weights over 20 words, 0.831 so over 100; bench/RESULTS.md).
func (x *Index) queryTerms(a *rdoc) []qterm {
	n := float64(x.live)
	terms := x.terms.list(a.terms)
	type ranked struct {
		qterm
		tfidf float32
	}
	r := make([]ranked, 0, len(terms))
	for _, tt := range terms {
		r = append(r, ranked{qterm{tt.id, tt.tf * (queryK1 + 1) / (tt.tf + queryK1)}, tt.tf * float32(math.Log(1+n/float64(x.df[tt.id]+1)))})
	}
	sort.Slice(r, func(i, j int) bool {
		return r[i].tfidf > r[j].tfidf || r[i].tfidf == r[j].tfidf && x.words.str(r[i].id) < x.words.str(r[j].id)
	})
	q := make([]qterm, 0, min(len(r), x.cfg.QueryTerms))
	for _, t := range r[:min(len(r), x.cfg.QueryTerms)] {
		q = append(q, t.qterm)
	}
	return q
}

// queryK1 saturates a word's frequency in the source.
const queryK1 = 1.2
