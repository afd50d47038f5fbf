-- Deferred fan-outs: the deliveries of an event that matched many webhooks, stored with the event
-- as their targets in parts of at most 1,000, which the dispatchers make into delivery rows one
-- part a transaction (reading only that part, however large the fan-out).

CREATE TABLE fan_outs (
    event_id    uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    part        integer NOT NULL,
    tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    -- JSON: [[webhook_id, event_name, ari_filters or null], ...]
    targets     text NOT NULL,
    size        integer NOT NULL,
    created_at  bigint NOT NULL,
    PRIMARY KEY (event_id, part)
);

CREATE INDEX fan_outs_by_age ON fan_outs (created_at, event_id, part);
