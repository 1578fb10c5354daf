package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bylinehq/byline/content"
)

// SavePartner inserts or updates a partner.
func (s *DB) SavePartner(ctx context.Context, p content.Partner) error {
	theme, _ := json.Marshal(p.Theme)
	cp, _ := json.Marshal(p.Copy)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: save partner %q: %w", p.ID, err)
	}
	defer tx.Rollback()
	_, err = s.exec(ctx, tx, `INSERT INTO partners (id, name, origins, locale, theme, copy, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, origins = excluded.origins, locale = excluded.locale,
		theme = excluded.theme, copy = excluded.copy, updated_ms = excluded.updated_ms`,
		p.ID, p.Name, strings.Join(p.Origins, "\n"), p.Locale, string(theme), string(cp), time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("store: save partner %q: %w", p.ID, err)
	}
	return tx.Commit()
}

const partnerColumns = "id, name, origins, locale, theme, copy"

func scanPartner(r scanner) (*content.Partner, error) {
	var (
		p                      content.Partner
		origins, theme, copies string
	)
	if err := r.Scan(&p.ID, &p.Name, &origins, &p.Locale, &theme, &copies); err != nil {
		return nil, err
	}
	if origins != "" {
		p.Origins = strings.Split(origins, "\n")
	}
	_ = json.Unmarshal([]byte(theme), &p.Theme)
	_ = json.Unmarshal([]byte(copies), &p.Copy)
	return &p, nil
}

// Partner returns one partner.
func (s *DB) Partner(ctx context.Context, id string) (*content.Partner, error) {
	p, err := scanPartner(s.queryRow(ctx, "SELECT "+partnerColumns+" FROM partners WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &content.NotFoundError{Kind: "partner", Key: id}
	}
	if err != nil {
		return nil, fmt.Errorf("store: partner %q: %w", id, err)
	}
	return p, nil
}

// Partners lists every partner by id.
func (s *DB) Partners(ctx context.Context) ([]content.Partner, error) {
	rows, err := s.query(ctx, "SELECT "+partnerColumns+" FROM partners ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("store: partners: %w", err)
	}
	defer rows.Close()
	var out []content.Partner
	for rows.Next() {
		p, err := scanPartner(rows)
		if err != nil {
			return nil, fmt.Errorf("store: partners: %w", err)
		}
		out = append(out, *p)
	}
	return out, rows.Err()
}

// SettingOrCreate returns key's value, storing value when there is none.
func (s *DB) SettingOrCreate(ctx context.Context, key, value string) (string, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	if _, err := s.exec(ctx, tx, "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", key, value); err != nil {
		return "", fmt.Errorf("store: setting %q: %w", key, err)
	}
	if err := tx.Commit(); err != nil {
		return "", err
	}
	var v string
	if err := s.queryRow(ctx, "SELECT value FROM settings WHERE key = ?", key).Scan(&v); err != nil {
		return "", fmt.Errorf("store: setting %q: %w", key, err)
	}
	return v, nil
}

// UseNonce records a single-use value; false when it was already used.
func (s *DB) UseNonce(ctx context.Context, nonce string, now, expires time.Time) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if _, err := s.exec(ctx, tx, "DELETE FROM nonces WHERE expires_ms < ?", now.UnixMilli()); err != nil {
		return false, fmt.Errorf("store: nonce: %w", err)
	}
	res, err := s.exec(ctx, tx, "INSERT INTO nonces (nonce, expires_ms) VALUES (?, ?) ON CONFLICT (nonce) DO NOTHING", nonce, expires.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("store: nonce: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, tx.Commit()
}

// Subscribe upserts a subscriber, its token and its email, together.
func (s *DB) Subscribe(ctx context.Context, sub content.Subscriber, tokenHash []byte, expires time.Time, msg content.Message) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: subscribe: %w", err)
	}
	defer tx.Rollback()
	var (
		id     int64
		status string
	)
	s.queries.Add(1)
	// A confirmed subscriber stays confirmed with its original consent; a
	// pending one records the newest consent.
	err = tx.QueryRowContext(ctx, s.d.rebind(`INSERT INTO subscribers
		(email, partner_id, status, locale, consent_version, consent_text, source_url, ip_hash, consented_ms, created_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (email, partner_id) DO UPDATE SET
		  locale = CASE WHEN subscribers.status = 'SUBSCRIBED' THEN subscribers.locale ELSE excluded.locale END,
		  consent_version = CASE WHEN subscribers.status = 'SUBSCRIBED' THEN subscribers.consent_version ELSE excluded.consent_version END,
		  consent_text = CASE WHEN subscribers.status = 'SUBSCRIBED' THEN subscribers.consent_text ELSE excluded.consent_text END,
		  source_url = CASE WHEN subscribers.status = 'SUBSCRIBED' THEN subscribers.source_url ELSE excluded.source_url END,
		  ip_hash = CASE WHEN subscribers.status = 'SUBSCRIBED' THEN subscribers.ip_hash ELSE excluded.ip_hash END,
		  consented_ms = CASE WHEN subscribers.status = 'SUBSCRIBED' THEN subscribers.consented_ms ELSE excluded.consented_ms END
		RETURNING id, status`),
		sub.Email, sub.Partner, sub.Status, sub.Locale, sub.ConsentVersion, sub.ConsentText, sub.SourceURL, sub.IPHash,
		sub.ConsentedAt.UnixMilli(), sub.CreatedAt.UnixMilli()).Scan(&id, &status)
	if err != nil {
		return fmt.Errorf("store: subscribe: %w", err)
	}
	if status == content.StatusSubscribed {
		// Already confirmed: say so by email, not in the answer.
		msg.Subject = "You are already subscribed"
		msg.Body = "Hello,\n\nThis address is already subscribed: there is nothing more to do.\n"
	} else if _, err := s.exec(ctx, tx, "INSERT INTO confirm_tokens (token_hash, subscriber_id, expires_ms) VALUES (?, ?, ?)",
		tokenHash, id, expires.UnixMilli()); err != nil {
		return fmt.Errorf("store: subscribe: token: %w", err)
	}
	now := sub.CreatedAt.UnixMilli()
	if _, err := s.exec(ctx, tx, "INSERT INTO outbox (recipient, subject, body, created_ms, next_ms) VALUES (?, ?, ?, ?, ?)",
		msg.To, msg.Subject, msg.Body, now, now); err != nil {
		return fmt.Errorf("store: subscribe: outbox: %w", err)
	}
	return tx.Commit()
}

// Confirm uses a confirmation token.
func (s *DB) Confirm(ctx context.Context, tokenHash []byte, now time.Time) (string, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("store: confirm: %w", err)
	}
	defer tx.Rollback()
	var id int64
	s.queries.Add(1)
	err = tx.QueryRowContext(ctx, s.d.rebind(`UPDATE confirm_tokens SET used_ms = ?
		WHERE token_hash = ? AND used_ms IS NULL AND expires_ms > ? RETURNING subscriber_id`),
		now.UnixMilli(), tokenHash, now.UnixMilli()).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", &content.NotFoundError{Kind: "confirmation token", Key: "…"}
	}
	if err != nil {
		return "", fmt.Errorf("store: confirm: %w", err)
	}
	var partner string
	s.queries.Add(1)
	err = tx.QueryRowContext(ctx, s.d.rebind(`UPDATE subscribers SET status = 'SUBSCRIBED',
		confirmed_ms = COALESCE(confirmed_ms, ?) WHERE id = ? RETURNING partner_id`), now.UnixMilli(), id).Scan(&partner)
	if err != nil {
		return "", fmt.Errorf("store: confirm: %w", err)
	}
	return partner, tx.Commit()
}

// Subscribers lists subscribers, oldest first.
func (s *DB) Subscribers(ctx context.Context, partner string) ([]content.Subscriber, error) {
	q := `SELECT email, partner_id, status, locale, consent_version, consent_text, source_url, ip_hash,
		consented_ms, created_ms, confirmed_ms FROM subscribers`
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
		var (
			sub                content.Subscriber
			consented, created int64
			confirmed          sql.NullInt64
		)
		if err := rows.Scan(&sub.Email, &sub.Partner, &sub.Status, &sub.Locale, &sub.ConsentVersion, &sub.ConsentText,
			&sub.SourceURL, &sub.IPHash, &consented, &created, &confirmed); err != nil {
			return nil, fmt.Errorf("store: subscribers: %w", err)
		}
		sub.ConsentedAt, sub.CreatedAt = time.UnixMilli(consented).UTC(), time.UnixMilli(created).UTC()
		if confirmed.Valid {
			t := time.UnixMilli(confirmed.Int64).UTC()
			sub.ConfirmedAt = &t
		}
		out = append(out, sub)
	}
	return out, rows.Err()
}

// ClaimOutbox claims due, unsent messages for claimFor.
func (s *DB) ClaimOutbox(ctx context.Context, now time.Time, claimFor time.Duration, limit int) ([]content.Message, error) {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: outbox: %w", err)
	}
	defer tx.Rollback()
	s.queries.Add(1)
	rows, err := tx.QueryContext(ctx, s.d.rebind(`SELECT id, recipient, subject, body, attempts FROM outbox
		WHERE sent_ms IS NULL AND failed_ms IS NULL AND next_ms <= ? ORDER BY id LIMIT ?`), now.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("store: outbox: %w", err)
	}
	var out []content.Message
	for rows.Next() {
		var m content.Message
		if err := rows.Scan(&m.ID, &m.To, &m.Subject, &m.Body, &m.Attempts); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: outbox: %w", err)
		}
		out = append(out, m)
	}
	rows.Close()
	for _, m := range out {
		if _, err := s.exec(ctx, tx, "UPDATE outbox SET next_ms = ?, attempts = attempts + 1 WHERE id = ?", now.Add(claimFor).UnixMilli(), m.ID); err != nil {
			return nil, fmt.Errorf("store: outbox claim: %w", err)
		}
	}
	return out, tx.Commit()
}

// OutboxSent marks a message sent.
func (s *DB) OutboxSent(ctx context.Context, id int64, at time.Time) error {
	return s.outboxUpdate(ctx, "UPDATE outbox SET sent_ms = ? WHERE id = ?", at.UnixMilli(), id)
}

// OutboxFailed records a failed attempt and when to retry.
func (s *DB) OutboxFailed(ctx context.Context, id int64, reason string, retryAt time.Time) error {
	return s.outboxUpdate(ctx, "UPDATE outbox SET last_error = ?, next_ms = ? WHERE id = ?", reason, retryAt.UnixMilli(), id)
}

// OutboxRefused marks a message failed for good, so it is never claimed
// again.
func (s *DB) OutboxRefused(ctx context.Context, id int64, reason string, at time.Time) error {
	return s.outboxUpdate(ctx, "UPDATE outbox SET last_error = ?, failed_ms = ? WHERE id = ?", reason, at.UnixMilli(), id)
}

func (s *DB) outboxUpdate(ctx context.Context, q string, args ...any) error {
	if _, err := s.update(ctx, q, args...); err != nil {
		return fmt.Errorf("store: outbox: %w", err)
	}
	return nil
}
