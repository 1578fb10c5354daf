package related

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// stopWords are English words too common to say what a story is about.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a about above after again against all also am an and any are as at be because been
		before being below between both but by can could did do does doing down during each few for from further
		had has have having he her here hers herself him himself his how i if in into is it its itself just me more
		most my myself no nor not now of off on once only or other our ours ourselves out over own same she should
		so some such than that the their theirs them themselves then there these they this those through to too
		under until up very was we were what when where which while who whom why will with would you your yours
		yourself yourselves said says say new one two three also year years per cent percent its it's which
		will would may might must can could shall should`) {
		m[w] = true
	}
	return m
}()

// tokens splits text into index terms: runs of letters and digits in any
// script, lower-cased, English stop words and one-letter tokens dropped,
// and a plural "s" folded on longer Latin words ("earths" → "earth").
// Cyrillic (Mongolian) words are kept whole: a wrong stem hurts more than
// none.
//
// One pass over the lower-cased text, with ASCII decided by comparison and
// no callback or slice of fields per word: it runs over every story at
// start-up, where tokenising is most of building the index.
// TestTokensMatchFieldsFunc holds it to the plain definition.
func tokens(text string) []string {
	lower := strings.ToLower(text)
	var out []string
	start := -1
	for i := 0; i < len(lower); {
		c, size := lower[i], 1
		var word bool
		if c < utf8.RuneSelf {
			word = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(lower[i:])
			word = unicode.IsLetter(r) || unicode.IsDigit(r)
		}
		switch {
		case word && start < 0:
			start = i
		case !word && start >= 0:
			out = appendToken(out, lower[start:i])
			start = -1
		}
		i += size
	}
	if start >= 0 {
		out = appendToken(out, lower[start:])
	}
	return out
}

// appendToken adds one run of letters and digits to out, unless it is a
// stop word or a single letter, with a plural "s" folded.
func appendToken(out []string, f string) []string {
	if utf8.RuneCountInString(f) < 2 || stopWords[f] {
		return out
	}
	if n := len(f); n > 4 && f[n-1] == 's' && f[n-2] != 's' && f[n-2] != 'u' && f[n-2] != 'i' && isASCII(f) {
		f = f[:n-1]
	}
	return append(out, f)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
