package related

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestArenaMatchesSlices runs random pushes, deletions, frees and
// compactions on an arena and on plain slices side by side: the lists
// must never differ.
func TestArenaMatchesSlices(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var a arena[int32]
	spans := make([]span, 64)
	model := make([][]int32, 64)
	each := func(visit func(*span)) {
		for i := range spans {
			visit(&spans[i])
		}
	}
	for step := range 200000 {
		i := r.IntN(len(spans))
		switch op := r.IntN(100); {
		case op < 70:
			v := int32(r.Int32())
			a.push(&spans[i], v)
			model[i] = append(model[i], v)
		case op < 85 && len(model[i]) > 0:
			k := r.IntN(len(model[i]))
			a.del(&spans[i], k)
			model[i] = slices.Delete(model[i], k, k+1)
		case op < 88:
			a.free(&spans[i])
			model[i] = nil
		case op < 90:
			v := make([]int32, r.IntN(20))
			for k := range v {
				v[k] = int32(r.Int32())
			}
			a.free(&spans[i])
			spans[i] = a.put(v)
			model[i] = v
		case op < 91:
			a.compact(r.IntN(2) == 0, each)
		}
		if a.wasteful() {
			a.compact(false, each)
		}
		if step%1000 == 0 || step == 199999 {
			for k := range spans {
				if got := a.list(spans[k]); !slices.Equal(got, model[k]) {
					t.Fatalf("step %d: list %d is %v, want %v", step, k, got, model[k])
				}
			}
		}
	}
	if a.compactions == 0 {
		t.Fatal("the arena never compacted: the test checks nothing of compaction")
	}
	if len(a.buf) > 2*a.liveLen()+1<<12 {
		t.Fatalf("arena holds %d elements for %d live: compaction does not keep it bounded", len(a.buf), a.liveLen())
	}
}

// liveLen is the room the live lists take.
func (a *arena[T]) liveLen() int { return len(a.buf) - a.garbage }

// TestInternCollisions forces every string onto one hash: lookups must
// still tell them apart.
func TestInternCollisions(t *testing.T) {
	in := newIntern()
	words := []string{"copper", "coal", "", "gold", "copper-2"}
	ids := make([]int32, len(words))
	for i, w := range words {
		ids[i] = in.id(w)
		// Move it under one shared hash, as a collision would put it.
		if i > 0 {
			for h, id := range in.ids {
				if id == ids[i] {
					delete(in.ids, h)
					in.more[w] = id
				}
			}
		}
	}
	for i, w := range words {
		if id, ok := in.lookup(w); !ok || id != ids[i] || in.str(id) != w {
			t.Errorf("%q: id %d %v (string %q), want %d", w, id, ok, in.str(id), ids[i])
		}
		if id := in.id(w); id != ids[i] {
			t.Errorf("%q interned again as %d, want %d", w, id, ids[i])
		}
	}
	if _, ok := in.lookup("silver"); ok {
		t.Error("an unknown string is found")
	}
}
