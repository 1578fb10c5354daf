package content_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/internal/synth"
)

// BenchmarkRank shows how one ranking's cost grows with the corpus: it
// reads bounded posting lists, so 100× the stories costs far less than
// 100× the time (bench/RESULTS.md).
func BenchmarkRank(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			arts := synth.Generate(synth.Defaults(n))
			idx := content.NewRelatedIndex(content.DefaultRankConfig())
			idx.PutAll(content.SynthDocs(arts))
			now := arts[len(arts)-1].Published.Add(time.Hour)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				idx.Rank(arts[(i*7919)%len(arts)].Slug, 5, now)
			}
		})
	}
}
