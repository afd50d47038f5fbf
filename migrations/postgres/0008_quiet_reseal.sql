-- `herald secrets rotate-key` rewrites the stored text of a webhook's callback_url, not the URL:
-- matching need not hear of it. A transaction that sets herald.resealing skips the route-cache
-- count, so a rotation never locks a tenant row (and never waits on, or deadlocks with, a settle
-- or an ingest that holds one).
DROP TRIGGER webhooks_version ON webhooks;

CREATE TRIGGER webhooks_version
AFTER INSERT OR DELETE OR UPDATE OF tenant_id, property_id, is_global, is_active, event_mask, callback_url,
    receives_test_events
ON webhooks FOR EACH ROW
WHEN (current_setting('herald.resealing', true) IS DISTINCT FROM 'on')
EXECUTE FUNCTION herald_webhooks_changed();
