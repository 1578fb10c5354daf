ALTER TABLE editor_keys ADD COLUMN last_used_ms INTEGER;
ALTER TABLE editor_keys ADD COLUMN revoked_ms INTEGER;
