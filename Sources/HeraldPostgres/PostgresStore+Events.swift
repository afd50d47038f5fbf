import Foundation
import HeraldCore
import PostgresNIO

extension PostgresStore: EventStore {
    public func ingest(_ events: [Event], tenantId: UUID, now: Date) async throws -> [IngestResult] {
        do {
            return try await ingestOnce(events, tenantId: tenantId, now: now)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            // Another process stored the same idempotency key meanwhile: the retry replays it.
            return try await ingestOnce(events, tenantId: tenantId, now: now)
        }
    }

    func ingestOnce(_ events: [Event], tenantId: UUID, now: Date) async throws -> [IngestResult] {
        let logger = self.logger
        let results = try await client.withTransaction(logger: logger) { connection -> [IngestResult] in
            guard
                let demo = try await connection.query(
                    "SELECT demo_mode FROM tenants WHERE id = \(tenantId)", logger: logger
                )
                .all({ try $0.value("demo_mode", as: Bool.self) }).first
            else { throw StoreError.notFound }
            var candidates: [UUID?: [Webhook]] = [:]
            var results: [IngestResult] = []
            var keysInBatch: [String: IngestResult] = [:]
            for var event in events {
                if let key = event.idempotencyKey {
                    if let earlier = keysInBatch[key] {
                        results.append(
                            IngestResult(event: earlier.event, deliveries: earlier.deliveries, replayed: true))
                        continue
                    }
                    if let earlier = try await Self.replay(connection, tenantId: tenantId, key: key, logger: logger) {
                        results.append(earlier)
                        continue
                    }
                }
                event.payload = try await Self.diffAgainstLastState(event, connection, logger: logger)
                try await Self.insert(event, connection, logger: logger)
                var made = 0
                if !demo {
                    if candidates[event.propertyId] == nil {
                        candidates[event.propertyId] = try await Self.activeWebhooks(
                            connection, tenantId: tenantId, propertyId: event.propertyId, logger: logger)
                    }
                    let deliveries = FanOut.deliveries(of: event, among: candidates[event.propertyId] ?? [], now: now)
                    for delivery in deliveries { try await Self.insert(delivery, connection, logger: logger) }
                    made = deliveries.count
                }
                let result = IngestResult(event: event, deliveries: made, replayed: false)
                if let key = event.idempotencyKey { keysInBatch[key] = result }
                results.append(result)
            }
            if results.contains(where: { $0.deliveries > 0 && !$0.replayed }) {
                // Delivered with the commit: wakes idle workers of every process.
                try await connection.query("SELECT pg_notify(\(Self.wakeChannel), '')", logger: logger)
            }
            return results
        }
        return results
    }

    public func event(id: UUID) async throws -> Event? {
        try await client.query("SELECT * FROM events WHERE id = \(id)", logger: logger).all(Event.init(postgres:)).first
    }

    static func replay(_ connection: PostgresConnection, tenantId: UUID, key: String, logger: Logger) async throws
        -> IngestResult?
    {
        guard
            let event = try await connection.query(
                "SELECT * FROM events WHERE tenant_id = \(tenantId) AND idempotency_key = \(key)", logger: logger
            ).all(Event.init(postgres:)).first
        else { return nil }
        let count =
            try await connection.query(
                "SELECT COUNT(*) AS n FROM deliveries WHERE event_id = \(event.id)", logger: logger
            )
            .all { try $0.value("n", as: Int.self) }.first ?? 0
        return IngestResult(event: event, deliveries: count, replayed: true)
    }

    static func diffAgainstLastState(_ event: Event, _ connection: PostgresConnection, logger: Logger) async throws
        -> JSONValue
    {
        guard let entity = OctoEntity.of(event: event.name, payload: event.payload) else { return event.payload }
        let kind = (event.isTest ? "test:" : "") + entity.kind
        let previous = try await connection.query(
            """
            SELECT body FROM entity_snapshots WHERE tenant_id = \(event.tenantId) AND kind = \(kind)
                AND entity_id = \(entity.id) FOR UPDATE
            """, logger: logger
        ).all { try $0.value("body", as: String.self) }.first
        try await connection.query(
            """
            INSERT INTO entity_snapshots (tenant_id, kind, entity_id, body, updated_at)
            VALUES (\(event.tenantId), \(kind), \(entity.id), \(entity.body.encodedString()), \(Timestamp.millis(event.createdAt)))
            ON CONFLICT (tenant_id, kind, entity_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at
            """, logger: logger)
        return OctoEntity.withDiff(
            event.payload, entity: entity, previous: previous.flatMap { try? JSONValue.decode($0) })
    }

    static func activeWebhooks(_ connection: PostgresConnection, tenantId: UUID, propertyId: UUID?, logger: Logger)
        async throws -> [Webhook]
    {
        try await connection.query(
            """
            SELECT * FROM webhooks WHERE tenant_id = \(tenantId) AND is_active AND (property_id = \(propertyId) OR is_global)
            """, logger: logger
        ).all(Webhook.init(postgres:))
    }

    static func insert(_ event: Event, _ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO events (id, tenant_id, property_id, name, user_id, payload, occurred_at, idempotency_key, test,
                created_at)
            VALUES (\(event.id), \(event.tenantId), \(event.propertyId), \(event.name), \(event.userId),
                \(event.payload.encodedString()), \(Timestamp.millis(event.occurredAt)), \(event.idempotencyKey),
                \(event.isTest), \(Timestamp.millis(event.createdAt)))
            """, logger: logger)
    }

    static func insert(_ delivery: Delivery, _ connection: PostgresConnection, logger: Logger) async throws {
        let filters =
            delivery.ariFilters.isEmpty ? nil : JSONValue.array(delivery.ariFilters.map(\.json)).encodedString()
        try await connection.query(
            """
            INSERT INTO deliveries (id, event_id, webhook_id, tenant_id, event_name, ari_filters, status, attempts,
                next_attempt_at, created_at)
            VALUES (\(delivery.id), \(delivery.eventId), \(delivery.webhookId), \(delivery.tenantId), \(delivery.eventName),
                \(filters), \(delivery.status.rawValue), \(delivery.attempts), \(delivery.nextAttemptAt.map(Timestamp.millis)),
                \(Timestamp.millis(delivery.createdAt)))
            """, logger: logger)
    }
}
