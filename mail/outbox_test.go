package mail_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bylinehq/byline/content"
)

// outbox is the store DeliverOutbox uses, in memory. PruneOutbox is not
// reached.
type outbox struct {
	content.OutboxStore
	mu      sync.Mutex
	entries []*entry
}

type entry struct {
	msg            content.Message
	next           time.Time
	sent, refused  bool
	lastErr        string
	failedAttempts int
}

func (o *outbox) ClaimOutbox(_ context.Context, now time.Time, claimFor time.Duration, limit int) ([]content.Message, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []content.Message
	for _, e := range o.entries {
		if !e.sent && !e.refused && !e.next.After(now) && len(out) < limit {
			out = append(out, e.msg)
			e.msg.Attempts++
			e.next = now.Add(claimFor)
		}
	}
	return out, nil
}

func (o *outbox) find(id int64) *entry { return o.entries[id-1] }

func (o *outbox) OutboxSent(_ context.Context, id int64, _ time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.find(id).sent = true
	return nil
}

func (o *outbox) OutboxFailed(_ context.Context, id int64, reason string, retryAt time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	e := o.find(id)
	e.lastErr, e.next = reason, retryAt
	e.failedAttempts++
	return nil
}

func (o *outbox) OutboxRefused(_ context.Context, id int64, reason string, _ time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	e := o.find(id)
	e.lastErr, e.refused = reason, true
	return nil
}

// TestOutboxOverSMTP delivers through the domain's outbox to a relay that
// refuses one address for good (550 to RCPT) and greylists another (451):
// the first is marked failed and reported, never tried again; the second is
// retried after its backoff and delivered.
func TestOutboxOverSMTP(t *testing.T) {
	var mu sync.Mutex
	greylisted := true
	r := startRelay(t, func(stage, arg string) string {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case stage == "RCPT" && strings.Contains(arg, "gone@"):
			return "550 5.1.1 <gone@example.com>: no such user"
		case stage == "RCPT" && strings.Contains(arg, "grey@") && greylisted:
			return "451 4.7.1 greylisted, try again later"
		}
		return ""
	})
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	box := &outbox{}
	for i, to := range []string{"gone@example.com", "grey@example.com", "ok@example.com"} {
		box.entries = append(box.entries, &entry{msg: content.Message{ID: int64(i + 1), To: to, Subject: "Please confirm", Body: "Hello"}, next: now})
	}
	svc := content.NewService(content.Stores{Outbox: box}, content.Config{Now: func() time.Time { return now }})
	ctx := context.Background()

	n, err := svc.DeliverOutbox(ctx, r.sender(t))
	if n != 1 {
		t.Errorf("first round sent %d, want 1", n)
	}
	if err == nil || !strings.Contains(err.Error(), "message 1") || !strings.Contains(err.Error(), "550") {
		t.Errorf("want an error naming message 1 and the 550, got %v", err)
	}
	if !box.entries[0].refused || !strings.Contains(box.entries[0].lastErr, "no such user") {
		t.Errorf("the 550 was not marked failed: %+v", *box.entries[0])
	}
	if box.entries[1].refused || box.entries[1].failedAttempts != 1 || !box.entries[1].next.After(now) {
		t.Errorf("the 451 was not queued for a retry: %+v", *box.entries[1])
	}

	mu.Lock()
	greylisted = false
	mu.Unlock()
	now = now.Add(24 * time.Hour)
	sessions, _ := r.seen()
	n, err = svc.DeliverOutbox(ctx, r.sender(t))
	if err != nil || n != 1 {
		t.Errorf("second round: sent %d, %v; want the greylisted message", n, err)
	}
	if after, _ := r.seen(); after-sessions != 1 {
		t.Errorf("second round opened %d sessions, want 1: the refused message was tried again", after-sessions)
	}
	for i, e := range box.entries {
		if want := i > 0; e.sent != want {
			t.Errorf("message %d sent = %v, want %v", i+1, e.sent, want)
		}
	}
}
