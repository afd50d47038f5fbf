-- Fair delivery: per-endpoint limits, rate-limit state and the circuit breaker.

ALTER TABLE webhooks ADD COLUMN max_in_flight INTEGER NOT NULL DEFAULT 4;
ALTER TABLE webhooks ADD COLUMN rate_limit INTEGER;
ALTER TABLE webhooks ADD COLUMN next_send_at INTEGER;
ALTER TABLE webhooks ADD COLUMN circuit_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhooks ADD COLUMN circuit_opened_at INTEGER;
ALTER TABLE webhooks ADD COLUMN circuit_probe_at INTEGER;
ALTER TABLE webhooks ADD COLUMN circuit_failed_probes INTEGER NOT NULL DEFAULT 0;

-- A claim counts each endpoint's sends in flight and picks its earliest due deliveries.
CREATE INDEX deliveries_pending_by_webhook ON deliveries (webhook_id, next_attempt_at) WHERE status = 'pending';
