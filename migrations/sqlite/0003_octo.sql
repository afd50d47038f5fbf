-- OCTO webhooks, test-event endpoints, and the last state of OCTO entities (for diffs).

ALTER TABLE webhooks ADD COLUMN octo TEXT;
ALTER TABLE webhooks ADD COLUMN receives_test_events INTEGER NOT NULL DEFAULT 0;

CREATE TABLE entity_snapshots (
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    entity_id  TEXT NOT NULL,
    body       TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, kind, entity_id)
);
