package synth

import (
	"math/rand/v2"
	"strings"
)

// Texts is n strings of up to maxParts pieces drawn from alphabet, the same
// on every run for a seed: the inputs of equivalence tests that hold a fast
// text routine to its plain definition.
func Texts(seed uint64, alphabet []string, maxParts, n int) []string {
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
