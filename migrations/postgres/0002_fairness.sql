-- Fair delivery: per-endpoint limits, rate-limit state and the circuit breaker.

ALTER TABLE webhooks ADD COLUMN max_in_flight integer NOT NULL DEFAULT 4;
ALTER TABLE webhooks ADD COLUMN rate_limit integer;
ALTER TABLE webhooks ADD COLUMN next_send_at bigint;
ALTER TABLE webhooks ADD COLUMN circuit_failures integer NOT NULL DEFAULT 0;
ALTER TABLE webhooks ADD COLUMN circuit_opened_at bigint;
ALTER TABLE webhooks ADD COLUMN circuit_probe_at bigint;
ALTER TABLE webhooks ADD COLUMN circuit_failed_probes integer NOT NULL DEFAULT 0;

-- A claim counts each endpoint's sends in flight and picks its earliest due deliveries.
CREATE INDEX deliveries_pending_by_webhook ON deliveries (webhook_id, next_attempt_at) WHERE status = 'pending';
