package server

import (
	"html/template"
	"log/slog"
	"net/http"

	"github.com/bylinehq/byline/content"
)

// SeedSlug is the article the demo page shows.
const SeedSlug = "mongolia-prime-minister-pays-official-visit-to-the-usa"

// demo renders the seed article the way the publisher's page does, with
// the widget embedded as a partner would embed it.
type demo struct {
	svc     *content.Service
	gateway string
	log     *slog.Logger
}

func (d *demo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a, err := d.svc.Article(ctx, SeedSlug)
	if err != nil || a == nil {
		http.Redirect(w, r, "/explorer", http.StatusFound)
		return
	}
	crumbs, _ := d.svc.ArticleBreadcrumbs(a, nil)
	related, err := d.svc.Related(ctx, a, content.DefaultRelated)
	if err != nil {
		d.log.Error("demo: related", "err", err)
	}
	authors, _ := d.svc.AuthorsFor(ctx, []int64{a.ID})
	tags, _ := d.svc.TagsFor(ctx, []int64{a.ID})
	seo := d.svc.SEO(a, authors[a.ID], tags[a.ID])
	published := ""
	if a.PublishedAt != nil {
		published = a.PublishedAt.Format("2 January 2006")
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	err = pages.ExecuteTemplate(w, "site.tmpl", map[string]any{
		"Article": a, "Crumbs": crumbs, "Related": related, "Authors": authors[a.ID], "SEO": seo,
		"JSONLD":    template.JS(seo.JSONLD), // json.Marshal escapes <, > and &: safe in a script
		"Body":      template.HTML(a.Body),   // sanitised when it was stored
		"Published": published, "Gateway": d.gateway,
	})
	if err != nil {
		d.log.Error("demo: render", "err", err)
	}
}
