package content

// Breadcrumb is one step of a trail, positioned from 1 as schema.org's
// BreadcrumbList wants.
type Breadcrumb struct {
	Position int
	Label    string
	URL      string
}

// DefaultCrumbLength is the label length a trail is cut to when the caller
// names none: it fits the seed site's header.
const DefaultCrumbLength = 32

// MaxCrumbLength bounds maxLabelLength so a caller cannot ask for silly work.
const MaxCrumbLength = 1000

// trail builds Home plus the given steps, each label cut to maxLen runes
// (0: not cut).
func trail(maxLen int, steps ...Breadcrumb) []Breadcrumb {
	out := make([]Breadcrumb, 0, len(steps)+1)
	out = append(out, Breadcrumb{Label: "Home", URL: "/"})
	out = append(out, steps...)
	for i := range out {
		out[i].Position = i + 1
		out[i].Label = Truncate(out[i].Label, maxLen)
	}
	return out
}

// ArticleTrail is the trail of an article page: Home / Section / Title.
func ArticleTrail(a *Article, maxLen int) []Breadcrumb {
	return trail(maxLen,
		Breadcrumb{Label: a.Section.Name, URL: a.Section.URL()},
		Breadcrumb{Label: a.Title, URL: a.URL()},
	)
}
