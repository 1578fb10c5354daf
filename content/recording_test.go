package content

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"
)

// oneStory is a store holding one public story, whatever is asked.
type oneStory struct{}

var story = &Article{ID: 1, Slug: "copper", Section: Section{Slug: "news", Name: "News"}}

func (oneStory) Article(context.Context, string) (*Article, error) { return story, nil }
func (oneStory) ArticlesByID(context.Context, []int64) (map[int64]*Article, error) {
	return map[int64]*Article{1: story}, nil
}
func (oneStory) ListArticles(context.Context, ListQuery) ([]*Article, error) {
	return []*Article{story}, nil
}
func (oneStory) CountArticles(context.Context, ListFilter) (int, error) { return 1, nil }
func (oneStory) TagsFor(context.Context, []int64) (map[int64][]Tag, error) {
	return map[int64][]Tag{1: {{Slug: "copper", Name: "Copper"}}}, nil
}
func (oneStory) AuthorsFor(context.Context, []int64) (map[int64][]Author, error) {
	return map[int64][]Author{1: {{Slug: "bat", Name: "Bat"}}}, nil
}
func (oneStory) Sections(context.Context, time.Time) ([]Section, error) {
	return []Section{story.Section}, nil
}
func (oneStory) Section(context.Context, string, time.Time) (*Section, error) {
	return &story.Section, nil
}
func (oneStory) Tag(context.Context, string, time.Time) (*Tag, error) {
	return &Tag{Slug: "copper"}, nil
}
func (oneStory) PublicArticlesBySlug(context.Context, []string, time.Time) (map[string]*Article, error) {
	return map[string]*Article{"copper": story}, nil
}

// TestEveryReadRecordsItsTags: each method of ArticleReader, called through
// the reader the service uses, records a tag that a write of what it read
// stamps. A method added to the interface and not recorded fails here.
func TestEveryReadRecordsItsTags(t *testing.T) {
	want := map[string][]string{
		"Article":              {ArticleTag(""), SectionTag("news")}, // the slug asked for, found or not
		"ArticlesByID":         {ArticleTag("copper"), SectionTag("news")},
		"ListArticles":         {ListArticles},
		"CountArticles":        {ListArticles},
		"TagsFor":              {TagTag("copper")},
		"AuthorsFor":           {AuthorTag("bat")},
		"Sections":             {ListSections},
		"Section":              {SectionTag("")},
		"Tag":                  {TagTag("")},
		"PublicArticlesBySlug": {ArticleTag("copper"), SectionTag("news")},
	}
	svc := NewService(Stores{Articles: oneStory{}}, Config{})
	iface := reflect.TypeFor[ArticleReader]()
	for i := range iface.NumMethod() {
		m := iface.Method(i)
		t.Run(m.Name, func(t *testing.T) {
			ctx, ts := WithTagSet(context.Background())
			fn := reflect.ValueOf(svc.store.Articles).MethodByName(m.Name)
			args := []reflect.Value{reflect.ValueOf(ctx)}
			for j := 1; j < fn.Type().NumIn(); j++ {
				args = append(args, reflect.Zero(fn.Type().In(j)))
			}
			fn.Call(args)
			w, ok := want[m.Name]
			if !ok {
				t.Fatalf("no tags are expected of %s: add it here, with what a write of what it reads stamps", m.Name)
			}
			slices.Sort(w)
			if got := ts.Sorted(); !slices.Equal(got, w) {
				t.Errorf("%s recorded %q, want %q", m.Name, got, w)
			}
		})
	}
}
