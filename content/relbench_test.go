package content_test

import (
	"testing"
	"time"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/internal/synth"
)

func BenchmarkRank100k(b *testing.B) {
	arts := synth.Generate(synth.Defaults(100000))
	idx := content.NewRelatedIndex(content.DefaultRankConfig())
	docs := make([]content.RelatedDoc, len(arts))
	for i, a := range arts {
		p := a.Published
		docs[i] = content.RelatedDoc{ID: int64(i + 1), Slug: a.Slug, Section: a.Section, Tags: a.Tags, Published: &p, Title: a.Title, Text: a.Summary + " " + a.Body}
	}
	idx.PutAll(docs)
	now := arts[len(arts)-1].Published.Add(time.Hour)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		idx.Rank(arts[(i*7919)%len(arts)].Slug, 5, now)
	}
}
