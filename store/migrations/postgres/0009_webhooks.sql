CREATE TABLE webhooks (
  id TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  secret TEXT NOT NULL,
  after_id BIGINT NOT NULL,
  created_ms BIGINT NOT NULL
);
CREATE TABLE deliveries (
  id TEXT PRIMARY KEY,
  webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  type TEXT NOT NULL,
  body TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  next_ms BIGINT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  delivered_ms BIGINT,
  failed_ms BIGINT
);
CREATE INDEX deliveries_due ON deliveries (next_ms) WHERE delivered_ms IS NULL AND failed_ms IS NULL;
CREATE INDEX deliveries_webhook ON deliveries (webhook_id);
