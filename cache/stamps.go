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
	seq atomic.Uint64
	m   sync.Map // tag → uint64
}

func (s *stamps) start() uint64 { return s.seq.Load() }

// apply stamps tags. Callers apply only after the write has committed, so
// anything that starts afterwards reads the new data.
func (s *stamps) apply(tags []string) {
	v := s.seq.Add(1)
	for _, t := range tags {
		s.m.Store(t, v)
	}
}

func (s *stamps) valid(tags []string, start uint64) bool {
	for _, t := range tags {
		if v, ok := s.m.Load(t); ok && v.(uint64) > start {
			return false
		}
	}
	return true
}
