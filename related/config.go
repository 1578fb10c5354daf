package related

import "time"

// Config weighs the ranking. The defaults are those the evaluation
// (make eval-related) measured best; see bench/RESULTS.md.
type Config struct {
	TextWeight, TagWeight, SectionWeight float64
	HalfLife                             time.Duration // recency decay
	RecencyFloor                         float64       // the weight an old story keeps, 0..1
	MinScore                             float64       // below it a story is not shown
	TagCardinality                       float64       // tags on more than this share of stories are ignored
	TermCardinality                      float64       // likewise for words
	QueryTerms                           int           // the source's most characteristic words used
	DocTerms                             int           // words kept per story in the index
	TitleBoost                           int           // a title word counts this many times
	MaxTitleSimilarity                   float64       // near-duplicate titles above it are dropped
}

// DefaultConfig is the configuration the evaluation chose.
func DefaultConfig() Config {
	return Config{
		TextWeight: 0.6, TagWeight: 0.3, SectionWeight: 0.1,
		HalfLife: 365 * 24 * time.Hour, RecencyFloor: 0.7, MinScore: 0.12,
		TagCardinality: 0.2, TermCardinality: 0.3,
		QueryTerms: 100, DocTerms: 100, TitleBoost: 2, MaxTitleSimilarity: 0.6,
	}
}
