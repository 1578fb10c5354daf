package cache

import (
	"sync"
	"sync/atomic"
)

// stamps are this process's view of invalidations. seq counts them; a tag's
// stamp is the seq value of its latest invalidation. An entry begun at start
// (seq read before any data was) is valid while every stamp of its tags is
// at most start: a later invalidation got a larger seq.
type stamps struct {
	mu  sync.Mutex // one apply at a time: seq is published after its stamps
	seq atomic.Uint64
	m   sync.Map // tag → uint64
}

func (s *stamps) start() uint64 { return s.seq.Load() }

// apply stamps tags. Callers apply only after the write has committed, so
// anything that starts afterwards reads the new data. The new seq is
// published only once every tag carries it: whoever reads seq = v then
// sees all of v's stamps (validEntry relies on it).
func (s *stamps) apply(tags []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.seq.Load() + 1
	for _, t := range tags {
		s.m.Store(t, v)
	}
	s.seq.Store(v)
}

// validEntry is valid for a cached entry, remembering the seq at which it
// last held: a hit then costs one atomic load until the next invalidation,
// however many tags the entry has (an article page has dozens).
func (s *stamps) validEntry(e *entry) bool {
	cur := s.seq.Load()
	if cur == e.localStart || e.checked.Load() == cur+1 {
		return true // nothing stamped since it began, or since it last held
	}
	if !s.valid(e.Tags, e.localStart) {
		return false
	}
	e.checked.Store(cur + 1)
	return true
}

func (s *stamps) valid(tags []string, start uint64) bool {
	for _, t := range tags {
		if v, ok := s.m.Load(t); ok && v.(uint64) > start {
			return false
		}
	}
	return true
}
