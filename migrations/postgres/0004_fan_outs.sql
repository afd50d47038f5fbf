-- Deferred fan-outs: the deliveries of an event that matched many webhooks, stored with the event
-- as their targets and made into delivery rows by the dispatchers, a bounded chunk at a time.

CREATE TABLE fan_outs (
    event_id    uuid PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
    tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    -- JSON: [[webhook_id, event_name, ari_filters or null], ...]
    targets     text NOT NULL,
    total       integer NOT NULL,
    -- How many of the targets have been made into deliveries (or skipped: webhook gone).
    expanded    integer NOT NULL DEFAULT 0,
    created_at  bigint NOT NULL
);

CREATE INDEX fan_outs_by_age ON fan_outs (created_at);
