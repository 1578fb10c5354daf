package synth

import (
	"reflect"
	"testing"

	"github.com/bylinehq/byline/content"
)

func TestDeterministic(t *testing.T) {
	a, b := Generate(Defaults(50)), Generate(Defaults(50))
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different corpus")
	}
	o := Defaults(50)
	o.Seed = 2
	if reflect.DeepEqual(a, Generate(o)) {
		t.Fatal("different seed, same corpus")
	}
}

func TestMarkdownImports(t *testing.T) {
	for _, a := range Generate(Defaults(20)) {
		in, err := content.ParseArticleFile(a.Slug+".md", []byte(a.Markdown()))
		if err != nil {
			t.Fatalf("%s: %v", a.Slug, err)
		}
		if in.Slug != a.Slug || *in.Title != a.Title || len(in.Tags) != len(a.Tags) {
			t.Fatalf("%s: round trip lost data: %+v", a.Slug, in)
		}
	}
}
