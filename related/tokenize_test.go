package related

import (
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/bylinehq/byline/internal/synth"
)

// tokensByFieldsFunc is tokens' definition, written the obvious way.
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

func TestTokens(t *testing.T) {
	cases := map[string]string{
		"The Prime Minister's official visit to the USA": "prime minister official visit usa",
		"Rare earths and copper concentrates":            "rare earth copper concentrate",
		"Говьд шинэ нарны станц ашиглалтад орлоо.":       "говьд шинэ нарны станц ашиглалтад орлоо",
		"Mining glass, bus, status":                      "mining glass bus status",
	}
	for in, want := range cases {
		if got := strings.Join(tokens(in), " "); got != want {
			t.Errorf("tokens(%q) = %q, want %q", in, got, want)
		}
	}
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

func matchesFieldsFunc(t *testing.T, s string) {
	t.Helper()
	if got, want := tokens(s), tokensByFieldsFunc(s); !slices.Equal(got, want) {
		t.Fatalf("tokens(%q)\n got %#v\nwant %#v", s, got, want)
	}
}

func TestTokensMatchFieldsFunc(t *testing.T) {
	// Random strings over an alphabet of the cases that matter: ASCII
	// letters and digits, punctuation, Cyrillic, letters whose case
	// changes their length, marks, invalid bytes.
	alphabet := []string{"a", "Z", "s", "7", " ", ".", "'", "-", "ө", "Ү", "İ", "ǅ", "\u0301", "\xff", "\xc3", "日", "ß", "Σ"}
	for _, s := range append(tokenSeeds, synth.Texts(1, alphabet, 40, 20000)...) {
		matchesFieldsFunc(t, s)
	}
}

func FuzzTokens(f *testing.F) {
	for _, s := range tokenSeeds {
		f.Add(s)
	}
	f.Fuzz(matchesFieldsFunc)
}

func BenchmarkTokens(b *testing.B) {
	text := strings.Repeat("Mongolia's copper exports rose 12% as Oyu Tolgoi's underground mine ramps up; Монгол Улсын эдийн засаг. ", 30)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		tokens(text)
	}
}
