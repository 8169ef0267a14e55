-- Webhook endpoints: where to POST which events. The signing secret is kept sealed (the site
-- key is outside the database); `events`: space-separated names.
CREATE TABLE webhooks (
    id SERIAL PRIMARY KEY,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret_sealed TEXT NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    disabled_reason TEXT NOT NULL DEFAULT '',
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- The webhooks' outbox: one row per event and endpoint, written in the transaction of the
-- change, claimed by one worker at a time with a lease. `body` is fixed at the first attempt,
-- so every retry carries the same document. `dedupe_key` stops a scheduled event from being
-- queued twice by two instances.
CREATE TABLE webhook_deliveries (
    id SERIAL PRIMARY KEY,
    webhook_id INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    object_kind TEXT NOT NULL,
    object_id INTEGER NOT NULL,
    delivery_id TEXT NOT NULL UNIQUE,
    dedupe_key TEXT UNIQUE,
    body TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    lock_token TEXT,
    last_status INTEGER,
    last_duration_ms INTEGER,
    last_error TEXT NOT NULL DEFAULT '',
    last_attempt_at TIMESTAMP,
    delivered_at TIMESTAMP,
    gave_up_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE delivered_at IS NULL AND gave_up_at IS NULL;
CREATE INDEX webhook_deliveries_by_hook ON webhook_deliveries (webhook_id, id);
