package content

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// frontMatter is the YAML head of an article file. Unknown keys are errors:
// a typo such as "tittle" must not import silently.
type frontMatter struct {
	Title     string     `yaml:"title"`
	Slug      string     `yaml:"slug"`
	Section   string     `yaml:"section"`
	Tags      []string   `yaml:"tags"`
	Authors   []string   `yaml:"authors"`
	Published string     `yaml:"published"`
	Image     *imageYAML `yaml:"image"`
	Summary   string     `yaml:"summary"`
	Related   []string   `yaml:"related"`
	Format    string     `yaml:"format"`
	Sample    bool       `yaml:"sample"`
	Draft     bool       `yaml:"draft"`
}

// imageYAML accepts either a bare URL or {url, alt, width, height}.
type imageYAML Image

func (i *imageYAML) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		i.URL = n.Value
		return nil
	}
	var v struct {
		URL    string `yaml:"url"`
		Alt    string `yaml:"alt"`
		Width  int    `yaml:"width"`
		Height int    `yaml:"height"`
	}
	if err := n.Decode(&v); err != nil {
		return err
	}
	*i = imageYAML(v)
	return nil
}

var dateLayouts = []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02"}

func parseDate(s string) (time.Time, error) {
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("published %q is not a date (want YYYY-MM-DD or RFC 3339)", s)
}

// ParseArticleFile reads one Markdown file with YAML front matter into an
// input. name is used for errors and as the slug when none is given.
func ParseArticleFile(name string, data []byte) (ArticleInput, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	rest, ok := strings.CutPrefix(text, "---\n")
	if !ok {
		return ArticleInput{}, errors.New("no front matter: the file must start with a line ---")
	}
	head, body, ok := strings.Cut(rest, "\n---\n")
	if !ok {
		if h, found := strings.CutSuffix(rest, "\n---"); found {
			head, body, ok = h, "", true
		}
	}
	if !ok {
		return ArticleInput{}, errors.New("front matter is not closed by a line ---")
	}
	var fm frontMatter
	dec := yaml.NewDecoder(strings.NewReader(head))
	dec.KnownFields(true)
	if err := dec.Decode(&fm); err != nil {
		return ArticleInput{}, fmt.Errorf("front matter: %w", err)
	}
	if fm.Slug == "" {
		fm.Slug = Slugify(strings.TrimSuffix(path.Base(name), path.Ext(name)))
	}
	in := ArticleInput{
		Slug: fm.Slug, Title: &fm.Title, Body: &body, Section: &fm.Section,
		Tags: nonNil(fm.Tags), Authors: nonNil(fm.Authors), Related: nonNil(fm.Related),
		Sample: &fm.Sample,
	}
	if fm.Summary != "" {
		in.Summary = &fm.Summary
	}
	format := FormatMarkdown
	if fm.Format != "" {
		format = BodyFormat(strings.ToUpper(fm.Format))
	}
	in.BodyFormat = &format
	if fm.Image != nil {
		img := Image(*fm.Image)
		in.Image = &img
	}
	switch {
	case fm.Draft || fm.Published == "":
		// Without a date there is nothing to order it by: it stays a draft.
		t := true
		in.Draft = &t
	default:
		t, err := parseDate(fm.Published)
		if err != nil {
			return ArticleInput{}, err
		}
		in.PublishedAt = &t
	}
	return in, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ImportResult says what an import wrote.
type ImportResult struct {
	IDs    []int64
	Drafts int
}

// Import reads every .md file under fsys (recursively) and writes them all
// in one transaction: a batch with any bad file writes nothing, and the
// error names every bad file. Re-importing updates by slug.
func (s *Service) Import(ctx context.Context, fsys fs.FS) (*ImportResult, error) {
	var names []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.EqualFold(path.Ext(p), ".md") && !strings.EqualFold(path.Base(p), "README.md") {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("content: import: %w", err)
	}
	if len(names) == 0 {
		return nil, ErrNoArticles
	}
	sort.Strings(names)
	var problems []string
	recs := make([]ArticleRecord, 0, len(names))
	bySlug := map[string]string{}
	drafts := 0
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		in, err := ParseArticleFile(name, data)
		if err == nil && !ValidSlug(in.Slug) {
			err = fmt.Errorf("slug %q must be lower-case letters, digits and single hyphens", in.Slug)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		if prev, dup := bySlug[in.Slug]; dup {
			problems = append(problems, fmt.Sprintf("%s: slug %q is also used by %s", name, in.Slug, prev))
			continue
		}
		bySlug[in.Slug] = name
		rec, err := s.buildRecord(nil, in)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		if rec.PublishedAt == nil {
			drafts++
		}
		recs = append(recs, rec)
	}
	if len(problems) > 0 {
		return nil, Invalid("", "import: nothing written, %d bad file(s):\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	// A batch may touch anything: it stamps the tag every response carries.
	inv := &Invalidation{Tags: []string{TagAll}, Kind: ArticlesImported}
	ids, err := s.store.Writes.UpsertArticles(ctx, recs, inv)
	if err != nil {
		return nil, fmt.Errorf("content: import %d articles: %w", len(recs), err)
	}
	s.invalidated(ctx, inv)
	return &ImportResult{IDs: ids, Drafts: drafts}, nil
}
