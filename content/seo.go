package content

import (
	"encoding/json"
	"strings"
	"time"
)

// SEO is what a page's <head> needs.
type SEO struct {
	Title        string
	Description  string
	CanonicalURL string
	JSONLD       string // a schema.org @graph: NewsArticle and BreadcrumbList
}

type ldThing struct {
	Type string `json:"@type"`
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
}

type ldImage struct {
	Type   string `json:"@type"`
	URL    string `json:"url"`
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
}

type ldArticle struct {
	Type             string    `json:"@type"`
	ID               string    `json:"@id"`
	Headline         string    `json:"headline"`
	Description      string    `json:"description,omitempty"`
	URL              string    `json:"url"`
	MainEntityOfPage string    `json:"mainEntityOfPage"`
	DatePublished    string    `json:"datePublished,omitempty"`
	DateModified     string    `json:"dateModified"`
	ArticleSection   string    `json:"articleSection"`
	Keywords         string    `json:"keywords,omitempty"`
	Author           []ldThing `json:"author,omitempty"`
	Image            *ldImage  `json:"image,omitempty"`
	Publisher        ldThing   `json:"publisher"`
	Breadcrumb       ldRef     `json:"breadcrumb"`
}

type ldRef struct {
	ID string `json:"@id"`
}

type ldListItem struct {
	Type     string `json:"@type"`
	Position int    `json:"position"`
	Name     string `json:"name"`
	Item     string `json:"item"`
}

type ldBreadcrumbs struct {
	Type            string       `json:"@type"`
	ID              string       `json:"@id"`
	ItemListElement []ldListItem `json:"itemListElement"`
}

type ldDoc struct {
	Context string `json:"@context"`
	Graph   []any  `json:"@graph"`
}

// SEO describes article a for search engines. The breadcrumb list keeps the
// full title: truncation is for screens, not for machines.
func (s *Service) SEO(a *Article, authors []Author, tags []Tag) SEO {
	canonical := s.absolute(a.URL())
	doc := ldDoc{Context: "https://schema.org"}
	art := ldArticle{
		Type:             "NewsArticle",
		ID:               canonical + "#article",
		Headline:         Truncate(a.Title, 110), // Google's headline limit
		Description:      a.Summary,
		URL:              canonical,
		MainEntityOfPage: canonical,
		DateModified:     a.UpdatedAt.UTC().Format(time.RFC3339),
		ArticleSection:   a.Section.Name,
		Publisher:        ldThing{Type: "Organization", Name: s.cfg.SiteName, URL: s.absolute("/")},
		Breadcrumb:       ldRef{ID: canonical + "#breadcrumbs"},
	}
	if a.PublishedAt != nil {
		art.DatePublished = a.PublishedAt.UTC().Format(time.RFC3339)
	}
	names := make([]string, len(tags))
	for i, t := range tags {
		names[i] = t.Name
	}
	art.Keywords = strings.Join(names, ", ")
	for _, au := range authors {
		art.Author = append(art.Author, ldThing{Type: "Person", Name: au.Name})
	}
	if a.Image != nil {
		art.Image = &ldImage{Type: "ImageObject", URL: s.absolute(a.Image.URL), Width: a.Image.Width, Height: a.Image.Height}
	}
	crumbs := ldBreadcrumbs{Type: "BreadcrumbList", ID: canonical + "#breadcrumbs"}
	for _, c := range ArticleTrail(a, 0) {
		crumbs.ItemListElement = append(crumbs.ItemListElement, ldListItem{
			Type: "ListItem", Position: c.Position, Name: c.Label, Item: s.absolute(c.URL),
		})
	}
	doc.Graph = []any{art, crumbs}
	b, _ := json.Marshal(doc) // plain structs of strings and ints cannot fail
	return SEO{
		Title:        a.Title + " | " + s.cfg.SiteName,
		Description:  Excerpt(a.Summary, 160),
		CanonicalURL: canonical,
		JSONLD:       string(b),
	}
}

// absolute resolves a site path against the public URL; absolute URLs pass.
func (s *Service) absolute(path string) string {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path
	}
	return strings.TrimRight(s.cfg.PublicURL, "/") + path
}
