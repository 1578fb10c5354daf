package content

import (
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/bylinehq/byline/internal/synth"
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

func samePlainText(a, b string) bool { return a == b }

func TestPlainTextMatchesRegexp(t *testing.T) {
	alphabet := []string{"<", ">", "p", "a", " ", "\n", "\t", "\u00a0", "\u2003", "\xff", "&amp;", "&nbsp;", "&", ";", "ө", "/", "\""}
	for _, s := range append(plainTextSeeds, synth.Texts(3, alphabet, 30, 20000)...) {
		agrees(t, "PlainText", PlainText, plainTextByRegexp, samePlainText, s)
	}
}

func FuzzPlainText(f *testing.F) {
	for _, s := range plainTextSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { agrees(t, "PlainText", PlainText, plainTextByRegexp, samePlainText, s) })
}
