-- Herald's first schema: tenants, API keys, properties, webhooks.
-- Times are milliseconds since 1970 (UTC); ids are lowercase UUID text; JSON columns hold text.

CREATE TABLE tenants (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    demo_mode     INTEGER NOT NULL DEFAULT 0,
    octo_supplier TEXT,
    created_at    INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT REFERENCES tenants(id) ON DELETE CASCADE,
    role         TEXT NOT NULL CHECK (role IN ('admin', 'user', 'publisher')),
    property_ids TEXT,
    title        TEXT,
    prefix       TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id, created_at);

CREATE TABLE properties (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX properties_by_tenant ON properties (tenant_id, created_at);

CREATE TABLE webhooks (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    property_id     TEXT REFERENCES properties(id) ON DELETE CASCADE,
    is_global       INTEGER NOT NULL,
    dialect         TEXT NOT NULL DEFAULT 'channex' CHECK (dialect IN ('channex', 'octo')),
    callback_url    TEXT NOT NULL,
    event_mask      TEXT NOT NULL,
    request_params  TEXT,
    headers         TEXT,
    is_active       INTEGER NOT NULL,
    send_data       INTEGER NOT NULL,
    protected       INTEGER NOT NULL,
    secrets         TEXT NOT NULL,
    disabled_reason TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    CHECK ((is_global = 1 AND property_id IS NULL) OR (is_global = 0))
);
-- Fan-out looks webhooks up by (tenant, property) and by tenant for global ones.
CREATE INDEX webhooks_by_property ON webhooks (tenant_id, property_id, created_at);
CREATE INDEX webhooks_global ON webhooks (tenant_id, created_at) WHERE is_global = 1;
