package content

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// agrees fails t when f and its reference definition ref disagree on s.
func agrees[T any](t *testing.T, name string, f, ref func(string) T, equal func(a, b T) bool, s string) {
	t.Helper()
	if got, want := f(s), ref(s); !equal(got, want) {
		t.Fatalf("%s(%q)\n got %#v\nwant %#v", name, s, got, want)
	}
}

// randomTexts is n strings of up to maxParts pieces drawn from alphabet,
// the same on every run (seed).
func randomTexts(seed uint64, alphabet []string, maxParts, n int) []string {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for k := rng.IntN(maxParts); k > 0; k-- {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		out[i] = b.String()
	}
	return out
}
