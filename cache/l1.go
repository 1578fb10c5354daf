package cache

import (
	"sync"
	"sync/atomic"
	"time"
)

// l1 is the in-process store, bounded in bytes. It is sharded so hits take
// only a shard's read lock, and it evicts by sampled least-recent use (as
// Redis does) instead of keeping a list that every hit would have to lock.
type l1 struct {
	shards [l1Shards]l1Shard
	budget int64 // per shard
}

const (
	l1Shards = 16
	l1Sample = 8
)

type l1Shard struct {
	mu    sync.RWMutex
	m     map[string]*l1Item
	bytes int64
}

// l1Item is an entry reached by a key. req, when set, is the raw request a
// fast key was made from: a hit compares it, so a hash collision can never
// serve the wrong answer.
type l1Item struct {
	e      *entry
	req    []byte
	size   int64
	access atomic.Int64
}

func newL1(budget int64) *l1 {
	c := &l1{budget: budget / l1Shards}
	for i := range c.shards {
		c.shards[i].m = map[string]*l1Item{}
	}
	return c
}

func (c *l1) shard(key string) *l1Shard {
	var h uint32 = 2166136261 // FNV-1a: the keys are already hashes
	for i := 0; i < len(key); i++ {
		h = (h ^ uint32(key[i])) * 16777619
	}
	return &c.shards[h%l1Shards]
}

// getBytes is get for a key held as bytes: the map lookup converts without
// allocating, so the hit path makes no garbage for its key.
func (c *l1) getBytes(key []byte) *l1Item {
	var h uint32 = 2166136261
	for _, b := range key {
		h = (h ^ uint32(b)) * 16777619
	}
	s := &c.shards[h%l1Shards]
	s.mu.RLock()
	it := s.m[string(key)]
	s.mu.RUnlock()
	if it != nil {
		it.access.Store(nanotime())
	}
	return it
}

func (c *l1) get(key string) *l1Item {
	s := c.shard(key)
	s.mu.RLock()
	it := s.m[key]
	s.mu.RUnlock()
	if it != nil {
		it.access.Store(nanotime())
	}
	return it
}

func (c *l1) put(key string, e *entry, req []byte) {
	it := &l1Item{e: e, req: req, size: int64(len(key)+len(req)) + e.weight()}
	it.access.Store(nanotime())
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.m[key]; old != nil {
		s.bytes -= old.size
	}
	s.m[key] = it
	s.bytes += it.size
	for s.bytes > c.budget && len(s.m) > 1 {
		// Evict the least recently used of a few keys; map order is random.
		var (
			victim string
			oldest int64 = 1<<63 - 1
			n      int
		)
		for k, v := range s.m {
			if k != key {
				if a := v.access.Load(); a < oldest {
					victim, oldest = k, a
				}
			}
			if n++; n >= l1Sample {
				break
			}
		}
		if victim == "" {
			break
		}
		s.bytes -= s.m[victim].size
		delete(s.m, victim)
	}
}

func (c *l1) delete(key string) {
	s := c.shard(key)
	s.mu.Lock()
	if old := s.m[key]; old != nil {
		s.bytes -= old.size
		delete(s.m, key)
	}
	s.mu.Unlock()
}

func (c *l1) clear() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		s.m = map[string]*l1Item{}
		s.bytes = 0
		s.mu.Unlock()
	}
}

func (c *l1) size() (items int, bytes int64) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		items += len(s.m)
		bytes += s.bytes
		s.mu.RUnlock()
	}
	return items, bytes
}

func nanotime() int64 { return time.Now().UnixNano() }
