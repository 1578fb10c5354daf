package content

import (
	"hash/maphash"
	"slices"
	"unsafe"
)

// The related-stories index lives for the whole process and holds a
// few lists per story and per word. Held as Go slices and strings, that
// is hundreds of thousands of heap objects at 100k stories, and the
// collector marks every one of them on every cycle, however rarely they
// change: 19 ms of a core per collection at 100k stories, 2 ms at 10k
// (BenchmarkIndexGC). The types here hold the same data in a few large
// pointer-free arrays, which the collector marks in constant time.

// span is a list's place in an arena: its offset, length and capacity.
type span struct{ off, n, cap uint32 }

// arena holds many growable lists of T in one array. A list that outgrows
// its capacity moves to the end; the room it left is garbage until the
// owner compacts. T must hold no pointers, or nothing is gained.
type arena[T any] struct {
	buf         []T
	garbage     int // elements of buf no list uses
	compactions int
}

// list is s's elements; appending to it must go through push.
func (a *arena[T]) list(s span) []T { return a.buf[s.off : s.off+s.n : s.off+s.cap] }

// put stores a new list holding exactly v.
func (a *arena[T]) put(v []T) span {
	s := span{off: uint32(len(a.buf)), n: uint32(len(v)), cap: uint32(len(v))}
	a.buf = append(a.buf, v...)
	return s
}

// push appends v to s's list, moving the list (doubling its capacity) when
// it is full.
func (a *arena[T]) push(s *span, v T) {
	if s.n == s.cap {
		c := max(4, 2*s.cap)
		off := len(a.buf)
		a.buf = slices.Grow(a.buf, int(c))[:off+int(c)]
		copy(a.buf[off:], a.buf[s.off:s.off+s.n])
		a.garbage += int(s.cap)
		s.off, s.cap = uint32(off), c
	}
	a.buf[s.off+s.n] = v
	s.n++
}

// del removes s's i-th element, keeping the order of the rest.
func (a *arena[T]) del(s *span, i int) {
	l := a.list(*s)
	copy(l[i:], l[i+1:])
	s.n--
}

// free gives s's room up.
func (a *arena[T]) free(s *span) {
	a.garbage += int(s.cap)
	*s = span{}
}

// wasteful says a third of the array is garbage. Not a half: lists that
// double as they move leave garbage that tends to a half of the array
// without passing it. Compacting costs the array's length, which the
// moves that made the garbage have paid for at least a third of.
func (a *arena[T]) wasteful() bool { return a.garbage > 1<<12 && a.garbage > len(a.buf)/3 }

// compact copies every live list, which each visits, into a new array.
// trim cuts each list's spare room to a quarter of its length (after a
// bulk load, when lists are as long as they will be for a while);
// otherwise lists keep their room for the writes to come. Always a new
// array: anything holding a list of the old one keeps valid (if dated) data.
func (a *arena[T]) compact(trim bool, each func(visit func(*span))) {
	room := func(s *span) uint32 {
		if trim {
			return min(s.cap, s.n+s.n/4)
		}
		return s.cap
	}
	size := 0
	each(func(s *span) { size += int(room(s)) })
	buf := make([]T, 0, size)
	each(func(s *span) {
		off, c := len(buf), room(s)
		buf = append(buf, a.buf[s.off:s.off+c]...)
		s.off, s.cap = uint32(off), c
	})
	a.buf, a.garbage = buf, 0
	a.compactions++
}

// size is the array's memory in bytes, for estimates.
func (a *arena[T]) size() int {
	var zero T
	return cap(a.buf) * int(unsafe.Sizeof(zero))
}

// intern maps strings to dense ids and back without holding a pointer per
// string: the bytes sit end to end in one array, and the map is keyed by
// hash. The rare strings whose hash another already has go to more.
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
