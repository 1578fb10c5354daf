package content

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// What the newsletter's links and records last.
const (
	// incentiveTTL is how long a signed link to a file the gateway serves
	// works; a reader who needs a new one signs up again (a confirmed
	// reader is sent the welcome email once more).
	incentiveTTL = 7 * 24 * time.Hour
	// DefaultOutboxRetention is how long sent (and failed) emails stay in
	// the outbox before PruneOutbox deletes them.
	DefaultOutboxRetention = 30 * 24 * time.Hour
)

// FilesPath is where the gateway serves the files partners offer as an
// incentive, each only through a signed, expiring link.
const FilesPath = "/widget/files/"

// Newsletter page states.
const (
	PageConfirm      = "confirm"      // a button that confirms
	PageConfirmed    = "confirmed"    // subscribed, with the incentive
	PageUnsubscribe  = "unsubscribe"  // a button that unsubscribes
	PageUnsubscribed = "unsubscribed" // nothing more will be sent
	PageInvalid      = "invalid"      // the link does not work
)

// NewsletterPage is what a page behind an email's link shows: in the
// reader's locale, in the partner's colours, with at most one button.
type NewsletterPage struct {
	State     string
	Locale    string
	Theme     Theme
	Partner   string // the newsletter's name
	Title     string
	Message   string
	Button    string // the one button's label; "" when the page has none
	Token     string // what the button sends back
	Incentive *Link  // after a confirmation, the partner's incentive
	Lead      string // introduces Incentive
}

// errBadLink is a link the gateway did not make, or made for something else.
var errBadLink = Invalid("token", "this link is not valid")

// unsubscribeToken is the credential in every unsubscribe link: the
// subscriber's handle and a MAC over it, so that it need not be stored and
// every email, now or later, can carry it.
func (s *Service) unsubscribeToken(key []byte, handle string) string {
	return "u1." + handle + "." + s.mac(key, "unsub", handle)
}

func (s *Service) unsubscribeURL(key []byte, handle string) string {
	return s.absolute("/widget/unsubscribe?token=" + s.unsubscribeToken(key, handle))
}

// unsubscribeHandle checks an unsubscribe token and returns its handle.
func (s *Service) unsubscribeHandle(ctx context.Context, token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(token) > 200 || len(parts) != 3 || parts[0] != "u1" || parts[1] == "" {
		return "", errBadLink
	}
	key, err := s.secretKey(ctx)
	if err != nil {
		return "", err
	}
	if !hmac.Equal([]byte(parts[2]), []byte(s.mac(key, "unsub", parts[1]))) {
		return "", errBadLink
	}
	return parts[1], nil
}

// Unsubscribe unsubscribes the subscriber an unsubscribe token names, at
// once: its queued emails are cancelled and its confirmation links stop
// working. Unsubscribing twice, or someone already erased, is no error.
func (s *Service) Unsubscribe(ctx context.Context, token string) error {
	_, err := s.unsubscribe(ctx, token)
	return err
}

func (s *Service) unsubscribe(ctx context.Context, token string) (*Subscriber, error) {
	handle, err := s.unsubscribeHandle(ctx, token)
	if err != nil {
		return nil, err
	}
	events, err := s.subscriberEvents(ctx, SubscriberUnsubscribed)
	if err != nil {
		return nil, err
	}
	sub, err := s.store.Subscribers.Unsubscribe(ctx, handle, s.cfg.Now().UTC().Truncate(time.Millisecond), events)
	if IsNotFound(err) {
		return nil, nil // erased: nothing is left to send to
	}
	if err != nil {
		return nil, fmt.Errorf("content: unsubscribe: %w", err)
	}
	return sub, nil
}

// page is a newsletter page in the partner's locale and colours (the
// defaults when p is nil).
func page(p *Partner, locale, state string) (*NewsletterPage, newsletterText, string) {
	pg := &NewsletterPage{State: state, Locale: locale, Theme: defaultTheme}
	t := textsFor(locale)
	name := t.ThisNewsletter
	if p != nil {
		pg.Theme, pg.Partner, name = p.theme(), p.Name, p.Name
	}
	return pg, t, name
}

func invalidPage(p *Partner, locale string) *NewsletterPage {
	pg, t, _ := page(p, locale, PageInvalid)
	pg.Title, pg.Message = t.InvalidTitle, t.InvalidMessage
	return pg
}

// ConfirmPage is the page behind a confirmation link. Without post it
// changes nothing and shows one button, which posts the token back: mail
// scanners that follow every link (Safe Links, Mimecast, Proofpoint) must
// not confirm anyone. With post it confirms, queues the welcome email and
// shows the incentive. lang is the reader's Accept-Language, for a page
// that cannot tell whose link it is.
func (s *Service) ConfirmPage(ctx context.Context, token, lang string, post bool) (*NewsletterPage, error) {
	fallback := pickLocale(lang, "en")
	if token == "" || len(token) > 100 {
		return invalidPage(nil, fallback), nil
	}
	th := sha256.Sum256([]byte(token))
	now := s.cfg.Now().UTC().Truncate(time.Millisecond)
	sub, used, err := s.store.Subscribers.ConfirmTarget(ctx, th[:], now)
	if IsNotFound(err) {
		return invalidPage(nil, fallback), nil
	}
	if err != nil {
		return nil, fmt.Errorf("content: confirm: %w", err)
	}
	p, err := s.Partner(ctx, sub.Partner)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return invalidPage(nil, fallback), nil
	}
	locale := pickLocale(sub.Locale, p.Locale)
	key, err := s.secretKey(ctx)
	if err != nil {
		return nil, err
	}
	confirmed := func(msg string) *NewsletterPage {
		pg, t, name := page(p, locale, PageConfirmed)
		pg.Title, pg.Message = t.ConfirmedTitle, fmt.Sprintf(msg, name)
		if l, _ := s.incentive(key, p, now); l != nil {
			pg.Incentive, pg.Lead = l, t.PageIncentive
		}
		return pg
	}
	switch {
	case sub.Status == StatusSubscribed:
		// A second press, the link opened again, or the link of an
		// earlier sign-up: subscribed already.
		return confirmed(textsFor(locale).AlreadyConfirmed), nil
	case used || sub.Status == StatusUnsubscribed:
		return invalidPage(p, locale), nil
	case !post:
		pg, t, name := page(p, locale, PageConfirm)
		pg.Title, pg.Message, pg.Button, pg.Token = t.ConfirmTitle, fmt.Sprintf(t.ConfirmPrompt, name), t.ConfirmButton, token
		return pg, nil
	}
	events, err := s.subscriberEvents(ctx, SubscriberConfirmed)
	if err != nil {
		return nil, err
	}
	_, err = s.store.Subscribers.Confirm(ctx, th[:], now, func(sub Subscriber) (*Message, []Delivery, error) {
		ds, err := events(sub)
		if err != nil {
			return nil, nil, err
		}
		m, err := s.welcomeMail(key, p, sub, now)
		return m, ds, err
	})
	if IsNotFound(err) {
		// Used or expired in between (a double press): read it again.
		return s.ConfirmPage(ctx, token, lang, false)
	}
	if err != nil {
		return nil, fmt.Errorf("content: confirm: %w", err)
	}
	return confirmed(textsFor(locale).ConfirmedMessage), nil
}

// UnsubscribePage is the page behind an unsubscribe link. Without post it
// shows one button; with post (the button, or a mail client's RFC 8058
// one-click POST) it unsubscribes at once, with no further step.
func (s *Service) UnsubscribePage(ctx context.Context, token, lang string, post bool) (*NewsletterPage, error) {
	fallback := pickLocale(lang, "en")
	handle, err := s.unsubscribeHandle(ctx, token)
	var invalid *InvalidError
	if errors.As(err, &invalid) {
		return invalidPage(nil, fallback), nil
	}
	if err != nil {
		return nil, err
	}
	var sub *Subscriber
	if post {
		sub, err = s.unsubscribe(ctx, token)
	} else {
		sub, err = s.store.Subscribers.SubscriberByHandle(ctx, handle)
		if IsNotFound(err) {
			sub, err = nil, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("content: unsubscribe page: %w", err)
	}
	var p *Partner
	locale := fallback
	if sub != nil {
		if p, err = s.Partner(ctx, sub.Partner); err != nil {
			return nil, err
		}
		if p != nil {
			locale = pickLocale(sub.Locale, p.Locale)
		}
	}
	if sub == nil || sub.Status == StatusUnsubscribed {
		pg, t, name := page(p, locale, PageUnsubscribed)
		pg.Title, pg.Message = t.UnsubscribedTitle, fmt.Sprintf(t.UnsubscribedMessage, name)
		return pg, nil
	}
	pg, t, name := page(p, locale, PageUnsubscribe)
	pg.Title, pg.Message, pg.Button, pg.Token = t.UnsubTitle, fmt.Sprintf(t.UnsubPrompt, name), t.UnsubscribeLabel, token
	return pg, nil
}

// Forget erases a person: every subscription of the address, its consent
// receipts, tokens and emails. What stays is a keyed hash of the address,
// so that a sign-up in its name is never taken again (nor mailed). It
// returns how many subscriptions it erased.
func (s *Service) Forget(ctx context.Context, email string) (int, error) {
	e, err := NormaliseEmail(email)
	if err != nil {
		// An address stored before today's checks: erase it as it is.
		e = strings.ToLower(strings.TrimSpace(email))
		if e == "" || !strings.Contains(e, "@") {
			return 0, err
		}
	}
	key, err := s.secretKey(ctx)
	if err != nil {
		return 0, err
	}
	n, err := s.store.Subscribers.Forget(ctx, e, s.mac(key, "email", e), s.cfg.Now())
	if err != nil {
		return 0, fmt.Errorf("content: forget: %w", err)
	}
	return n, nil
}

// PruneOutbox deletes emails sent or failed more than retention ago
// (DefaultOutboxRetention when 0), with the expired confirmation tokens and
// the rate counters past their window. Unsent emails are never pruned.
func (s *Service) PruneOutbox(ctx context.Context, retention time.Duration) (int64, error) {
	if retention <= 0 {
		retention = DefaultOutboxRetention
	}
	now := s.cfg.Now()
	n, err := s.store.Outbox.PruneOutbox(ctx, now.Add(-retention), now, now.Add(-confirmWindow))
	if err != nil {
		return 0, fmt.Errorf("content: prune outbox: %w", err)
	}
	return n, nil
}

// incentiveFile is the name of the gateway's file that raw names, if it
// names one ("/widget/files/report.html").
func incentiveFile(raw string) (string, bool) {
	name, ok := strings.CutPrefix(raw, FilesPath)
	return name, ok && name != ""
}

// incentive is the partner's incentive as a link, nil when it has none; a
// file the gateway serves gets a signed link that expires (signed true).
func (s *Service) incentive(key []byte, p *Partner, now time.Time) (l *Link, signed bool) {
	if p.IncentiveURL == "" {
		return nil, false
	}
	name, ok := incentiveFile(p.IncentiveURL)
	if !ok {
		return &Link{Title: p.IncentiveTitle, URL: p.IncentiveURL}, false
	}
	exp := strconv.FormatInt(now.Add(incentiveTTL).Unix(), 10)
	q := url.Values{"p": {p.ID}, "e": {exp}, "s": {s.mac(key, "file", p.ID, name, exp)}}
	return &Link{Title: p.IncentiveTitle, URL: s.absolute(FilesPath + url.PathEscape(name) + "?" + q.Encode())}, true
}

// ErrLinkExpired is a signed file link past its time.
var ErrLinkExpired = errors.New("this download link has expired")

// CheckFileLink reports whether a link to the gateway's file name, with
// the query q the gateway signed, is genuine and unexpired: nil when the
// file may be served, ErrLinkExpired when it was genuine, an *InvalidError
// otherwise. The message it returns is for the reader, in lang.
func (s *Service) CheckFileLink(ctx context.Context, name string, q url.Values, lang string) (string, error) {
	t := textsFor(pickLocale(lang, "en"))
	partner, exp, sig := q.Get("p"), q.Get("e"), q.Get("s")
	key, err := s.secretKey(ctx)
	if err != nil {
		return "", err
	}
	if name == "" || sig == "" || !hmac.Equal([]byte(sig), []byte(s.mac(key, "file", partner, name, exp))) {
		return t.InvalidMessage, errBadLink
	}
	e, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || !s.cfg.Now().Before(time.Unix(e, 0)) {
		return t.FileExpired, ErrLinkExpired
	}
	return "", nil
}

// ErrorPage is the page for a failure of the gateway's own, in lang.
func ErrorPage(lang string) *NewsletterPage {
	locale := pickLocale(lang, "en")
	pg, t, _ := page(nil, locale, PageInvalid)
	pg.Title, pg.Message = t.InvalidTitle, defaultStrings[locale].Failed
	return pg
}

// MessagePage is a page that only says msg (from CheckFileLink), in lang.
func MessagePage(lang, msg string) *NewsletterPage {
	pg, t, _ := page(nil, pickLocale(lang, "en"), PageInvalid)
	pg.Title, pg.Message = t.InvalidTitle, msg
	return pg
}
