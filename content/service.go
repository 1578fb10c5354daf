package content

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/bylinehq/byline/related"
)

// Config holds what the domain needs to know about the site.
type Config struct {
	PublicURL   string           // the site's origin, for canonical URLs
	SiteName    string           // the publisher's name, for SEO
	Now         func() time.Time // the clock; time.Now when nil
	MinFillTime time.Duration    // a sign-up faster than this is a bot; default 2s
	// Invalidator hears of every write this service commits (the response
	// cache's bus); nil: nobody does. Limiter limits sign-ups; nil: no limit.
	Invalidator Invalidator
	Limiter     Limiter
}

// Service is the content API every adapter talks to.
type Service struct {
	store    Stores
	render   *Renderer
	cfg      Config
	inv      Invalidator
	limiter  Limiter
	partners partnerCache
	sec      secret
	sched    schedule // the next publication time (publish.go)

	relMu      sync.Mutex
	related    *related.Index // nil until EnableRelatedIndex
	relSeen    int64          // the newest logged write the index has caught up with
	relApplied map[int64]bool // logged writes already applied to the index
}

// invalidated passes a committed write on to the cache, if there is one.
func (s *Service) invalidated(ctx context.Context, inv *Invalidation) {
	s.sched.forget()
	s.afterWrite(ctx, inv)
	if s.inv != nil && inv.ID != 0 {
		s.inv.Invalidate(ctx, *inv)
	}
}

// NewService builds the service over its stores.
func NewService(st Stores, cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SiteName == "" {
		cfg.SiteName = "Mongolia Inc"
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://localhost:8080"
	}
	// Every request's reads go through these, so each records what it
	// read (recording.go).
	if st.Articles != nil {
		st.Articles = recordingReader{st.Articles}
	}
	if st.Related != nil {
		st.Related = recordingRelated{st.Related}
	}
	return &Service{store: st, render: NewRenderer(), cfg: cfg, inv: cfg.Invalidator, limiter: cfg.Limiter}
}

// Page limits for listings.
const (
	DefaultPageSize = 10
	MaxPageSize     = 100
	MaxSearchLength = 200
	DefaultRelated  = 5
	MaxRelated      = 20
)

// Ping reports whether the system of record answers.
func (s *Service) Ping(ctx context.Context) error { return s.store.Health.Ping(ctx) }

// Article returns the public article with slug, or nil when there is none.
func (s *Service) Article(ctx context.Context, slug string) (*Article, error) {
	if !ValidSlug(slug) {
		return nil, nil // no such slug can exist
	}
	a, err := s.store.Articles.Article(ctx, slug)
	if IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("content: article %q: %w", slug, err)
	}
	if !a.IsPublic(s.cfg.Now()) {
		return nil, nil
	}
	return a, nil
}

// ArticlesQuery asks for one page of the newest-first listing.
type ArticlesQuery struct {
	First                int
	After                string
	Section, Tag, Search string
	// Statuses other than Published (default: Published only) need the
	// editor key in Editor.
	Statuses []PublicationStatus
	Editor   string
}

// ArticlePage is one page of a listing.
type ArticlePage struct {
	Articles    []*Article
	HasNextPage bool
	Filter      ListFilter
}

// EndCursor is the position after the page's last article.
func (p *ArticlePage) EndCursor() string {
	if len(p.Articles) == 0 {
		return ""
	}
	return CursorOf(p.Articles[len(p.Articles)-1]).String()
}

// CursorOf is an article's position in the listing.
func CursorOf(a *Article) Cursor {
	t := a.UpdatedAt // a draft's place among drafts: when it was last edited
	if a.PublishedAt != nil {
		t = *a.PublishedAt
	}
	return Cursor{PublishedAt: t, ID: a.ID}
}

// Articles returns a page of public articles, newest first.
func (s *Service) Articles(ctx context.Context, q ArticlesQuery) (*ArticlePage, error) {
	if q.First < 1 || q.First > MaxPageSize {
		return nil, Invalid("first", "must be between 1 and %d, got %d", MaxPageSize, q.First)
	}
	if utf8.RuneCountInString(q.Search) > MaxSearchLength {
		return nil, Invalid("search", "must be at most %d characters", MaxSearchLength)
	}
	if !public(q.Statuses) {
		if _, err := s.Authenticate(ctx, q.Editor); err != nil {
			return nil, err
		}
	}
	lq := ListQuery{
		ListFilter: ListFilter{Section: q.Section, Tag: q.Tag, Search: strings.TrimSpace(q.Search), Now: s.cfg.Now(), Statuses: q.Statuses},
		Limit:      q.First + 1, // one more tells whether there is a next page
	}
	if q.After != "" {
		c, err := ParseCursor(q.After)
		if err != nil {
			return nil, err
		}
		lq.After = c
	}
	list, err := s.store.Articles.ListArticles(ctx, lq)
	if err != nil {
		return nil, fmt.Errorf("content: list articles: %w", err)
	}
	page := &ArticlePage{Filter: lq.ListFilter}
	if len(list) > q.First {
		list, page.HasNextPage = list[:q.First], true
	}
	page.Articles = list
	return page, nil
}

// Count counts the public articles a listing's filter matches.
func (s *Service) Count(ctx context.Context, f ListFilter) (int, error) {
	n, err := s.store.Articles.CountArticles(ctx, f)
	if err != nil {
		return 0, fmt.Errorf("content: count articles: %w", err)
	}
	return n, nil
}

// Sections lists the site's sections that readers can see: those with at
// least one public story. A section made by a draft stays unnamed until the
// draft is published.
func (s *Service) Sections(ctx context.Context) ([]Section, error) {
	list, err := s.store.Articles.Sections(ctx, s.cfg.Now())
	if err != nil {
		return nil, fmt.Errorf("content: sections: %w", err)
	}
	return list, nil
}

// TagsFor returns tags per article id, for batch loaders.
func (s *Service) TagsFor(ctx context.Context, ids []int64) (map[int64][]Tag, error) {
	return s.store.Articles.TagsFor(ctx, ids)
}

// AuthorsFor returns authors per article id, for batch loaders.
func (s *Service) AuthorsFor(ctx context.Context, ids []int64) (map[int64][]Author, error) {
	return s.store.Articles.AuthorsFor(ctx, ids)
}

// crumbLength validates a maxLabelLength argument.
func crumbLength(maxLen *int) (int, error) {
	if maxLen == nil {
		return DefaultCrumbLength, nil
	}
	if *maxLen < 1 || *maxLen > MaxCrumbLength {
		return 0, Invalid("maxLabelLength", "must be between 1 and %d", MaxCrumbLength)
	}
	return *maxLen, nil
}

// ArticleBreadcrumbs is the trail of a's page.
func (s *Service) ArticleBreadcrumbs(a *Article, maxLen *int) ([]Breadcrumb, error) {
	n, err := crumbLength(maxLen)
	if err != nil {
		return nil, err
	}
	return ArticleTrail(a, n), nil
}

// Breadcrumbs resolves a site path (/, /<section>, /<section>/<slug>,
// /tag/<slug>) to its trail. A path that names nothing gives no trail.
func (s *Service) Breadcrumbs(ctx context.Context, path string, maxLen *int) ([]Breadcrumb, error) {
	n, err := crumbLength(maxLen)
	if err != nil {
		return nil, err
	}
	if len(path) > 1000 {
		return nil, Invalid("path", "must be at most 1000 bytes")
	}
	path, _, _ = strings.Cut(path, "?")
	path, _, _ = strings.Cut(path, "#")
	if !strings.HasPrefix(path, "/") {
		return []Breadcrumb{}, nil
	}
	var parts []string
	for _, p := range strings.Split(path, "/") {
		if p != "" {
			parts = append(parts, p)
		}
	}
	switch {
	case len(parts) == 0:
		return trail(n), nil
	case len(parts) == 2 && parts[0] == "tag":
		t, err := s.store.Articles.Tag(ctx, parts[1], s.cfg.Now())
		if IsNotFound(err) {
			return []Breadcrumb{}, nil
		} else if err != nil {
			return nil, fmt.Errorf("content: breadcrumbs %q: %w", path, err)
		}
		return trail(n, Breadcrumb{Label: t.Name, URL: t.URL()}), nil
	case len(parts) == 1:
		sec, err := s.store.Articles.Section(ctx, parts[0], s.cfg.Now())
		if IsNotFound(err) {
			return []Breadcrumb{}, nil
		} else if err != nil {
			return nil, fmt.Errorf("content: breadcrumbs %q: %w", path, err)
		}
		return trail(n, Breadcrumb{Label: sec.Name, URL: sec.URL()}), nil
	case len(parts) == 2:
		a, err := s.Article(ctx, parts[1])
		if err != nil {
			return nil, err
		}
		if a == nil || a.Section.Slug != parts[0] {
			return []Breadcrumb{}, nil
		}
		return ArticleTrail(a, n), nil
	}
	return []Breadcrumb{}, nil
}

// RelatedBySlug returns the stories related to the public article slug;
// an unknown slug has none.
func (s *Service) RelatedBySlug(ctx context.Context, slug string, first int) ([]*Article, error) {
	if err := relatedFirst(first); err != nil {
		return nil, err
	}
	a, err := s.Article(ctx, slug)
	if err != nil || a == nil {
		return []*Article{}, err
	}
	return s.Related(ctx, a, first)
}

func relatedFirst(first int) error {
	if first < 1 || first > MaxRelated {
		return Invalid("first", "must be between 1 and %d, got %d", MaxRelated, first)
	}
	return nil
}

// Related ranks the stories a reader of a should see next: the editor's
// pins first, then the related-stories index's ranking.
func (s *Service) Related(ctx context.Context, a *Article, first int) ([]*Article, error) {
	if err := relatedFirst(first); err != nil {
		return nil, err
	}
	stories, err := s.relatedStories(ctx, a, first)
	out := make([]*Article, len(stories))
	for i, r := range stories {
		out[i] = r.Article
	}
	return out, err
}

// Authenticate checks an editor's bearer token.
func (s *Service) Authenticate(ctx context.Context, token string) (*EditorKey, error) {
	id, secret, ok := splitToken(token)
	if !ok {
		return nil, ErrUnauthenticated
	}
	k, err := s.store.Keys.Key(ctx, id)
	if IsNotFound(err) {
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, fmt.Errorf("content: authenticate: %w", err)
	}
	// A revoked key is refused like a wrong one, from the next request on.
	if !k.matches(secret) || k.RevokedAt != nil {
		return nil, ErrUnauthenticated
	}
	s.noteUse(ctx, k)
	return k, nil
}

// CreateKey makes and stores an editor key, returning the token to show once.
func (s *Service) CreateKey(ctx context.Context, name string) (string, error) {
	name, err := checkKeyName(name)
	if err != nil {
		return "", err
	}
	token, k, err := NewEditorKey(name, s.cfg.Now())
	if err != nil {
		return "", fmt.Errorf("content: new key: %w", err)
	}
	if err := s.store.Keys.CreateKey(ctx, k); err != nil {
		return "", fmt.Errorf("content: store key %q: %w", name, err)
	}
	return token, nil
}

// Upsert creates an article or changes the fields in gives, keeping the rest.
func (s *Service) Upsert(ctx context.Context, in ArticleInput) (*Article, error) {
	if !ValidSlug(in.Slug) {
		return nil, Invalid("slug", "must be lower-case letters, digits and single hyphens, at most 200 bytes")
	}
	// The merge runs inside the store's write transaction, over the article
	// as it is there: merged from an earlier read, a concurrent partial
	// update of another field would be overwritten with its old value.
	var (
		inv      = &Invalidation{}
		buildErr error
	)
	id, err := s.store.Writes.MergeArticle(ctx, in.Slug, inv, func(base *ArticleRecord) (ArticleRecord, error) {
		rec, err := s.buildRecord(base, in)
		if err != nil {
			buildErr = err
			return rec, err
		}
		inv.Tags = writeTags(base, &rec)
		inv.Kind, inv.Slugs = articleChange(base, &rec, s.cfg.Now()), []string{rec.Slug}
		return rec, nil
	})
	if buildErr != nil {
		return nil, buildErr
	}
	if err != nil {
		return nil, fmt.Errorf("content: upsert %q: %w", in.Slug, err)
	}
	s.invalidated(ctx, inv)
	got, err := s.store.Articles.ArticlesByID(ctx, []int64{id})
	if err != nil || got[id] == nil {
		return nil, fmt.Errorf("content: read back %q: %w", in.Slug, err)
	}
	return got[id], nil
}

// Delete removes an article; it reports whether there was one.
func (s *Service) Delete(ctx context.Context, slug string) (bool, error) {
	if !ValidSlug(slug) {
		return false, nil
	}
	cur, err := s.store.Articles.Article(ctx, slug)
	if IsNotFound(err) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("content: delete %q: %w", slug, err)
	}
	before, err := s.recordOf(ctx, cur)
	if err != nil {
		return false, err
	}
	inv := &Invalidation{Tags: writeTags(before, nil), Kind: articleChange(before, nil, s.cfg.Now()), Slugs: []string{slug}}
	ok, err := s.store.Writes.DeleteArticle(ctx, slug, inv)
	if err != nil {
		return false, fmt.Errorf("content: delete %q: %w", slug, err)
	}
	s.invalidated(ctx, inv)
	return ok, nil
}

// recordOf turns a stored article back into a full record, to merge into.
func (s *Service) recordOf(ctx context.Context, a *Article) (*ArticleRecord, error) {
	tags, err := s.store.Articles.TagsFor(ctx, []int64{a.ID})
	if err != nil {
		return nil, fmt.Errorf("content: tags of %q: %w", a.Slug, err)
	}
	authors, err := s.store.Articles.AuthorsFor(ctx, []int64{a.ID})
	if err != nil {
		return nil, fmt.Errorf("content: authors of %q: %w", a.Slug, err)
	}
	pinned, err := s.store.Related.Pinned(ctx, a.ID)
	if err != nil {
		return nil, fmt.Errorf("content: pins of %q: %w", a.Slug, err)
	}
	return &ArticleRecord{
		Slug: a.Slug, Title: a.Title, Summary: a.Summary, Source: a.Source, BodyFormat: a.BodyFormat,
		Section: a.Section, Tags: tags[a.ID], Authors: authors[a.ID], Image: a.Image,
		PublishedAt: a.PublishedAt, Related: pinned,
	}, nil
}

// Field limits for editor input.
const (
	maxTitle   = 300
	maxSummary = 1000
	maxBody    = 512 << 10
	maxTags    = 30
	maxAuthors = 10
	maxName    = 80
	maxPins    = 10
)

// buildRecord applies in over base (nil: a new article) and derives what
// is derived: HTML, summary, reading time, names.
func (s *Service) buildRecord(base *ArticleRecord, in ArticleInput) (ArticleRecord, error) {
	var r ArticleRecord
	if base != nil {
		r = *base
	} else {
		r = ArticleRecord{Slug: in.Slug, BodyFormat: FormatMarkdown}
		now := s.cfg.Now().UTC().Truncate(time.Millisecond)
		r.PublishedAt = &now
	}
	summaryGiven := base != nil && base.Summary != ""
	if in.Title != nil {
		r.Title = strings.TrimSpace(*in.Title)
	}
	if r.Title == "" || utf8.RuneCountInString(r.Title) > maxTitle {
		return r, Invalid("title", "is required and at most %d characters", maxTitle)
	}
	if in.Summary != nil {
		r.Summary = strings.TrimSpace(*in.Summary)
		summaryGiven = r.Summary != ""
	}
	if utf8.RuneCountInString(r.Summary) > maxSummary {
		return r, Invalid("summary", "must be at most %d characters", maxSummary)
	}
	if in.Body != nil {
		r.Source = *in.Body
	}
	if in.BodyFormat != nil {
		if !in.BodyFormat.IsValid() {
			return r, Invalid("bodyFormat", "must be MARKDOWN or HTML")
		}
		r.BodyFormat = *in.BodyFormat
	}
	if len(r.Source) > maxBody {
		return r, Invalid("body", "must be at most %d bytes", maxBody)
	}
	if in.Section != nil {
		sec, err := named(*in.Section, "section")
		if err != nil {
			return r, err
		}
		r.Section = Section(sec)
	}
	if r.Section.Slug == "" {
		return r, Invalid("section", "is required")
	}
	if in.Tags != nil {
		tags, err := namedList(in.Tags, "tags", maxTags)
		if err != nil {
			return r, err
		}
		r.Tags = make([]Tag, len(tags))
		for i, t := range tags {
			r.Tags[i] = Tag(t)
		}
	}
	if in.Authors != nil {
		as, err := namedList(in.Authors, "authors", maxAuthors)
		if err != nil {
			return r, err
		}
		r.Authors = make([]Author, len(as))
		for i, a := range as {
			r.Authors[i] = Author(a)
		}
	}
	if in.Image != nil {
		img, err := checkImage(*in.Image)
		if err != nil {
			return r, err
		}
		r.Image = img
	}
	if in.PublishedAt != nil {
		t := in.PublishedAt.UTC().Truncate(time.Millisecond)
		r.PublishedAt = &t
	}
	if in.Draft != nil && *in.Draft {
		r.PublishedAt = nil
	}
	if in.Related != nil {
		if len(in.Related) > maxPins {
			return r, Invalid("related", "at most %d pinned stories", maxPins)
		}
		r.Related = []string{}
		for _, slug := range in.Related {
			if !ValidSlug(slug) || slug == r.Slug {
				return r, Invalid("related", "%q is not another article's slug", slug)
			}
			r.Related = append(r.Related, slug)
		}
	}
	if in.Sample != nil {
		r.Sample = *in.Sample
	}
	html, err := s.render.Render(r.Source, r.BodyFormat)
	if err != nil {
		return r, err
	}
	r.Body = html
	text := PlainText(html)
	if !summaryGiven {
		r.Summary = Excerpt(text, 200)
	}
	r.ReadingTimeMinutes = ReadingTime(text)
	return r, nil
}

type nameSlug struct{ Slug, Name string }

// named reads a section, tag or author given by name ("Rare earths") or by
// slug ("rare-earths"). A name given as a slug leaves Name empty, so the
// store keeps a better name it already has.
func named(v, field string) (nameSlug, error) {
	v = strings.Join(strings.Fields(v), " ")
	slug := Slugify(v)
	if slug == "" || utf8.RuneCountInString(v) > maxName {
		return nameSlug{}, Invalid(field, "%q must be a name of 1 to %d characters", v, maxName)
	}
	if v == slug {
		return nameSlug{Slug: slug}, nil
	}
	return nameSlug{Slug: slug, Name: v}, nil
}

func namedList(vs []string, field string, max int) ([]nameSlug, error) {
	if len(vs) > max {
		return nil, Invalid(field, "at most %d", max)
	}
	out := make([]nameSlug, 0, len(vs))
	seen := map[string]bool{}
	for _, v := range vs {
		n, err := named(v, field)
		if err != nil {
			return nil, err
		}
		if !seen[n.Slug] {
			seen[n.Slug] = true
			out = append(out, n)
		}
	}
	return out, nil
}

func checkImage(img Image) (*Image, error) {
	if img.URL == "" {
		return nil, nil
	}
	if !validImageURL(img.URL) {
		return nil, Invalid("image.url", "must be an absolute http(s) URL or a site path such as /media/photo.jpg, at most 2000 bytes")
	}
	if utf8.RuneCountInString(img.Alt) > maxTitle {
		return nil, Invalid("image.alt", "must be at most %d characters", maxTitle)
	}
	if img.Width < 0 || img.Height < 0 || img.Width > 20000 || img.Height > 20000 {
		return nil, Invalid("image", "width and height must be between 0 and 20000")
	}
	return &img, nil
}

// validImageURL reports whether u may be an article's image: an absolute
// http(s) URL with a host, or a path on the site ("/media/x.jpg"). "//host"
// and "/\host" are rejected: browsers read both as another site's address.
func validImageURL(u string) bool {
	if u == "" || len(u) > 2000 || hasControl(u) || strings.ContainsAny(u, " \"'<>\\`") {
		return false
	}
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	if strings.HasPrefix(u, "/") {
		return !strings.HasPrefix(u, "//") && p.Scheme == "" && p.Host == ""
	}
	scheme := strings.ToLower(p.Scheme)
	return (scheme == "http" || scheme == "https") && p.Hostname() != "" && p.User == nil && p.Opaque == ""
}

// ErrNoArticles means an import found nothing to import.
var ErrNoArticles = errors.New("no .md files found")
