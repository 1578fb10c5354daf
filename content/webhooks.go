package content

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Webhook is a receiver of changes: each change of a kind in Events is
// POSTed to URL as an event signed with the webhook's secret.
type Webhook struct {
	ID     string
	URL    string
	Events []ChangeKind
	// Secret is the signing secret sealed under the installation key: the
	// secret itself is shown once, when the webhook is added.
	Secret    string
	CreatedAt time.Time
	// AfterID is the newest logged change when the webhook was added; only
	// later changes reach it. The store sets it.
	AfterID int64
	// Pending and Failed count its deliveries waiting to be sent and
	// given up on (listings only).
	Pending, Failed int
}

// WebhookStore keeps the webhooks.
type WebhookStore interface {
	// AddWebhook stores a new webhook, setting its AfterID;
	// ErrWebhookExists when one has its id.
	AddWebhook(ctx context.Context, w Webhook) error
	// Webhooks lists every webhook by id, with its delivery counts.
	Webhooks(ctx context.Context) ([]Webhook, error)
	// RemoveWebhook deletes a webhook and its deliveries; NotFoundError
	// when there is none.
	RemoveWebhook(ctx context.Context, id string) error
}

// DeliveryStore is the webhooks' outbox and their place in the change log.
type DeliveryStore interface {
	// Cursor and MoveCursor keep a consumer's place in the log
	// (store/cursor.go): the last id it handled.
	Cursor(ctx context.Context, name string) (id int64, at time.Time, ok bool, err error)
	MoveCursor(ctx context.Context, name string, from, to int64, at time.Time) (bool, error)
	// QueueDeliveries moves cursor name from from to to and queues ds, due
	// at at, in one transaction: false, and nothing queued, when the cursor
	// was not at from (another gateway got there first). A delivery whose
	// id is queued already, or whose webhook is gone, is skipped.
	QueueDeliveries(ctx context.Context, name string, from, to int64, at time.Time, ds []Delivery) (bool, error)
	// ClaimDeliveries claims up to limit deliveries due at now, unsent and
	// not given up on, for claimFor, and counts the attempt: no other
	// gateway claims them until then.
	ClaimDeliveries(ctx context.Context, now time.Time, claimFor time.Duration, limit int) ([]Delivery, error)
	// DeliveryDone marks a delivery sent; DeliveryRetry records a failed
	// attempt and when to try again; DeliveryFailed gives up on it.
	DeliveryDone(ctx context.Context, id string, at time.Time) error
	DeliveryRetry(ctx context.Context, id, reason string, next time.Time) error
	DeliveryFailed(ctx context.Context, id, reason string, at time.Time) error
}

// Delivery is one event on its way to one webhook.
type Delivery struct {
	// ID is the event's id, the same on every attempt (Byline-Delivery):
	// derived from the change, the story and the webhook.
	ID        string
	WebhookID string
	Type      ChangeKind
	Body      []byte // the JSON event, the same on every attempt
	// QueuedAt is when the delivery was queued, on the domain's clock
	// (ClaimDeliveries): retries stop GiveUp after it.
	QueuedAt time.Time
	Attempts int // counting the one being made (ClaimDeliveries)
	// URL and Secret (sealed) are the webhook's, filled by
	// ClaimDeliveries; SendWebhook is given the secret opened.
	URL    string
	Secret string
}

// WebhookSender makes one attempt at a delivery; an error is a failed
// attempt, tried again later.
type WebhookSender interface {
	SendWebhook(ctx context.Context, d Delivery) error
}

// DeliveryPolicy says how deliveries are retried.
type DeliveryPolicy struct {
	// FirstRetry is the wait after a first failed attempt; it doubles
	// after each next one, up to MaxRetry. Defaults 10s and 1h.
	FirstRetry, MaxRetry time.Duration
	// GiveUp is how long after it was queued (a moment after its change)
	// a delivery is tried before it is marked failed. Default 24h.
	GiveUp time.Duration
	// ClaimFor is how long an attempt may take before another gateway may
	// make its own. Default a minute: longer than a sender's timeout.
	ClaimFor time.Duration
	// Batch bounds the deliveries claimed at once, Parallel the attempts
	// in flight. Defaults 50 and 8.
	Batch, Parallel int
}

func (p DeliveryPolicy) withDefaults() DeliveryPolicy {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&p.FirstRetry, 10*time.Second)
	def(&p.MaxRetry, time.Hour)
	def(&p.GiveUp, 24*time.Hour)
	def(&p.ClaimFor, time.Minute)
	if p.Batch <= 0 {
		p.Batch = 50
	}
	if p.Parallel <= 0 {
		p.Parallel = 8
	}
	return p
}

// wait is how long to wait after the attempts-th failed attempt.
func (p DeliveryPolicy) wait(attempts int) time.Duration {
	d := p.FirstRetry
	for i := 1; i < attempts && d < p.MaxRetry; i++ {
		d *= 2
	}
	return min(d, p.MaxRetry)
}

// ErrWebhookExists means a webhook with the id is already stored.
var ErrWebhookExists = errors.New("a webhook with this id exists")

// webhookCursor names the webhooks' place in the change log.
const webhookCursor = "webhooks"

// changeBatch is how many logged changes one step turns into deliveries.
const changeBatch = 200

// deliveryAttempt bounds one attempt, whatever the sender's own timeout.
const deliveryAttempt = 30 * time.Second

func (s *Service) webhookStores() (WebhookStore, DeliveryStore, error) {
	ws, ds := s.store.Webhooks, s.store.Deliveries
	if ws == nil || ds == nil {
		return nil, nil, errors.New("content: this store keeps no webhooks")
	}
	return ws, ds, nil
}

// AddWebhook adds a webhook for events at rawURL and returns its signing
// secret, which is not shown again.
func (s *Service) AddWebhook(ctx context.Context, id, rawURL string, events []ChangeKind) (string, error) {
	ws, _, err := s.webhookStores()
	if err != nil {
		return "", err
	}
	if !ValidSlug(id) || len(id) > 64 {
		return "", Invalid("id", "%q must be lower-case letters, digits and single hyphens, at most 64 bytes", id)
	}
	if !validWebhookURL(rawURL) {
		return "", Invalid("url", "%q must be an absolute http(s) URL without credentials, at most 2000 bytes", rawURL)
	}
	if len(events) == 0 {
		return "", Invalid("events", "name at least one of %s", joinKinds(WebhookEvents()))
	}
	var evs []ChangeKind
	for _, e := range events {
		if !slices.Contains(WebhookEvents(), e) {
			return "", Invalid("events", "%q is not one of %s", e, joinKinds(WebhookEvents()))
		}
		if !slices.Contains(evs, e) {
			evs = append(evs, e)
		}
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("content: webhook secret: %w", err)
	}
	secret := "whsec_" + base64.RawURLEncoding.EncodeToString(b)
	sealed, err := s.sealSecret(ctx, id, secret)
	if err != nil {
		return "", err
	}
	w := Webhook{ID: id, URL: rawURL, Events: evs, Secret: sealed, CreatedAt: s.cfg.Now().UTC().Truncate(time.Millisecond)}
	if err := ws.AddWebhook(ctx, w); err != nil {
		return "", fmt.Errorf("content: add webhook %q: %w", id, err)
	}
	return secret, nil
}

// Webhooks lists the webhooks, by id.
func (s *Service) Webhooks(ctx context.Context) ([]Webhook, error) {
	ws, _, err := s.webhookStores()
	if err != nil {
		return nil, err
	}
	list, err := ws.Webhooks(ctx)
	if err != nil {
		return nil, fmt.Errorf("content: webhooks: %w", err)
	}
	return list, nil
}

// RemoveWebhook removes a webhook and what is still queued for it;
// NotFoundError when there is none.
func (s *Service) RemoveWebhook(ctx context.Context, id string) error {
	ws, _, err := s.webhookStores()
	if err != nil {
		return err
	}
	if err := ws.RemoveWebhook(ctx, id); err != nil {
		return fmt.Errorf("content: remove webhook %q: %w", id, err)
	}
	return nil
}

func validWebhookURL(raw string) bool {
	if len(raw) > 2000 || hasControl(raw) {
		return false
	}
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	return (u.Scheme == "http" || u.Scheme == "https") && u.Hostname() != "" && u.User == nil && u.Opaque == ""
}

func joinKinds(ks []ChangeKind) string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return strings.Join(out, ", ")
}

// QueueWebhookDeliveries turns the changes logged since the webhooks'
// cursor into deliveries, one per story and subscribed webhook, and
// moves the cursor past them in the same transaction: however many
// gateways run it, each change is queued once. It returns the deliveries
// queued.
func (s *Service) QueueWebhookDeliveries(ctx context.Context) (int, error) {
	ws, ds, err := s.webhookStores()
	if err != nil {
		return 0, err
	}
	queued := 0
	for {
		from, _, ok, err := ds.Cursor(ctx, webhookCursor)
		if err != nil {
			return queued, fmt.Errorf("content: webhooks: %w", err)
		}
		if !ok {
			start, err := s.webhooksStart(ctx, ws)
			if err != nil {
				return queued, err
			}
			if _, err := ds.MoveCursor(ctx, webhookCursor, 0, start, s.cfg.Now()); err != nil {
				return queued, fmt.Errorf("content: webhooks: %w", err)
			}
			continue
		}
		changes, err := s.store.Changes.Invalidations(ctx, from, changeBatch)
		if err != nil {
			return queued, fmt.Errorf("content: webhooks: %w", err)
		}
		if len(changes) == 0 {
			return queued, nil
		}
		batch, err := s.deliveriesFor(ctx, ws, changes)
		if err != nil {
			return queued, err
		}
		moved, err := ds.QueueDeliveries(ctx, webhookCursor, from, changes[len(changes)-1].ID, s.cfg.Now(), batch)
		if err != nil {
			return queued, fmt.Errorf("content: queue deliveries: %w", err)
		}
		if moved {
			queued += len(batch)
		}
		if len(changes) < changeBatch {
			return queued, nil
		}
	}
}

// webhooksStart is where the first run starts in the log: after the
// oldest webhook was added (it hears of every change since, even those
// made before any gateway ran this), or at the end of the log when there
// is no webhook: earlier changes are nobody's news.
func (s *Service) webhooksStart(ctx context.Context, ws WebhookStore) (int64, error) {
	start, err := s.store.Changes.LastInvalidation(ctx)
	if err != nil {
		return 0, fmt.Errorf("content: webhooks: %w", err)
	}
	hooks, err := ws.Webhooks(ctx)
	if err != nil {
		return 0, fmt.Errorf("content: webhooks: %w", err)
	}
	for _, h := range hooks {
		start = min(start, h.AfterID)
	}
	return start, nil
}

// deliveriesFor builds the deliveries of a batch of changes. An event
// carries the story as it is when the event is queued, a moment after the
// change: a receiver that needs the story as it is now asks the API.
func (s *Service) deliveriesFor(ctx context.Context, ws WebhookStore, changes []Invalidation) ([]Delivery, error) {
	if !slices.ContainsFunc(changes, func(c Invalidation) bool { return c.Kind.Public() }) {
		return nil, nil
	}
	hooks, err := ws.Webhooks(ctx)
	if err != nil || len(hooks) == 0 {
		return nil, err
	}
	key, err := s.secretKey(ctx)
	if err != nil {
		return nil, err
	}
	articles := map[string]*Article{}
	var out []Delivery
	for _, c := range changes {
		if !c.Kind.Public() {
			continue
		}
		for _, slug := range c.Slugs {
			for _, h := range hooks {
				if c.ID <= h.AfterID || !slices.Contains(h.Events, c.Kind) {
					continue
				}
				a, err := s.eventArticle(ctx, articles, slug)
				if err != nil {
					return nil, err
				}
				id := eventID(key, h.ID, strconv.FormatInt(c.ID, 10), slug)
				out = append(out, Delivery{ID: id, WebhookID: h.ID, Type: c.Kind, Body: eventBody(id, c.Kind, c.At, s.storyData(slug, c.Kind, a))})
			}
		}
	}
	return out, nil
}

// eventArticle reads a story once per batch; nil when it is gone.
func (s *Service) eventArticle(ctx context.Context, seen map[string]*Article, slug string) (*Article, error) {
	if a, ok := seen[slug]; ok {
		return a, nil
	}
	a, err := s.store.Articles.Article(ctx, slug)
	if IsNotFound(err) {
		a, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("content: webhook event %q: %w", slug, err)
	}
	seen[slug] = a
	return a, nil
}

// eventID is an event's id: stable for a change (what names it: a story's
// change and slug, a subscriber's change) and a webhook, so that every
// attempt carries the same one, and keyed by the installation's secret,
// so that two databases never make the same id.
func eventID(key []byte, hook string, change ...string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("webhook-event\x00" + hook))
	for _, c := range change {
		m.Write([]byte("\x00" + c))
	}
	return "evt_" + hex.EncodeToString(m.Sum(nil)[:16])
}

type eventSection struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

type articleData struct {
	Slug        string        `json:"slug"`
	URL         string        `json:"url"`
	Title       string        `json:"title"`
	Section     *eventSection `json:"section"`
	PublishedAt *time.Time    `json:"publishedAt"`
}

type slugData struct {
	Slug string `json:"slug"`
}

// storyData is a story's event data: the story, its slug alone when it
// is deleted or gone.
func (s *Service) storyData(slug string, kind ChangeKind, a *Article) any {
	if a == nil || kind == ArticleDeleted {
		return slugData{Slug: slug}
	}
	return articleData{
		Slug: a.Slug, URL: s.absolute(a.URL()), Title: a.Title,
		Section: &eventSection{Slug: a.Section.Slug, Name: a.Section.Name}, PublishedAt: a.PublishedAt,
	}
}

// eventBody is the JSON of an event: {id, type, createdAt, data}.
func eventBody(id string, kind ChangeKind, at time.Time, data any) []byte {
	b, _ := json.Marshal(struct {
		ID        string     `json:"id"`
		Type      ChangeKind `json:"type"`
		CreatedAt time.Time  `json:"createdAt"`
		Data      any        `json:"data"`
	}{id, kind, at.UTC(), data}) // strings and times cannot fail
	return b
}

// DeliverWebhooks makes one attempt at each delivery due, a few at a
// time, and returns how many were sent. A failed attempt is tried again
// after a wait that doubles each time, until GiveUp after it was queued:
// then it is marked failed, and named in the returned error.
func (s *Service) DeliverWebhooks(ctx context.Context, sender WebhookSender, p DeliveryPolicy) (int, error) {
	_, ds, err := s.webhookStores()
	if err != nil {
		return 0, err
	}
	p = p.withDefaults()
	claimed, err := ds.ClaimDeliveries(ctx, s.cfg.Now(), p.ClaimFor, p.Batch)
	if err != nil {
		return 0, fmt.Errorf("content: claim deliveries: %w", err)
	}
	var (
		mu   sync.Mutex
		sent int
		errs []error
		wg   sync.WaitGroup
		sem  = make(chan struct{}, p.Parallel)
	)
	for _, d := range claimed {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			ok, err := s.attempt(ctx, ds, sender, p, d)
			mu.Lock()
			defer mu.Unlock()
			if ok {
				sent++
			}
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	return sent, errors.Join(errs...)
}

// attempt sends d once and records the outcome.
func (s *Service) attempt(ctx context.Context, ds DeliveryStore, sender WebhookSender, p DeliveryPolicy, d Delivery) (bool, error) {
	secret, err := s.openSecret(ctx, d.WebhookID, d.Secret)
	if err == nil {
		d.Secret = secret
		actx, cancel := context.WithTimeout(ctx, deliveryAttempt)
		err = sender.SendWebhook(actx, d)
		cancel()
	}
	now := s.cfg.Now()
	if err == nil {
		if err := ds.DeliveryDone(ctx, d.ID, now); err != nil {
			return true, fmt.Errorf("content: delivery %s sent: %w", d.ID, err)
		}
		return true, nil
	}
	reason := err.Error()
	if now.Sub(d.QueuedAt) >= p.GiveUp {
		if ferr := ds.DeliveryFailed(ctx, d.ID, reason, now); ferr != nil {
			return false, fmt.Errorf("content: delivery %s: %w", d.ID, ferr)
		}
		return false, fmt.Errorf("delivery %s to webhook %s given up after %d attempts: %w", d.ID, d.WebhookID, d.Attempts, err)
	}
	if rerr := ds.DeliveryRetry(ctx, d.ID, reason, now.Add(p.wait(d.Attempts))); rerr != nil {
		return false, fmt.Errorf("content: delivery %s: %w", d.ID, rerr)
	}
	return false, nil
}

// Signing secrets are kept sealed with AES-GCM under a key derived from
// the installation's secret, bound to their webhook's id: a copy of the
// webhooks table alone does not give them away. The installation's secret
// lives in the same database, so this guards a leaked table or backup of
// it, not a whole database.
const sealPrefix = "v1:"

func (s *Service) sealer(ctx context.Context) (cipher.AEAD, error) {
	key, err := s.secretKey(ctx)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("byline webhook secrets v1"))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		return nil, fmt.Errorf("content: webhook secrets: %w", err)
	}
	return cipher.NewGCM(block)
}

func (s *Service) sealSecret(ctx context.Context, id, secret string) (string, error) {
	aead, err := s.sealer(ctx)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("content: seal: %w", err)
	}
	return sealPrefix + base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte(secret), []byte(id))), nil
}

func (s *Service) openSecret(ctx context.Context, id, sealed string) (string, error) {
	aead, err := s.sealer(ctx)
	if err != nil {
		return "", err
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(sealed, sealPrefix))
	if err != nil || !strings.HasPrefix(sealed, sealPrefix) || len(raw) < aead.NonceSize() {
		return "", fmt.Errorf("webhook %s: its secret is not sealed by this installation", id)
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(id))
	if err != nil {
		return "", fmt.Errorf("webhook %s: its secret does not open with this installation's key", id)
	}
	return string(plain), nil
}
