package graph

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// TestRootFieldsTakeSlots: however many root fields a request has, at most
// rootFieldsAtOnce run at once, and a request past its deadline stops
// waiting for a slot.
func TestRootFieldsTakeSlots(t *testing.T) {
	ctx := withSlots(context.Background())
	var running, most atomic.Int64
	field := func(context.Context) graphql.Marshaler {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(5 * time.Millisecond)
		running.Add(-1)
		return graphql.Null
	}
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { limitRootFields(ctx, field) })
	}
	wg.Wait()
	if got := most.Load(); got > rootFieldsAtOnce || got == 0 {
		t.Fatalf("%d root fields ran at once, want 1..%d", got, rootFieldsAtOnce)
	}

	full := withSlots(context.Background())
	slots := full.Value(slotsKey{}).(chan struct{})
	for range rootFieldsAtOnce {
		slots <- struct{}{}
	}
	dctx, cancel := context.WithTimeout(full, 20*time.Millisecond)
	defer cancel()
	dctx = graphql.WithResponseContext(dctx, graphql.DefaultErrorPresenter, nil)
	ran := false
	limitRootFields(dctx, func(context.Context) graphql.Marshaler { ran = true; return graphql.Null })
	if ran {
		t.Fatal("a root field ran past its request's deadline")
	}
}
