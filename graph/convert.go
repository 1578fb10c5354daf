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

// statuses converts the API's statuses to the domain's; nil when none
// were asked for (public stories only).
func statuses(in []ArticleStatus) []content.PublicationStatus {
	if len(in) == 0 {
		return nil
	}
	out := make([]content.PublicationStatus, len(in))
	for i, st := range in {
		out[i] = content.PublicationStatus(st)
	}
	return out
}

// onlyPublished reports whether a listing asks only for public stories.
func onlyPublished(in []ArticleStatus) bool {
	for _, st := range in {
		if st != ArticleStatusPublished {
			return false
		}
	}
	return true
}
