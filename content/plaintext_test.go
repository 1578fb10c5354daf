package content

import (
	"html"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// plainTextByRegexp is PlainText's definition, as it was written first.
func plainTextByRegexp(htmlBody string) string {
	s := regexp.MustCompile(`<[^>]*>`).ReplaceAllString(htmlBody, " ")
	return strings.Join(strings.Fields(html.UnescapeString(s)), " ")
}

var plainTextSeeds = []string{
	"",
	"<p>Mongolia &amp; <b>copper</b></p>\n<p>second</p>",
	"a < b and c > d",
	"unclosed <tag and more",
	"<<nested>> <a href=\"x>y\">link</a>",
	"<p>line\nbreak <br\n/> inside</p>",
	"&lt;not a tag&gt; &nbsp; &#1052;&#1086;",
	">>> <",
	"\u00a0lead and trail\u2003 \u0085x\u200b\xff \t\v\f\r",
}

func TestPlainTextMatchesRegexp(t *testing.T) {
	check := func(t *testing.T, s string) {
		t.Helper()
		if got, want := PlainText(s), plainTextByRegexp(s); got != want {
			t.Fatalf("PlainText(%q)\n got %q\nwant %q", s, got, want)
		}
	}
	for _, s := range plainTextSeeds {
		check(t, s)
	}
	alphabet := []string{"<", ">", "p", "a", " ", "\n", "\t", "\u00a0", "\u2003", "\xff", "&amp;", "&nbsp;", "&", ";", "ө", "/", "\""}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		for n := rng.IntN(30); n > 0; n-- {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		check(t, b.String())
	}
}

func FuzzPlainText(f *testing.F) {
	for _, s := range plainTextSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := PlainText(s), plainTextByRegexp(s); got != want {
			t.Fatalf("PlainText(%q)\n got %q\nwant %q", s, got, want)
		}
	})
}
