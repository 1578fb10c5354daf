ALTER TABLE outbox ADD COLUMN failed_ms BIGINT;
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (next_ms) WHERE sent_ms IS NULL AND failed_ms IS NULL;
