-- Open circuits by tenant, read at each /metrics scrape without scanning every webhook.
CREATE INDEX webhooks_circuit_open ON webhooks (tenant_id) WHERE circuit_opened_at IS NOT NULL;
