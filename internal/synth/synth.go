// Package synth generates deterministic synthetic news corpora for
// benchmarks and ranking evaluations: the same seed gives the same articles
// byte for byte. Each article has hidden ground-truth topics; its tags are
// noisy (some missing, some wrong), and topics share part of their
// vocabulary, as real beats do.
package synth

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Topic is a beat with its own words and tags.
type Topic struct {
	Name    string
	Section string
	Tags    []string
	Words   []string
}

// Topics are the beats of the synthetic corpus; neighbours share words.
var Topics = []Topic{
	{"copper", "Mining", []string{"Copper", "Oyu Tolgoi", "Concentrate"}, words("copper concentrate smelter porphyry cathode ore grade flotation concentrator block cave molybdenum refinery tonnes drill open-pit")},
	{"coal", "Mining", []string{"Coal", "Tavan Tolgoi", "Coking coal"}, words("coal coking thermal seam basin stripping overburden washing plant trucks railway border shipments steel mills tonnes")},
	{"rare-earths", "News", []string{"Rare earths", "Critical minerals", "Diplomacy"}, words("rare earths critical minerals magnets neodymium separation memorandum partnership strategic third neighbor diplomacy supply chains processing")},
	{"gold", "Economy", []string{"Gold", "Central bank", "Reserves"}, words("gold bullion reserves central bank tugrik placer artisanal ounces purchases price heap leach river refinery")},
	{"solar", "Energy", []string{"Solar power", "Renewable energy", "Grid"}, words("solar panels photovoltaic sunshine grid battery storage megawatts inverter tariff renewable clean daytime evening peak")},
	{"wind", "Energy", []string{"Wind power", "Renewable energy", "Transmission"}, words("wind turbines steppe megawatts transmission lines grid renewable tariff blades capacity factor auction clean")},
	{"rail", "Infrastructure", []string{"Railways", "Logistics", "Border crossings"}, words("railway gauge freight wagons locomotives border crossing logistics terminal corridor sleepers track trucks transit")},
	{"law", "Policy", []string{"Minerals law", "Taxation", "Regulation"}, words("parliament law amendment royalty tax licence regulation ministry fund transparency audit budget revenue governance")},
	{"water", "Environment", []string{"Water", "Herders", "Environment"}, words("water aquifer groundwater herders pasture wells drought river pollution rehabilitation dust monitoring livestock")},
	{"aviation", "News", []string{"Aviation", "Tourism", "Open Skies"}, words("airline flights airport tourism visitors routes open skies aviation agreement passengers travel carriers")},
}

var shared = words("mongolia government company officials analysts said year project province investment plan report minister market economy growth")

var filler = words("the a of and to in on for with by from that this is was will be as at its their has have new more")

func words(s string) []string { return strings.Fields(s) }

// Article is one generated story with its hidden truth.
type Article struct {
	Slug      string
	Title     string
	Section   string
	Tags      []string
	Author    string
	Published time.Time
	Summary   string
	Body      string
	Topics    []string // ground truth, never shown to the ranker
}

// Options shape a corpus.
type Options struct {
	N         int
	Seed      uint64
	TagDrop   float64   // chance that each true tag is left off
	TagWrong  float64   // chance of one tag from an unrelated topic
	SecondTop float64   // chance of a second topic
	Start     time.Time // the oldest article's date
}

// Defaults are the noise levels the evaluation uses.
func Defaults(n int) Options {
	return Options{N: n, Seed: 1, TagDrop: 0.4, TagWrong: 0.25, SecondTop: 0.2,
		Start: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
}

var authors = []string{"Bolormaa Tseren", "Ganbold Dorj", "Sarah Whitfield", "Enkhjin Bat", "Oyunaa Sukh"}

// Generate makes o.N articles, deterministically.
func Generate(o Options) []Article {
	r := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	out := make([]Article, o.N)
	for i := range out {
		ti := r.IntN(len(Topics))
		t := Topics[ti]
		topics := []string{t.Name}
		vocab := append([]string(nil), t.Words...)
		// Neighbouring beats share words: a third of the story's topical
		// words come from the next topic, so word overlap alone misleads.
		next := Topics[(ti+1)%len(Topics)].Words
		for k := 0; k < len(t.Words)/2; k++ {
			vocab = append(vocab, next[k%len(next)])
		}
		if r.Float64() < o.SecondTop {
			t2 := Topics[r.IntN(len(Topics))]
			if t2.Name != t.Name {
				topics = append(topics, t2.Name)
				vocab = append(vocab, t2.Words[:len(t2.Words)/2]...)
			}
		}
		var tags []string
		for _, tag := range t.Tags {
			if r.Float64() >= o.TagDrop {
				tags = append(tags, tag)
			}
		}
		if r.Float64() < o.TagWrong {
			w := Topics[r.IntN(len(Topics))]
			tags = append(tags, w.Tags[r.IntN(len(w.Tags))])
		}
		title := sentence(r, vocab, 5+r.IntN(4), false)
		var body strings.Builder
		for p := 0; p < 3+r.IntN(3); p++ {
			for s := 0; s < 3+r.IntN(3); s++ {
				body.WriteString(sentenceMix(r, vocab, 10+r.IntN(10)))
				body.WriteByte(' ')
			}
			body.WriteString("\n\n")
		}
		out[i] = Article{
			Slug:      fmt.Sprintf("%s-%06d", t.Name, i),
			Title:     title,
			Section:   t.Section,
			Tags:      dedupe(tags),
			Author:    authors[r.IntN(len(authors))],
			Published: o.Start.Add(time.Duration(i) * 37 * time.Minute),
			Summary:   sentenceMix(r, vocab, 16),
			Body:      body.String(),
			Topics:    topics,
		}
	}
	return out
}

func sentence(r *rand.Rand, vocab []string, n int, _ bool) string {
	ws := make([]string, n)
	for i := range ws {
		ws[i] = vocab[r.IntN(len(vocab))]
	}
	s := strings.Join(ws, " ")
	return strings.ToUpper(s[:1]) + s[1:]
}

// sentenceMix draws from the topic's words, the shared words and filler.
func sentenceMix(r *rand.Rand, vocab []string, n int) string {
	ws := make([]string, n)
	for i := range ws {
		switch x := r.Float64(); {
		case x < 0.45:
			ws[i] = vocab[r.IntN(len(vocab))]
		case x < 0.65:
			ws[i] = shared[r.IntN(len(shared))]
		default:
			ws[i] = filler[r.IntN(len(filler))]
		}
	}
	s := strings.Join(ws, " ")
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// Markdown renders an article as an importable file.
func (a Article) Markdown() string {
	var b strings.Builder
	b.WriteString("---\n")
	fmt.Fprintf(&b, "title: %q\nslug: %s\nsection: %s\n", a.Title, a.Slug, a.Section)
	b.WriteString("tags: [")
	for i, t := range a.Tags {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(t)
	}
	fmt.Fprintf(&b, "]\nauthors: [%s]\npublished: %s\nsummary: %q\nsample: true\n---\n", a.Author, a.Published.Format(time.RFC3339), a.Summary)
	b.WriteString(a.Body)
	return b.String()
}
