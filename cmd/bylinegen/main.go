// Command bylinegen writes a deterministic synthetic corpus as Markdown
// files that `byline import` reads, plus truth.tsv with each article's
// hidden topics, for benchmarks and the related-stories evaluation.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/bylinehq/byline/internal/synth"
)

func main() {
	n := flag.Int("n", 10000, "number of articles")
	seed := flag.Uint64("seed", 1, "random seed: the same seed writes the same corpus")
	out := flag.String("out", "", "directory to write (created; required)")
	flag.Parse()
	if *out == "" || *n < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := write(*out, *n, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "bylinegen:", err)
		os.Exit(1)
	}
}

func write(dir string, n int, seed uint64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	o := synth.Defaults(n)
	o.Seed = seed
	arts := synth.Generate(o)
	truth, err := os.Create(filepath.Join(dir, "truth.tsv"))
	if err != nil {
		return err
	}
	defer truth.Close()
	tw := bufio.NewWriter(truth)
	for _, a := range arts {
		if err := os.WriteFile(filepath.Join(dir, a.Slug+".md"), []byte(a.Markdown()), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%s\n", a.Slug, strings.Join(a.Topics, ","))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Printf("wrote %d articles to %s\n", n, dir)
	return nil
}
