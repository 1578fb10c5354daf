package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bylinehq/byline/content"
)

const subscriberColumns = `id, email, partner_id, status, locale, consent_version, consent_text, source_url, ip_hash,
	consented_ms, created_ms, confirmed_ms, unsubscribed_ms, welcomed_ms, unsub_handle`

func scanSubscriber(r scanner) (*content.Subscriber, error) {
	var (
		sub                               content.Subscriber
		consented, created                int64
		confirmed, unsubscribed, welcomed sql.NullInt64
	)
	if err := r.Scan(&sub.ID, &sub.Email, &sub.Partner, &sub.Status, &sub.Locale, &sub.ConsentVersion, &sub.ConsentText,
		&sub.SourceURL, &sub.IPHash, &consented, &created, &confirmed, &unsubscribed, &welcomed, &sub.UnsubHandle); err != nil {
		return nil, err
	}
	sub.ConsentedAt, sub.CreatedAt = time.UnixMilli(consented).UTC(), time.UnixMilli(created).UTC()
	sub.ConfirmedAt, sub.UnsubscribedAt, sub.WelcomedAt = msTime(confirmed), msTime(unsubscribed), msTime(welcomed)
	return &sub, nil
}

// parseSendTimes and formatSendTimes read and writes address_sends.confirm_ms: unix milliseconds,
// comma-separated, oldest first.
func parseSendTimes(s string) []time.Time {
	var out []time.Time
	for _, f := range strings.Split(s, ",") {
		if ms, err := strconv.ParseInt(f, 10, 64); err == nil {
			out = append(out, time.UnixMilli(ms).UTC())
		}
	}
	return out
}

func formatSendTimes(ts []time.Time) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = strconv.FormatInt(t.UnixMilli(), 10)
	}
	return strings.Join(parts, ",")
}

// Subscribe records a sign-up as plan decides, in one transaction.
func (s *DB) Subscribe(ctx context.Context, sub content.Subscriber, addrHash string, plan func(content.SignupState) (content.SignupPlan, error)) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: subscribe: %w", err)
	}
	defer tx.Rollback()
	now := sub.CreatedAt.UnixMilli()
	var (
		st    content.SignupState
		sends string
	)
	// The address's row is the lock: every sign-up of the address, for any
	// partner and from any client, waits here until the one before it has
	// committed (a row lock on PostgreSQL, the write lock on SQLite), so
	// that what it reads below, and the count of confirmation emails, is
	// exact.
	err = s.queryRowOn(ctx, tx, `INSERT INTO address_sends (email_hash, confirm_ms, last_ms) VALUES (?, '', ?)
		ON CONFLICT (email_hash) DO UPDATE SET email_hash = excluded.email_hash RETURNING confirm_ms`, addrHash, now).Scan(&sends)
	if err != nil {
		return fmt.Errorf("store: subscribe: lock address: %w", err)
	}
	st.ConfirmSends = parseSendTimes(sends)
	var one int
	switch err := s.queryRowOn(ctx, tx, "SELECT 1 FROM suppressions WHERE email_hash = ?", addrHash).Scan(&one); {
	case err == nil:
		st.Suppressed = true
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("store: subscribe: suppressions: %w", err)
	}
	st.Existing, err = scanSubscriber(s.queryRowOn(ctx, tx, "SELECT "+subscriberColumns+" FROM subscribers WHERE email = ? AND partner_id = ?", sub.Email, sub.Partner))
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: subscribe: %w", err)
	}
	p, err := plan(st)
	if err != nil {
		return err // the domain's own error, as it is
	}
	var id int64
	if st.Existing != nil {
		id = st.Existing.ID
	}
	if p.Write {
		err = s.queryRowOn(ctx, tx, `INSERT INTO subscribers
			(email, partner_id, status, locale, consent_version, consent_text, source_url, ip_hash, consented_ms, created_ms, unsub_handle)
			VALUES (?, ?, 'PENDING_CONFIRMATION', ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (email, partner_id) DO UPDATE SET status = excluded.status, locale = excluded.locale,
			  consent_version = excluded.consent_version, consent_text = excluded.consent_text,
			  source_url = excluded.source_url, ip_hash = excluded.ip_hash, consented_ms = excluded.consented_ms,
			  unsub_handle = CASE WHEN subscribers.unsub_handle = '' THEN excluded.unsub_handle ELSE subscribers.unsub_handle END
			RETURNING id`,
			sub.Email, sub.Partner, sub.Locale, sub.ConsentVersion, sub.ConsentText, sub.SourceURL, sub.IPHash,
			sub.ConsentedAt.UnixMilli(), now, p.UnsubHandle).Scan(&id)
		if err != nil {
			return fmt.Errorf("store: subscribe: %w", err)
		}
	}
	if p.TokenHash != nil {
		if _, err := s.exec(ctx, tx, "INSERT INTO confirm_tokens (token_hash, subscriber_id, expires_ms) VALUES (?, ?, ?)",
			p.TokenHash, id, p.TokenExpires.UnixMilli()); err != nil {
			return fmt.Errorf("store: subscribe: token: %w", err)
		}
	}
	if p.Mail != nil {
		p.Mail.SubscriberID = id
		if err := s.queue(ctx, tx, p.Mail, sub.CreatedAt); err != nil {
			return fmt.Errorf("store: subscribe: %w", err)
		}
	}
	if p.ConfirmSends != nil {
		if _, err := s.exec(ctx, tx, "UPDATE address_sends SET confirm_ms = ?, last_ms = ? WHERE email_hash = ?",
			formatSendTimes(p.ConfirmSends), now, addrHash); err != nil {
			return fmt.Errorf("store: subscribe: count: %w", err)
		}
	}
	if p.Welcomed {
		if _, err := s.exec(ctx, tx, "UPDATE subscribers SET welcomed_ms = ? WHERE id = ?", now, id); err != nil {
			return fmt.Errorf("store: subscribe: %w", err)
		}
	}
	return tx.Commit()
}

// ConfirmTarget reads the subscriber a confirmation token names.
func (s *DB) ConfirmTarget(ctx context.Context, tokenHash []byte, now time.Time) (*content.Subscriber, bool, error) {
	var used sql.NullInt64
	var id int64
	err := s.queryRow(ctx, "SELECT subscriber_id, used_ms FROM confirm_tokens WHERE token_hash = ? AND expires_ms > ?",
		tokenHash, now.UnixMilli()).Scan(&id, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, &content.NotFoundError{Kind: "confirmation token", Key: "…"}
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: confirm target: %w", err)
	}
	sub, err := scanSubscriber(s.queryRow(ctx, "SELECT "+subscriberColumns+" FROM subscribers WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, &content.NotFoundError{Kind: "confirmation token", Key: "…"}
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: confirm target: %w", err)
	}
	return sub, used.Valid, nil
}

// Confirm uses a confirmation token and queues the welcome email.
func (s *DB) Confirm(ctx context.Context, tokenHash []byte, now time.Time, effects func(content.Subscriber) (*content.Message, []content.Delivery, error)) (*content.Subscriber, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: confirm: %w", err)
	}
	defer tx.Rollback()
	gone := &content.NotFoundError{Kind: "confirmation token", Key: "…"}
	var id int64
	err = s.queryRowOn(ctx, tx, `UPDATE confirm_tokens SET used_ms = ?
		WHERE token_hash = ? AND used_ms IS NULL AND expires_ms > ? RETURNING subscriber_id`,
		now.UnixMilli(), tokenHash, now.UnixMilli()).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, gone
	}
	if err != nil {
		return nil, fmt.Errorf("store: confirm: %w", err)
	}
	sub, err := scanSubscriber(s.queryRowOn(ctx, tx, `UPDATE subscribers SET status = 'SUBSCRIBED', confirmed_ms = ?, welcomed_ms = ?
		WHERE id = ? AND status = 'PENDING_CONFIRMATION' RETURNING `+subscriberColumns, now.UnixMilli(), now.UnixMilli(), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, gone // unsubscribed since: the link must not bring them back
	}
	if err != nil {
		return nil, fmt.Errorf("store: confirm: %w", err)
	}
	m, ds, err := effects(*sub)
	if err != nil {
		return nil, err
	}
	if m != nil {
		if err := s.queue(ctx, tx, m, now); err != nil {
			return nil, fmt.Errorf("store: confirm: %w", err)
		}
	}
	if err := s.insertDeliveries(ctx, tx, now, ds); err != nil {
		return nil, fmt.Errorf("store: confirm: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: confirm: %w", err)
	}
	return sub, nil
}

// SubscriberByHandle returns the subscriber with an unsubscribe handle.
func (s *DB) SubscriberByHandle(ctx context.Context, handle string) (*content.Subscriber, error) {
	sub, err := scanSubscriber(s.queryRow(ctx, "SELECT "+subscriberColumns+" FROM subscribers WHERE unsub_handle = ? AND unsub_handle <> ''", handle))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &content.NotFoundError{Kind: "subscriber", Key: "…"}
	}
	if err != nil {
		return nil, fmt.Errorf("store: subscriber: %w", err)
	}
	return sub, nil
}

// Unsubscribe unsubscribes, stops the confirmation links and cancels the
// queued emails of the subscriber with handle, together.
func (s *DB) Unsubscribe(ctx context.Context, handle string, now time.Time, events func(content.Subscriber) ([]content.Delivery, error)) (*content.Subscriber, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: unsubscribe: %w", err)
	}
	defer tx.Rollback()
	// A confirmed reader leaving is an event; the update that sees it is
	// the one that makes it, so two unsubscriptions at once make one.
	sub, err := scanSubscriber(s.queryRowOn(ctx, tx, `UPDATE subscribers SET unsubscribed_ms = ?, status = 'UNSUBSCRIBED'
		WHERE unsub_handle = ? AND unsub_handle <> '' AND status = 'SUBSCRIBED' RETURNING `+subscriberColumns, now.UnixMilli(), handle))
	if err == nil {
		ds, err := events(*sub)
		if err != nil {
			return nil, err
		}
		if err := s.insertDeliveries(ctx, tx, now, ds); err != nil {
			return nil, fmt.Errorf("store: unsubscribe: %w", err)
		}
	} else if errors.Is(err, sql.ErrNoRows) {
		// Pending, unsubscribed already (keeping the first time) or none.
		sub, err = scanSubscriber(s.queryRowOn(ctx, tx, `UPDATE subscribers SET
			unsubscribed_ms = CASE WHEN status = 'UNSUBSCRIBED' THEN unsubscribed_ms ELSE ? END, status = 'UNSUBSCRIBED'
			WHERE unsub_handle = ? AND unsub_handle <> '' RETURNING `+subscriberColumns, now.UnixMilli(), handle))
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &content.NotFoundError{Kind: "subscriber", Key: "…"}
	}
	if err != nil {
		return nil, fmt.Errorf("store: unsubscribe: %w", err)
	}
	if _, err := s.exec(ctx, tx, "DELETE FROM confirm_tokens WHERE subscriber_id = ?", sub.ID); err != nil {
		return nil, fmt.Errorf("store: unsubscribe: tokens: %w", err)
	}
	if _, err := s.exec(ctx, tx, `UPDATE outbox SET failed_ms = ?, last_error = 'unsubscribed'
		WHERE subscriber_id = ? AND sent_ms IS NULL AND failed_ms IS NULL`, now.UnixMilli(), sub.ID); err != nil {
		return nil, fmt.Errorf("store: unsubscribe: outbox: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: unsubscribe: %w", err)
	}
	return sub, nil
}

// Forget erases every trace of email but a keyed hash, together.
func (s *DB) Forget(ctx context.Context, email, addrHash string, now time.Time) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: forget: %w", err)
	}
	defer tx.Rollback()
	steps := []struct {
		q    string
		args []any
	}{
		// Every email to the address, sent or not, queued before 0007 (no
		// subscriber) or after.
		{"DELETE FROM outbox WHERE recipient = ? OR subscriber_id IN (SELECT id FROM subscribers WHERE email = ?)", []any{email, email}},
		{"DELETE FROM confirm_tokens WHERE subscriber_id IN (SELECT id FROM subscribers WHERE email = ?)", []any{email}},
	}
	for _, st := range steps {
		if _, err := s.exec(ctx, tx, st.q, st.args...); err != nil {
			return 0, fmt.Errorf("store: forget: %w", err)
		}
	}
	res, err := s.exec(ctx, tx, "DELETE FROM subscribers WHERE email = ?", email)
	if err != nil {
		return 0, fmt.Errorf("store: forget: %w", err)
	}
	n, _ := res.RowsAffected()
	if _, err := s.exec(ctx, tx, "INSERT INTO suppressions (email_hash, created_ms) VALUES (?, ?) ON CONFLICT (email_hash) DO NOTHING",
		addrHash, now.UnixMilli()); err != nil {
		return 0, fmt.Errorf("store: forget: suppress: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: forget: %w", err)
	}
	return int(n), nil
}

// Subscribers lists subscribers, oldest first.
func (s *DB) Subscribers(ctx context.Context, partner string) ([]content.Subscriber, error) {
	q := "SELECT " + subscriberColumns + " FROM subscribers"
	var args []any
	if partner != "" {
		q += " WHERE partner_id = ?"
		args = append(args, partner)
	}
	rows, err := s.query(ctx, q+" ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("store: subscribers: %w", err)
	}
	defer rows.Close()
	var out []content.Subscriber
	for rows.Next() {
		sub, err := scanSubscriber(rows)
		if err != nil {
			return nil, fmt.Errorf("store: subscribers: %w", err)
		}
		out = append(out, *sub)
	}
	return out, rows.Err()
}

// PruneOutbox deletes what the outbox and the sign-ups no longer need.
func (s *DB) PruneOutbox(ctx context.Context, before, now, idleBefore time.Time) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: prune outbox: %w", err)
	}
	defer tx.Rollback()
	res, err := s.exec(ctx, tx, "DELETE FROM outbox WHERE sent_ms < ? OR failed_ms < ?", before.UnixMilli(), before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("store: prune outbox: %w", err)
	}
	n, _ := res.RowsAffected()
	if _, err := s.exec(ctx, tx, "DELETE FROM confirm_tokens WHERE expires_ms < ?", now.UnixMilli()); err != nil {
		return 0, fmt.Errorf("store: prune tokens: %w", err)
	}
	if _, err := s.exec(ctx, tx, "DELETE FROM address_sends WHERE last_ms < ?", idleBefore.UnixMilli()); err != nil {
		return 0, fmt.Errorf("store: prune address counters: %w", err)
	}
	return n, tx.Commit()
}
