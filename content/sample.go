package content

import (
	"embed"
	"io/fs"
)

//go:embed sample/*.md
var sample embed.FS

// Sample is the bundled sample content: fictional articles (and the real
// seed article) that make a fresh install show a working site.
func Sample() fs.FS {
	sub, err := fs.Sub(sample, "sample")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}
