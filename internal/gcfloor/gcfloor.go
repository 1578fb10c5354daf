// Package gcfloor keeps Go's collector from running while the heap is still
// small. A gateway's live heap is a few megabytes of cache and index, and it
// allocates a few kilobytes of short-lived garbage per request; with plain
// GOGC the collector then runs several times a second under load, and each
// cycle takes its share of the only core a request could run on, which is
// what the slowest one percent of requests wait for (bench/RESULTS.md). The
// tuner sets GOGC after every collection so that the next one comes when the
// heap reaches max(floor, live × (1 + percent/100)): rare while the live heap
// is small, ordinary GOGC behaviour once it is large.
package gcfloor

import (
	"context"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// Percent is the GOGC that puts the next heap goal at max(floor, live × (1 +
// base/100)).
func Percent(live, floor uint64, base int) int {
	if live == 0 || floor <= live {
		return base
	}
	p := int((floor - live) * 100 / live)
	if p < base {
		return base
	}
	return p
}

// Run re-tunes GOGC after every collection until ctx ends, then puts base
// back. changed, when not nil, hears each new value (tests, logs).
func Run(ctx context.Context, floor uint64, base int, changed func(percent int)) {
	cycles := make(chan struct{}, 1)
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	set := func(p int) {
		debug.SetGCPercent(p)
		if changed != nil {
			changed(p)
		}
	}
	current := 0 // none set yet: Percent is never 0
	for {
		metrics.Read(sample)
		var live uint64
		if sample[0].Value.Kind() == metrics.KindUint64 {
			live = sample[0].Value.Uint64()
		}
		// Re-tune only on a change of more than 10%: SetGCPercent takes the
		// heap lock.
		if p := Percent(live, floor, base); current == 0 || p*10 < current*9 || p*10 > current*11 {
			current = p
			set(p)
		}
		armCycle(cycles)
		select {
		case <-ctx.Done():
			set(base)
			return
		case <-cycles:
		}
	}
}

// sentinel is big enough and holds a pointer, so the allocator never
// batches it with other tiny objects (whose cleanups might never run).
type sentinel struct {
	_ *byte
	_ [3]uint64
}

// armCycle signals on ch once the next collection has run: a cleanup on an
// object nothing references runs right after the cycle that frees it.
func armCycle(ch chan struct{}) {
	runtime.AddCleanup(new(sentinel), func(ch chan struct{}) {
		select {
		case ch <- struct{}{}:
		default:
		}
	}, ch)
}
