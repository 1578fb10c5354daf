package main

// The Reuters-21578 evaluation (make eval-related-real): real newswire with
// topic labels, which the ranking never sees. The corpus is for research
// only and never ships with Byline; without it the evaluation says so and
// stops.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/related"
)

type story struct {
	id          int
	title, body string
	labels      []string
	date        time.Time
	test        bool
}

// loadReuters reads articles.jsonl, leaving out the stories duplicates.tsv
// says repeat an earlier one.
func loadReuters(dir string) ([]story, error) {
	dups := map[string]bool{}
	if f, err := os.Open(filepath.Join(dir, "duplicates.tsv")); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if id, _, ok := strings.Cut(sc.Text(), "\t"); ok {
				dups[id] = true
			}
		}
		f.Close()
	}
	f, err := os.Open(filepath.Join(dir, "articles.jsonl"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []story
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r struct {
			ID, Title, Body, Date string
			Labels                []string
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, err
		}
		if dups[r.ID] {
			continue
		}
		id, _ := strconv.Atoi(r.ID)
		d, _ := time.Parse("2006-01-02", r.Date)
		out = append(out, story{id: id, title: r.Title, body: r.Body, labels: r.Labels, date: d, test: id >= 14826})
	}
	return out, sc.Err()
}

// reutersDocs are the stories as the store gives them to the index
// (store.IndexDocs): one section, no tags, text = summary + plain body.
func reutersDocs(st []story) []related.Doc {
	docs := make([]related.Doc, len(st))
	for i, s := range st {
		pub := s.date.UTC()
		docs[i] = related.Doc{ID: int64(s.id), Slug: strconv.Itoa(s.id), Section: "news", Published: &pub,
			Title: s.title, Text: "" + " " + content.PlainText(s.body)}
	}
	return docs
}

// sources samples the evaluation's query stories from one split.
func sources(st []story, test bool, n int) []int {
	var pool []int
	for i, s := range st {
		if s.test == test && len(s.body) > 200 {
			pool = append(pool, i)
		}
	}
	r := rand.New(rand.NewPCG(20261202, 20261202))
	r.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	return pool[:min(n, len(pool))]
}

func evalReuters(dir, split string, n int, tune bool) error {
	if _, err := os.Stat(filepath.Join(dir, "articles.jsonl")); err != nil {
		fmt.Printf("reuters: %s not found; skipping (the corpus is research-only and not shipped)\n", dir)
		return nil
	}
	st, err := loadReuters(dir)
	if err != nil {
		return fmt.Errorf("reuters: %w", err)
	}
	srcs := sources(st, split == "test", n)
	byID := map[string]int{}
	for i, s := range st {
		byID[strconv.Itoa(s.id)] = i
	}
	var latest time.Time
	for _, s := range st {
		if s.date.After(latest) {
			latest = s.date
		}
	}
	now := latest.Add(24 * time.Hour)
	docs := reutersDocs(st)
	score := func(rank func(src int) []int) (float64, float64) {
		var sp, sg float64
		for _, q := range srcs {
			got := rank(q)
			rel := 0
			var dcg float64
			for r, d := range got[:min(5, len(got))] {
				if shares(st[d].labels, st[q].labels) {
					rel++
					dcg += 1 / math.Log2(float64(r+2))
				}
			}
			var idcg float64
			for r := 0; r < 5; r++ {
				idcg += 1 / math.Log2(float64(r+2))
			}
			sp += float64(rel) / 5
			sg += dcg / idcg
		}
		return sp / float64(len(srcs)), sg / float64(len(srcs))
	}
	byline := func(cfg related.Config) func(int) []int {
		idx := related.New(cfg)
		idx.PutAll(docs)
		return func(q int) []int {
			var out []int
			for _, e := range idx.Rank(docs[q].Slug, 5, now) {
				out = append(out, byID[e.Slug])
			}
			return out
		}
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "reuters-21578 %s: %d stories, %d %s sources, relevant = shares a topic label\n",
		dir, len(st), len(srcs), strings.ToUpper(split))
	fmt.Fprintln(tw, "ranking\tprecision@5\tnDCG@5")
	bl := newBaselines(st)
	p, g := score(bl.tfidf)
	fmt.Fprintf(tw, "tf-idf cosine (title+body)\t%.3f\t%.3f\n", p, g)
	p, g = score(bl.mlt)
	fmt.Fprintf(tw, "bm25 more-like-this (25 terms)\t%.3f\t%.3f\n", p, g)
	p, g = score(byline(related.DefaultConfig()))
	fmt.Fprintf(tw, "byline related.Index (defaults)\t%.3f\t%.3f\n", p, g)
	if tune {
		for _, c := range tuneGrid() {
			p, g := score(byline(c.cfg))
			fmt.Fprintf(tw, "  %s\t%.3f\t%.3f\n", c.name, p, g)
		}
	}
	return tw.Flush()
}

type tuned struct {
	name string
	cfg  related.Config
}

// tuneGrid is what -tune compares, on TRAIN sources.
func tuneGrid() []tuned {
	var out []tuned
	for _, qt := range []int{20, 64, 100, 128} {
		for _, tb := range []int{1, 2, 3} {
			cfg := related.DefaultConfig()
			cfg.QueryTerms, cfg.DocTerms, cfg.TitleBoost = qt, max(64, qt), tb
			out = append(out, tuned{fmt.Sprintf("query words %d, doc words %d, title×%d", qt, cfg.DocTerms, tb), cfg})
		}
	}
	return out
}

// baselines are the textbook rankings, computed over the whole corpus.
type baselines struct {
	n     int
	tf    []map[string]float64 // raw term counts, title + body
	df    map[string]int
	len   []float64
	avg   float64
	post  map[string][]int
	norms []float64
}

func baseTokens(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if len(f) > 1 && !baseStop[f] {
			out = append(out, f)
		}
	}
	return out
}

var baseStop = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields("a an and are as at be by for from has have he in is it its of on or that the to was were will with said would this which not but") {
		m[w] = true
	}
	return m
}()

func newBaselines(st []story) *baselines {
	b := &baselines{n: len(st), df: map[string]int{}, post: map[string][]int{}}
	var sum float64
	for i, s := range st {
		tf := map[string]float64{}
		for _, t := range baseTokens(s.title + " " + s.body) {
			tf[t]++
		}
		var l float64
		for t, c := range tf {
			b.df[t]++
			b.post[t] = append(b.post[t], i)
			l += c
		}
		b.tf = append(b.tf, tf)
		b.len = append(b.len, l)
		sum += l
	}
	b.avg = sum / float64(len(st))
	b.norms = make([]float64, len(st))
	for i, tf := range b.tf {
		var s float64
		for t, c := range tf {
			w := (1 + math.Log(c)) * b.idf(t)
			s += w * w
		}
		b.norms[i] = math.Sqrt(s)
	}
	return b
}

func (b *baselines) idf(t string) float64 { return math.Log(float64(b.n) / float64(b.df[t])) }

func (b *baselines) top(q int, scores map[int]float64) []int {
	delete(scores, q)
	ids := make([]int, 0, len(scores))
	for d := range scores {
		ids = append(ids, d)
	}
	sort.Slice(ids, func(i, j int) bool {
		if scores[ids[i]] != scores[ids[j]] {
			return scores[ids[i]] > scores[ids[j]]
		}
		return ids[i] < ids[j]
	})
	return ids[:min(5, len(ids))]
}

func (b *baselines) tfidf(q int) []int {
	scores := map[int]float64{}
	for t, c := range b.tf[q] {
		wq := (1 + math.Log(c)) * b.idf(t)
		for _, d := range b.post[t] {
			scores[d] += wq * (1 + math.Log(b.tf[d][t])) * b.idf(t) / b.norms[d]
		}
	}
	return b.top(q, scores)
}

func (b *baselines) mlt(q int) []int {
	type tw struct {
		t string
		w float64
	}
	var terms []tw
	for t, c := range b.tf[q] {
		terms = append(terms, tw{t, c * b.idf(t)})
	}
	slices.SortFunc(terms, func(x, y tw) int {
		if x.w != y.w {
			if x.w > y.w {
				return -1
			}
			return 1
		}
		return strings.Compare(x.t, y.t)
	})
	terms = terms[:min(25, len(terms))]
	const k1, bb = 1.2, 0.75
	scores := map[int]float64{}
	for _, x := range terms {
		df := float64(b.df[x.t])
		idf := math.Log(1 + (float64(b.n)-df+0.5)/(df+0.5))
		for _, d := range b.post[x.t] {
			tf := b.tf[d][x.t]
			scores[d] += idf * tf * (k1 + 1) / (tf + k1*(1-bb+bb*b.len[d]/b.avg))
		}
	}
	return b.top(q, scores)
}
