package related

import "github.com/bylinehq/byline/internal/synth"

// SynthDoc is what the index knows of a synthetic article, the
// i-th of its corpus. Exported for the package's external tests and
// benchmarks (a test file: not part of the package).
func SynthDoc(i int, a synth.Article) Doc {
	p := a.Published
	return Doc{ID: int64(i + 1), Slug: a.Slug, Section: a.Section, Tags: a.Tags, Published: &p, Title: a.Title, Text: a.Summary + " " + a.Body}
}

// SynthDocs is SynthDoc for a whole corpus.
func SynthDocs(arts []synth.Article) []Doc {
	docs := make([]Doc, len(arts))
	for i, a := range arts {
		docs[i] = SynthDoc(i, a)
	}
	return docs
}

// SynthIndex is an index of n synthetic stories, and the stories.
func SynthIndex(n int) (*Index, []synth.Article) {
	arts := synth.Generate(synth.Defaults(n))
	idx := New(DefaultConfig())
	idx.PutAll(SynthDocs(arts))
	return idx, arts
}
