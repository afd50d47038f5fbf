-- Herald on PostgreSQL: the same model as migrations/sqlite (0001-0003), in PostgreSQL types.
-- Times are milliseconds since 1970 (UTC); JSON columns hold text.

CREATE TABLE tenants (
    id            uuid PRIMARY KEY,
    name          text NOT NULL,
    demo_mode     boolean NOT NULL DEFAULT false,
    octo_supplier text,
    created_at    bigint NOT NULL
);

CREATE TABLE api_keys (
    id           uuid PRIMARY KEY,
    tenant_id    uuid REFERENCES tenants(id) ON DELETE CASCADE,
    role         text NOT NULL CHECK (role IN ('admin', 'user', 'publisher')),
    property_ids text,
    title        text,
    prefix       text NOT NULL,
    hash         text NOT NULL UNIQUE,
    created_at   bigint NOT NULL,
    last_used_at bigint,
    revoked_at   bigint
);
CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id, created_at);

CREATE TABLE properties (
    id         uuid PRIMARY KEY,
    tenant_id  uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    title      text NOT NULL,
    created_at bigint NOT NULL
);
CREATE INDEX properties_by_tenant ON properties (tenant_id, created_at);

CREATE TABLE webhooks (
    id                   uuid PRIMARY KEY,
    tenant_id            uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    property_id          uuid REFERENCES properties(id) ON DELETE CASCADE,
    is_global            boolean NOT NULL,
    dialect              text NOT NULL DEFAULT 'channex' CHECK (dialect IN ('channex', 'octo')),
    callback_url         text NOT NULL,
    event_mask           text NOT NULL,
    request_params       text,
    headers              text,
    is_active            boolean NOT NULL,
    send_data            boolean NOT NULL,
    protected            boolean NOT NULL,
    secrets              text NOT NULL,
    disabled_reason      text,
    retry_policy         text,
    failing_since        bigint,
    octo                 text,
    receives_test_events boolean NOT NULL DEFAULT false,
    created_at           bigint NOT NULL,
    updated_at           bigint NOT NULL,
    CHECK ((is_global AND property_id IS NULL) OR NOT is_global)
);
CREATE INDEX webhooks_by_property ON webhooks (tenant_id, property_id, created_at);
CREATE INDEX webhooks_global ON webhooks (tenant_id, created_at) WHERE is_global;
CREATE INDEX webhooks_active ON webhooks (tenant_id, property_id) WHERE is_active;

CREATE TABLE events (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    property_id     uuid,
    name            text NOT NULL,
    user_id         text,
    payload         text NOT NULL,
    occurred_at     bigint NOT NULL,
    idempotency_key text,
    test            boolean NOT NULL DEFAULT false,
    created_at      bigint NOT NULL
);
CREATE UNIQUE INDEX events_idempotency ON events (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE deliveries (
    id               text PRIMARY KEY,
    event_id         uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    webhook_id       uuid NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    tenant_id        uuid NOT NULL,
    event_name       text NOT NULL,
    ari_filters      text,
    status           text NOT NULL CHECK (status IN ('pending', 'in_flight', 'succeeded', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  bigint,
    lease_until      bigint,
    lease_owner      text,
    last_status_code integer,
    last_error       text,
    created_at       bigint NOT NULL,
    settled_at       bigint
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_leased ON deliveries (lease_until) WHERE status = 'in_flight';
CREATE INDEX deliveries_by_webhook ON deliveries (webhook_id, created_at);
CREATE INDEX deliveries_by_event ON deliveries (event_id);

CREATE TABLE attempts (
    delivery_id   text NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    n             integer NOT NULL,
    started_at    bigint NOT NULL,
    duration_ms   integer NOT NULL,
    status_code   integer,
    response_body text,
    error         text,
    PRIMARY KEY (delivery_id, n)
);

CREATE TABLE entity_snapshots (
    tenant_id  uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind       text NOT NULL,
    entity_id  text NOT NULL,
    body       text NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, kind, entity_id)
);
