package content

import (
	"io"
	"strconv"
	"time"
)

// Article is one published (or scheduled, or draft) story.
type Article struct {
	ID                 int64
	Slug               string
	Title              string
	Summary            string
	Body               string // sanitised HTML, rendered from Source
	Source             string // what the editor wrote
	BodyFormat         BodyFormat
	Section            Section
	Image              *Image
	PublishedAt        *time.Time // nil: a draft
	UpdatedAt          time.Time
	ReadingTimeMinutes int
}

// URL is the article's site path, /<section>/<slug>.
func (a *Article) URL() string { return "/" + a.Section.Slug + "/" + a.Slug }

// IsPublic reports whether readers may see the article at time now.
func (a *Article) IsPublic(now time.Time) bool {
	return a.PublishedAt != nil && !a.PublishedAt.After(now)
}

// Section groups articles on the site (News, Mining…).
type Section struct {
	Slug string
	Name string
}

// URL is the section's site path.
func (s Section) URL() string { return "/" + s.Slug }

// Tag is a topic label.
type Tag struct {
	Slug string
	Name string
}

// URL is the tag's site path.
func (t Tag) URL() string { return "/tag/" + t.Slug }

// Author wrote an article.
type Author struct {
	Slug string
	Name string
}

// Image is an article's lead image.
type Image struct {
	URL    string
	Alt    string
	Width  int
	Height int
}

// BodyFormat says how an editor's body text is to be read.
type BodyFormat string

// The formats an editor may write in.
const (
	FormatMarkdown BodyFormat = "MARKDOWN"
	FormatHTML     BodyFormat = "HTML"
)

// IsValid reports whether f is a known format.
func (f BodyFormat) IsValid() bool { return f == FormatMarkdown || f == FormatHTML }

// ArticleInput is an editor's write. Nil fields are left as they are on an
// existing article, so {Slug, Title} retitles one.
type ArticleInput struct {
	Slug        string
	Title       *string
	Summary     *string
	Body        *string
	BodyFormat  *BodyFormat
	Section     *string    // a section name or slug
	Tags        []string   // names or slugs; nil keeps, empty clears
	Authors     []string   // names or slugs; nil keeps, empty clears
	Image       *Image     // nil keeps; an Image with an empty URL removes it
	PublishedAt *time.Time // nil keeps (a new article: published now)
	Draft       *bool      // true unpublishes
	Related     []string   // pinned slugs; nil keeps, empty clears
	Sample      *bool
}

// ArticleRecord is what a store writes: a fully resolved article with its
// tag and author names.
type ArticleRecord struct {
	Slug               string
	Title              string
	Summary            string
	Source             string
	BodyFormat         BodyFormat
	Body               string
	Section            Section
	Tags               []Tag
	Authors            []Author
	Image              *Image
	PublishedAt        *time.Time
	ReadingTimeMinutes int
	Related            []string
	Sample             bool
}

// UnmarshalGQL reads the GraphQL enum value.
func (f *BodyFormat) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok || !BodyFormat(s).IsValid() {
		return Invalid("bodyFormat", "must be MARKDOWN or HTML")
	}
	*f = BodyFormat(s)
	return nil
}

// MarshalGQL writes the GraphQL enum value.
func (f BodyFormat) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(f))) }
