package content

import (
	"io/fs"
	"path"
	"strings"
	"testing"
	"time"
)

func TestTruncate(t *testing.T) {
	cases := []struct {
		name, in string
		max      int
		want     string
	}{
		{"seed title at 32", "Mongolia Prime Minister pays official visit to the USA", 32, "Mongolia Prime Minister pays…"},
		{"fits", "News", 32, "News"},
		{"exactly the limit", "abcd efgh", 9, "abcd efgh"},
		{"boundary right after the cut", "abcd efgh", 5, "abcd…"},
		{"one long word", "Supercalifragilistic", 6, "Super…"},
		{"punctuation before the cut is dropped", "Copper, coal and gold", 9, "Copper…"},
		{"cyrillic counts runes", "Монгол Улсын Ерөнхий сайд", 14, "Монгол Улсын…"},
		{"one rune", "Home page", 1, "…"},
		{"no limit", "Anything at all", 0, "Anything at all"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Truncate(c.in, c.max)
			if got != c.want {
				t.Fatalf("Truncate(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
			}
			if c.max > 0 && len([]rune(got)) > c.max {
				t.Fatalf("%q is longer than %d", got, c.max)
			}
		})
	}
}

func TestSlugify(t *testing.T) {
	cases := map[string]string{
		"Rare earths":               "rare-earths",
		"  Oyu  Tolgoi!! ":          "oyu-tolgoi",
		"Mongolia's third neighbor": "mongolias-third-neighbor",
		"Сэргээгдэх эрчим хүч":      "сэргээгдэх-эрчим-хүч",
		"U.S.-Mongolia":             "u-s-mongolia",
		"---":                       "",
	}
	for in, want := range cases {
		if got := Slugify(in); got != want {
			t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
		}
	}
	if ValidSlug("Bad Slug") || !ValidSlug("good-slug-2") || ValidSlug(strings.Repeat("a", 201)) {
		t.Error("ValidSlug")
	}
}

func TestCursorRoundTrip(t *testing.T) {
	c := Cursor{PublishedAt: time.Date(2023, 8, 8, 9, 0, 0, 0, time.UTC), ID: 42}
	got, err := ParseCursor(c.String())
	if err != nil || *got != c {
		t.Fatalf("round trip: %v %v", got, err)
	}
	for _, bad := range []string{"", "x", "YzI6MToy", "YzE6YTox", "YzE6MTow", strings.Repeat("A", 100)} {
		if _, err := ParseCursor(bad); err == nil {
			t.Errorf("ParseCursor(%q) accepted a forged cursor", bad)
		}
	}
}

func TestReadingTime(t *testing.T) {
	if ReadingTime("") != 1 || ReadingTime(strings.Repeat("word ", 200)) != 1 || ReadingTime(strings.Repeat("word ", 201)) != 2 {
		t.Fatal("ReadingTime")
	}
}

func TestParseArticleFile(t *testing.T) {
	cases := []struct {
		name, file, wantErr string
	}{
		{"ok", "---\ntitle: T\nsection: news\npublished: 2024-01-02\n---\nBody", ""},
		{"crlf", "---\r\ntitle: T\r\nsection: news\r\n---\r\nBody", ""},
		{"no front matter", "Body", "no front matter"},
		{"unclosed", "---\ntitle: T\n", "not closed"},
		{"unknown key", "---\ntittle: T\n---\n", "tittle"},
		{"bad date", "---\ntitle: T\npublished: last tuesday\n---\n", "not a date"},
		{"bad yaml", "---\ntitle: [\n---\n", "front matter"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in, err := ParseArticleFile("dir/my-story.md", []byte(c.file))
			if c.wantErr == "" {
				if err != nil || in.Slug != "my-story" || *in.Title != "T" {
					t.Fatalf("%+v %v", in, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error %v, want it to mention %q", err, c.wantErr)
			}
		})
	}
}

func TestSampleContent(t *testing.T) {
	svc := NewService(Stores{}, Config{})
	entries, err := fs.ReadDir(Sample(), ".")
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]bool{}
	n := 0
	var seed *ArticleRecord
	for _, e := range entries {
		if path.Ext(e.Name()) != ".md" || e.Name() == "README.md" {
			continue
		}
		data, _ := fs.ReadFile(Sample(), e.Name())
		in, err := ParseArticleFile(e.Name(), data)
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		rec, err := svc.buildRecord(nil, in)
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		if rec.PublishedAt == nil {
			t.Errorf("%s has no published date", e.Name())
		}
		sections[rec.Section.Slug] = true
		n++
		if rec.Slug == "mongolia-prime-minister-pays-official-visit-to-the-usa" {
			seed = &rec
		} else if !rec.Sample {
			t.Errorf("%s is fictional but not marked sample: true", e.Name())
		}
	}
	if n < 41 || len(sections) < 5 {
		t.Fatalf("%d articles in %d sections, want at least 41 in 5", n, len(sections))
	}
	if seed == nil || seed.Section.Slug != "news" {
		t.Fatal("the seed article is missing or not in news")
	}
	// The seed's text, exactly: every paragraph of the publisher's page.
	for _, p := range []string{
		"Mongolian Prime Minister Oyun-Erdene Luvsannamsrai paid an official visit to the USA from August 2nd to 6th, 2023.",
		"Mongolia boasts extensive deposits of rare earths and copper, crucial for high-tech applications including defense equipment and the Biden Administration’s endeavors",
		"Both countries have engaged in military and defense cooperation, including joint training exercises and exchanges. The U.S. has provided assistance to Mongolia in areas such as peacekeeping operations and defense reform.",
	} {
		if !strings.Contains(seed.Source, p) {
			t.Errorf("seed text lacks %q", p)
		}
	}
}
