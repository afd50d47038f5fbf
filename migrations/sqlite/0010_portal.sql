-- The consumer portal: one-time links a tenant admin hands a partner, and the sessions they open
-- (server-side, shared by every process on the database).
CREATE TABLE portal_links (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    role         TEXT NOT NULL CHECK (role IN ('admin', 'user')),
    property_ids TEXT,
    token_hash   TEXT NOT NULL UNIQUE,
    created_by   TEXT,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    used_at      INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX portal_links_by_tenant ON portal_links (tenant_id, created_at);
CREATE INDEX portal_links_by_expiry ON portal_links (expires_at);

-- Keyed by a hash of the session id: a copy of the database opens no session.
CREATE TABLE portal_sessions (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX portal_sessions_by_expiry ON portal_sessions (expires_at);
