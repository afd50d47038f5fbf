-- The consumer portal: one-time links a tenant admin hands a partner, and the sessions they open
-- (server-side, shared by every process on the database).
CREATE TABLE portal_links (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    role         text NOT NULL CHECK (role IN ('admin', 'user')),
    property_ids text,
    token_hash   text NOT NULL UNIQUE,
    created_by   uuid,
    created_at   bigint NOT NULL,
    expires_at   bigint NOT NULL,
    used_at      bigint,
    revoked_at   bigint
);
CREATE INDEX portal_links_by_tenant ON portal_links (tenant_id, created_at);
CREATE INDEX portal_links_by_expiry ON portal_links (expires_at);

-- Keyed by a hash of the session id: a copy of the database opens no session.
CREATE TABLE portal_sessions (
    key        text PRIMARY KEY,
    value      text NOT NULL,
    expires_at bigint NOT NULL
);
CREATE INDEX portal_sessions_by_expiry ON portal_sessions (expires_at);
