package content

import (
	"slices"
	"strings"
	"testing"
	"unicode"
)

// tokensByFieldsFunc is Tokens' definition, written the obvious way (it
// was the implementation until start-up at 100k stories needed faster).
func tokensByFieldsFunc(text string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if len([]rune(f)) < 2 || stopWords[f] {
			continue
		}
		if n := len(f); n > 4 && f[n-1] == 's' && f[n-2] != 's' && f[n-2] != 'u' && f[n-2] != 'i' && isASCII(f) {
			f = f[:n-1]
		}
		out = append(out, f)
	}
	return out
}

var tokenSeeds = []string{
	"",
	"Mongolia Prime Minister pays a visit to Oyu Tolgoi's copper mines",
	"Монгол Улсын Ерөнхий сайд Оюу толгойд айлчиллаа",
	"Coal exports: 83.5 million tonnes in 2026 (up 12%)",
	"ÅNGSTRÖM İstanbul DŽungla ǅ ΣΊΣΥΦΟΣ", // case mappings that change length
	"e\u0301clair naïve café",             // combining marks are not letters
	"bad \xff\xfe utf8 \xc3 here",
	"x y z a1 b2 ab",
	"earths gases status analysis bus pass mines",
	"日本語のテキスト 中文 한국어",
	"tab\tnew\nline\r\u00a0nbsp\u2028sep",
}

func TestTokensMatchFieldsFunc(t *testing.T) {
	// Random strings over an alphabet of the cases that matter: ASCII
	// letters and digits, punctuation, Cyrillic, letters whose case
	// changes their length, marks, invalid bytes.
	alphabet := []string{"a", "Z", "s", "7", " ", ".", "'", "-", "ө", "Ү", "İ", "ǅ", "\u0301", "\xff", "\xc3", "日", "ß", "Σ"}
	for _, s := range append(tokenSeeds, randomTexts(1, alphabet, 40, 20000)...) {
		agrees(t, "Tokens", Tokens, tokensByFieldsFunc, slices.Equal[[]string], s)
	}
}

func FuzzTokens(f *testing.F) {
	for _, s := range tokenSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		agrees(t, "Tokens", Tokens, tokensByFieldsFunc, slices.Equal[[]string], s)
	})
}

func BenchmarkTokens(b *testing.B) {
	text := strings.Repeat("Mongolia's copper exports rose 12% as Oyu Tolgoi's underground mine ramps up; Монгол Улсын эдийн засаг. ", 30)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Tokens(text)
	}
}
