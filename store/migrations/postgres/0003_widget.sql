CREATE TABLE partners (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  origins TEXT NOT NULL DEFAULT '',
  locale TEXT NOT NULL DEFAULT 'en',
  theme TEXT NOT NULL DEFAULT '{}',
  copy TEXT NOT NULL DEFAULT '{}',
  updated_ms BIGINT NOT NULL
);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE nonces (nonce TEXT PRIMARY KEY, expires_ms BIGINT NOT NULL);
CREATE TABLE subscribers (
  id BIGSERIAL PRIMARY KEY,
  email TEXT NOT NULL,
  partner_id TEXT NOT NULL REFERENCES partners(id),
  status TEXT NOT NULL,
  locale TEXT NOT NULL,
  consent_version TEXT NOT NULL,
  consent_text TEXT NOT NULL,
  source_url TEXT NOT NULL DEFAULT '',
  ip_hash TEXT NOT NULL DEFAULT '',
  consented_ms BIGINT NOT NULL,
  created_ms BIGINT NOT NULL,
  confirmed_ms BIGINT,
  UNIQUE (email, partner_id)
);
CREATE TABLE confirm_tokens (
  token_hash BYTEA PRIMARY KEY,
  subscriber_id BIGINT NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
  expires_ms BIGINT NOT NULL,
  used_ms BIGINT
);
CREATE TABLE outbox (
  id BIGSERIAL PRIMARY KEY,
  recipient TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  sent_ms BIGINT,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_ms BIGINT NOT NULL,
  last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (sent_ms, next_ms);
