-- GET /api/v1/events and GET /api/v1/deliveries list a tenant's newest first; retention purges
-- the oldest events first.
CREATE INDEX events_by_tenant ON events (tenant_id, created_at);
CREATE INDEX deliveries_by_tenant ON deliveries (tenant_id, created_at);
CREATE INDEX events_by_age ON events (created_at);
