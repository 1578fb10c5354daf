package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bylinehq/byline/content"
)

// deliveryRetention is how long sent and failed deliveries are kept, for
// webhooks list to count and an operator to look into.
const deliveryRetention = 7 * 24 * time.Hour

// AddWebhook stores a new webhook; it will hear of the changes logged
// after the newest one now.
func (s *DB) AddWebhook(ctx context.Context, w content.Webhook) error {
	events := make([]string, len(w.Events))
	for i, e := range w.Events {
		events[i] = string(e)
	}
	n, err := s.update(ctx, `INSERT INTO webhooks (id, url, events, secret, after_id, created_ms)
		VALUES (?, ?, ?, ?, (SELECT COALESCE(MAX(id), 0) FROM invalidations), ?) ON CONFLICT (id) DO NOTHING`,
		w.ID, w.URL, strings.Join(events, ","), w.Secret, w.CreatedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: add webhook %q: %w", w.ID, err)
	}
	if n == 0 {
		return content.ErrWebhookExists
	}
	return nil
}

// Webhooks lists every webhook by id, counting its deliveries waiting and
// given up on.
func (s *DB) Webhooks(ctx context.Context) ([]content.Webhook, error) {
	rows, err := s.query(ctx, `SELECT w.id, w.url, w.events, w.secret, w.after_id, w.created_ms,
		(SELECT COUNT(*) FROM deliveries d WHERE d.webhook_id = w.id AND d.delivered_ms IS NULL AND d.failed_ms IS NULL),
		(SELECT COUNT(*) FROM deliveries d WHERE d.webhook_id = w.id AND d.failed_ms IS NOT NULL)
		FROM webhooks w ORDER BY w.id`)
	if err != nil {
		return nil, fmt.Errorf("store: webhooks: %w", err)
	}
	defer rows.Close()
	out := []content.Webhook{}
	for rows.Next() {
		var (
			w       content.Webhook
			events  string
			created int64
		)
		if err := rows.Scan(&w.ID, &w.URL, &events, &w.Secret, &w.AfterID, &created, &w.Pending, &w.Failed); err != nil {
			return nil, fmt.Errorf("store: webhooks: %w", err)
		}
		for _, e := range strings.Split(events, ",") {
			w.Events = append(w.Events, content.ChangeKind(e))
		}
		w.CreatedAt = time.UnixMilli(created).UTC()
		out = append(out, w)
	}
	return out, rows.Err()
}

// RemoveWebhook deletes a webhook and, with it, its deliveries.
func (s *DB) RemoveWebhook(ctx context.Context, id string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: remove webhook %q: %w", id, err)
	}
	defer tx.Rollback()
	if _, err := s.exec(ctx, tx, "DELETE FROM deliveries WHERE webhook_id = ?", id); err != nil {
		return fmt.Errorf("store: remove webhook %q: %w", id, err)
	}
	res, err := s.exec(ctx, tx, "DELETE FROM webhooks WHERE id = ?", id)
	if err != nil {
		return fmt.Errorf("store: remove webhook %q: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &content.NotFoundError{Kind: "webhook", Key: id}
	}
	return tx.Commit()
}

// QueueDeliveries moves the cursor and queues ds in one transaction. The
// cursor's row lock decides between gateways queueing the same changes:
// the loser's update matches no row, and it rolls back.
func (s *DB) QueueDeliveries(ctx context.Context, name string, from, to int64, at time.Time, ds []content.Delivery) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("store: queue deliveries: %w", err)
	}
	defer tx.Rollback()
	res, err := s.exec(ctx, tx, "UPDATE cursors SET id = ?, at_ms = ? WHERE name = ? AND id = ?", to, at.UnixMilli(), name, from)
	if err != nil {
		return false, fmt.Errorf("store: queue deliveries: move %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if err := s.insertDeliveries(ctx, tx, at, ds); err != nil {
		return false, fmt.Errorf("store: %w", err)
	}
	old := at.Add(-deliveryRetention).UnixMilli()
	if _, err := s.exec(ctx, tx, "DELETE FROM deliveries WHERE delivered_ms < ? OR failed_ms < ?", old, old); err != nil {
		return false, fmt.Errorf("store: prune deliveries: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("store: queue deliveries: commit: %w", err)
	}
	return true, nil
}

// insertDeliveries queues ds, due at at, in tx. A delivery whose id is
// queued already, or whose webhook is gone, is skipped.
func (s *DB) insertDeliveries(ctx context.Context, tx *sql.Tx, at time.Time, ds []content.Delivery) error {
	ms := at.UnixMilli()
	for _, d := range ds {
		// WHERE EXISTS: a webhook removed since the batch was built gets
		// nothing; the WHERE also lets SQLite read ON CONFLICT after a SELECT.
		_, err := s.exec(ctx, tx, `INSERT INTO deliveries (id, webhook_id, type, body, created_ms, next_ms)
			SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = ?) ON CONFLICT (id) DO NOTHING`,
			d.ID, d.WebhookID, string(d.Type), string(d.Body), ms, ms, d.WebhookID)
		if err != nil {
			return fmt.Errorf("queue delivery %s: %w", d.ID, err)
		}
	}
	return nil
}

const deliveryDue = "delivered_ms IS NULL AND failed_ms IS NULL AND next_ms <= ?"

// ClaimDeliveries claims due deliveries for claimFor, as ClaimOutbox
// claims emails: under the write lock, so two gateways never claim one
// delivery at once. Most polls find nothing due and take no lock.
func (s *DB) ClaimDeliveries(ctx context.Context, now time.Time, claimFor time.Duration, limit int) ([]content.Delivery, error) {
	var one int
	err := s.queryRow(ctx, "SELECT 1 FROM deliveries WHERE "+deliveryDue+" LIMIT 1", now.UnixMilli()).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	defer tx.Rollback()
	rows, err := s.queryOn(ctx, tx, `SELECT d.id, d.webhook_id, d.type, d.body, d.created_ms, d.attempts, w.url, w.secret
		FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
		WHERE d.delivered_ms IS NULL AND d.failed_ms IS NULL AND d.next_ms <= ? ORDER BY d.next_ms, d.id LIMIT ?`, now.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	var out []content.Delivery
	for rows.Next() {
		var (
			d         content.Delivery
			typ, body string
			created   int64
		)
		if err := rows.Scan(&d.ID, &d.WebhookID, &typ, &body, &created, &d.Attempts, &d.URL, &d.Secret); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: deliveries: %w", err)
		}
		d.Type, d.Body, d.QueuedAt = content.ChangeKind(typ), []byte(body), time.UnixMilli(created).UTC()
		d.Attempts++
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	for _, d := range out {
		if _, err := s.exec(ctx, tx, "UPDATE deliveries SET next_ms = ?, attempts = attempts + 1 WHERE id = ?", now.Add(claimFor).UnixMilli(), d.ID); err != nil {
			return nil, fmt.Errorf("store: claim delivery %s: %w", d.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: deliveries: commit: %w", err)
	}
	return out, nil
}

// DeliveryDone marks a delivery sent.
func (s *DB) DeliveryDone(ctx context.Context, id string, at time.Time) error {
	return s.deliveryUpdate(ctx, "UPDATE deliveries SET delivered_ms = ?, last_error = '' WHERE id = ?", at.UnixMilli(), id)
}

// DeliveryRetry records a failed attempt and when to make the next.
func (s *DB) DeliveryRetry(ctx context.Context, id, reason string, next time.Time) error {
	return s.deliveryUpdate(ctx, "UPDATE deliveries SET last_error = ?, next_ms = ? WHERE id = ? AND delivered_ms IS NULL", reason, next.UnixMilli(), id)
}

// DeliveryFailed gives up on a delivery: it is never claimed again.
func (s *DB) DeliveryFailed(ctx context.Context, id, reason string, at time.Time) error {
	return s.deliveryUpdate(ctx, "UPDATE deliveries SET last_error = ?, failed_ms = ? WHERE id = ? AND delivered_ms IS NULL", reason, at.UnixMilli(), id)
}

func (s *DB) deliveryUpdate(ctx context.Context, q string, args ...any) error {
	if _, err := s.update(ctx, q, args...); err != nil {
		return fmt.Errorf("store: delivery: %w", err)
	}
	return nil
}

var (
	_ content.WebhookStore  = (*DB)(nil)
	_ content.DeliveryStore = (*DB)(nil)
)
