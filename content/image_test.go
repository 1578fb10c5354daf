package content

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

func TestArticleImageURL(t *testing.T) {
	cases := []struct {
		name, url string
		ok        bool
	}{
		{"https", "https://cdn.example.com/a.jpg", true},
		{"http with query", "http://cdn.example.com/a.jpg?w=1200", true},
		{"upper-case scheme", "HTTPS://cdn.example.com/a.jpg", true},
		{"site path", "/media/2024/a.jpg", true},
		{"site path with query", "/media/a.jpg?v=2", true},

		{"protocol-relative", "//evil.example/a.jpg", false},
		{"backslash protocol-relative", "/\\evil.example/a.jpg", false},
		{"relative path", "media/a.jpg", false},
		{"javascript", "javascript:alert(1)", false},
		{"data", "data:image/svg+xml;base64,PHN2Zz4=", false},
		{"no host", "https:///a.jpg", false},
		{"scheme and path only", "http:/a.jpg", false},
		{"userinfo", "https://user:pw@cdn.example.com/a.jpg", false},
		{"other scheme", "ftp://cdn.example.com/a.jpg", false},
		{"space", "https://cdn.example.com/a b.jpg", false},
		{"newline", "/media/a.jpg\nX", false},
		{"NUL", "/media/a.jpg\x00", false},
		{"quote", "https://cdn.example.com/a.jpg\"onerror=\"x", false},
		{"angle bracket", "/media/<script>", false},
		{"too long", "https://cdn.example.com/" + strings.Repeat("a", 2000), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svc, st := inputService()
			a, err := svc.Upsert(context.Background(), ArticleInput{Slug: "story", Title: ptrTo("Story"), Section: ptrTo("News"),
				Image: &Image{URL: c.url, Alt: "A photo"}})
			if c.ok {
				if err != nil || a.Image == nil || a.Image.URL != c.url {
					t.Fatalf("refused %q: %v", c.url, err)
				}
				return
			}
			wantInvalid(t, err, "image.url")
			if len(st.articles) != 0 {
				t.Fatal("a refused article was stored")
			}
		})
	}
	t.Run("import refuses the same", func(t *testing.T) {
		svc, st := inputService()
		_, err := svc.Import(context.Background(), fstest.MapFS{
			"a.md": {Data: []byte("---\ntitle: A\nsection: news\npublished: 2024-05-01\nimage: //evil.example/a.jpg\n---\nText.\n")},
		})
		if err == nil || !strings.Contains(err.Error(), "a.md") || !strings.Contains(err.Error(), "image.url") {
			t.Fatalf("want an error naming a.md and image.url, got %v", err)
		}
		var inv *InvalidError
		if !errors.As(err, &inv) || len(st.articles) != 0 {
			t.Fatalf("want an InvalidError and nothing written, got %v, %d written", err, len(st.articles))
		}
	})
}
