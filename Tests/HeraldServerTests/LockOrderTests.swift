import Foundation
import HeraldCore
import HeraldPostgres
import PostgresNIO
import Testing

/// PostgreSQL takes row locks in the order statements reach rows; two transactions that take the
/// same rows in opposite orders deadlock, and PostgreSQL aborts one of them.
@Suite struct LockOrderTests {
    /// A webhook deleted while one of its deliveries settles: the delete takes the webhook, then
    /// its deliveries (cascade). The settle waits for the webhook before it touches a delivery, so
    /// the delete goes through; the settle then finds its delivery gone.
    @Test func aSettleWaitsForAWebhookDeleteRatherThanDeadlocking() async throws {
        try await Backend.postgres.withDatabase { url, store, _ in
            let now = Timestamp.now()
            let tenant = try await store.seedTenant(at: now)
            let webhook = try Webhook.active(tenant, at: now)
            try await store.insertWebhook(webhook)
            try await store.publishARI(tenant, at: now)
            let job = try #require(try await store.claimDue(owner: "w", now: now, lease: 60, limit: 1).first)
            let settlement = Settlement(
                deliveryId: job.delivery.id, webhookId: webhook.id, leaseOwner: "w",
                attempt: DeliveryAttempt(
                    deliveryId: job.delivery.id, number: 1, startedAt: now, durationMs: 5, statusCode: 503,
                    responseBody: nil, error: nil),
                next: .retry(at: now.addingTimeInterval(60)), effect: .failing(since: now), signal: .unhealthy)

            let deleter = try PostgresStore.client(url: url, maxConnections: 1)
            try await TestPostgres.with(deleter) { deleter in
                try await deleter.withConnection { connection in
                    let logger = Logger(label: "lock-order-test")
                    // The delete's first lock: the webhook row.
                    try await connection.query("BEGIN", logger: logger)
                    try await connection.query(
                        "SELECT 1 FROM webhooks WHERE id = \(webhook.id) FOR UPDATE", logger: logger)
                    let settling = Task { try await store.settle([settlement]) }
                    // Until the settle waits on a lock (PostgreSQL's own view of it, not a sleep).
                    let waiting = try await Self.someoneWaitsOnALock(connection, logger: logger)
                    #expect(waiting, "the settle never waited on the webhook")
                    // The rest of the delete: the webhook's deliveries go with it. With the settle
                    // holding the delivery and waiting for the webhook, this was a deadlock.
                    try await connection.query("DELETE FROM webhooks WHERE id = \(webhook.id)", logger: logger)
                    try await connection.query("COMMIT", logger: logger)
                    // The settle's delivery is gone: it fails for that (its attempt cannot be
                    // logged), not for a deadlock.
                    let outcome = await settling.result
                    if case .failure(let error) = outcome {
                        #expect((error as? PSQLError)?.serverInfo?[.sqlState] != "40P01", "deadlock: \(error)")
                    }
                }
            }
            #expect(try await store.delivery(id: job.delivery.id) == nil)
            #expect(try await store.webhook(id: webhook.id) == nil)
        }
    }

    /// A tenant deleted while a settle disables one of its webhooks: the settle holds the webhook
    /// and its delivery, then the version trigger takes the tenant row. The delete takes the
    /// webhooks first too, so it waits for the settle instead of holding the tenant against it.
    @Test func aTenantDeleteWaitsForASettleThatDisablesItsWebhook() async throws {
        try await Backend.postgres.withDatabase { url, store, _ in
            let now = Timestamp.now()
            let tenant = try await store.seedTenant(at: now)
            let webhook = try Webhook.active(tenant, at: now)
            try await store.insertWebhook(webhook)

            let settler = try PostgresStore.client(url: url, maxConnections: 1)
            try await TestPostgres.with(settler) { settler in
                try await settler.withConnection { connection in
                    let logger = Logger(label: "lock-order-test")
                    // What a settle that disables the webhook holds before the trigger's update.
                    try await connection.query("BEGIN", logger: logger)
                    try await connection.query(
                        "SELECT 1 FROM webhooks WHERE id = \(webhook.id) FOR NO KEY UPDATE", logger: logger)
                    let deleting = Task { try await store.deleteTenant(id: tenant.id) }
                    let waiting = try await Self.someoneWaitsOnALock(connection, logger: logger)
                    #expect(waiting, "the delete never waited on the webhook")
                    // The disable and the trigger's update of the tenant row.
                    try await connection.query(
                        "UPDATE webhooks SET is_active = false WHERE id = \(webhook.id)", logger: logger)
                    try await connection.query("COMMIT", logger: logger)
                    try await deleting.value
                }
            }
            #expect(try await store.tenant(id: tenant.id) == nil)
            #expect(try await store.webhook(id: webhook.id) == nil)
        }
    }

    /// Whether, within five seconds, another session of this database waits on a lock (as
    /// PostgreSQL itself reports it: no sleep stands in for the other side's progress).
    static func someoneWaitsOnALock(_ connection: PostgresConnection, logger: Logger) async throws -> Bool {
        for _ in 0..<500 {
            let rows = try await connection.query(
                """
                SELECT count(*) FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock'
                """, logger: logger
            ).collect()
            if try rows.first?.decode(Int.self) ?? 0 > 0 { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }
}
