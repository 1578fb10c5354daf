package related

import (
	"hash/maphash"
	"unsafe"
)

// intern maps strings to dense ids and back without holding a pointer per
// string, for the reason arenas exist (arena.go): the bytes sit end to end
// in one array, and the map is keyed by hash. The rare strings whose hash
// another already has go to more.
type intern struct {
	seed maphash.Seed
	ids  map[uint64]int32
	more map[string]int32
	buf  []byte // append-only: bytes once written never change
	refs []struct{ off, n uint32 }
}

func newIntern() intern {
	return intern{seed: maphash.MakeSeed(), ids: map[uint64]int32{}, more: map[string]int32{}}
}

func (in *intern) lookup(s string) (int32, bool) { return in.find(maphash.String(in.seed, s), s) }

// find is lookup for s's hash h.
func (in *intern) find(h uint64, s string) (int32, bool) {
	if id, ok := in.ids[h]; ok && in.str(id) == s {
		return id, true
	}
	id, ok := in.more[s]
	return id, ok
}

func (in *intern) id(s string) int32 {
	h := maphash.String(in.seed, s)
	if id, ok := in.find(h, s); ok {
		return id
	}
	id := int32(len(in.refs))
	in.refs = append(in.refs, struct{ off, n uint32 }{uint32(len(in.buf)), uint32(len(s))})
	in.buf = append(in.buf, s...)
	if _, taken := in.ids[h]; taken {
		in.more[s] = id
	} else {
		in.ids[h] = id
	}
	return id
}

// str is id's string, without copying: it points into buf, whose bytes
// never change (a grown buf leaves the old array to those still reading it).
// Callers that hand it out of the index clone it, so that a long-lived
// string does not hold a whole array.
func (in *intern) str(id int32) string {
	r := in.refs[id]
	if r.n == 0 {
		return ""
	}
	return unsafe.String(&in.buf[r.off], r.n)
}

// size is the memory in bytes, for estimates.
func (in *intern) size() int { return cap(in.buf) + cap(in.refs)*8 + len(in.ids)*16 }
