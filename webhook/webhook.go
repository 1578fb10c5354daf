// Package webhook delivers the domain's changes to webhook receivers: a
// JSON POST signed as Stripe signs its own, with the delivery's id in a
// header. The outbox, its retries and the event ids are the domain's
// (content/webhooks.go); this package makes the HTTP attempts and runs
// the loop that queues and sends.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/internal/tick"
)

// The headers every delivery carries.
const (
	SignatureHeader = "Byline-Signature"
	DeliveryHeader  = "Byline-Delivery"
)

// Sign is the Byline-Signature of body sent at t with secret:
// t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>. The time is
// signed with the body, so a receiver can refuse a delivery replayed long
// after it was sent.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks a Byline-Signature header against body: one of its v1
// signatures must match, and its time be within tolerance of now. It is
// what a receiver written in Go needs.
func Verify(header, secret string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs []string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return errors.New("webhook: the signature header is not t=…,v1=…")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("webhook: the signature is %v off the clock", d.Round(time.Second))
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return errors.New("webhook: no signature matches the body")
}

// Sender POSTs deliveries over HTTP.
type Sender struct {
	Client *http.Client
	// Now is the wall clock signatures are stamped with; time.Now when
	// nil. Never the domain's clock, which tests move: receivers compare
	// the stamp with their own clock.
	Now       func() time.Time
	UserAgent string
}

// NewSender is a sender with a 10 s timeout that follows no redirect: a
// receiver that moved says so by failing, not by sending a signed body
// somewhere else.
func NewSender() *Sender {
	return &Sender{Client: &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// SendWebhook makes one attempt: any 2xx answer is success.
func (s *Sender) SendWebhook(ctx context.Context, d content.Delivery) error {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Body))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	ua := s.UserAgent
	if ua == "" {
		ua = "Byline-Webhooks/1"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", ua)
	req.Header.Set(DeliveryHeader, d.ID)
	req.Header.Set(SignatureHeader, Sign(d.Secret, now(), d.Body))
	resp, err := s.Client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // it names the whole URL, query and all
		}
		return fmt.Errorf("webhook: POST %s: %w", redact(d.URL), err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // reuse the connection
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook: POST %s: %s", redact(d.URL), resp.Status)
	}
	return nil
}

// redact drops a URL's query, which may hold a receiver's token, from
// what is logged and stored as the last error.
func redact(u string) string {
	u, _, _ = strings.Cut(u, "?")
	return u
}

// Domain is what the loop drives.
type Domain interface {
	QueueWebhookDeliveries(ctx context.Context) (int, error)
	DeliverWebhooks(ctx context.Context, sender content.WebhookSender, p content.DeliveryPolicy) (int, error)
}

// Options tune Run; zero values take the defaults.
type Options struct {
	Poll   time.Duration // how often to look for changes and due deliveries; default 500ms
	Policy content.DeliveryPolicy
	Sender content.WebhookSender // default NewSender()
}

// Run queues and sends deliveries every Poll until ctx ends. It runs on
// every gateway: the store decides which one queues a change and which one
// claims a delivery.
func Run(ctx context.Context, d Domain, log *slog.Logger, o Options) {
	if o.Poll <= 0 {
		o.Poll = 500 * time.Millisecond
	}
	if o.Sender == nil {
		o.Sender = NewSender()
	}
	tick.Every(ctx, o.Poll, func(ctx context.Context) {
		if _, err := d.QueueWebhookDeliveries(ctx); err != nil && ctx.Err() == nil {
			log.Warn("webhooks: queue", "err", err)
		}
		if _, err := d.DeliverWebhooks(ctx, o.Sender, o.Policy); err != nil && ctx.Err() == nil {
			log.Warn("webhooks: deliver", "err", err)
		}
	})
}
