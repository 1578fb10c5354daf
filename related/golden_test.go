package related_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bylinehq/byline/internal/synth"
	"github.com/bylinehq/byline/related"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestRankGolden pins the rankings of a synthetic corpus, through
// rewrites and removals, to testdata/rank.golden: a change to how the
// index stores its data must not change a single ranking or explanation.
// A deliberate ranking change updates the file (go test -run RankGolden
// -update ./related) and shows in its diff.
func TestRankGolden(t *testing.T) {
	arts := synth.Generate(synth.Defaults(3000))
	doc := related.SynthDoc
	idx := related.New(related.DefaultConfig())
	docs := make([]related.Doc, 0, len(arts))
	for i, a := range arts[:2500] {
		docs = append(docs, doc(i, a))
	}
	idx.PutAll(docs)
	// The rest one at a time, as writes arrive; then rewrites (another
	// story's text under an existing slug) and removals, enough of them
	// that any compaction of the index's storage runs.
	for i, a := range arts[2500:] {
		idx.Put(doc(2500+i, a))
	}
	for i := 0; i < 1200; i++ {
		d := doc(i, arts[i])
		o := arts[(i*31+7)%len(arts)]
		d.Title, d.Text, d.Tags = o.Title, o.Summary+" "+o.Body, o.Tags
		idx.Put(d)
	}
	for i := 1200; i < 1800; i += 2 {
		idx.Remove(arts[i].Slug)
	}
	now := arts[len(arts)-1].Published.Add(time.Hour)
	var b strings.Builder
	fmt.Fprintf(&b, "stories %d\n", idx.Len())
	for i := 0; i < len(arts); i += 37 {
		fmt.Fprintf(&b, "%s:\n", arts[i].Slug)
		for _, e := range idx.Rank(arts[i].Slug, 5, now) {
			fmt.Fprintf(&b, "  %s %d %.3f tags=%v terms=%v section=%v\n", e.Slug, e.ID, e.Score, e.SharedTags, e.SharedTerms, e.SameSection)
		}
	}
	path := filepath.Join("testdata", "rank.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got := b.String(); got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("rankings differ from %s at line %d:\n got  %s\n want %s", path, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("rankings differ from %s: %d lines, want %d", path, len(gl), len(wl))
	}
}
