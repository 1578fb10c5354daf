// Command bylineeval measures related-story ranking on a labelled synthetic
// corpus (internal/synth: every article has hidden ground-truth topics, its
// tags are noisy, topics share words). It prints precision@5 and nDCG@5 for
// Byline's ranking and for the baseline "count shared tags, newest first",
// and with -bench the index's build time, memory and ranking latency at
// several corpus sizes. `make eval-related` runs it.
package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/internal/synth"
	"github.com/bylinehq/byline/related"
)

func main() {
	n := flag.Int("n", 3000, "corpus size for the quality evaluation")
	queries := flag.Int("queries", 500, "query articles sampled")
	sweep := flag.Bool("sweep", false, "also print the metrics for a grid of weights (how the defaults were chosen)")
	bench := flag.String("bench", "", "comma-separated corpus sizes to time instead, e.g. 1000,10000,100000")
	reuters := flag.String("reuters", "", "evaluate on the Reuters-21578 corpus in this directory instead")
	split := flag.String("split", "test", "with -reuters: the ModApte split the sources come from (tune on train)")
	sources := flag.Int("sources", 400, "with -reuters: source stories sampled")
	tune := flag.Bool("tune", false, "with -reuters: also compare a grid of configurations")
	flag.Parse()
	if *reuters != "" {
		if err := evalReuters(*reuters, *split, *sources, *tune); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if *bench != "" {
		for _, s := range strings.Split(*bench, ",") {
			var size int
			fmt.Sscan(s, &size)
			timeIndex(size)
		}
		return
	}
	arts := synth.Generate(synth.Defaults(*n))
	now := arts[len(arts)-1].Published.Add(time.Hour)
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "corpus %d articles, %d queries, relevant = shares a hidden topic\n", *n, *queries)
	fmt.Fprintln(tw, "ranking\tprecision@5\tnDCG@5")
	p, g := evaluate(arts, *queries, func(q synth.Article) []string { return baseline(arts, q, 5) })
	fmt.Fprintf(tw, "baseline: shared tags, newest first\t%.3f\t%.3f\n", p, g)
	idx := build(arts, related.DefaultConfig())
	p, g = evaluate(arts, *queries, func(q synth.Article) []string { return rank(idx, q.Slug, now) })
	fmt.Fprintf(tw, "byline (defaults)\t%.3f\t%.3f\n", p, g)
	if *sweep {
		for _, tw8 := range []float64{0.3, 0.6, 0.8} {
			for _, ms := range []float64{0.05, 0.12, 0.25} {
				cfg := related.DefaultConfig()
				cfg.TextWeight, cfg.TagWeight, cfg.MinScore = tw8, 0.9-tw8, ms
				idx := build(arts, cfg)
				p, g := evaluate(arts, *queries, func(q synth.Article) []string { return rank(idx, q.Slug, now) })
				fmt.Fprintf(tw, "  text %.1f tags %.1f min %.2f\t%.3f\t%.3f\n", tw8, 0.9-tw8, ms, p, g)
			}
		}
	}
	tw.Flush()
}

func doc(a synth.Article, id int) related.Doc {
	tags := make([]string, len(a.Tags))
	for i, t := range a.Tags {
		tags[i] = content.Slugify(t)
	}
	pub := a.Published
	return related.Doc{ID: int64(id), Slug: a.Slug, Section: content.Slugify(a.Section), Tags: tags,
		Published: &pub, Title: a.Title, Text: a.Summary + " " + a.Body}
}

func build(arts []synth.Article, cfg related.Config) *related.Index {
	idx := related.New(cfg)
	docs := make([]related.Doc, len(arts))
	for i, a := range arts {
		docs[i] = doc(a, i+1)
	}
	idx.PutAll(docs)
	return idx
}

func rank(idx *related.Index, slug string, now time.Time) []string {
	var out []string
	for _, e := range idx.Rank(slug, 5, now) {
		out = append(out, e.Slug)
	}
	return out
}

// baseline is what most sites do: count shared tags, newest first.
func baseline(arts []synth.Article, q synth.Article, k int) []string {
	type c struct {
		slug   string
		shared int
		at     time.Time
	}
	var cs []c
	for _, a := range arts {
		if a.Slug == q.Slug {
			continue
		}
		n := 0
		for _, t := range a.Tags {
			if slices.Contains(q.Tags, t) {
				n++
			}
		}
		if n > 0 {
			cs = append(cs, c{a.Slug, n, a.Published})
		}
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].shared != cs[j].shared {
			return cs[i].shared > cs[j].shared
		}
		return cs[i].at.After(cs[j].at)
	})
	var out []string
	for i := 0; i < len(cs) && i < k; i++ {
		out = append(out, cs[i].slug)
	}
	return out
}

// evaluate averages precision@5 and nDCG@5 (binary relevance: the result
// shares a hidden topic with the query) over sampled queries. Empty slots
// count as misses: showing fewer stories is not free.
func evaluate(arts []synth.Article, queries int, ranker func(synth.Article) []string) (float64, float64) {
	topics := map[string][]string{}
	for _, a := range arts {
		topics[a.Slug] = a.Topics
	}
	step := max(1, len(arts)/queries)
	var sumP, sumG float64
	count := 0
	for i := 0; i < len(arts) && count < queries; i += step {
		q := arts[i]
		got := ranker(q)
		rel := 0
		var dcg float64
		for r, slug := range got {
			if shares(topics[slug], q.Topics) {
				rel++
				dcg += 1 / math.Log2(float64(r+2))
			}
		}
		var idcg float64
		for r := 0; r < 5; r++ {
			idcg += 1 / math.Log2(float64(r+2))
		}
		sumP += float64(rel) / 5
		sumG += dcg / idcg
		count++
	}
	return sumP / float64(count), sumG / float64(count)
}

func shares(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// timeIndex builds an index of size articles and times rankings.
func timeIndex(size int) {
	arts := synth.Generate(synth.Defaults(size))
	now := arts[len(arts)-1].Published.Add(time.Hour)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	idx := build(arts, related.DefaultConfig())
	took := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	var lat []time.Duration
	for i := 0; i < 2000; i++ {
		q := arts[(i*7919)%len(arts)]
		t := time.Now()
		idx.Rank(q.Slug, 5, now)
		lat = append(lat, time.Since(t))
	}
	slices.Sort(lat)
	fmt.Printf("%7d articles: index built in %6s, heap %6.1f MiB (estimate %6.1f MiB), rank p50 %7s p99 %7s\n",
		size, took.Round(time.Millisecond), float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), float64(idx.MemoryEstimate())/(1<<20),
		lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)*99/100].Round(time.Microsecond))
}
