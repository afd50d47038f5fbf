import Foundation
import HeraldCore
import PostgresNIO

/// The statements every claim and settle runs, prepared once per connection (as plain queries,
/// PostgreSQL spent a third of their time planning them), each doing what used to take two round
/// trips where it can. Columns are named, never `*` (see ``Prepared``).
extension Prepared {
    /// Takes the claim lock, then reads up to `limit` endpoints with pending deliveries in id order
    /// after `after` (one index seek per endpoint), and when the earliest delivery or lease not yet
    /// due falls due. The lock is a table function, taken before the row is read; the window and
    /// the due time, read in this statement's snapshot, are only where to look and when to look
    /// again: what is claimed is read by the statements after it, under the lock, each in a
    /// snapshot of its own (READ COMMITTED, pinned by ``PostgresStore/client(url:maxConnections:)``).
    /// A window that wraps round reads again from the start with this statement: the lock, held
    /// already, is taken once more and released with it at the commit.
    ///
    /// It also sets `plan_cache_mode` for the rest of the claim's transaction: ``Backlog`` and
    /// ``LeaseDue`` run on their generic plans (index seeks driven by the id arrays, whatever their
    /// values) rather than planned afresh each time, which cost PostgreSQL as much as running them.
    struct ClaimWindow: PostgresPreparedStatement {
        static let sql = """
            SELECT ARRAY(
                    WITH RECURSIVE hooks(webhook_id, n) AS (
                        SELECT (SELECT webhook_id FROM deliveries WHERE status = 'pending' AND webhook_id > $2
                                ORDER BY webhook_id LIMIT 1), 1
                        UNION ALL
                        SELECT (SELECT d.webhook_id FROM deliveries d
                                WHERE d.status = 'pending' AND d.webhook_id > hooks.webhook_id
                                ORDER BY d.webhook_id LIMIT 1), n + 1
                        FROM hooks WHERE hooks.webhook_id IS NOT NULL AND n < $3
                    )
                    SELECT webhook_id FROM hooks WHERE webhook_id IS NOT NULL ORDER BY n) AS hooks,
                LEAST(
                    (SELECT MIN(next_attempt_at) FROM deliveries WHERE status = 'pending' AND next_attempt_at > $4),
                    (SELECT MIN(lease_until) FROM deliveries WHERE status = 'in_flight' AND lease_until > $4)) AS later
            FROM pg_advisory_xact_lock($1) AS turn, set_config('plan_cache_mode', 'force_generic_plan', true) AS plans
            """
        var after: UUID
        var limit: Int
        var now: Int64

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 4)
            bindings.append(PostgresStore.claimLock)
            bindings.append(after)
            bindings.append(Int64(limit))
            bindings.append(now)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> (hooks: [UUID], later: Int64?) {
            let row = row.makeRandomAccess()
            return (try row.value("hooks"), try row.value("later"))
        }
    }

    /// The window's endpoints with due work: how much waits (each endpoint's first `cap` pending
    /// rows in due order, one pass over its index, plus expired leases), since when, and what it
    /// has in flight, with its limits and circuit.
    struct Backlog: PostgresPreparedStatement {
        static let sql = """
            WITH hooks AS (SELECT UNNEST($1::uuid[]) AS webhook_id),
            -- The earliest is the endpoint's first due, those due by now are what it has waiting
            -- (capped). The ORDER BY keeps the planner on the index when statistics lag a drain;
            -- counting without it, it chose a sequential scan through every delivered row.
            pending AS (
                SELECT hooks.webhook_id, MIN(p.next_attempt_at) AS first_due,
                    COUNT(*) FILTER (WHERE p.next_attempt_at <= $2) AS waiting
                FROM hooks CROSS JOIN LATERAL (
                    SELECT d.next_attempt_at FROM deliveries d
                    WHERE d.status = 'pending' AND d.webhook_id = hooks.webhook_id
                    ORDER BY d.next_attempt_at LIMIT $3) AS p
                GROUP BY hooks.webhook_id
            ),
            due AS (
                SELECT webhook_id, MIN(first_due) AS first_due, SUM(waiting)::bigint AS waiting FROM (
                    SELECT webhook_id, first_due, waiting FROM pending WHERE first_due <= $2
                    UNION ALL
                    SELECT webhook_id, MIN(lease_until), COUNT(*) FROM deliveries
                    WHERE status = 'in_flight' AND lease_until <= $2 GROUP BY webhook_id) AS both_kinds
                GROUP BY webhook_id
            )
            SELECT w.id, w.tenant_id, w.is_active, w.max_in_flight, w.rate_limit, w.next_send_at, w.circuit_failures,
                w.circuit_opened_at, w.circuit_probe_at, w.circuit_failed_probes, due.waiting, due.first_due,
                COALESCE(busy.n, 0) AS in_flight
            FROM due
            JOIN webhooks w ON w.id = due.webhook_id
            LEFT JOIN (SELECT webhook_id, COUNT(*) AS n FROM deliveries
                       WHERE status = 'in_flight' AND lease_until > $2 GROUP BY webhook_id) AS busy
                ON busy.webhook_id = due.webhook_id
            """
        var window: [UUID]
        var now: Int64
        var cap: Int

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(window)
            bindings.append(now)
            bindings.append(Int64(cap))
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> EndpointBacklog {
            try EndpointBacklog(postgres: row.makeRandomAccess())
        }
    }

    /// Leases each endpoint's earliest due deliveries, as many as its quota says (expired leases and pending rows,
    /// in due order) to `owner` until `until`, and returns them with their webhooks and tenants,
    /// each once, on the first of its deliveries (columns prefixed `w_` and `t_`; null on the
    /// others). Events are read after the commit (``EventsById``): a payload may be a megabyte,
    /// and every process waits for the claim lock.
    struct LeaseDue: PostgresPreparedStatement {
        static let sql = """
            WITH claimed AS (
                UPDATE deliveries SET status = 'in_flight', lease_owner = $1, lease_until = $2
                WHERE id IN (
                    SELECT picked.id
                    FROM UNNEST($3::uuid[], $4::bigint[]) AS quota(webhook_id, n)
                    CROSS JOIN LATERAL (
                        SELECT id, due FROM (
                            (SELECT id, lease_until AS due FROM deliveries
                             WHERE status = 'in_flight' AND webhook_id = quota.webhook_id AND lease_until <= $5
                             ORDER BY lease_until LIMIT quota.n)
                            UNION ALL
                            (SELECT id, next_attempt_at AS due FROM deliveries
                             WHERE status = 'pending' AND webhook_id = quota.webhook_id AND next_attempt_at <= $5
                             ORDER BY next_attempt_at LIMIT quota.n)) AS candidates
                        ORDER BY due LIMIT quota.n) AS picked)
                -- Still due once any concurrent settle has committed (READ COMMITTED re-checks this).
                AND ((status = 'pending' AND next_attempt_at <= $5) OR (status = 'in_flight' AND lease_until <= $5))
                RETURNING \(deliveryColumns.joined(separator: ", "))
            ), firsts AS (
                SELECT claimed.*, row_number() OVER (PARTITION BY webhook_id) = 1 AS first_of_webhook,
                    row_number() OVER (PARTITION BY tenant_id) = 1 AS first_of_tenant
                FROM claimed
            )
            SELECT \(deliveryColumns.map { "f.\($0)" }.joined(separator: ", ")),
                \(columns(webhookColumns, of: "w")), \(columns(tenantColumns, of: "t"))
            FROM firsts f
            LEFT JOIN webhooks w ON f.first_of_webhook AND w.id = f.webhook_id
            LEFT JOIN tenants t ON f.first_of_tenant AND t.id = f.tenant_id
            """
        var owner: String
        var until: Int64
        var quotas: [(webhookId: UUID, count: Int)]
        var now: Int64
        var box: SecretBox

        /// A claimed delivery, and its webhook (or why it does not open) and tenant when it is
        /// the first of theirs.
        struct Row: Sendable {
            var delivery: Delivery
            var webhook: Result<Webhook, any Error>?
            var tenant: Tenant?
        }

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 5)
            bindings.append(owner)
            bindings.append(until)
            bindings.append(quotas.map(\.webhookId))
            bindings.append(quotas.map { Int64($0.count) })
            bindings.append(now)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row {
            let row = row.makeRandomAccess()
            let webhook = PrefixedColumns(row: row, prefix: "w_")
            let tenant = PrefixedColumns(row: row, prefix: "t_")
            return Row(
                delivery: try Delivery(postgres: row),
                webhook: try webhook.value("id", as: UUID?.self) == nil
                    ? nil : Result { try Webhook(postgres: webhook, box: box) },
                tenant: try tenant.value("id", as: UUID?.self) == nil ? nil : try Tenant(postgres: tenant))
        }

        /// `names` of the table `alias`, each returned as `alias_name`.
        static func columns(_ names: [String], of alias: String) -> String {
            names.map { "\(alias).\($0) AS \(alias)_\($0)" }.joined(separator: ", ")
        }
    }

    /// The claimed deliveries' events.
    struct EventsById: PostgresPreparedStatement {
        static let sql = "SELECT \(eventColumns.joined(separator: ", ")) FROM events WHERE id = ANY($1::uuid[])"
        var ids: [UUID]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(ids)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Event { try Event(postgres: row.makeRandomAccess()) }
    }

    /// A delivery row's columns, as ``Delivery/init(postgres:)`` reads them.
    static let deliveryColumns = [
        "id", "event_id", "webhook_id", "tenant_id", "event_name", "ari_filters", "status", "attempts",
        "next_attempt_at", "lease_until", "lease_owner", "last_status_code", "last_error", "created_at", "settled_at",
    ]

    /// An event row's columns, as ``Event/init(postgres:)`` reads them.
    static let eventColumns = [
        "id", "tenant_id", "property_id", "name", "user_id", "payload", "occurred_at", "idempotency_key", "test",
        "created_at", "trace_parent",
    ]

    /// A webhook row's columns, as ``Webhook/init(postgres:box:)`` reads them.
    static let webhookColumns = [
        "id", "tenant_id", "property_id", "is_global", "dialect", "callback_url", "event_mask", "request_params",
        "headers", "is_active", "send_data", "protected", "secrets", "disabled_reason", "retry_policy", "failing_since",
        "octo", "receives_test_events", "max_in_flight", "rate_limit", "circuit_failures", "circuit_opened_at",
        "circuit_probe_at", "circuit_failed_probes", "created_at", "updated_at",
    ]

    /// A tenant row's columns, as ``Tenant/init(postgres:)`` reads them.
    static let tenantColumns = ["id", "name", "demo_mode", "octo_supplier", "created_at"]

    /// The settled endpoints' failure state and circuits, locked in id order (as a delete of a
    /// webhook takes it before its deliveries).
    struct SettleEndpoints: PostgresPreparedStatement {
        static let sql = """
            SELECT id, failing_since, circuit_failures, circuit_opened_at, circuit_probe_at, circuit_failed_probes
            FROM webhooks WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE
            """
        var ids: [UUID]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(ids)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> (id: UUID, failing: Bool, circuit: Circuit) {
            let row = row.makeRandomAccess()
            return (try row.value("id"), try row.optionalDate("failing_since") != nil, try Circuit(postgres: row))
        }
    }

    /// A batch of settlements in one statement: each one's attempt (kept, or replacing the one of
    /// the same number), and its delivery's new state where this worker still holds its lease.
    /// Returns the deliveries whose lease was held. Nullable columns travel as a value and a
    /// presence flag.
    struct Settle: PostgresPreparedStatement {
        static let sql = """
            WITH a AS (
                INSERT INTO attempts (delivery_id, n, started_at, duration_ms, status_code, response_body, error)
                SELECT id, n, started_at, duration_ms, CASE WHEN has_code THEN code END,
                    CASE WHEN has_body THEN body END, CASE WHEN has_error THEN error END
                FROM UNNEST($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bool[], $7::text[],
                    $8::bool[], $9::text[], $10::bool[])
                    AS a(id, n, started_at, duration_ms, code, has_code, body, has_body, error, has_error)
                ON CONFLICT (delivery_id, n) DO UPDATE SET started_at = excluded.started_at,
                    duration_ms = excluded.duration_ms, status_code = excluded.status_code,
                    response_body = excluded.response_body, error = excluded.error
            )
            UPDATE deliveries d SET status = u.status, attempts = u.n,
                next_attempt_at = CASE WHEN u.has_next THEN u.next END, lease_owner = NULL, lease_until = NULL,
                last_status_code = CASE WHEN u.has_code THEN u.code END,
                last_error = CASE WHEN u.has_error THEN u.error END,
                settled_at = CASE WHEN u.has_settled THEN u.settled END
            FROM UNNEST($11::text[], $12::text[], $13::text[], $14::bigint[], $15::bigint[], $16::bool[],
                $17::bigint[], $18::bool[], $19::text[], $20::bool[], $21::bigint[], $22::bool[])
                AS u(id, owner, status, n, next, has_next, code, has_code, error, has_error, settled, has_settled)
            WHERE d.id = u.id AND d.lease_owner = u.owner AND d.status = 'in_flight'
            RETURNING d.id
            """
        var settlements: [Settlement]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 22)
            let attempts = settlements.map(\.attempt)
            bindings.append(attempts.map(\.deliveryId))
            bindings.append(attempts.map { Int64($0.number) })
            bindings.append(attempts.map { Timestamp.millis($0.startedAt) })
            bindings.append(attempts.map { Int64($0.durationMs) })
            bindings.append(attempts.map { Int64($0.statusCode ?? 0) })
            bindings.append(attempts.map { $0.statusCode != nil })
            bindings.append(attempts.map { $0.responseBody ?? "" })
            bindings.append(attempts.map { $0.responseBody != nil })
            bindings.append(attempts.map { $0.error ?? "" })
            bindings.append(attempts.map { $0.error != nil })
            bindings.append(settlements.map(\.deliveryId))
            bindings.append(settlements.map(\.leaseOwner))
            bindings.append(settlements.map(\.row.status.rawValue))
            bindings.append(settlements.map { Int64($0.attempt.number) })
            bindings.append(settlements.map { $0.row.nextAttemptAt.map(Timestamp.millis) ?? 0 })
            bindings.append(settlements.map { $0.row.nextAttemptAt != nil })
            bindings.append(settlements.map { Int64($0.attempt.statusCode ?? 0) })
            bindings.append(settlements.map { $0.attempt.statusCode != nil })
            bindings.append(settlements.map { $0.attempt.error ?? "" })
            bindings.append(settlements.map { $0.attempt.error != nil })
            bindings.append(settlements.map { $0.row.settledAt.map(Timestamp.millis) ?? 0 })
            bindings.append(settlements.map { $0.row.settledAt != nil })
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> String { try row.decode(String.self) }
    }
}
