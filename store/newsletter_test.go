package store_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/store"
)

// signUp is a server-side sign-up (no Origin, so no form token) from ip.
func signUp(t *testing.T, svc *content.Service, partner, email, ip string) *content.SubscribeResult {
	t.Helper()
	r, err := svc.Subscribe(context.Background(), content.SubscribeInput{Email: email, Partner: partner, Consent: true,
		PageURL: "https://partner.example/story"}, content.RequestMeta{IP: ip})
	if err != nil {
		t.Fatalf("subscribe %s: %v", email, err)
	}
	return r
}

// tokenIn pulls the token of the link to path out of an email's text.
func tokenIn(t *testing.T, body, path string) string {
	t.Helper()
	_, after, ok := strings.Cut(body, path+"?token=")
	if !ok {
		t.Fatalf("no %s link in %q", path, body)
	}
	return strings.Fields(after)[0]
}

// unsubToken is the token of a message's List-Unsubscribe URL.
func unsubToken(t *testing.T, m content.Message) string {
	t.Helper()
	u, err := url.Parse(m.Unsubscribe)
	if err != nil || u.Path != "/widget/unsubscribe" || u.Query().Get("token") == "" {
		t.Fatalf("unsubscribe URL %q", m.Unsubscribe)
	}
	if !strings.Contains(m.Body, m.Unsubscribe) || !strings.Contains(m.HTML, strings.ReplaceAll(m.Unsubscribe, "&", "&amp;")) {
		t.Fatalf("the unsubscribe link is not in both parts of %q", m.Subject)
	}
	return u.Query().Get("token")
}

func to(box *sentBox, email string) []content.Message {
	var out []content.Message
	for _, m := range box.msgs {
		if m.To == email {
			out = append(out, m)
		}
	}
	return out
}

func statusOf(t *testing.T, svc *content.Service, partner, email string) *content.Subscriber {
	t.Helper()
	subs, err := svc.Subscribers(context.Background(), partner)
	if err != nil {
		t.Fatal(err)
	}
	for i := range subs {
		if subs[i].Email == email {
			return &subs[i]
		}
	}
	return nil
}

// TestConfirmationsPerAddress: one address gets at most 3 confirmation
// emails in 24 hours, whichever partners and client addresses the sign-ups
// come from, even when they arrive at once; every sign-up gets the same
// answer; the next day it may get one more.
func TestConfirmationsPerAddress(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *store.DB, svc *content.Service) {
		ctx := context.Background()
		start := now
		t.Cleanup(func() { now = start })
		for _, id := range []string{"alpha", "beta"} {
			if err := svc.SavePartner(ctx, content.Partner{ID: id, Name: "Partner " + id}); err != nil {
				t.Fatal(err)
			}
		}
		cases := []struct {
			name       string
			concurrent bool
		}{
			{"one after another", false},
			{"all at once", true},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				email := strings.ReplaceAll(c.name, " ", "-") + "@example.com"
				answers := make([]*content.SubscribeResult, 10)
				var wg sync.WaitGroup
				for i := range 10 {
					do := func() {
						answers[i] = signUp(t, svc, []string{"alpha", "beta"}[i%2], email, fmt.Sprintf("198.51.100.%d", i+1))
					}
					if !c.concurrent {
						do()
						continue
					}
					wg.Add(1)
					go func() { defer wg.Done(); do() }()
				}
				wg.Wait()
				for i, a := range answers {
					if *a != *answers[0] || a.Status != content.StatusPending {
						t.Fatalf("answer %d %+v differs from %+v", i, a, answers[0])
					}
				}
				box := &sentBox{}
				if _, err := svc.DeliverOutbox(ctx, box); err != nil {
					t.Fatal(err)
				}
				if got := len(to(box, email)); got != 3 {
					t.Fatalf("10 sign-ups sent %d emails, want 3", got)
				}
				now = now.Add(24*time.Hour + time.Minute)
				signUp(t, svc, "alpha", email, "203.0.113.1")
				box.msgs = nil
				svc.DeliverOutbox(ctx, box)
				if got := len(to(box, email)); got != 1 {
					t.Fatalf("the next day: %d emails, want 1", got)
				}
			})
		}
	})
}

// TestUnsubscribe: every email carries a working unsubscribe link; the
// page behind it changes nothing until its button (or a one-click POST,
// or the mutation) unsubscribes, at once: queued emails are cancelled and
// confirmation links stop working. Signing up again starts a new double
// opt-in.
func TestUnsubscribe(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *store.DB, svc *content.Service) {
		ctx := context.Background()
		start := now
		t.Cleanup(func() { now = start })
		if err := svc.SavePartner(ctx, content.Partner{ID: "weekly", Name: "Weekly", Locale: "mn"}); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name        string
			unsubscribe func(token string) error
		}{
			{"the page's button or a one-click POST", func(token string) error {
				pg, err := svc.UnsubscribePage(ctx, token, "", true)
				if err == nil && pg.State != content.PageUnsubscribed {
					err = fmt.Errorf("page %+v", pg)
				}
				return err
			}},
			{"the mutation", func(token string) error { return svc.Unsubscribe(ctx, token) }},
		}
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				email := fmt.Sprintf("leaver%d@example.com", i)
				box := &sentBox{}
				signUp(t, svc, "weekly", email, "192.0.2.1")
				svc.DeliverOutbox(ctx, box)
				confirm := to(box, email)[0]
				if confirm.Locale != "mn" || !strings.Contains(confirm.Subject, "баталгаажуулна") || confirm.FromName != "Weekly" ||
					!strings.HasPrefix(confirm.MessageID, "<") || !strings.Contains(confirm.HTML, "<html lang=\"mn\">") {
					t.Fatalf("confirmation email: %+v", confirm)
				}
				if pg, _ := svc.ConfirmPage(ctx, tokenIn(t, confirm.Body, "/widget/confirm"), "", true); pg.State != content.PageConfirmed {
					t.Fatalf("confirm: %+v", pg)
				}
				svc.DeliverOutbox(ctx, box)
				welcome := to(box, email)[1]
				token := unsubToken(t, welcome)
				if token != unsubToken(t, confirm) {
					t.Fatal("two emails to one subscriber carry different unsubscribe tokens")
				}
				// The next day a repeat sign-up queues the welcome again.
				now = now.Add(25 * time.Hour)
				signUp(t, svc, "weekly", email, "192.0.2.2")
				if pg, err := svc.UnsubscribePage(ctx, token, "", false); err != nil || pg.State != content.PageUnsubscribe || pg.Button == "" || pg.Locale != "mn" {
					t.Fatalf("GET page: %+v %v", pg, err)
				}
				if s := statusOf(t, svc, "weekly", email); s.Status != content.StatusSubscribed {
					t.Fatalf("the page alone changed the status: %+v", s)
				}
				if err := c.unsubscribe(token); err != nil {
					t.Fatal(err)
				}
				s := statusOf(t, svc, "weekly", email)
				if s.Status != content.StatusUnsubscribed || s.UnsubscribedAt == nil || !s.StatusAt().Equal(now.Truncate(time.Millisecond)) {
					t.Fatalf("after unsubscribing: %+v", s)
				}
				before := len(box.msgs)
				if n, _ := svc.DeliverOutbox(ctx, box); n != 0 || len(box.msgs) != before {
					t.Fatalf("an unsubscribed address was sent %d emails", n)
				}
				// Twice is fine, and keeps the first time.
				now = now.Add(time.Hour)
				if err := c.unsubscribe(token); err != nil {
					t.Fatal(err)
				}
				if again := statusOf(t, svc, "weekly", email); !again.UnsubscribedAt.Equal(*s.UnsubscribedAt) {
					t.Fatalf("unsubscribing again moved the time: %v -> %v", s.UnsubscribedAt, again.UnsubscribedAt)
				}
				// Signing up again: pending, and a new confirmation.
				signUp(t, svc, "weekly", email, "192.0.2.3")
				if s := statusOf(t, svc, "weekly", email); s.Status != content.StatusPending {
					t.Fatalf("signing up again: %+v", s)
				}
				svc.DeliverOutbox(ctx, box)
				if got := to(box, email); len(got) != 3 || !strings.Contains(got[2].Body, "/widget/confirm?token=") {
					t.Fatalf("emails after signing up again: %d", len(got))
				}
			})
		}
		t.Run("from the confirmation email, before confirming", func(t *testing.T) {
			box := &sentBox{}
			signUp(t, svc, "weekly", "notme@example.com", "192.0.2.9")
			svc.DeliverOutbox(ctx, box)
			m := to(box, "notme@example.com")[0]
			if err := svc.Unsubscribe(ctx, unsubToken(t, m)); err != nil {
				t.Fatal(err)
			}
			if pg, _ := svc.ConfirmPage(ctx, tokenIn(t, m.Body, "/widget/confirm"), "", true); pg.State != content.PageInvalid {
				t.Fatalf("a confirmation link still worked after unsubscribing: %+v", pg)
			}
			if s := statusOf(t, svc, "weekly", "notme@example.com"); s.Status != content.StatusUnsubscribed {
				t.Fatalf("%+v", s)
			}
		})
		t.Run("forged tokens", func(t *testing.T) {
			for _, tok := range []string{"", "u1.abc.def", "u1..x", "nonsense", strings.Repeat("u", 300)} {
				var invalid *content.InvalidError
				if err := svc.Unsubscribe(ctx, tok); !errors.As(err, &invalid) {
					t.Errorf("Unsubscribe(%q) = %v, want an InvalidError", tok, err)
				}
				if pg, err := svc.UnsubscribePage(ctx, tok, "mn", true); err != nil || pg.State != content.PageInvalid || pg.Locale != "mn" {
					t.Errorf("page for %q: %+v %v", tok, pg, err)
				}
			}
		})
	})
}

// TestForget: forgetting an address erases its subscriptions with every
// partner, and the emails to it, and nothing else; a sign-up in its name
// afterwards gets the usual answer and is neither stored nor mailed.
func TestForget(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *store.DB, svc *content.Service) {
		ctx := context.Background()
		for _, id := range []string{"one", "two"} {
			if err := svc.SavePartner(ctx, content.Partner{ID: id, Name: "Partner " + id}); err != nil {
				t.Fatal(err)
			}
		}
		box := &sentBox{}
		signUp(t, svc, "one", "gone@example.com", "192.0.2.1")
		signUp(t, svc, "one", "stay@example.com", "192.0.2.1")
		svc.DeliverOutbox(ctx, box)
		signUp(t, svc, "two", "gone@example.com", "192.0.2.1") // queued, not sent
		if n, err := svc.Forget(ctx, " Gone@Example.COM "); err != nil || n != 2 {
			t.Fatalf("forget: %d %v, want 2 subscriptions", n, err)
		}
		for _, p := range []string{"one", "two"} {
			if s := statusOf(t, svc, p, "gone@example.com"); s != nil {
				t.Fatalf("partner %s still has %+v", p, s)
			}
		}
		if s := statusOf(t, svc, "one", "stay@example.com"); s == nil {
			t.Fatal("forgetting one address erased another")
		}
		box.msgs = nil
		if svc.DeliverOutbox(ctx, box); len(to(box, "gone@example.com")) != 0 {
			t.Fatal("an email queued before the forget was sent")
		}
		want := signUp(t, svc, "one", "stay2@example.com", "192.0.2.1")
		if r := signUp(t, svc, "two", "gone@example.com", "192.0.2.5"); *r != *want {
			t.Fatalf("a forgotten address's sign-up answered %+v, others %+v", r, want)
		}
		box.msgs = nil
		svc.DeliverOutbox(ctx, box)
		if s := statusOf(t, svc, "two", "gone@example.com"); s != nil || len(to(box, "gone@example.com")) != 0 {
			t.Fatalf("a forgotten address was taken again: %+v, %d emails", s, len(to(box, "gone@example.com")))
		}
		if n, err := svc.Forget(ctx, "gone@example.com"); err != nil || n != 0 {
			t.Fatalf("forget again: %d %v", n, err)
		}
	})
}

// TestPruneOutbox: sent emails go after the retention, unsent ones never.
func TestPruneOutbox(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *store.DB, svc *content.Service) {
		ctx := context.Background()
		start := now
		t.Cleanup(func() { now = start })
		if err := svc.SavePartner(ctx, content.Partner{ID: "p", Name: "P"}); err != nil {
			t.Fatal(err)
		}
		signUp(t, svc, "p", "old@example.com", "192.0.2.1")
		if n, _ := svc.DeliverOutbox(ctx, &sentBox{}); n != 1 {
			t.Fatal("not sent")
		}
		now = now.Add(20 * 24 * time.Hour)
		signUp(t, svc, "p", "recent@example.com", "192.0.2.1")
		svc.DeliverOutbox(ctx, &sentBox{})
		signUp(t, svc, "p", "waiting@example.com", "192.0.2.1") // never delivered
		now = now.Add(11 * 24 * time.Hour)
		cases := []struct {
			name      string
			retention time.Duration
			want      int64
		}{
			{"default 30 days: only the first", 0, 1},
			{"again: nothing more", 0, 0},
			{"a week: the second", 7 * 24 * time.Hour, 1},
		}
		for _, c := range cases {
			n, err := svc.PruneOutbox(ctx, c.retention)
			if err != nil || n != c.want {
				t.Fatalf("%s: pruned %d %v, want %d", c.name, n, err, c.want)
			}
		}
		box := &sentBox{}
		if svc.DeliverOutbox(ctx, box); len(to(box, "waiting@example.com")) != 1 {
			t.Fatal("pruning lost an unsent email")
		}
	})
}

// TestIncentive: after a confirmation, and only then, the page and the
// welcome email link the partner's incentive; a file the gateway serves is
// linked signed, and the link stops working when tampered with or after
// seven days.
func TestIncentive(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *store.DB, svc *content.Service) {
		ctx := context.Background()
		start := now
		t.Cleanup(func() { now = start })
		for _, p := range []content.Partner{
			{ID: "filed", Name: "Filed", IncentiveURL: "/widget/files/report.html", IncentiveTitle: "The report", ReplyTo: "desk@filed.example"},
			{ID: "linked", Name: "Linked", IncentiveURL: "https://linked.example/gift", IncentiveTitle: "A gift"},
			{ID: "plain", Name: "Plain"},
		} {
			if err := svc.SavePartner(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		cases := []struct {
			partner, wantURL string
			signed           bool
		}{
			{"filed", "/widget/files/report.html?", true},
			{"linked", "https://linked.example/gift", false},
			{"plain", "", false},
		}
		for _, c := range cases {
			t.Run(c.partner, func(t *testing.T) {
				email := c.partner + "@example.com"
				box := &sentBox{}
				signUp(t, svc, c.partner, email, "192.0.2.1")
				svc.DeliverOutbox(ctx, box)
				token := tokenIn(t, to(box, email)[0].Body, "/widget/confirm")
				if c.wantURL != "" && strings.Contains(to(box, email)[0].Body, c.wantURL) {
					t.Fatal("the confirmation email links the incentive before the confirmation")
				}
				pg, _ := svc.ConfirmPage(ctx, token, "", false)
				if pg.Incentive != nil {
					t.Fatalf("the confirm page shows the incentive before the confirmation: %+v", pg)
				}
				pg, _ = svc.ConfirmPage(ctx, token, "", true)
				svc.DeliverOutbox(ctx, box)
				welcome := to(box, email)[1]
				if c.wantURL == "" {
					if pg.Incentive != nil {
						t.Fatalf("an incentive for a partner without one: %+v", pg.Incentive)
					}
					return
				}
				if pg.Incentive == nil || !strings.Contains(pg.Incentive.URL, c.wantURL) || !strings.Contains(welcome.Body, c.wantURL) {
					t.Fatalf("page %+v, welcome %q", pg.Incentive, welcome.Body)
				}
				if c.partner == "filed" && welcome.ReplyTo != "desk@filed.example" {
					t.Fatalf("Reply-To %q", welcome.ReplyTo)
				}
				if !c.signed {
					return
				}
				u, _ := url.Parse(pg.Incentive.URL)
				name := strings.TrimPrefix(u.Path, content.FilesPath)
				if _, err := svc.CheckFileLink(ctx, name, u.Query(), ""); err != nil {
					t.Fatalf("a fresh link: %v", err)
				}
				tampered := u.Query()
				tampered.Set("e", fmt.Sprint(now.Add(365*24*time.Hour).Unix()))
				var invalid *content.InvalidError
				if _, err := svc.CheckFileLink(ctx, name, tampered, ""); !errors.As(err, &invalid) {
					t.Fatalf("a link with a later expiry: %v", err)
				}
				if _, err := svc.CheckFileLink(ctx, "other.html", u.Query(), ""); !errors.As(err, &invalid) {
					t.Fatalf("the link's signature on another file: %v", err)
				}
				now = now.Add(8 * 24 * time.Hour)
				if msg, err := svc.CheckFileLink(ctx, name, u.Query(), "mn"); !errors.Is(err, content.ErrLinkExpired) || msg == "" {
					t.Fatalf("an 8-day-old link: %q %v", msg, err)
				}
			})
		}
	})
}

// TestPartnerIncentiveValidation: what partners add accepts as an
// incentive and a reply address, and what it refuses.
func TestPartnerIncentiveValidation(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *store.DB, svc *content.Service) {
		ctx := context.Background()
		cases := []struct {
			name            string
			url, title, rep string
			wantErr         string
			wantURL         string
		}{
			{"none", "", "", "", "", ""},
			{"a page", "https://x.example/report", "Report", "", "", "https://x.example/report"},
			{"a gateway file by path", "/widget/files/a-b_c.1.pdf", "Report", "", "", "/widget/files/a-b_c.1.pdf"},
			{"a gateway file by URL", "http://localhost:8080/widget/files/r.html", "Report", "", "", "/widget/files/r.html"},
			{"no title", "https://x.example/report", "", "", "incentive-title", ""},
			{"another path", "/etc/passwd", "x", "", "incentive-url", ""},
			{"a hidden file", "/widget/files/.env", "x", "", "incentive-url", ""},
			{"a traversal", "/widget/files/../x", "x", "", "incentive-url", ""},
			{"javascript", "javascript:alert(1)", "x", "", "incentive-url", ""},
			{"a title with a line break", "https://x.example/", "a\nb", "", "incentive-title", ""},
			{"a reply address", "", "", "desk@x.example", "", ""},
			{"a reply address with a header", "", "", "desk@x.example\r\nBcc: y@x.example", "reply-to", ""},
			{"a reply address with a name", "", "", "Desk <desk@x.example>", "reply-to", ""},
		}
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				id := fmt.Sprintf("p%d", i)
				err := svc.SavePartner(ctx, content.Partner{ID: id, Name: "P", IncentiveURL: c.url, IncentiveTitle: c.title, ReplyTo: c.rep})
				if c.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), c.wantErr) {
						t.Fatalf("err %v, want one about %s", err, c.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				p, _ := db.Partner(ctx, id)
				if p.IncentiveURL != c.wantURL || p.ReplyTo != c.rep || (c.wantURL != "" && p.IncentiveTitle != c.title) {
					t.Fatalf("stored %+v", p)
				}
			})
		}
	})
}
