package server

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bylinehq/byline/content"
)

// SeedSlug is the article the demo page shows.
const SeedSlug = "mongolia-prime-minister-pays-official-visit-to-the-usa"

// demoSite is the publisher the demo pages stand in for.
const demoSite = "Mongolia Inc"

// demoPageSize is how many stories a section or tag page lists at once.
const demoPageSize = 20

// demo renders the sample site the way the publisher's pages do, with the
// widget embedded as a partner would embed it: / is the seed article, and
// every public article (/<section>/<slug>), section (/<section>) and tag
// (/tag/<slug>) has its page, so a newcomer can click through the content.
// It is mounted at the mux's catch-all: every other route is more specific
// and wins, and anything no route knows gets its HTML 404 here.
type demo struct {
	svc      *content.Service
	gateway  string
	log      *slog.Logger
	pageSize int            // 0: demoPageSize
	mux      *http.ServeMux // the other routes, to tell a 405 from a page
}

// demoPage is what site.tmpl renders. Exactly one of Article, List and
// Problem is set.
type demoPage struct {
	Title, Description, Canonical string
	JSONLD                        template.JS // json.Marshal escapes <, > and &: safe in a script
	NoIndex                       bool
	Sections                      []content.Section // the navigation: sections with public stories
	Current                       string            // the section slug the page belongs to
	Crumbs                        []crumb
	Gateway                       string

	Article   *content.Article
	Body      template.HTML // sanitised when it was stored
	Published *stamp
	Authors   []content.Author
	Tags      []content.Tag
	Related   []*content.Article

	List    *listing
	Problem *problem
}

type crumb struct {
	Label, URL string
	Current    bool
}

// stamp is a publication time, for people and for machines.
type stamp struct{ Human, Machine string }

func stampOf(t *time.Time) *stamp {
	if t == nil {
		return nil
	}
	return &stamp{Human: t.Format("2 January 2006"), Machine: t.UTC().Format(time.RFC3339)}
}

type listing struct {
	Kind, Heading string // "Section" or "Topic"; the section's or tag's name
	Total         int
	Items         []listItem
	Older         string // the next page's path, when there is one
}

type listItem struct {
	URL, Title, Summary string
	Section             content.Section
	Published           *stamp
}

type problem struct{ Title, Message string }

func (d *demo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		d.problem(w, http.StatusMethodNotAllowed, "Method not allowed", "This page can only be read.")
		return
	}
	if allow := d.elsewhere(r); len(allow) > 0 {
		// Another route serves this path, with other methods (GET
		// /widget/subscribe): the mux's 405, which the catch-all hides.
		w.Header().Set("Allow", strings.Join(allow, ", "))
		d.problem(w, http.StatusMethodNotAllowed, "Method not allowed", "This address does not show a page.")
		return
	}
	p := r.URL.Path
	if p != "/" && strings.HasSuffix(p, "/") {
		// /news/ is /news. The segments rebuild the path, so the target
		// always starts with exactly one slash: it stays on this site.
		target := &url.URL{Path: "/" + strings.Join(segments(p), "/"), RawQuery: r.URL.RawQuery}
		http.Redirect(w, r, target.String(), http.StatusMovedPermanently)
		return
	}
	parts := segments(p)
	switch {
	case len(parts) == 0:
		d.seed(w, r)
	case len(parts) == 1:
		d.section(w, r, parts[0])
	case len(parts) == 2 && parts[0] == "tag":
		d.tag(w, r, parts[1])
	case len(parts) == 2:
		d.article(w, r, parts[0], parts[1])
	default:
		d.notFound(w)
	}
}

// elsewhere lists the methods another route answers r's path with.
func (d *demo) elsewhere(r *http.Request) []string {
	if d.mux == nil || r.URL.Path == "/" {
		return nil
	}
	var out []string
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.WithContext(r.Context())
		probe.Method = m
		if _, pattern := d.mux.Handler(probe); pattern != "" && pattern != "/" {
			out = append(out, m)
		}
	}
	return out
}

// segments splits a path into its non-empty segments.
func segments(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// seed is the front page: the seed article, as the publisher shows it.
func (d *demo) seed(w http.ResponseWriter, r *http.Request) {
	a, err := d.svc.Article(r.Context(), SeedSlug)
	if err != nil {
		d.failed(w, "seed article", err)
		return
	}
	if a == nil {
		http.Redirect(w, r, "/explorer", http.StatusFound)
		return
	}
	d.renderArticle(w, r, a)
}

// article is /<section>/<slug>. A public article asked for under another
// section moves to its own path; drafts and scheduled stories are not
// found.
func (d *demo) article(w http.ResponseWriter, r *http.Request, section, slug string) {
	a, err := d.svc.Article(r.Context(), slug)
	if err != nil {
		d.failed(w, "article", err)
		return
	}
	if a == nil {
		d.notFound(w)
		return
	}
	if a.Section.Slug != section {
		http.Redirect(w, r, (&url.URL{Path: a.URL()}).String(), http.StatusMovedPermanently)
		return
	}
	d.renderArticle(w, r, a)
}

func (d *demo) renderArticle(w http.ResponseWriter, r *http.Request, a *content.Article) {
	ctx := r.Context()
	nav, err := d.nav(ctx)
	if err != nil {
		d.failed(w, "sections", err)
		return
	}
	trail, _ := d.svc.ArticleBreadcrumbs(a, nil) // nil: the default length, never invalid
	related, err := d.svc.Related(ctx, a, content.DefaultRelated)
	if err != nil {
		d.log.Error("demo: related", "err", err, "slug", a.Slug) // the page still reads without them
	}
	authors, err := d.svc.AuthorsFor(ctx, []int64{a.ID})
	if err != nil {
		d.failed(w, "authors", err)
		return
	}
	tags, err := d.svc.TagsFor(ctx, []int64{a.ID})
	if err != nil {
		d.failed(w, "tags", err)
		return
	}
	seo := d.svc.SEO(a, authors[a.ID], tags[a.ID])
	d.render(w, http.StatusOK, &demoPage{
		Title: seo.Title, Description: seo.Description, Canonical: seo.CanonicalURL, JSONLD: template.JS(seo.JSONLD),
		Sections: nav, Current: a.Section.Slug, Crumbs: crumbs(trail),
		Article: a, Body: template.HTML(a.Body), Published: stampOf(a.PublishedAt),
		Authors: authors[a.ID], Tags: tags[a.ID], Related: related,
	})
}

// section is /<section>: its public stories, newest first.
func (d *demo) section(w http.ResponseWriter, r *http.Request, slug string) {
	ctx := r.Context()
	nav, err := d.nav(ctx)
	if err != nil {
		d.failed(w, "sections", err)
		return
	}
	// nav holds exactly the sections with public stories: one that is not
	// there has nothing to list (or only drafts, whose section the site
	// does not reveal yet).
	var sec *content.Section
	for i := range nav {
		if nav[i].Slug == slug {
			sec = &nav[i]
		}
	}
	if sec == nil {
		d.notFound(w)
		return
	}
	d.list(w, r, nav, sec.Slug, "Section", sec.Name, sec.URL(), content.ArticlesQuery{Section: sec.Slug})
}

// tag is /tag/<slug>: the public stories on that topic, newest first. A
// tag no public story carries has no page.
func (d *demo) tag(w http.ResponseWriter, r *http.Request, slug string) {
	if !content.ValidSlug(slug) {
		d.notFound(w)
		return
	}
	nav, err := d.nav(r.Context())
	if err != nil {
		d.failed(w, "sections", err)
		return
	}
	d.list(w, r, nav, "", "Topic", "", content.Tag{Slug: slug}.URL(), content.ArticlesQuery{Tag: slug})
}

// list renders one page of a listing; name "" takes the tag's name from
// the stories listed. A page with no stories is not found.
func (d *demo) list(w http.ResponseWriter, r *http.Request, nav []content.Section, current, kind, name, path string, q content.ArticlesQuery) {
	ctx := r.Context()
	q.First = d.pageSize
	if q.First == 0 {
		q.First = demoPageSize
	}
	q.After = r.URL.Query().Get("after")
	page, err := d.svc.Articles(ctx, q)
	var invalid *content.InvalidError
	if errors.As(err, &invalid) {
		d.problem(w, http.StatusBadRequest, "No such page", "That link to more stories is not one this site made. Start again from the first page.")
		return
	}
	if err != nil {
		d.failed(w, "list", err)
		return
	}
	if len(page.Articles) == 0 {
		d.notFound(w)
		return
	}
	total, err := d.svc.Count(ctx, page.Filter)
	if err != nil {
		d.failed(w, "count", err)
		return
	}
	if name == "" {
		ids := make([]int64, len(page.Articles))
		for i, a := range page.Articles {
			ids[i] = a.ID
		}
		tags, err := d.svc.TagsFor(ctx, ids)
		if err != nil {
			d.failed(w, "tags", err)
			return
		}
		for _, t := range tags[page.Articles[0].ID] {
			if t.Slug == q.Tag {
				name = t.Name
			}
		}
		if name == "" {
			name = content.TitleCase(q.Tag)
		}
	}
	// The trail is the one breadcrumbs(path) gives, so the page and the
	// API agree.
	trail, err := d.svc.Breadcrumbs(ctx, path, nil)
	if err != nil {
		d.failed(w, "breadcrumbs", err)
		return
	}
	l := &listing{Kind: kind, Heading: name, Total: total}
	for _, a := range page.Articles {
		l.Items = append(l.Items, listItem{URL: a.URL(), Title: a.Title, Summary: a.Summary, Section: a.Section, Published: stampOf(a.PublishedAt)})
	}
	if page.HasNextPage {
		l.Older = path + "?after=" + url.QueryEscape(page.EndCursor())
	}
	title := name + " | " + demoSite
	if q.After != "" {
		title = name + ": older stories | " + demoSite
	}
	about := " in "
	if q.Tag != "" {
		about = " on "
	}
	d.render(w, http.StatusOK, &demoPage{
		Title: title, Description: "The latest stories" + about + name + " from " + demoSite + ".",
		Sections: nav, Current: current, Crumbs: crumbs(trail), List: l,
	})
}

// demoCSP is the demo pages' policy: only the gateway's own pages may
// frame them (no clickjacking of the sign-up form), and what runs is the
// site's stylesheet and the widget as a partner embeds it: the loader and
// Go's wasm_exec.js from the gateway, its WebAssembly module
// ('wasm-unsafe-eval' allows compiling it, not eval), its API calls, its
// iframe fallback and the no-JS form's target. The pages have no inline
// script (JSON-LD is data, which CSP does not run), and the widget styles
// its shadow root with a constructed stylesheet, not inline styles: no
// 'unsafe-inline'. Lead images may come from any HTTPS host, as editors'
// images do. The gateway is --public-url, the origin the pages name for
// the widget: usually this very origin ('self'), but not always (behind a
// proxy, or a page reached at another host name).
func demoCSP(gateway string) string {
	gw := "'self'"
	if o := origin(gateway); o != "" {
		gw += " " + o
	}
	return "default-src 'none'; script-src " + gw + " 'wasm-unsafe-eval'; connect-src " + gw +
		"; style-src 'self'; img-src 'self' https:; frame-src " + gw + "; form-action " + gw +
		"; base-uri 'none'; frame-ancestors 'self'"
}

// origin is an http(s) URL's origin as browsers send it, the form the
// partners' allow-lists hold (content.NormaliseOrigin); "" when raw has
// none.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	o, err := content.NormaliseOrigin(u.Scheme + "://" + u.Host)
	if err != nil {
		return ""
	}
	return o
}

// nav lists the sections that have public stories, in the site's order.
func (d *demo) nav(ctx context.Context) ([]content.Section, error) {
	all, err := d.svc.Sections(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]content.Section, 0, len(all))
	for _, s := range all {
		p, err := d.svc.Articles(ctx, content.ArticlesQuery{First: 1, Section: s.Slug})
		if err != nil {
			return nil, err
		}
		if len(p.Articles) > 0 {
			out = append(out, s)
		}
	}
	return out, nil
}

func crumbs(trail []content.Breadcrumb) []crumb {
	out := make([]crumb, len(trail))
	for i, b := range trail {
		out[i] = crumb{Label: b.Label, URL: b.URL, Current: i == len(trail)-1}
	}
	return out
}

func (d *demo) notFound(w http.ResponseWriter) {
	d.problem(w, http.StatusNotFound, "Page not found", "There is no story, section or topic at this address.")
}

func (d *demo) failed(w http.ResponseWriter, what string, err error) {
	d.log.Error("demo: "+what, "err", err)
	d.problem(w, http.StatusInternalServerError, "Something went wrong", "Sorry, this page could not be shown. Please try again in a moment.")
}

func (d *demo) problem(w http.ResponseWriter, status int, title, message string) {
	d.render(w, status, &demoPage{
		Title: title + " | " + demoSite, NoIndex: true,
		Problem: &problem{Title: title, Message: message},
	})
}

func (d *demo) render(w http.ResponseWriter, status int, p *demoPage) {
	p.Gateway = d.gateway
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", demoCSP(d.gateway))
	if status >= 500 {
		w.Header().Set("Cache-Control", "no-store")
	} else {
		// Stories change when editors write: a reader always asks again.
		w.Header().Set("Cache-Control", "no-cache")
	}
	// Rendered whole before the status goes out, so a template error is a
	// 500 and never half a page.
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, "site.tmpl", p); err != nil {
		d.log.Error("demo: render", "err", err)
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}
