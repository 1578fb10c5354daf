package content_test

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"testing"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/internal/synth"
)

// BenchmarkIndexGC measures what a live related-stories index costs every
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
			var idx *content.RelatedIndex
			if n > 0 {
				idx = buildIndex(n)
			}
			runtime.GC()
			before := gcSample()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				runtime.GC()
			}
			b.StopTimer()
			after := gcSample()
			b.ReportMetric(float64(after.scan)/1e6, "scan-MB")
			b.ReportMetric(float64(after.objects)/1e3, "kobjects")
			b.ReportMetric(float64(after.live)/1e6, "live-MB")
			_ = before
			runtime.KeepAlive(idx)
		})
	}
}

type gcStats struct{ scan, objects, live uint64 }

func gcSample() gcStats {
	s := []metrics.Sample{{Name: "/gc/scan/heap:bytes"}, {Name: "/gc/heap/objects:objects"}, {Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return gcStats{s[0].Value.Uint64(), s[1].Value.Uint64(), s[2].Value.Uint64()}
}

// buildIndex indexes n synthetic stories.
func buildIndex(n int) *content.RelatedIndex {
	arts := synth.Generate(synth.Defaults(n))
	idx := content.NewRelatedIndex(content.DefaultRankConfig())
	idx.PutAll(content.SynthDocs(arts))
	return idx
}
