package related_test

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/bylinehq/byline/related"
)

// BenchmarkRank shows how one ranking's cost grows with the corpus: it
// reads bounded posting lists, so 100× the stories costs far less than
// 100× the time (bench/RESULTS.md).
func BenchmarkRank(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			idx, arts := related.SynthIndex(n)
			now := arts[len(arts)-1].Published.Add(time.Hour)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				idx.Rank(arts[(i*7919)%len(arts)].Slug, 5, now)
			}
		})
	}
}

// BenchmarkIndexGC measures what a live index costs every
// garbage collection: a full collection's time with the index held, and
// the heap the collector must scan and the objects it must mark because of
// it. A gateway pays this on every cycle for as long as it runs, which is
// what its tail latency under load waits on (bench/RESULTS.md). "none" is
// the same collection without an index, measured in the same run.
func BenchmarkIndexGC(b *testing.B) {
	for _, n := range []int{0, 10000, 100000} {
		name := "none"
		if n > 0 {
			name = fmt.Sprintf("%dk", n/1000)
		}
		b.Run(name, func(b *testing.B) {
			var idx *related.Index
			if n > 0 {
				idx, _ = related.SynthIndex(n)
			}
			runtime.GC()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				runtime.GC()
			}
			b.StopTimer()
			s := []metrics.Sample{{Name: "/gc/scan/heap:bytes"}, {Name: "/gc/heap/objects:objects"}, {Name: "/gc/heap/live:bytes"}}
			metrics.Read(s)
			b.ReportMetric(float64(s[0].Value.Uint64())/1e6, "scan-MB")
			b.ReportMetric(float64(s[1].Value.Uint64())/1e3, "kobjects")
			b.ReportMetric(float64(s[2].Value.Uint64())/1e6, "live-MB")
			runtime.KeepAlive(idx)
		})
	}
}
