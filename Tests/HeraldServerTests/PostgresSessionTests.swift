import Foundation
import HeraldCore
import HeraldPostgres
import Logging
import PostgresNIO
import Testing

/// What a statement of Herald's sets on its PostgreSQL session stays in its transaction: the pool
/// hands that connection to whatever statement comes next.
@Suite struct PostgresSessionTests {
    /// A claim runs its statements on generic plans (`plan_cache_mode`, set for its transaction):
    /// once it has committed, its connection plans as PostgreSQL's default says again.
    @Test func aClaimLeavesItsConnectionPlanningAsItFoundIt() async throws {
        try await Backend.postgres.withDatabase { url, _, _ in
            let client = try PostgresStore.client(url: url, maxConnections: 1)
            try await TestPostgres.with(client) { client in
                let store = PostgresStore(client: client, logger: Logger(label: "session-test"))
                let now = Timestamp.now()
                let tenant = try await store.seedTenant(at: now)
                try await store.insertWebhook(try Webhook.active(tenant, at: now))
                try await store.publishARI(tenant, at: now)
                #expect(try await store.claimDue(owner: "w", now: now, lease: 60, limit: 1).count == 1)
                // The pool's one connection, the claim's.
                let mode = try await client.query("SHOW plan_cache_mode").collect().first?.decode(String.self)
                #expect(mode == "auto")
            }
        }
    }
}
