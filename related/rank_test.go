package related

import (
	"strings"
	"testing"
	"time"
)

func at(days int) *time.Time {
	t := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, days)
	return &t
}

func TestRank(t *testing.T) {
	idx := New(DefaultConfig())
	filler := func(i int) Doc {
		return Doc{ID: int64(100 + i), Slug: "filler-" + string(rune('a'+i)), Section: "sport", Published: at(i),
			Title: "Wrestling festival results " + string(rune('a'+i)), Text: "naadam wrestling archery horse racing festival summer"}
	}
	for i := 0; i < 20; i++ {
		idx.Put(filler(i))
	}
	src := Doc{ID: 1, Slug: "copper-smelter", Section: "mining", Tags: []string{"copper"}, Published: at(10),
		Title: "Copper smelter study", Text: "a copper smelter would refine concentrate from the copper mine into cathode"}
	idx.PutAll([]Doc{
		src,
		{ID: 2, Slug: "copper-cathode", Section: "mining", Tags: []string{"copper"}, Published: at(5), Title: "Cathode plans for copper", Text: "refine copper concentrate into cathode at a smelter"},
		{ID: 3, Slug: "copper-cathode-again", Section: "mining", Tags: []string{"copper"}, Published: at(6), Title: "Cathode plans for copper", Text: "refine copper concentrate into cathode at a smelter again"},
		{ID: 4, Slug: "draft", Section: "mining", Tags: []string{"copper"}, Title: "Copper smelter draft", Text: "copper smelter concentrate cathode"},
		{ID: 5, Slug: "future", Section: "mining", Tags: []string{"copper"}, Published: at(400), Title: "Copper smelter future", Text: "copper smelter concentrate cathode"},
		{ID: 6, Slug: "tag-only", Section: "energy", Tags: []string{"copper"}, Published: at(9), Title: "Grid cables", Text: "power grid cables and transformers"},
	})
	got := idx.Rank("copper-smelter", 5, *at(30))
	var slugs []string
	for _, e := range got {
		slugs = append(slugs, e.Slug)
	}
	list := strings.Join(slugs, " ")
	if !strings.HasPrefix(list, "copper-cathode") {
		t.Fatalf("ranking %q: the close story should lead", list)
	}
	for _, bad := range []string{"copper-smelter", "draft", "future", "filler"} {
		if strings.Contains(list, bad) {
			t.Errorf("ranking %q holds %s", list, bad)
		}
	}
	if strings.Contains(list, "copper-cathode-again") {
		t.Errorf("ranking %q holds two stories with the same title", list)
	}
	e := got[0]
	if len(e.SharedTags) != 1 || e.SharedTags[0] != "copper" || !e.SameSection || len(e.SharedTerms) == 0 || e.Score <= 0 {
		t.Errorf("explanation %+v", e)
	}
	// Updates and removals apply at once.
	idx.Remove("copper-cathode")
	idx.Put(Doc{ID: 6, Slug: "tag-only", Section: "mining", Tags: []string{"copper"}, Published: at(9), Title: "Copper smelter tender", Text: "copper smelter concentrate cathode tender"})
	got = idx.Rank("copper-smelter", 5, *at(30))
	slugs = slugs[:0]
	for _, e := range got {
		slugs = append(slugs, e.Slug)
	}
	if list := strings.Join(slugs, " "); list != "copper-cathode-again tag-only" {
		t.Fatalf("after removing one story and rewriting another: %q", list)
	}
	if idx.Rank("no-such-story", 5, *at(30)) != nil {
		t.Fatal("an unknown story has related stories")
	}
}
