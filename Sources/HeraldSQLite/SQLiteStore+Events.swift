import Foundation
import GRDB
import HeraldCore

extension SQLiteStore: EventStore {
    public func ingest(_ events: [Event], tenantId: UUID, now: Date) async throws -> [IngestResult] {
        try await pool.write { db in
            let demo = try Bool.fetchOne(
                db, sql: "SELECT demo_mode FROM tenants WHERE id = ?", arguments: [tenantId.text])
            guard let demo else { throw StoreError.notFound }
            // Candidates are read once per property, then matched in memory.
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
                    if let earlier = try Self.replay(db, tenantId: tenantId, key: key) {
                        results.append(earlier)
                        continue
                    }
                }
                event.payload = try Self.diffAgainstLastState(event, db)
                try Self.insert(event, db)
                var made = 0
                if !demo {
                    if candidates[event.propertyId] == nil {
                        candidates[event.propertyId] = try Self.activeWebhooks(
                            db, tenantId: tenantId, propertyId: event.propertyId)
                    }
                    let deliveries = FanOut.deliveries(of: event, among: candidates[event.propertyId] ?? [], now: now)
                    for delivery in deliveries { try Self.insert(delivery, db) }
                    made = deliveries.count
                }
                let result = IngestResult(event: event, deliveries: made, replayed: false)
                if let key = event.idempotencyKey { keysInBatch[key] = result }
                results.append(result)
            }
            return results
        }
    }

    public func event(id: UUID) async throws -> Event? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM events WHERE id = ?", arguments: [id.text]).map(Event.init(row:))
        }
    }

    /// For OCTO entity events without a `diff`: the diff against the last state of the same entity,
    /// which this event then becomes. Test events keep their own states.
    static func diffAgainstLastState(_ event: Event, _ db: Database) throws -> JSONValue {
        guard let entity = OctoEntity.of(event: event.name, payload: event.payload) else { return event.payload }
        let kind = (event.isTest ? "test:" : "") + entity.kind
        let previous = try String.fetchOne(
            db, sql: "SELECT body FROM entity_snapshots WHERE tenant_id = ? AND kind = ? AND entity_id = ?",
            arguments: [event.tenantId.text, kind, entity.id])
        try db.execute(
            sql: """
                INSERT INTO entity_snapshots (tenant_id, kind, entity_id, body, updated_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (tenant_id, kind, entity_id) DO UPDATE SET body = excluded.body,
                    updated_at = excluded.updated_at
                """,
            arguments: [
                event.tenantId.text, kind, entity.id, entity.body.encodedString(), Timestamp.millis(event.createdAt),
            ])
        return OctoEntity.withDiff(
            event.payload, entity: entity, previous: previous.flatMap { try? JSONValue.decode($0) })
    }

    static func replay(_ db: Database, tenantId: UUID, key: String) throws -> IngestResult? {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT * FROM events WHERE tenant_id = ? AND idempotency_key = ?",
                arguments: [tenantId.text, key])
        else { return nil }
        let event = try Event(row: row)
        let count =
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM deliveries WHERE event_id = ?", arguments: [event.id.text]) ?? 0
        return IngestResult(event: event, deliveries: count, replayed: true)
    }

    static func activeWebhooks(_ db: Database, tenantId: UUID, propertyId: UUID?) throws -> [Webhook] {
        let rows: [Row]
        if let propertyId {
            rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM webhooks WHERE tenant_id = ? AND is_active = 1 AND property_id = ?
                    UNION ALL
                    SELECT * FROM webhooks WHERE tenant_id = ? AND is_active = 1 AND is_global = 1
                    """,
                arguments: [tenantId.text, propertyId.text, tenantId.text])
        } else {
            rows = try Row.fetchAll(
                db, sql: "SELECT * FROM webhooks WHERE tenant_id = ? AND is_active = 1 AND is_global = 1",
                arguments: [tenantId.text])
        }
        return try rows.map(Webhook.init(row:))
    }

    static func insert(_ event: Event, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO events (id, tenant_id, property_id, name, user_id, payload, occurred_at, idempotency_key,
                    test, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                event.id.text, event.tenantId.text, event.propertyId?.text, event.name, event.userId,
                event.payload.encodedString(), Timestamp.millis(event.occurredAt), event.idempotencyKey, event.isTest,
                Timestamp.millis(event.createdAt),
            ])
    }

    static func insert(_ delivery: Delivery, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO deliveries (id, event_id, webhook_id, tenant_id, event_name, ari_filters, status, attempts,
                    next_attempt_at, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                delivery.id, delivery.eventId.text, delivery.webhookId.text, delivery.tenantId.text,
                delivery.eventName,
                delivery.ariFilters.isEmpty ? nil : JSONValue.array(delivery.ariFilters.map(\.json)).encodedString(),
                delivery.status.rawValue, delivery.attempts, delivery.nextAttemptAt.map(Timestamp.millis),
                Timestamp.millis(delivery.createdAt),
            ])
    }
}
