package content

import (
	"strings"
	"unicode"
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

// Tokens splits text into index terms: runs of letters and digits in any
// script, lower-cased, English stop words and one-letter tokens dropped,
// and a plural "s" folded on longer Latin words ("earths" → "earth").
// Cyrillic (Mongolian) words are kept whole: a wrong stem hurts more than
// none.
func Tokens(text string) []string {
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

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
