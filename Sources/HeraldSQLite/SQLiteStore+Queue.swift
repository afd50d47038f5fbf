import Foundation
import GRDB
import HeraldCore

extension SQLiteStore: DeliveryQueue {
    public func claimDue(owner: String, now: Date, lease: TimeInterval, limit: Int) async throws -> [DispatchJob] {
        try await pool.write { db in
            let nowMillis = Timestamp.millis(now)
            let ids = try String.fetchAll(
                db,
                sql: """
                    UPDATE deliveries SET status = 'in_flight', lease_owner = ?, lease_until = ?
                    WHERE id IN (
                        SELECT id FROM (
                            SELECT id, next_attempt_at AS due FROM deliveries
                                WHERE status = 'pending' AND next_attempt_at <= ?
                            UNION ALL
                            SELECT id, lease_until AS due FROM deliveries
                                WHERE status = 'in_flight' AND lease_until <= ?
                        ) ORDER BY due LIMIT ?)
                    RETURNING id
                    """,
                arguments: [owner, Timestamp.millis(now.addingTimeInterval(lease)), nowMillis, nowMillis, limit])
            guard !ids.isEmpty else { return [] }
            let deliveries = try Self.fetch(db, table: "deliveries", ids: ids).map(Delivery.init(row:))
            return DispatchJob.assemble(
                deliveries,
                events: try Self.fetch(db, table: "events", ids: Set(deliveries.map(\.eventId.text))).map(
                    Event.init(row:)),
                webhooks: try Self.fetch(db, table: "webhooks", ids: Set(deliveries.map(\.webhookId.text)))
                    .map(Webhook.init(row:)),
                tenants: try Self.fetch(db, table: "tenants", ids: Set(deliveries.map(\.tenantId.text)))
                    .map(Tenant.init(row:)))
        }
    }

    public func settle(_ settlements: [Settlement]) async throws {
        guard !settlements.isEmpty else { return }
        try await pool.write { db in
            for settlement in settlements {
                let attempt = settlement.attempt
                try db.execute(
                    sql: """
                        INSERT OR REPLACE INTO attempts (delivery_id, n, started_at, duration_ms, status_code,
                            response_body, error)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        attempt.deliveryId, attempt.number, Timestamp.millis(attempt.startedAt), attempt.durationMs,
                        attempt.statusCode, attempt.responseBody, attempt.error,
                    ])
                let row = settlement.row
                try db.execute(
                    sql: """
                        UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?, lease_owner = NULL,
                            lease_until = NULL, last_status_code = ?, last_error = ?, settled_at = ?
                        WHERE id = ? AND lease_owner = ? AND status = 'in_flight'
                        """,
                    arguments: [
                        row.status.rawValue, attempt.number, row.nextAttemptAt.map(Timestamp.millis),
                        attempt.statusCode,
                        attempt.error, row.settledAt.map(Timestamp.millis), settlement.deliveryId,
                        settlement.leaseOwner,
                    ])
                // A worker that lost the lease logs its attempt but no longer speaks for the webhook.
                guard db.changesCount > 0 else { continue }
                try Self.apply(
                    settlement.effect, to: settlement.webhookId, at: Timestamp.millis(settlement.endedAt), db)
            }
        }
    }

    public func nextDueDate() async throws -> Date? {
        try await pool.read { db in
            try Int64.fetchOne(
                db,
                sql: """
                    SELECT MIN(due) FROM (
                        SELECT MIN(next_attempt_at) AS due FROM deliveries WHERE status = 'pending'
                        UNION ALL
                        SELECT MIN(lease_until) AS due FROM deliveries WHERE status = 'in_flight')
                    """
            ).map(Timestamp.date(millis:))
        }
    }

    public func workAvailable() -> AsyncStream<Void> { work.subscribe() }

    static func apply(_ effect: DeliveryLifecycle.WebhookEffect, to webhookId: UUID, at millis: Int64, _ db: Database)
        throws
    {
        switch effect {
        case .recovered:
            try db.execute(
                sql: "UPDATE webhooks SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL",
                arguments: [webhookId.text])
        case .failing(let since):
            try db.execute(
                sql: "UPDATE webhooks SET failing_since = COALESCE(failing_since, ?) WHERE id = ?",
                arguments: [Timestamp.millis(since), webhookId.text])
        case .disable(let reason):
            try db.execute(
                sql: "UPDATE webhooks SET is_active = 0, disabled_reason = ?, updated_at = ? WHERE id = ?",
                arguments: [reason, millis, webhookId.text])
        }
    }

    static func fetch(_ db: Database, table: String, ids: some Collection<String>) throws -> [Row] {
        try Row.fetchAll(
            db, sql: "SELECT * FROM \(table) WHERE id IN (\(placeholders(ids.count)))",
            arguments: StatementArguments(Array(ids)))
    }
}

extension SQLiteStore: DeliveryLog {
    public func deliveries(webhookId: UUID, status: Delivery.Status?, page: PageRequest) async throws -> Page<Delivery>
    {
        try await pool.read { db in
            var filter = "WHERE webhook_id = ?"
            var arguments: StatementArguments = [webhookId.text]
            if let status {
                filter += " AND status = ?"
                arguments += [status.rawValue]
            }
            let total =
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM deliveries \(filter)", arguments: arguments) ?? 0
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM deliveries \(filter) ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                arguments: arguments + [page.limit, page.offset])
            return Page(items: try rows.map(Delivery.init(row:)), page: page.page, limit: page.limit, total: total)
        }
    }

    public func delivery(id: String) async throws -> Delivery? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM deliveries WHERE id = ?", arguments: [id]).map(Delivery.init(row:))
        }
    }

    public func attempts(deliveryId: String) async throws -> [DeliveryAttempt] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM attempts WHERE delivery_id = ? ORDER BY n", arguments: [deliveryId]
            )
            .map(DeliveryAttempt.init(row:))
        }
    }

    public func requeue(deliveryId: String, now: Date) async throws -> Delivery? {
        let delivery = try await pool.write { db in
            try Row.fetchOne(
                db,
                sql: """
                    UPDATE deliveries SET status = 'pending', next_attempt_at = ?, settled_at = NULL
                    WHERE id = ? AND status IN ('succeeded', 'failed')
                    RETURNING *
                    """,
                arguments: [Timestamp.millis(now), deliveryId]
            ).map(Delivery.init(row:))
        }
        if delivery != nil { work.announce() }
        return delivery
    }

    public func recover(webhookId: UUID, since: Date, until: Date, now: Date) async throws -> Int {
        let count = try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE deliveries SET status = 'pending', next_attempt_at = ?, settled_at = NULL
                    WHERE webhook_id = ? AND status = 'failed' AND created_at >= ? AND created_at < ?
                    """,
                arguments: [Timestamp.millis(now), webhookId.text, Timestamp.millis(since), Timestamp.millis(until)])
            return db.changesCount
        }
        if count > 0 { work.announce() }
        return count
    }
}
