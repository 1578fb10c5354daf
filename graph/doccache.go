package graph

import (
	"container/list"
	"context"
	"sync"
)

// Bounds of the in-process document caches. A parsed document weighs
// several times its text, so an entry is charged docWeight bytes per byte
// of its key: a flood of distinct 900 KB documents evicts, it does not grow
// the heap.
const (
	docCacheBytes   = 16 << 20
	docCacheEntries = 1000
	docWeight       = 8

	apqLocalBytes   = 8 << 20
	apqLocalEntries = 5000
)

// docCache is a least-recently-used cache bounded by entries and by bytes
// (gqlgen's graphql.Cache). Keys are document texts or their hashes.
type docCache[T any] struct {
	mu         sync.Mutex
	maxBytes   int
	maxEntries int
	bytes      int
	order      *list.List // front: most recently used
	items      map[string]*list.Element
}

type docEntry[T any] struct {
	key  string
	val  T
	cost int
}

func newDocCache[T any](maxBytes, maxEntries int) *docCache[T] {
	return &docCache[T]{maxBytes: maxBytes, maxEntries: maxEntries, order: list.New(), items: map[string]*list.Element{}}
}

// cost charges the key and, for a string value, the value itself.
func (c *docCache[T]) cost(key string, val T) int {
	n := docWeight * len(key)
	if s, ok := any(val).(string); ok {
		n = len(key) + len(s)
	}
	return n + 64
}

func (c *docCache[T]) Get(_ context.Context, key string) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.order.MoveToFront(el)
		return el.Value.(*docEntry[T]).val, true
	}
	var zero T
	return zero, false
}

func (c *docCache[T]) Add(_ context.Context, key string, val T) {
	cost := c.cost(key, val)
	if cost > c.maxBytes/8 {
		return // one entry may not take an eighth of the cache
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		e := el.Value.(*docEntry[T])
		c.bytes += cost - e.cost
		e.val, e.cost = val, cost
		c.order.MoveToFront(el)
	} else {
		c.items[key] = c.order.PushFront(&docEntry[T]{key: key, val: val, cost: cost})
		c.bytes += cost
	}
	for c.bytes > c.maxBytes || c.order.Len() > c.maxEntries {
		el := c.order.Back()
		e := el.Value.(*docEntry[T])
		c.order.Remove(el)
		delete(c.items, e.key)
		c.bytes -= e.cost
	}
}
