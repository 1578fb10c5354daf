package content

import "time"

// ChangeKind says what a committed write did to the stories it names, as a
// reader sees it. The invalidation log keeps it with the write's slugs, so
// a consumer of the log (webhooks) learns what happened without reading
// cache tags as events.
type ChangeKind string

// The kinds of change of a story.
const (
	// ArticlePublished: readers can now see a story they could not: a new
	// public story, a draft or scheduled story made public by a write, or a
	// scheduled story whose time came (PublishDue).
	ArticlePublished ChangeKind = "article.published"
	// ArticleUpdated: a public story changed and stays public.
	ArticleUpdated ChangeKind = "article.updated"
	// ArticleUnpublished: a public story was made a draft, or scheduled
	// again for later.
	ArticleUnpublished ChangeKind = "article.unpublished"
	// ArticleDeleted: a public story was deleted.
	ArticleDeleted ChangeKind = "article.deleted"
	// ArticlePrivate: a write no reader sees: a draft or a scheduled story
	// saved, or deleted before it went public. No webhook hears of it.
	ArticlePrivate ChangeKind = "article.private"
	// ArticlesImported: a bulk import, which may change any story; it
	// names none, and a consumer starts again from the store. No webhook
	// hears of it: a receiver of an import rebuilds.
	ArticlesImported ChangeKind = "articles.imported"
)

// The kinds of change of a subscriber, for the publisher's own tools (a
// Mailchimp, listmonk or Kit sync). They are queued as webhook deliveries
// in the transaction that changes the subscriber, not logged with the
// stories' changes: no cached answer depends on a subscriber.
const (
	// SubscriberConfirmed: a reader confirmed a sign-up (double opt-in).
	SubscriberConfirmed ChangeKind = "subscriber.confirmed"
	// SubscriberUnsubscribed: a confirmed reader unsubscribed. A pending
	// sign-up withdrawn was never news to the publisher's tools.
	SubscriberUnsubscribed ChangeKind = "subscriber.unsubscribed"
)

// ArticleEvents are the kinds a webhook may subscribe to.
func ArticleEvents() []ChangeKind {
	return []ChangeKind{ArticlePublished, ArticleUpdated, ArticleUnpublished, ArticleDeleted}
}

// WebhookEvents are every kind a webhook may subscribe to.
func WebhookEvents() []ChangeKind {
	return append(ArticleEvents(), SubscriberConfirmed, SubscriberUnsubscribed)
}

// Public reports whether readers can tell that a story's change happened:
// whether it is a story's event a webhook may subscribe to.
func (k ChangeKind) Public() bool {
	switch k {
	case ArticlePublished, ArticleUpdated, ArticleUnpublished, ArticleDeleted:
		return true
	}
	return false
}

// articleChange is the kind of a write that turns before (nil: no such
// story yet) into after (nil: deleted) at now.
func articleChange(before, after *ArticleRecord, now time.Time) ChangeKind {
	was := before != nil && publicAt(before.PublishedAt, now)
	is := after != nil && publicAt(after.PublishedAt, now)
	switch {
	case was && after == nil:
		return ArticleDeleted
	case was && is:
		return ArticleUpdated
	case was:
		return ArticleUnpublished
	case is:
		return ArticlePublished
	}
	return ArticlePrivate
}

// publicAt is Article.IsPublic for a record's publication time.
func publicAt(published *time.Time, now time.Time) bool {
	return published != nil && !published.After(now)
}

// wentLive names the due stories whose publication is news: those whose
// latest logged change (last, by slug) did not already make them public. A
// story written with a publication time that has already come is announced
// by its write; PublishDue sees it again, and must not announce it twice.
func wentLive(due []*ArticleRecord, last map[string]ChangeKind) (ChangeKind, []string) {
	var slugs []string
	for _, r := range due {
		if k := last[r.Slug]; k != ArticlePublished && k != ArticleUpdated {
			slugs = append(slugs, r.Slug)
		}
	}
	if len(slugs) == 0 {
		return "", nil
	}
	return ArticlePublished, slugs
}
