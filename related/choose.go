package related

import (
	"math"
	"slices"
	"sort"
	"strings"
)

// choose orders the candidates and returns the best first of them,
// explained, skipping near-duplicate titles.
func (x *Index) choose(sc *scratch, a *rdoc, q []qterm, first int) []Explained {
	cands := sc.cands
	// Only the best few need ordering: keep a margin over first, since
	// diversity may skip some.
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
	sort.Slice(cands, func(i, j int) bool { return x.better(cands[i], cands[j]) })
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

// better orders candidates by score, then newest first, then by slug: a
// total order, so a ranking does not depend on the order stories were
// reached in.
func (x *Index) better(i, j cand) bool {
	if i.score != j.score {
		return i.score > j.score
	}
	if pi, pj := x.docs[i.d].published, x.docs[j.d].published; pi != pj {
		return pi > pj
	}
	return x.slugs.str(x.docs[i.d].slug) < x.slugs.str(x.docs[j.d].slug)
}

func (x *Index) explain(a, d *rdoc, q []qterm, score float64) Explained {
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
