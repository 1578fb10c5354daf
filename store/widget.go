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
	_, err = s.exec(ctx, tx, `INSERT INTO partners (id, name, origins, locale, theme, copy, incentive_url, incentive_title, reply_to, updated_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, origins = excluded.origins, locale = excluded.locale,
		theme = excluded.theme, copy = excluded.copy, incentive_url = excluded.incentive_url,
		incentive_title = excluded.incentive_title, reply_to = excluded.reply_to, updated_ms = excluded.updated_ms`,
		p.ID, p.Name, strings.Join(p.Origins, "\n"), p.Locale, string(theme), string(cp), p.IncentiveURL, p.IncentiveTitle, p.ReplyTo,
		time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("store: save partner %q: %w", p.ID, err)
	}
	return tx.Commit()
}

const partnerColumns = "id, name, origins, locale, theme, copy, incentive_url, incentive_title, reply_to"

func scanPartner(r scanner) (*content.Partner, error) {
	var (
		p                      content.Partner
		origins, theme, copies string
	)
	if err := r.Scan(&p.ID, &p.Name, &origins, &p.Locale, &theme, &copies, &p.IncentiveURL, &p.IncentiveTitle, &p.ReplyTo); err != nil {
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

const outboxColumns = "id, recipient, subject, body, attempts, from_name, reply_to, html, locale, message_id, unsubscribe_url, subscriber_id"

// queue puts m in the outbox inside tx, due at once.
func (s *DB) queue(ctx context.Context, tx *sql.Tx, m *content.Message, now time.Time) error {
	var sub any
	if m.SubscriberID != 0 {
		sub = m.SubscriberID
	}
	_, err := s.exec(ctx, tx, `INSERT INTO outbox (recipient, subject, body, from_name, reply_to, html, locale, message_id,
		unsubscribe_url, subscriber_id, created_ms, next_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.To, m.Subject, m.Body, m.FromName, m.ReplyTo, m.HTML, m.Locale, m.MessageID, m.Unsubscribe, sub,
		now.UnixMilli(), now.UnixMilli())
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

// ClaimOutbox claims due, unsent messages for claimFor.
func (s *DB) ClaimOutbox(ctx context.Context, now time.Time, claimFor time.Duration, limit int) ([]content.Message, error) {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: outbox: %w", err)
	}
	defer tx.Rollback()
	s.queries.Add(1)
	rows, err := tx.QueryContext(ctx, s.d.rebind(`SELECT `+outboxColumns+` FROM outbox
		WHERE sent_ms IS NULL AND failed_ms IS NULL AND next_ms <= ? ORDER BY id LIMIT ?`), now.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("store: outbox: %w", err)
	}
	var out []content.Message
	for rows.Next() {
		var (
			m   content.Message
			sub sql.NullInt64
		)
		if err := rows.Scan(&m.ID, &m.To, &m.Subject, &m.Body, &m.Attempts, &m.FromName, &m.ReplyTo, &m.HTML, &m.Locale,
			&m.MessageID, &m.Unsubscribe, &sub); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: outbox: %w", err)
		}
		m.SubscriberID = sub.Int64
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
