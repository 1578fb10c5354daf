package content

import (
	"context"
	"time"
)

// ArticleReader reads the stories and what they are filed under. It returns
// *NotFoundError for a missing article, section or tag.
type ArticleReader interface {
	// Article returns the article with slug, public or not.
	Article(ctx context.Context, slug string) (*Article, error)
	// ArticlesByID returns the articles that exist among ids.
	ArticlesByID(ctx context.Context, ids []int64) (map[int64]*Article, error)
	// ListArticles returns up to q.Limit public articles, newest first.
	ListArticles(ctx context.Context, q ListQuery) ([]*Article, error)
	// CountArticles counts the public articles that match f.
	CountArticles(ctx context.Context, f ListFilter) (int, error)
	// TagsFor and AuthorsFor return each article's tags and authors in
	// their editorial order, keyed by article id.
	TagsFor(ctx context.Context, ids []int64) (map[int64][]Tag, error)
	AuthorsFor(ctx context.Context, ids []int64) (map[int64][]Author, error)
	// Sections lists, by name, the sections holding at least one article
	// public at now. Section and Tag return the section or tag with slug
	// only when an article public at now is filed under it, and a
	// NotFoundError otherwise: a draft or a scheduled story must not reveal
	// the name of the section or tag it creates.
	Sections(ctx context.Context, now time.Time) ([]Section, error)
	Section(ctx context.Context, slug string, now time.Time) (*Section, error)
	Tag(ctx context.Context, slug string, now time.Time) (*Tag, error)
	// PublicArticlesBySlug returns the public articles among slugs.
	PublicArticlesBySlug(ctx context.Context, slugs []string, now time.Time) (map[string]*Article, error)
}

// RelatedStore feeds the related-stories ranking.
type RelatedStore interface {
	// RelatedCandidates returns public articles sharing a tag or the
	// section with article id, best first: shared tags, then section, then
	// newest.
	RelatedCandidates(ctx context.Context, id int64, now time.Time, limit int) ([]*Article, error)
	// IndexDocs returns the related-stories index's view of the articles
	// with the given slugs (all articles when slugs is nil).
	IndexDocs(ctx context.Context, slugs []string) ([]RelatedDoc, error)
	// Pinned returns the editor's pinned related slugs of article id.
	Pinned(ctx context.Context, id int64) ([]string, error)
}

// ArticleWriter writes stories, each write logged in its own transaction as
// one change (ChangeLog reads them).
type ArticleWriter interface {
	// UpsertArticles writes all records in one transaction, all or none,
	// logs inv (filling its ID and At) in that same transaction, and
	// returns the records' ids in order.
	UpsertArticles(ctx context.Context, recs []ArticleRecord, inv *Invalidation) ([]int64, error)
	// MergeArticle writes one article in one write transaction: it reads
	// the stored record with slug under the write lock (nil when there is
	// none), calls merge once with it, writes the record merge returns and
	// logs inv (which merge may fill; ID and At are filled on commit).
	// When merge fails nothing is written and its error is returned as it
	// is. It returns the article's id.
	MergeArticle(ctx context.Context, slug string, inv *Invalidation, merge func(old *ArticleRecord) (ArticleRecord, error)) (int64, error)
	// DeleteArticle reports whether there was an article to delete; when
	// there was, inv is logged with the deletion.
	DeleteArticle(ctx context.Context, slug string, inv *Invalidation) (bool, error)
}

// ChangeLog is the log of committed writes, oldest first.
type ChangeLog interface {
	// Invalidations returns the logged invalidations after id, oldest
	// first; LastInvalidation the newest id (0 when none).
	Invalidations(ctx context.Context, after int64, limit int) ([]Invalidation, error)
	LastInvalidation(ctx context.Context) (int64, error)
}

// KeyStore keeps the editors' keys.
type KeyStore interface {
	// CreateKey stores an editor key's public id and secret hash.
	CreateKey(ctx context.Context, k EditorKey) error
	// Key returns the key with the public id, revoked or not.
	Key(ctx context.Context, id string) (*EditorKey, error)
	// Keys lists every key, oldest first.
	Keys(ctx context.Context) ([]EditorKey, error)
	// RevokeKey stamps the key with the public id revoked at at, unless it
	// already is; NotFoundError when there is no such key.
	RevokeKey(ctx context.Context, id string, at time.Time) error
	// TouchKey records that the key with the public id was used at at.
	TouchKey(ctx context.Context, id string, at time.Time) error
}

// InstallationStore keeps what one installation shares across gateways: its
// settings (secrets) and the single-use values its forms carry.
type InstallationStore interface {
	// SettingOrCreate returns a setting, storing value first when unset.
	SettingOrCreate(ctx context.Context, key, value string) (string, error)
	// UseNonce records a single-use value; false when it was used before.
	UseNonce(ctx context.Context, nonce string, now, expires time.Time) (bool, error)
}

// Pinger tells whether the system of record answers.
type Pinger interface {
	// Ping reports whether the store is reachable.
	Ping(ctx context.Context) error
}

// PartnerStore keeps the partner sites that embed the widget.
type PartnerStore interface {
	SavePartner(ctx context.Context, p Partner) error
	Partner(ctx context.Context, id string) (*Partner, error)
	Partners(ctx context.Context) ([]Partner, error)
}

// SubscriberStore keeps the newsletter's subscribers and their consent.
type SubscriberStore interface {
	// Subscribe records a sign-up in one transaction. Under a lock on the
	// address (addrHash, a keyed hash of sub.Email, for every partner), it
	// reads what it knows of the address, calls plan once with it, and
	// writes what plan returns: sub when plan.Write (pending, with
	// plan.UnsubHandle when new; an existing one keeps its handle), the
	// token, the email (for the subscriber), the address's confirmation
	// sends and the welcome stamp. When plan fails nothing is written and
	// its error is returned as it is.
	Subscribe(ctx context.Context, sub Subscriber, addrHash string, plan func(SignupState) (SignupPlan, error)) error
	// ConfirmTarget returns the subscriber an unexpired confirmation token
	// names and whether the token was used, and changes nothing;
	// NotFoundError for an unknown or expired token.
	ConfirmTarget(ctx context.Context, tokenHash []byte, now time.Time) (*Subscriber, bool, error)
	// Confirm uses an unused, unexpired token: its pending subscriber
	// becomes confirmed at now, and the email effects composes for it is
	// queued and stamped as its welcome, with the webhook deliveries it
	// returns, in one transaction. NotFoundError when the token cannot be
	// used.
	Confirm(ctx context.Context, tokenHash []byte, now time.Time, effects func(Subscriber) (*Message, []Delivery, error)) (*Subscriber, error)
	// SubscriberByHandle returns the subscriber with the unsubscribe
	// handle; NotFoundError when there is none (erased).
	SubscriberByHandle(ctx context.Context, handle string) (*Subscriber, error)
	// Unsubscribe unsubscribes the subscriber with the handle (keeping the
	// time of a first unsubscription), deletes its confirmation tokens and
	// marks its unsent emails failed, in one transaction; NotFoundError
	// when there is no such subscriber. When a confirmed subscriber leaves,
	// the deliveries events returns are queued in that transaction too.
	Unsubscribe(ctx context.Context, handle string, now time.Time, events func(Subscriber) ([]Delivery, error)) (*Subscriber, error)
	// Forget deletes every subscriber with email (every partner), their
	// tokens and every email to the address, and records addrHash as
	// suppressed, in one transaction; it returns the subscribers deleted.
	Forget(ctx context.Context, email, addrHash string, now time.Time) (int, error)
	Subscribers(ctx context.Context, partner string) ([]Subscriber, error)
}

// OutboxStore is the emails' outbox: what a commit queued is sent after it,
// at least once.
type OutboxStore interface {
	ClaimOutbox(ctx context.Context, now time.Time, claimFor time.Duration, limit int) ([]Message, error)
	OutboxSent(ctx context.Context, id int64, at time.Time) error
	OutboxFailed(ctx context.Context, id int64, reason string, retryAt time.Time) error
	// OutboxRefused marks a message failed for good: it is never claimed
	// again.
	OutboxRefused(ctx context.Context, id int64, reason string, at time.Time) error
	// PruneOutbox deletes the emails sent or failed before before, the
	// confirmation tokens expired at now and the address counters idle
	// since idleBefore; it returns the emails deleted.
	PruneOutbox(ctx context.Context, before, now, idleBefore time.Time) (int64, error)
}

// Stores are the stores the service uses, one per concern, so that a
// store (or a test's fake) implements only what it keeps. A nil one is a
// concern this installation does not have: its calls fail, or do nothing
// where nothing is the right answer (no webhooks, no schedule).
type Stores struct {
	Articles     ArticleReader
	Related      RelatedStore
	Writes       ArticleWriter
	Changes      ChangeLog
	Publish      PublishStore
	Keys         KeyStore
	Installation InstallationStore
	Health       Pinger
	Partners     PartnerStore
	Subscribers  SubscriberStore
	Outbox       OutboxStore
	Webhooks     WebhookStore
	Deliveries   DeliveryStore
}

// ListFilter narrows a listing. Empty fields do not filter.
type ListFilter struct {
	Section string
	Tag     string
	Search  string
	Now     time.Time // articles published after Now are not yet public
	// Statuses widens the listing to drafts and scheduled stories (an
	// editor's); empty is Published only.
	Statuses []PublicationStatus
}

// ListQuery is one page of a listing.
type ListQuery struct {
	ListFilter
	After *Cursor
	Limit int
}
