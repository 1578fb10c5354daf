package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/store"
)

type sentBox struct{ msgs []content.Message }

func (s *sentBox) Send(_ context.Context, m content.Message) error {
	s.msgs = append(s.msgs, m)
	return nil
}

// confirmLink pulls the token out of a confirmation email.
func confirmLink(t *testing.T, body string) string {
	t.Helper()
	_, after, ok := strings.Cut(body, "/widget/confirm?token=")
	if !ok {
		t.Fatalf("no confirmation link in %q", body)
	}
	return strings.Fields(after)[0]
}

func TestSubscribeFlow(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *store.DB, svc *content.Service) {
		ctx := context.Background()
		start := now
		t.Cleanup(func() { now = start })
		if err := svc.SavePartner(ctx, content.Partner{ID: "mining-weekly", Name: "Mining Weekly", Origins: []string{"https://partner.example"}}); err != nil {
			t.Fatal(err)
		}
		partner := "mining-weekly"
		meta := content.RequestMeta{Origin: "https://partner.example", IP: "203.0.113.7"}
		form := func() string {
			cfg, err := svc.Widget(ctx, partner, "en-GB")
			if err != nil || cfg == nil {
				t.Fatalf("widget: %v %v", cfg, err)
			}
			now = now.Add(3 * time.Second) // a human types
			return cfg.FormToken
		}
		sub := func(email string, consent bool, token string) *content.SubscribeResult {
			t.Helper()
			r, err := svc.Subscribe(ctx, content.SubscribeInput{Email: email, Partner: partner, Consent: consent,
				PageURL: "https://partner.example/story", FormToken: token}, meta)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		first := sub(" Reader@Example.COM ", true, form())
		if first.Status != content.StatusPending {
			t.Fatalf("first: %+v", first)
		}
		again := sub("Reader@example.com", true, form())
		if *again != *first {
			t.Fatalf("a repeat answered differently: %+v vs %+v", again, first)
		}
		cases := []struct {
			name, email string
			consent     bool
			token       func() string
			want        string
		}{
			{"no consent", "a@example.com", false, form, "tick the box"},
			{"invalid email", "not-an-email", true, form, "like name@example.com"},
			{"100 KB email", strings.Repeat("a", 100<<10) + "@example.com", true, form, "like name@example.com"},
			{"IP-literal email", "x@[127.0.0.1]", true, form, "like name@example.com"},
			{"homoglyph email", "reader@pаypal.com", true, form, "like name@example.com"},
			{"forged token", "b@example.com", true, func() string { return "v1.1.x.y" }, "expired"},
			{"too fast", "c@example.com", true, func() string {
				c, _ := svc.Widget(ctx, partner, "en")
				return c.FormToken
			}, "quick"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := sub(c.email, c.consent, c.token())
				if r.Status != content.StatusRejected || !strings.Contains(r.Message, c.want) {
					t.Fatalf("%+v, want REJECTED mentioning %q", r, c.want)
				}
			})
		}
		t.Run("replayed token", func(t *testing.T) {
			tok := form()
			sub("d@example.com", true, tok)
			if r := sub("e@example.com", true, tok); r.Status != content.StatusRejected {
				t.Fatalf("replay accepted: %+v", r)
			}
		})
		t.Run("origin not allowed", func(t *testing.T) {
			r, _ := svc.Subscribe(ctx, content.SubscribeInput{Email: "f@example.com", Partner: partner, Consent: true, FormToken: form()},
				content.RequestMeta{Origin: "https://evil.example", IP: "198.51.100.1"})
			if r.Status != content.StatusRejected {
				t.Fatalf("%+v", r)
			}
		})
		t.Run("honeypot", func(t *testing.T) {
			r, _ := svc.Subscribe(ctx, content.SubscribeInput{Email: "bot@example.com", Partner: partner, Consent: true, Website: "http://spam"}, meta)
			if r.Status != content.StatusPending {
				t.Fatalf("the honeypot must look like success: %+v", r)
			}
		})

		subs, err := svc.Subscribers(ctx, partner)
		if err != nil {
			t.Fatal(err)
		}
		emails := []string{}
		for _, s := range subs {
			emails = append(emails, s.Email)
		}
		if strings.Join(emails, " ") != "reader@example.com d@example.com" {
			t.Fatalf("stored %v", emails)
		}
		r := subs[0]
		if r.Status != content.StatusPending || r.IPHash == "" || strings.Contains(r.IPHash, "203.0.113.7") ||
			!strings.HasPrefix(r.ConsentVersion, "en-") || r.SourceURL != "https://partner.example/story" {
			t.Fatalf("consent receipt: %+v", r)
		}

		box := &sentBox{}
		if n, err := svc.DeliverOutbox(ctx, box); err != nil || n != 3 {
			t.Fatalf("delivered %d %v, want 3 (two to the reader, one to d@)", n, err)
		}
		if n, _ := svc.DeliverOutbox(ctx, box); n != 0 {
			t.Fatal("a sent message was sent again")
		}
		token := confirmLink(t, box.msgs[0].Body)
		// Opening the link (a mail scanner, or the reader) changes nothing.
		if pg, err := svc.ConfirmPage(ctx, token, "", false); err != nil || pg.State != content.PageConfirm || pg.Button == "" {
			t.Fatalf("confirm page: %+v %v", pg, err)
		}
		if subs, _ := svc.Subscribers(ctx, partner); subs[0].Status != content.StatusPending {
			t.Fatalf("a GET confirmed: %+v", subs[0])
		}
		if pg, err := svc.ConfirmPage(ctx, token, "", true); err != nil || pg.State != content.PageConfirmed || pg.Partner != "Mining Weekly" {
			t.Fatalf("confirm: %+v %v", pg, err)
		}
		// Pressing again shows the same page and sends nothing more.
		if pg, err := svc.ConfirmPage(ctx, token, "", true); err != nil || pg.State != content.PageConfirmed {
			t.Fatalf("confirm again: %+v %v", pg, err)
		}
		subs, _ = svc.Subscribers(ctx, partner)
		if subs[0].Status != content.StatusSubscribed || subs[0].ConfirmedAt == nil {
			t.Fatalf("after confirm: %+v", subs[0])
		}
		box.msgs = nil
		if n, _ := svc.DeliverOutbox(ctx, box); n != 1 || !strings.Contains(box.msgs[0].Subject, "Welcome") {
			t.Fatalf("after confirming: %d emails %+v, want the welcome email", n, box.msgs)
		}
		// Subscribing again once confirmed: same answer, still confirmed;
		// the welcome email again, but not twice in a day.
		if r := sub("reader@example.com", true, form()); *r != *first {
			t.Fatalf("%+v", r)
		}
		if n, _ := svc.DeliverOutbox(ctx, box); n != 0 {
			t.Fatalf("a repeat sign-up on the day of the welcome sent %d emails", n)
		}
		now = now.Add(25 * time.Hour)
		if r := sub("reader@example.com", true, form()); *r != *first {
			t.Fatalf("%+v", r)
		}
		if svc.DeliverOutbox(ctx, box); !strings.Contains(box.msgs[len(box.msgs)-1].Subject, "Welcome") {
			t.Fatalf("last email: %+v", box.msgs[len(box.msgs)-1])
		}
		subs, _ = svc.Subscribers(ctx, partner)
		if subs[0].Status != content.StatusSubscribed {
			t.Fatal("a repeat sign-up unconfirmed a subscriber")
		}
		// Expired link.
		tok := form()
		sub("late@example.com", true, tok)
		box.msgs = nil
		svc.DeliverOutbox(ctx, box)
		now = now.Add(73 * time.Hour)
		if pg, _ := svc.ConfirmPage(ctx, confirmLink(t, box.msgs[0].Body), "", true); pg.State != content.PageInvalid {
			t.Fatalf("an expired link: %+v", pg)
		}
	})
}
