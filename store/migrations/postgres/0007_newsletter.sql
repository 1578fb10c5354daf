ALTER TABLE partners ADD COLUMN incentive_url TEXT NOT NULL DEFAULT '';
ALTER TABLE partners ADD COLUMN incentive_title TEXT NOT NULL DEFAULT '';
ALTER TABLE partners ADD COLUMN reply_to TEXT NOT NULL DEFAULT '';
ALTER TABLE subscribers ADD COLUMN unsub_handle TEXT NOT NULL DEFAULT '';
UPDATE subscribers SET unsub_handle = md5(random()::text || clock_timestamp()::text || id::text);
CREATE UNIQUE INDEX subscribers_unsub_handle ON subscribers (unsub_handle) WHERE unsub_handle <> '';
ALTER TABLE subscribers ADD COLUMN unsubscribed_ms BIGINT;
ALTER TABLE subscribers ADD COLUMN welcomed_ms BIGINT;
ALTER TABLE outbox ADD COLUMN subscriber_id BIGINT REFERENCES subscribers(id) ON DELETE CASCADE;
ALTER TABLE outbox ADD COLUMN from_name TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN reply_to TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN html TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN locale TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN message_id TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN unsubscribe_url TEXT NOT NULL DEFAULT '';
CREATE INDEX outbox_subscriber ON outbox (subscriber_id);
CREATE INDEX outbox_recipient ON outbox (recipient);
CREATE INDEX outbox_sent ON outbox (sent_ms) WHERE sent_ms IS NOT NULL;
CREATE INDEX confirm_tokens_subscriber ON confirm_tokens (subscriber_id);
CREATE TABLE address_sends (
  email_hash TEXT PRIMARY KEY,
  confirm_ms TEXT NOT NULL DEFAULT '',
  last_ms BIGINT NOT NULL
);
CREATE TABLE suppressions (
  email_hash TEXT PRIMARY KEY,
  created_ms BIGINT NOT NULL
);
