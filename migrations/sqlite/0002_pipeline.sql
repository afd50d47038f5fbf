-- The pipeline: events, the deliveries queue, and the attempt log.

ALTER TABLE webhooks ADD COLUMN retry_policy TEXT;
ALTER TABLE webhooks ADD COLUMN failing_since INTEGER;

-- Fan-out reads a tenant's active webhooks of one property plus its global ones.
CREATE INDEX webhooks_active ON webhooks (tenant_id, property_id) WHERE is_active = 1;

CREATE TABLE events (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    property_id     TEXT,
    name            TEXT NOT NULL,
    user_id         TEXT,
    payload         TEXT NOT NULL,
    occurred_at     INTEGER NOT NULL,
    idempotency_key TEXT,
    test            INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX events_idempotency ON events (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE deliveries (
    id               TEXT PRIMARY KEY,
    event_id         TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    webhook_id       TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    tenant_id        TEXT NOT NULL,
    event_name       TEXT NOT NULL,
    ari_filters      TEXT,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'in_flight', 'succeeded', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER,
    lease_until      INTEGER,
    lease_owner      TEXT,
    last_status_code INTEGER,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    settled_at       INTEGER
);
-- The queue: due pending rows, and in-flight rows whose lease may have expired.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_leased ON deliveries (lease_until) WHERE status = 'in_flight';
-- The delivery log of a webhook, newest first.
CREATE INDEX deliveries_by_webhook ON deliveries (webhook_id, created_at);
CREATE INDEX deliveries_by_event ON deliveries (event_id);

CREATE TABLE attempts (
    delivery_id   TEXT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    n             INTEGER NOT NULL,
    started_at    INTEGER NOT NULL,
    duration_ms   INTEGER NOT NULL,
    status_code   INTEGER,
    response_body TEXT,
    error         TEXT,
    PRIMARY KEY (delivery_id, n)
);
