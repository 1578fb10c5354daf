ALTER TABLE editor_keys ADD COLUMN last_used_ms BIGINT;
ALTER TABLE editor_keys ADD COLUMN revoked_ms BIGINT;
