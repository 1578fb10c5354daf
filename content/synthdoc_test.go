package content

import "github.com/bylinehq/byline/internal/synth"

// SynthDoc is what the related index knows of a synthetic article, the
// i-th of its corpus. Exported for the package's external tests and
// benchmarks (a test file: not part of the package).
func SynthDoc(i int, a synth.Article) RelatedDoc {
	p := a.Published
	return RelatedDoc{ID: int64(i + 1), Slug: a.Slug, Section: a.Section, Tags: a.Tags, Published: &p, Title: a.Title, Text: a.Summary + " " + a.Body}
}

// SynthDocs is SynthDoc for a whole corpus.
func SynthDocs(arts []synth.Article) []RelatedDoc {
	docs := make([]RelatedDoc, len(arts))
	for i, a := range arts {
		docs[i] = SynthDoc(i, a)
	}
	return docs
}

// SynthIndex is an index of n synthetic stories, and the stories.
func SynthIndex(n int) (*RelatedIndex, []synth.Article) {
	arts := synth.Generate(synth.Defaults(n))
	idx := NewRelatedIndex(DefaultRankConfig())
	idx.PutAll(SynthDocs(arts))
	return idx, arts
}
