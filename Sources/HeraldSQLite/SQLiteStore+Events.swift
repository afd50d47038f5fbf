import Foundation
import GRDB
import HeraldCore

extension SQLiteStore: EventStore {
    public func ingest(_ events: [Event], tenantId: UUID, now: Date) async throws -> [IngestResult] {
        let plan = try await pool.write { db in
            let plan = try Ingest.plan(
                events, facts: try Self.facts(Ingest.reads(for: events, tenantId: tenantId), db), now: now)
            try Self.write(plan, tenantId: tenantId, db)
            return plan
        }
        if plan.makesWork { work.announce() }
        return plan.results
    }

    public func event(id: UUID) async throws -> Event? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM events WHERE id = ?", arguments: [id.text]).map(Event.init(row:))
        }
    }

    /// The primitives ingest reads with.
    static func facts(_ reads: Ingest.Reads, _ db: Database) throws -> Ingest.Facts {
        let tenant = reads.tenantId.text
        var facts = Ingest.Facts(
            demoMode: try Bool.fetchOne(db, sql: "SELECT demo_mode FROM tenants WHERE id = ?", arguments: [tenant]))
        for key in reads.idempotencyKeys {
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT e.*, (SELECT COUNT(*) FROM deliveries d WHERE d.event_id = e.id) AS delivery_count
                        FROM events e WHERE e.tenant_id = ? AND e.idempotency_key = ?
                        """,
                    arguments: [tenant, key])
            else { continue }
            facts.earlier[key] = IngestResult(
                event: try Event(row: row), deliveries: row["delivery_count"], replayed: true)
        }
        for entity in reads.entities {
            let body = try String.fetchOne(
                db, sql: "SELECT body FROM entity_snapshots WHERE tenant_id = ? AND kind = ? AND entity_id = ?",
                arguments: [tenant, entity.kind, entity.id])
            facts.snapshots[entity] = body.flatMap { try? JSONValue.decode($0) }
        }
        for propertyId in reads.propertyIds {
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM webhooks WHERE tenant_id = ? AND is_active = 1 AND property_id = ?
                    UNION ALL
                    SELECT * FROM webhooks WHERE tenant_id = ? AND is_active = 1 AND is_global = 1
                    """,
                arguments: [tenant, propertyId?.text, tenant])
            facts.webhooks[propertyId] = try rows.map(Webhook.init(row:))
        }
        return facts
    }

    /// The primitives ingest writes with.
    static func write(_ plan: Ingest.Plan, tenantId: UUID, _ db: Database) throws {
        for snapshot in plan.snapshots {
            try db.execute(
                sql: """
                    INSERT INTO entity_snapshots (tenant_id, kind, entity_id, body, updated_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (tenant_id, kind, entity_id) DO UPDATE SET body = excluded.body,
                        updated_at = excluded.updated_at
                    """,
                arguments: [
                    tenantId.text, snapshot.key.kind, snapshot.key.id, snapshot.body.encodedString(),
                    Timestamp.millis(snapshot.updatedAt),
                ])
        }
        for event in plan.events {
            try db.execute(
                sql: """
                    INSERT INTO events (id, tenant_id, property_id, name, user_id, payload, occurred_at,
                        idempotency_key, test, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    event.id.text, event.tenantId.text, event.propertyId?.text, event.name, event.userId,
                    event.payload.encodedString(), Timestamp.millis(event.occurredAt), event.idempotencyKey,
                    event.isTest, Timestamp.millis(event.createdAt),
                ])
        }
        for delivery in plan.deliveries {
            try db.execute(
                sql: """
                    INSERT INTO deliveries (id, event_id, webhook_id, tenant_id, event_name, ari_filters, status,
                        attempts, next_attempt_at, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    delivery.id, delivery.eventId.text, delivery.webhookId.text, delivery.tenantId.text,
                    delivery.eventName, delivery.ariFiltersText, delivery.status.rawValue, delivery.attempts,
                    delivery.nextAttemptAt.map(Timestamp.millis), Timestamp.millis(delivery.createdAt),
                ])
        }
    }
}
