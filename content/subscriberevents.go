package content

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// subscriberData is a subscriber's event data: what a mailing tool needs to
// mirror the list (the address, whose list, the consent it rests on).
type subscriberData struct {
	Email          string     `json:"email"`
	Partner        string     `json:"partner"`
	Status         string     `json:"status"` // as subscribers export names it
	Locale         string     `json:"locale"`
	ConsentVersion string     `json:"consentVersion"`
	SourceURL      string     `json:"sourceUrl"`
	ConfirmedAt    *time.Time `json:"confirmedAt"`
	UnsubscribedAt *time.Time `json:"unsubscribedAt"`
}

// subscriberEvents returns what builds the deliveries of a subscriber's
// change of kind, for the store to queue in the transaction that makes the
// change: an event is sent if and only if the change commits, and a crash
// after the commit loses none. The webhooks are read before the
// transaction, so the write lock is not held for it; a webhook added in
// that moment misses the change, as it would a moment earlier.
func (s *Service) subscriberEvents(ctx context.Context, kind ChangeKind) (func(Subscriber) ([]Delivery, error), error) {
	none := func(Subscriber) ([]Delivery, error) { return nil, nil }
	ws := s.store.Webhooks
	if ws == nil {
		return none, nil
	}
	hooks, err := ws.Webhooks(ctx)
	if err != nil {
		return nil, fmt.Errorf("content: %s webhooks: %w", kind, err)
	}
	hooks = slices.DeleteFunc(hooks, func(h Webhook) bool { return !slices.Contains(h.Events, kind) })
	if len(hooks) == 0 {
		return none, nil
	}
	key, err := s.secretKey(ctx)
	if err != nil {
		return nil, err
	}
	return func(sub Subscriber) ([]Delivery, error) {
		at := sub.StatusAt()
		data := subscriberData{
			Email: sub.Email, Partner: sub.Partner, Status: ExportStatus(sub.Status), Locale: sub.Locale,
			ConsentVersion: sub.ConsentVersion, SourceURL: sub.SourceURL,
			ConfirmedAt: sub.ConfirmedAt, UnsubscribedAt: sub.UnsubscribedAt,
		}
		out := make([]Delivery, 0, len(hooks))
		for _, h := range hooks {
			// The subscriber's id and the time name the change: the same
			// reader may confirm, leave and confirm again.
			id := eventID(key, h.ID, string(kind), strconv.FormatInt(sub.ID, 10), strconv.FormatInt(at.UnixMilli(), 10))
			out = append(out, Delivery{ID: id, WebhookID: h.ID, Type: kind, Body: eventBody(id, kind, at, data)})
		}
		return out, nil
	}, nil
}
