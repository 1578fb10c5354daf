package related

import (
	"slices"
	"unsafe"
)

// The index lives for the whole process and holds a few lists per story
// and per word. Held as Go slices, that is hundreds of thousands of heap
// objects at 100k stories, and the collector marks every one of them on
// every cycle however rarely they change, which a gateway under load pays
// for in tail latency (BenchmarkIndexGC, bench/RESULTS.md). An arena holds
// the same data in one large pointer-free array, which the collector marks
// in constant time.

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
