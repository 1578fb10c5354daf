package gcfloor

import (
	"context"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		name        string
		live, floor uint64
		base, want  int
	}{
		{"small heap reaches the floor", 10 * mib, 256 * mib, 400, 2460},
		{"heap past the floor keeps the base", 300 * mib, 256 * mib, 400, 400},
		{"floor close above live keeps the base", 100 * mib, 256 * mib, 400, 400},
		{"no reading yet keeps the base", 0, 256 * mib, 400, 400},
		{"no floor keeps the base", 10 * mib, 0, 100, 100},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Percent(c.live, c.floor, c.base); got != c.want {
				t.Errorf("Percent(%d, %d, %d) = %d, want %d", c.live, c.floor, c.base, got, c.want)
			}
		})
	}
}

// gcPercent reads GOGC without changing it.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func TestRunRetunesAfterCollections(t *testing.T) {
	defer debug.SetGCPercent(gcPercent())
	ctx, cancel := context.WithCancel(context.Background())
	seen := make(chan int, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		Run(ctx, 1<<30, 100, func(p int) { seen <- p })
	}()
	// The test binary's live heap is a few MiB: a 1 GiB floor needs a GOGC
	// in the hundreds at least.
	deadline := time.After(10 * time.Second)
	for got := 0; got <= 1000; {
		runtime.GC()
		select {
		case got = <-seen:
		case <-deadline:
			t.Fatalf("GOGC is %d after collections, want > 1000", gcPercent())
		case <-time.After(50 * time.Millisecond):
		}
	}
	if p := gcPercent(); p <= 1000 {
		t.Fatalf("GOGC %d in force, want > 1000", p)
	}
	cancel()
	<-done
	if p := gcPercent(); p != 100 {
		t.Errorf("GOGC %d after Run ended, want the base 100", p)
	}
}
