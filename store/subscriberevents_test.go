package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/store"
)

// subscriberEvent is a subscriber event as a receiver reads it.
type subscriberEvent struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"createdAt"`
	Data      struct {
		Email          string     `json:"email"`
		Partner        string     `json:"partner"`
		Status         string     `json:"status"`
		Locale         string     `json:"locale"`
		ConsentVersion string     `json:"consentVersion"`
		ConfirmedAt    *time.Time `json:"confirmedAt"`
		UnsubscribedAt *time.Time `json:"unsubscribedAt"`
	} `json:"data"`
}

// TestSubscriberEvents: a confirmation and a confirmed reader's leaving each
// queue one event, in the transaction that makes them, for the webhooks
// that subscribed to it; a scanner's GET, a second press, a second
// unsubscription and a pending sign-up withdrawn queue nothing.
func TestSubscriberEvents(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *store.DB, svc *content.Service) {
		ctx := context.Background()
		if err := svc.SavePartner(ctx, content.Partner{ID: "weekly", Name: "Weekly", Locale: "en"}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddWebhook(ctx, "crm", "https://crm.example/hooks",
			[]content.ChangeKind{content.SubscriberConfirmed, content.SubscriberUnsubscribed}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddWebhook(ctx, "rebuild", "https://ci.example/hooks", content.ArticleEvents()); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddWebhook(ctx, "leavers", "https://leavers.example/hooks", []content.ChangeKind{content.SubscriberUnsubscribed}); err != nil {
			t.Fatal(err)
		}
		// queued is what was queued since it was last called: a claim
		// lapses after a minute, and the clock moves on.
		seen := map[string]bool{}
		queued := func(t *testing.T) map[string][]subscriberEvent {
			t.Helper()
			out := map[string][]subscriberEvent{}
			for _, d := range claimAll(t, db, now.Add(time.Hour)) {
				if seen[d.ID] {
					continue
				}
				seen[d.ID] = true
				var e subscriberEvent
				if err := json.Unmarshal(d.Body, &e); err != nil {
					t.Fatalf("%v: %s", err, d.Body)
				}
				if e.ID != d.ID || e.Type != string(d.Type) {
					t.Fatalf("delivery %s %s carries %s %s", d.ID, d.Type, e.ID, e.Type)
				}
				out[d.WebhookID] = append(out[d.WebhookID], e)
			}
			return out
		}
		box := &sentBox{}
		const email = "reader@example.com"
		signUp(t, svc, "weekly", email, "192.0.2.1")
		svc.DeliverOutbox(ctx, box)
		confirmToken := tokenIn(t, to(box, email)[0].Body, "/widget/confirm")

		if _, err := svc.ConfirmPage(ctx, confirmToken, "", false); err != nil {
			t.Fatal(err)
		}
		if q := queued(t); len(q) != 0 {
			t.Fatalf("a scanner's GET queued %+v", q)
		}
		for range 2 { // the second press changes nothing
			if pg, err := svc.ConfirmPage(ctx, confirmToken, "", true); err != nil || pg.State != content.PageConfirmed {
				t.Fatalf("confirm: %+v %v", pg, err)
			}
		}
		q := queued(t)
		if len(q) != 1 || len(q["crm"]) != 1 {
			t.Fatalf("after a confirmation, queued %+v; want one event for crm", q)
		}
		confirmed := q["crm"][0]
		if confirmed.Type != string(content.SubscriberConfirmed) || confirmed.Data.Email != email || confirmed.Data.Partner != "weekly" ||
			confirmed.Data.Status != "confirmed" || confirmed.Data.ConfirmedAt == nil || !confirmed.CreatedAt.Equal(*confirmed.Data.ConfirmedAt) ||
			confirmed.Data.ConsentVersion == "" || confirmed.Data.UnsubscribedAt != nil {
			t.Fatalf("confirmed event: %+v", confirmed)
		}

		svc.DeliverOutbox(ctx, box)
		unsub := unsubToken(t, to(box, email)[1])
		now = now.Add(time.Minute)
		for range 2 { // the second one changes nothing
			if err := svc.Unsubscribe(ctx, unsub); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := svc.UnsubscribePage(ctx, unsub, "", true); err != nil {
			t.Fatal(err)
		}
		q = queued(t)
		if len(q) != 2 || len(q["crm"]) != 1 || len(q["leavers"]) != 1 {
			t.Fatalf("after unsubscribing, queued %+v; want one event each for crm and leavers", q)
		}
		left := q["crm"][0]
		if left.Type != string(content.SubscriberUnsubscribed) || left.Data.Email != email || left.Data.Status != "unsubscribed" ||
			left.Data.UnsubscribedAt == nil || !left.Data.UnsubscribedAt.Equal(now.Truncate(time.Millisecond)) || left.ID == confirmed.ID ||
			left.ID == q["leavers"][0].ID {
			t.Fatalf("unsubscribed event: %+v (confirmed %s)", left, confirmed.ID)
		}

		// A pending sign-up withdrawn was never on the publisher's list.
		const pending = "pending@example.com"
		signUp(t, svc, "weekly", pending, "192.0.2.2")
		svc.DeliverOutbox(ctx, box)
		if err := svc.Unsubscribe(ctx, unsubToken(t, to(box, pending)[0])); err != nil {
			t.Fatal(err)
		}
		if s := statusOf(t, svc, "weekly", pending); s.Status != content.StatusUnsubscribed {
			t.Fatalf("pending sign-up after unsubscribing: %+v", s)
		}
		if q := queued(t); len(q) != 0 {
			t.Fatalf("withdrawing a pending sign-up queued %+v", q)
		}
	})
}
