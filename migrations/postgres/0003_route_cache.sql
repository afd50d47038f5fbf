-- The route cache: a count of the changes to each tenant's webhooks that matching can see.
-- Moved by a trigger in the transaction of the change, whichever process or tool makes it, so
-- every process can tell a cached entry is stale by reading the count with the tenant.

ALTER TABLE tenants ADD COLUMN webhooks_version bigint NOT NULL DEFAULT 0;

CREATE FUNCTION herald_webhooks_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE tenants SET webhooks_version = webhooks_version + 1 WHERE id = COALESCE(NEW.tenant_id, OLD.tenant_id) OR id = OLD.tenant_id; RETURN NULL; END $$;

CREATE TRIGGER webhooks_version
AFTER INSERT OR DELETE OR UPDATE OF tenant_id, property_id, is_global, is_active, event_mask, callback_url,
    receives_test_events
ON webhooks FOR EACH ROW EXECUTE FUNCTION herald_webhooks_changed();

-- TRUNCATE fires no row trigger: it moves every tenant's count.
CREATE FUNCTION herald_webhooks_truncated() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE tenants SET webhooks_version = webhooks_version + 1; RETURN NULL; END $$;

CREATE TRIGGER webhooks_version_truncate AFTER TRUNCATE ON webhooks
FOR EACH STATEMENT EXECUTE FUNCTION herald_webhooks_truncated();
