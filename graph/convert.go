package graph

import "github.com/bylinehq/byline/content"

// intOr is *p, or def when the argument was null.
func intOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

func strOr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// values turns the domain's []*Article into the []Article gqlgen binds.
func values(list []*content.Article) []content.Article {
	out := make([]content.Article, len(list))
	for i, a := range list {
		out[i] = *a
	}
	return out
}
