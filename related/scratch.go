package related

// scratch holds one ranking's per-story sums, reused across rankings:
// clearing the few stories a ranking touched is cheaper than allocating
// sums for the whole corpus each time.
type scratch struct {
	src   int32 // the story ranked for, which never counts
	text  []float32
	tag   []float32
	seen  []int32 // the stories with a sum, to clear
	cands []cand
	vals  []float64
}

type cand struct {
	d     int32
	score float64
}

// credit adds v to story d's sum in sums (sc.text or sc.tag).
func (sc *scratch) credit(sums []float32, d int32, v float32) {
	if d == sc.src {
		return
	}
	if sc.text[d] == 0 && sc.tag[d] == 0 {
		sc.seen = append(sc.seen, d)
	}
	sums[d] += v
}

// scratchFor is a cleared scratch for ranking for story src, with room for
// every story.
func (x *Index) scratchFor(src int32) *scratch {
	sc, _ := x.scratch.Get().(*scratch)
	if sc == nil || len(sc.text) < len(x.docs) {
		size := len(x.docs) + len(x.docs)/4 + 16
		sc = &scratch{text: make([]float32, size), tag: make([]float32, size)}
	}
	sc.src = src
	return sc
}

func (x *Index) release(sc *scratch) {
	for _, d := range sc.seen {
		sc.text[d], sc.tag[d] = 0, 0
	}
	sc.seen = sc.seen[:0]
	sc.cands = sc.cands[:0]
	x.scratch.Put(sc)
}
