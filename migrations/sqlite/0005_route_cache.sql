-- The route cache: a count of the changes to each tenant's webhooks that matching can see.
-- Moved by triggers in the transaction of the change, whoever makes it, so every process can
-- tell a cached entry is stale by reading the count with the tenant.

ALTER TABLE tenants ADD COLUMN webhooks_version INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER webhooks_version_on_insert AFTER INSERT ON webhooks
BEGIN
    UPDATE tenants SET webhooks_version = webhooks_version + 1 WHERE id = NEW.tenant_id;
END;

CREATE TRIGGER webhooks_version_on_update
AFTER UPDATE OF tenant_id, property_id, is_global, is_active, event_mask, callback_url, receives_test_events
ON webhooks
BEGIN
    UPDATE tenants SET webhooks_version = webhooks_version + 1 WHERE id IN (OLD.tenant_id, NEW.tenant_id);
END;

CREATE TRIGGER webhooks_version_on_delete AFTER DELETE ON webhooks
BEGIN
    UPDATE tenants SET webhooks_version = webhooks_version + 1 WHERE id = OLD.tenant_id;
END;
