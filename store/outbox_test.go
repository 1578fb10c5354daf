package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bylinehq/byline/content"
	"github.com/bylinehq/byline/store"
)

// replyErr is a Sender's error as mail's are: Permanent says whether the
// relay refused for good.
type replyErr struct {
	code int
}

func (e replyErr) Error() string   { return fmt.Sprintf("relay said %d", e.code) }
func (e replyErr) Permanent() bool { return e.code >= 500 }

// scriptedSender answers per recipient and counts its attempts.
type scriptedSender struct {
	fail     map[string]error
	attempts map[string]int
}

func (s *scriptedSender) Send(_ context.Context, m content.Message) error {
	s.attempts[m.To]++
	return s.fail[m.To]
}

// TestOutboxGivesUpOnPermanentRefusal: a 5xx from the relay is final, so
// the message is marked failed and never claimed again, while a 4xx or a
// network error is retried with backoff, on every engine.
func TestOutboxGivesUpOnPermanentRefusal(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *store.DB, svc *content.Service) {
		ctx := context.Background()
		start := now
		t.Cleanup(func() { now = start })
		if err := svc.SavePartner(ctx, content.Partner{ID: "weekly", Name: "Weekly"}); err != nil {
			t.Fatal(err)
		}
		sender := &scriptedSender{
			fail: map[string]error{
				"bounce@example.com":  replyErr{550},
				"wrapped@example.com": errors.Join(errors.New("mail: RCPT"), replyErr{554}),
				"later@example.com":   replyErr{451},
				"offline@example.com": errors.New("dial tcp 127.0.0.1:25: connection refused"),
			},
			attempts: map[string]int{},
		}
		for _, email := range []string{"bounce@example.com", "wrapped@example.com", "later@example.com", "offline@example.com", "ok@example.com"} {
			r, err := svc.Subscribe(ctx, content.SubscribeInput{Email: email, Partner: "weekly", Consent: true}, content.RequestMeta{IP: "192.0.2.1"})
			if err != nil || r.Status != content.StatusPending {
				t.Fatalf("subscribe %s: %+v %v", email, r, err)
			}
		}
		n, err := svc.DeliverOutbox(ctx, sender)
		if n != 1 {
			t.Fatalf("sent %d, want 1", n)
		}
		if err == nil || !strings.Contains(err.Error(), "marked failed") || strings.Count(err.Error(), "marked failed") != 2 {
			t.Errorf("want an error naming both refused messages, got %v", err)
		}
		// Long after every backoff, only the retryable ones come back.
		for i := 0; i < 5; i++ {
			now = now.Add(48 * time.Hour)
			if _, err := svc.DeliverOutbox(ctx, sender); err != nil {
				t.Fatalf("round %d: %v", i, err)
			}
		}
		cases := []struct {
			name, to string
			want     int
		}{
			{"5xx is final", "bounce@example.com", 1},
			{"5xx under a wrapper is final", "wrapped@example.com", 1},
			{"4xx is retried", "later@example.com", 6},
			{"network error is retried", "offline@example.com", 6},
			{"sent once", "ok@example.com", 1},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if got := sender.attempts[c.to]; got != c.want {
					t.Errorf("%s: %d attempts, want %d", c.to, got, c.want)
				}
			})
		}
		// A retry waits out its backoff: nothing is due a minute later.
		now = now.Add(time.Minute)
		before := sender.attempts["later@example.com"]
		if _, err := svc.DeliverOutbox(ctx, sender); err != nil {
			t.Fatal(err)
		}
		if sender.attempts["later@example.com"] != before {
			t.Error("a 4xx was retried before its backoff")
		}
	})
}
