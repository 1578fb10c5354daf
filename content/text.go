package content

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Slugify turns a name into a URL slug: lower case letters and digits of any
// script (Mongolian Cyrillic stays Cyrillic), runs of anything else folded
// into one hyphen.
func Slugify(s string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range strings.ToLower(s) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(r)
		case r == '\'' || r == '’':
			// "Mongolia's" reads better as mongolias than mongolia-s.
		default:
			hyphen = true
		}
	}
	return b.String()
}

// ValidSlug reports whether s is already a slug as Slugify would make it.
func ValidSlug(s string) bool {
	return s != "" && len(s) <= 200 && Slugify(s) == s
}

// Ellipsis ends a shortened label.
const Ellipsis = "…"

// Truncate shortens s to at most max runes, the ellipsis included, cutting at
// a word boundary where there is one, so "Mongolia Prime Minister pays
// official visit to the USA" at 32 becomes "Mongolia Prime Minister pays…".
func Truncate(s string, max int) string {
	s = strings.TrimSpace(s)
	if max <= 0 || utf8.RuneCountInString(s) <= max {
		return s
	}
	if max == 1 {
		return Ellipsis
	}
	runes := []rune(s)
	cut := runes[:max-1] // room for the ellipsis
	end := len(cut)
	// A word boundary: the rune after the cut is a space, or the last space
	// inside the cut.
	if !unicode.IsSpace(runes[max-1]) {
		for i := len(cut) - 1; i > 0; i-- {
			if unicode.IsSpace(cut[i]) {
				end = i
				break
			}
		}
	}
	out := strings.TrimRightFunc(string(cut[:end]), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r) && r != ')' && r != '"'
	})
	if out == "" { // one long word: cut inside it
		out = string(cut)
	}
	return out + Ellipsis
}

// wordsPerMinute is a common adult reading speed for news prose.
const wordsPerMinute = 200

// ReadingTime is the whole minutes a reader needs for text, at least one.
func ReadingTime(text string) int {
	n := len(strings.Fields(text))
	m := (n + wordsPerMinute - 1) / wordsPerMinute
	if m < 1 {
		m = 1
	}
	return m
}

// Excerpt is the start of text, at most max runes, cut at a word boundary.
func Excerpt(text string, max int) string {
	return Truncate(strings.Join(strings.Fields(text), " "), max)
}

// TitleCase makes a display name from a slug: "rare-earths" → "Rare Earths".
func TitleCase(slug string) string {
	words := strings.FieldsFunc(slug, func(r rune) bool { return r == '-' || r == '_' })
	for i, w := range words {
		r, n := utf8.DecodeRuneInString(w)
		words[i] = string(unicode.ToUpper(r)) + w[n:]
	}
	return strings.Join(words, " ")
}
