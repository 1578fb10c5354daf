package content

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Subscription statuses. A subscriber is pending, subscribed or
// unsubscribed; REJECTED is only ever an answer.
const (
	StatusPending      = "PENDING_CONFIRMATION"
	StatusSubscribed   = "SUBSCRIBED"
	StatusUnsubscribed = "UNSUBSCRIBED"
	StatusRejected     = "REJECTED"
)

// Subscriber is one address on one partner's list, with the evidence of
// its consent.
type Subscriber struct {
	ID             int64
	Email          string
	Partner        string
	Status         string
	Locale         string
	ConsentVersion string // names the consent text the reader agreed to
	ConsentText    string
	SourceURL      string
	IPHash         string // keyed hash: the raw address is never stored
	ConsentedAt    time.Time
	CreatedAt      time.Time
	ConfirmedAt    *time.Time // the latest confirmation
	UnsubscribedAt *time.Time // the latest unsubscription
	WelcomedAt     *time.Time // the latest welcome email
	// UnsubHandle names the subscriber in its unsubscribe links. It is
	// random, not the row's id, so that a new subscriber's links can be
	// written before the row exists, and so that a link tells nothing of
	// the list's size.
	UnsubHandle string
}

// StatusAt is when the subscriber's current status began: the sign-up,
// the confirmation or the unsubscription.
func (s Subscriber) StatusAt() time.Time {
	switch {
	case s.Status == StatusSubscribed && s.ConfirmedAt != nil:
		return *s.ConfirmedAt
	case s.Status == StatusUnsubscribed && s.UnsubscribedAt != nil:
		return *s.UnsubscribedAt
	}
	return s.ConsentedAt
}

// ExportStatus is the status as subscribers export names it: pending,
// confirmed or unsubscribed.
func ExportStatus(status string) string {
	switch status {
	case StatusSubscribed:
		return "confirmed"
	case StatusUnsubscribed:
		return "unsubscribed"
	}
	return "pending"
}

// Message is an email waiting in the outbox. Everything a relay needs is
// fixed when it is queued, Message-ID included, so a retry sends the same
// message; only Date is the moment of sending.
type Message struct {
	ID           int64
	To           string
	FromName     string // the partner's name, shown in From
	ReplyTo      string // "" for none
	Subject      string
	Body         string // the text/plain part
	HTML         string // the text/html part; "" for a text-only message
	Locale       string // Content-Language
	MessageID    string // "<id@host>"
	Unsubscribe  string // the one-click URL for List-Unsubscribe
	SubscriberID int64  // whose message: unsubscribing cancels it, forgetting deletes it
	Attempts     int
}

// Sender delivers email (SMTP, or a log line in development). An error
// with a Permanent() bool method that reports true says the message can
// never be delivered (an SMTP 5xx to MAIL, RCPT or DATA): the outbox marks
// it failed instead of retrying. Any other error is retried with backoff.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// permanent reports whether a Sender's error says retrying cannot help.
func permanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

// Limiter counts events per key in a window (Redis when configured).
type Limiter interface {
	Allow(ctx context.Context, key string, limit int, window time.Duration) bool
}

// ErrRateLimited means too many attempts; try later.
var ErrRateLimited = errors.New("too many attempts: please wait a minute and try again")

// SubscribeInput is a reader's sign-up.
type SubscribeInput struct {
	Email, Partner, PageURL, Locale, Website, FormToken string
	Consent                                             bool
}

// RequestMeta is what the edge knows of the request.
type RequestMeta struct {
	Origin    string // "" for a server-side integration
	IP        string
	PlainForm bool // the no-JS form: it has no script to fetch a form token
}

// SubscribeResult is the reader's answer.
type SubscribeResult struct {
	Status, Message string
}

// Limits on sign-ups.
const (
	perClientPerMinute  = 10
	perPartnerPerMinute = 600
	minFillTime         = 2 * time.Second
	formTokenTTL        = 2 * time.Hour
	confirmTTL          = 72 * time.Hour
	maxEmail            = 254
)

// secret is the installation's key for form tokens and IP hashes, kept in
// the database so every replica shares it.
type secret struct {
	once sync.Once
	key  []byte
	err  error
}

func (s *Service) secretKey(ctx context.Context) ([]byte, error) {
	s.sec.once.Do(func() {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			s.sec.err = err
			return
		}
		v, err := s.store.Installation.SettingOrCreate(ctx, "secret", hex.EncodeToString(b))
		if err != nil {
			s.sec.err = fmt.Errorf("content: secret: %w", err)
			return
		}
		s.sec.key, s.sec.err = hex.DecodeString(v)
	})
	return s.sec.key, s.sec.err
}

func (s *Service) mac(key []byte, parts ...string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strings.Join(parts, "\x00")))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// issueFormToken signs (partner, time, nonce): a submission must carry it
// back, not too fast and not twice. The token is
// v1.<issued, unix ms>.<nonce>~<minimum fill time, ms>.<mac>: the widget
// reads the minimum so that it holds a form sent at once (autofill) until
// the token is old enough, instead of having the reader refused. The hint
// is part of the signed nonce, so a replica that predates it still accepts
// the token; the check uses the server's own minimum, never the hint.
func (s *Service) issueFormToken(ctx context.Context, partner string) (string, error) {
	key, err := s.secretKey(ctx)
	if err != nil {
		return "", err
	}
	n := make([]byte, 12)
	_, _ = rand.Read(n)
	nonce := base64.RawURLEncoding.EncodeToString(n) + "~" + strconv.FormatInt(s.minFill().Milliseconds(), 10)
	ms := strconv.FormatInt(s.cfg.Now().UnixMilli(), 10)
	return "v1." + ms + "." + nonce + "." + s.mac(key, "form", partner, ms, nonce), nil
}

var (
	errTokenBad  = errors.New("bad form token")
	errTokenFast = errors.New("form submitted too fast")
)

func (s *Service) checkFormToken(ctx context.Context, partner, token string) error {
	parts := strings.Split(token, ".")
	if len(parts) != 4 || parts[0] != "v1" || len(token) > 200 {
		return errTokenBad
	}
	key, err := s.secretKey(ctx)
	if err != nil {
		return err
	}
	if !hmac.Equal([]byte(parts[3]), []byte(s.mac(key, "form", partner, parts[1], parts[2]))) {
		return errTokenBad
	}
	ms, _ := strconv.ParseInt(parts[1], 10, 64)
	age := s.cfg.Now().Sub(time.UnixMilli(ms))
	switch {
	case age > formTokenTTL || age < -time.Minute:
		return errTokenBad
	case age < s.minFill():
		return errTokenFast
	}
	fresh, err := s.store.Installation.UseNonce(ctx, "form:"+parts[2], s.cfg.Now(), time.UnixMilli(ms).Add(formTokenTTL))
	if err != nil {
		return err
	}
	if !fresh {
		return errTokenBad // a replay
	}
	return nil
}

// tokenMessages tell a reader, in the widget's language, why their form
// token was refused: too young (fast), or forged, used or expired (bad).
var tokenMessages = map[string]struct{ fast, bad string }{
	"en": {
		fast: "That was quick! Please wait a moment and try again.",
		bad:  "This form has expired. Please reload the page and try again.",
	},
	"mn": {
		fast: "Хэтэрхий хурдан байна! Түр хүлээгээд дахин оролдоно уу.",
		bad:  "Энэ маягтын хугацаа дууссан байна. Хуудсаа дахин ачаалаад дахин оролдоно уу.",
	},
}

func formTokenMessages(locale string) struct{ fast, bad string } {
	if m, ok := tokenMessages[locale]; ok {
		return m
	}
	return tokenMessages["en"]
}

func (s *Service) minFill() time.Duration {
	if s.cfg.MinFillTime != 0 {
		return s.cfg.MinFillTime
	}
	return minFillTime
}

// NormaliseEmail trims an address, lower-cases it and checks it. Local
// parts are case-sensitive in theory only: no mail service treats
// Reader@ and reader@ as two people, and one list must not hold both.
func NormaliseEmail(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > maxEmail || !utf8.ValidString(raw) {
		return "", Invalid("email", "must be 1 to %d bytes of UTF-8", maxEmail)
	}
	a, err := mail.ParseAddress(raw)
	if err != nil || a.Address != raw || a.Name != "" {
		return "", Invalid("email", "is not an address like name@example.com")
	}
	at := strings.LastIndexByte(raw, '@')
	local, domain := raw[:at], strings.ToLower(raw[at+1:])
	if len(local) > 64 || !strings.Contains(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "", Invalid("email", "is not an address like name@example.com")
	}
	if err := checkEmailParts(local, domain); err != nil {
		return "", err
	}
	return strings.ToLower(local) + "@" + domain, nil
}

func rejected(msg string) *SubscribeResult {
	return &SubscribeResult{Status: StatusRejected, Message: msg}
}

// Subscribe signs a reader up, double opt-in. The subscriber, its consent
// receipt and the confirmation email (in the outbox) are written in one
// transaction before the answer; the answer is the same whether or not the
// address was already on the list.
func (s *Service) Subscribe(ctx context.Context, in SubscribeInput, meta RequestMeta) (*SubscribeResult, error) {
	if s.limiter != nil {
		if !s.limiter.Allow(ctx, "sub:ip:"+meta.IP, perClientPerMinute, time.Minute) ||
			!s.limiter.Allow(ctx, "sub:partner:"+in.Partner, perPartnerPerMinute, time.Minute) {
			return nil, ErrRateLimited
		}
	}
	p, err := s.Partner(ctx, in.Partner)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return rejected("This newsletter is not available."), nil
	}
	if meta.Origin != "" && !s.PartnerAllows(ctx, p.ID, meta.Origin) {
		return rejected("This site may not sign readers up for this newsletter."), nil
	}
	locale := pickLocale(in.Locale, p.Locale)
	success := &SubscribeResult{Status: StatusPending, Message: defaultStrings[locale].Success}
	if in.Website != "" {
		return success, nil // the honeypot: a bot gets a smile and nothing else
	}
	if (meta.Origin != "" && !meta.PlainForm) || in.FormToken != "" {
		if in.FormToken == "" {
			// An integration's mistake, not a reader's: the widget always
			// sends one. Say what is missing and where it comes from.
			return rejected(`formToken is required on requests from a browser (with an Origin header): ` +
				`fetch one from widget(partner: "` + p.ID + `") when the form is shown and send it back with subscribe.`), nil
		}
		switch err := s.checkFormToken(ctx, p.ID, in.FormToken); {
		case errors.Is(err, errTokenFast):
			return rejected(formTokenMessages(locale).fast), nil
		case errors.Is(err, errTokenBad):
			return rejected(formTokenMessages(locale).bad), nil
		case err != nil:
			return nil, err
		}
	}
	email, err := NormaliseEmail(in.Email)
	if err != nil {
		return rejected(defaultStrings[locale].InvalidEmail), nil
	}
	if !in.Consent {
		return rejected(defaultStrings[locale].ConsentRequired), nil
	}
	page := ""
	if u, err := url.Parse(in.PageURL); err == nil && (u.Scheme == "http" || u.Scheme == "https") && len(in.PageURL) <= 2000 {
		page = in.PageURL
	}
	key, err := s.secretKey(ctx)
	if err != nil {
		return nil, err
	}
	consent := p.copyFor(locale).ConsentText
	cv := sha256.Sum256([]byte(consent))
	now := s.cfg.Now().UTC().Truncate(time.Millisecond)
	sub := Subscriber{
		Email: email, Partner: p.ID, Status: StatusPending, Locale: locale,
		ConsentVersion: locale + "-" + hex.EncodeToString(cv[:6]), ConsentText: consent,
		SourceURL: page, ConsentedAt: now, CreatedAt: now,
	}
	if meta.IP != "" {
		sub.IPHash = s.mac(key, "ip", meta.IP)
	}
	token := randomToken(24)
	th := sha256.Sum256([]byte(token))
	addr := s.mac(key, "email", email)
	err = s.store.Subscribers.Subscribe(ctx, sub, addr, func(st SignupState) (SignupPlan, error) {
		return s.planSignup(key, p, sub, st, token, th[:], now)
	})
	if err != nil {
		return nil, fmt.Errorf("content: subscribe: %w", err)
	}
	return success, nil
}

// Limits on what a sign-up sends.
const (
	// maxConfirmations is how many confirmation emails one address gets
	// in confirmWindow, whichever partners, pages and client addresses the
	// sign-ups came from: the form cannot be used to flood a stranger.
	maxConfirmations = 3
	confirmWindow    = 24 * time.Hour
	// welcomeEvery spaces the welcome emails a confirmed reader gets by
	// signing up again (to find the report link once more).
	welcomeEvery = 24 * time.Hour
)

// SignupState is what the store knows of a sign-up's address, read inside
// the sign-up's transaction under a lock on the address.
type SignupState struct {
	// Suppressed: the address was erased (subscribers forget) and must
	// not be taken again.
	Suppressed bool
	// Existing is this partner's subscriber with the address, nil if none.
	Existing *Subscriber
	// ConfirmSends are the address's latest confirmation emails, of every
	// partner, newest last.
	ConfirmSends []time.Time
}

// SignupPlan is what a sign-up writes, all in the one transaction.
type SignupPlan struct {
	// Write records the sign-up: the subscriber becomes pending with the
	// new consent (created with UnsubHandle when new).
	Write       bool
	UnsubHandle string
	// TokenHash, when set, is stored as a confirmation token until
	// TokenExpires.
	TokenHash    []byte
	TokenExpires time.Time
	// Mail, when set, is queued for the subscriber.
	Mail *Message
	// ConfirmSends, when not nil, replaces the address's record of
	// confirmation emails.
	ConfirmSends []time.Time
	// Welcomed stamps the subscriber's latest welcome email.
	Welcomed bool
}

// planSignup decides what a sign-up does. The answer on screen is the same
// whatever it decides: it must not tell who is on the list.
func (s *Service) planSignup(key []byte, p *Partner, sub Subscriber, st SignupState, token string, tokenHash []byte, now time.Time) (SignupPlan, error) {
	switch {
	case st.Suppressed:
		// The person asked to be erased; a sign-up in their name (theirs
		// or anyone's) is not stored, and nothing is sent.
		return SignupPlan{}, nil
	case st.Existing != nil && st.Existing.Status == StatusSubscribed:
		// Confirmed already: the welcome email again, with the report
		// link, at most once a day.
		if w := st.Existing.WelcomedAt; w != nil && now.Sub(*w) < welcomeEvery {
			return SignupPlan{}, nil
		}
		m, err := s.welcomeMail(key, p, *st.Existing, now)
		if err != nil {
			return SignupPlan{}, err
		}
		return SignupPlan{Mail: m, Welcomed: true}, nil
	}
	// New, pending or unsubscribed: a double opt-in, from the start.
	plan := SignupPlan{Write: true, UnsubHandle: randomToken(16)}
	if st.Existing != nil && st.Existing.UnsubHandle != "" {
		plan.UnsubHandle = st.Existing.UnsubHandle
	}
	var recent []time.Time
	for _, t := range st.ConfirmSends {
		if now.Sub(t) < confirmWindow {
			recent = append(recent, t)
		}
	}
	if len(recent) >= maxConfirmations {
		return plan, nil // recorded, but the address has had its share of mail today
	}
	sub.UnsubHandle = plan.UnsubHandle
	m, err := s.confirmMail(key, p, sub, token)
	if err != nil {
		return SignupPlan{}, err
	}
	plan.TokenHash, plan.TokenExpires = tokenHash, now.Add(confirmTTL)
	plan.Mail = m
	plan.ConfirmSends = append(recent, now)
	return plan, nil
}

// randomToken is n random bytes, URL-safe.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Subscribers lists subscribers, of one partner or all ("").
func (s *Service) Subscribers(ctx context.Context, partner string) ([]Subscriber, error) {
	return s.store.Subscribers.Subscribers(ctx, partner)
}

// DeliverOutbox sends what the outbox holds, a batch at a time. A message
// is claimed for a minute, so replicas never send it twice at once, and
// stays until it is sent: a crash between commit and send loses nothing.
// A message the relay refuses for good is marked failed, never sent again,
// and named in the returned error (the caller logs it); the rest of the
// batch is still sent.
func (s *Service) DeliverOutbox(ctx context.Context, sender Sender) (int, error) {
	msgs, err := s.store.Outbox.ClaimOutbox(ctx, s.cfg.Now(), time.Minute, 20)
	if err != nil {
		return 0, fmt.Errorf("content: outbox: %w", err)
	}
	sent := 0
	var refused []error
	for _, m := range msgs {
		if err := sender.Send(ctx, m); err != nil {
			if permanent(err) {
				if ferr := s.store.Outbox.OutboxRefused(ctx, m.ID, err.Error(), s.cfg.Now()); ferr != nil {
					return sent, fmt.Errorf("content: outbox message %d: %w", m.ID, ferr)
				}
				refused = append(refused, fmt.Errorf("message %d (attempt %d) marked failed: %w", m.ID, m.Attempts+1, err))
				continue
			}
			retry := time.Duration(1<<min(m.Attempts, 10)) * time.Minute
			_ = s.store.Outbox.OutboxFailed(ctx, m.ID, err.Error(), s.cfg.Now().Add(retry))
			continue
		}
		if err := s.store.Outbox.OutboxSent(ctx, m.ID, s.cfg.Now()); err != nil {
			return sent, fmt.Errorf("content: outbox sent: %w", err)
		}
		sent++
	}
	if len(refused) > 0 {
		return sent, fmt.Errorf("content: outbox: refused for good: %w", errors.Join(refused...))
	}
	return sent, nil
}
