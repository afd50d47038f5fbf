import Foundation
import HeraldCore
import PostgresNIO

extension PostgresStore: EventStore {
    public func ingest(_ events: [Event], tenantId: UUID, now: Date) async throws -> [IngestResult] {
        do {
            return try await ingestOnce(events, tenantId: tenantId, now: now)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            // Another request stored the same idempotency key meanwhile: the retry replays it.
            return try await ingestOnce(events, tenantId: tenantId, now: now)
        }
    }

    func ingestOnce(_ events: [Event], tenantId: UUID, now: Date) async throws -> [IngestResult] {
        let logger = self.logger
        let routes = self.routes
        return try await transaction { connection in
            let facts = try await Self.facts(
                Ingest.reads(for: events, tenantId: tenantId), routes: routes, connection, logger: logger)
            let plan = try Ingest.plan(events, facts: facts, now: now)
            try await Self.write(plan, tenantId: tenantId, connection, logger: logger)
            // Sent with the commit: wakes the workers of every process, this one included.
            if plan.makesWork { try await Self.notifyWorkers(connection, logger: logger) }
            return plan.results
        }
    }

    public func event(id: UUID) async throws -> Event? {
        try await client.query("SELECT * FROM events WHERE id = \(id)", logger: logger).all(Event.init(postgres:)).first
    }

    /// The primitives ingest reads with; snapshots are locked until the commit. Candidate webhooks
    /// come from `routes` where it holds them at the tenant's current webhooks version.
    static func facts(
        _ reads: Ingest.Reads, routes: RouteCache, _ connection: PostgresConnection, logger: Logger
    ) async throws -> Ingest.Facts {
        let tenantId = reads.tenantId
        let tenant = try await connection.query(
            "SELECT demo_mode, webhooks_version FROM tenants WHERE id = \(tenantId)", logger: logger
        ).all { try ($0.value("demo_mode", as: Bool.self), $0.value("webhooks_version", as: Int64.self)) }.first
        var facts = Ingest.Facts(demoMode: tenant?.0)
        guard let version = tenant?.1 else { return facts }
        if !reads.idempotencyKeys.isEmpty {
            let earlier = try await connection.query(
                """
                SELECT e.*, (SELECT COUNT(*) FROM deliveries d WHERE d.event_id = e.id) AS delivery_count
                FROM events e WHERE e.tenant_id = \(tenantId) AND e.idempotency_key = ANY(\(reads.idempotencyKeys))
                """, logger: logger
            ).all { row in
                IngestResult(
                    event: try Event(postgres: row), deliveries: try row.value("delivery_count", as: Int.self),
                    replayed: true)
            }
            for result in earlier { if let key = result.event.idempotencyKey { facts.earlier[key] = result } }
        }
        if !reads.entities.isEmpty {
            let rows = try await connection.query(
                """
                SELECT kind, entity_id, body FROM entity_snapshots WHERE tenant_id = \(tenantId)
                    AND (kind, entity_id) IN (SELECT * FROM UNNEST(\(reads.entities.map(\.kind))::text[],
                        \(reads.entities.map(\.id))::text[]))
                ORDER BY kind, entity_id
                FOR UPDATE
                """, logger: logger
            ).all { row in
                (
                    EntityKey(kind: try row.value("kind"), id: try row.value("entity_id")),
                    try row.value("body", as: String.self)
                )
            }
            for (key, body) in rows { facts.snapshots[key] = try? JSONValue.decode(body) }
        }
        var (scopes, missing) = routes.lookup(tenantId: tenantId, propertyIds: reads.propertyIds, version: version)
        if !missing.isEmpty {
            let properties = missing.compactMap(\.propertyId)
            let globals = missing.contains { $0.propertyId == nil }
            var loaded = Dictionary(uniqueKeysWithValues: missing.map { ($0, [WebhookRoute]()) })
            for route in try await connection.query(
                """
                SELECT id, tenant_id, property_id, is_global, is_active, receives_test_events, event_mask, callback_url
                FROM webhooks WHERE tenant_id = \(tenantId) AND is_active
                    AND ((is_global AND \(globals)) OR property_id = ANY(\(properties)))
                """, logger: logger
            ).all(WebhookRoute.init(postgres:)) {
                loaded[
                    RouteCache.Key(tenantId: tenantId, propertyId: route.isGlobal ? nil : route.propertyId), default: []
                ]
                .append(route)
            }
            routes.store(loaded, version: version)
            scopes.merge(loaded) { _, read in read }
        }
        facts.webhooks = RouteCache.candidates(tenantId: tenantId, propertyIds: reads.propertyIds, scopes: scopes)
        return facts
    }

    /// The primitives ingest writes with.
    static func write(_ plan: Ingest.Plan, tenantId: UUID, _ connection: PostgresConnection, logger: Logger)
        async throws
    {
        for snapshot in plan.snapshots {
            try await connection.query(
                """
                INSERT INTO entity_snapshots (tenant_id, kind, entity_id, body, updated_at)
                VALUES (\(tenantId), \(snapshot.key.kind), \(snapshot.key.id), \(snapshot.body.encodedString()),
                    \(Timestamp.millis(snapshot.updatedAt)))
                ON CONFLICT (tenant_id, kind, entity_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at
                """, logger: logger)
        }
        for event in plan.events {
            try await connection.query(
                """
                INSERT INTO events (id, tenant_id, property_id, name, user_id, payload, occurred_at, idempotency_key,
                    test, created_at)
                VALUES (\(event.id), \(event.tenantId), \(event.propertyId), \(event.name), \(event.userId),
                    \(event.payload.encodedString()), \(Timestamp.millis(event.occurredAt)), \(event.idempotencyKey),
                    \(event.isTest), \(Timestamp.millis(event.createdAt)))
                """, logger: logger)
        }
        for delivery in plan.deliveries {
            try await connection.query(
                """
                INSERT INTO deliveries (id, event_id, webhook_id, tenant_id, event_name, ari_filters, status, attempts,
                    next_attempt_at, created_at)
                VALUES (\(delivery.id), \(delivery.eventId), \(delivery.webhookId), \(delivery.tenantId),
                    \(delivery.eventName), \(delivery.ariFiltersText), \(delivery.status.rawValue), \(delivery.attempts),
                    \(delivery.nextAttemptAt.map(Timestamp.millis)), \(Timestamp.millis(delivery.createdAt)))
                """, logger: logger)
        }
    }
}
