package content

import (
	"context"
	"fmt"
	"time"
)

// PublicationStatus is where a story stands.
type PublicationStatus string

// The statuses, as the API names them.
const (
	Draft     PublicationStatus = "DRAFT"     // no publication time
	Scheduled PublicationStatus = "SCHEDULED" // a publication time still ahead
	Published PublicationStatus = "PUBLISHED"
)

// StatusAt is the story's status at now.
func (a *Article) StatusAt(now time.Time) PublicationStatus {
	switch {
	case a.PublishedAt == nil:
		return Draft
	case a.PublishedAt.After(now):
		return Scheduled
	}
	return Published
}

// Status is the story's status on the domain's clock.
func (s *Service) Status(a *Article) PublicationStatus { return a.StatusAt(s.cfg.Now()) }

// Preview is the article with this slug whatever its status, for an editor
// (token is the editor key); nil when there is none. Its answer is the
// editor's alone: the caller must keep it out of every cache.
func (s *Service) Preview(ctx context.Context, token, slug string) (*Article, error) {
	if _, err := s.Authenticate(ctx, token); err != nil {
		return nil, err
	}
	if !ValidSlug(slug) {
		return nil, nil
	}
	a, err := s.store.Articles.Article(ctx, slug)
	if IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("content: preview %q: %w", slug, err)
	}
	return a, nil
}

// public reports whether statuses asks only for what anyone may see.
func public(statuses []PublicationStatus) bool {
	for _, st := range statuses {
		if st != Published {
			return false
		}
	}
	return true
}
