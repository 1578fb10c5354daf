// Package tick runs background work at a fixed interval until its context
// ends: the outbox, the invalidation-log pollers.
package tick

import (
	"context"
	"time"
)

// Every calls f every d until ctx ends; the first call comes after d.
func Every(ctx context.Context, d time.Duration, f func(context.Context)) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f(ctx)
		}
	}
}
