import Foundation
import GRDB
import HeraldCore

/// The tenant-wide lists: events with their deliveries counted, and deliveries.
extension SQLiteStore {
    public func listEvents(_ query: EventQuery) async throws -> Page<EventSummary> {
        try await pool.read { db in
            var conditions: [String] = []
            var arguments = StatementArguments()
            func add(_ condition: String, _ values: [(any DatabaseValueConvertible)?]) {
                conditions.append(condition)
                arguments += StatementArguments(values)
            }
            if let tenantId = query.tenantId { add("tenant_id = ?", [tenantId.text]) }
            if let scope = query.propertyScope {
                add("property_id IN (\(Self.placeholders(scope.count)))", scope.map(\.text))
            }
            if let name = query.name { add("name = ?", [name]) }
            if let propertyId = query.propertyId { add("property_id = ?", [propertyId.text]) }
            if let since = query.since { add("created_at >= ?", [Timestamp.millis(since)]) }
            if let until = query.until { add("created_at < ?", [Timestamp.millis(until)]) }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events \(filter)", arguments: arguments) ?? 0
            let events = try Row.fetchAll(
                db, sql: "SELECT * FROM events \(filter) ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                arguments: arguments + [query.page.limit, query.page.offset]
            ).map(Event.init(row:))
            let ids = StatementArguments(events.map(\.id.text))
            let list = Self.placeholders(events.count)
            var counts: [UUID: [Delivery.Status: Int]] = [:]
            for row in try Row.fetchAll(
                db,
                sql: "SELECT event_id, status, COUNT(*) AS n FROM deliveries WHERE event_id IN (\(list)) GROUP BY 1, 2",
                arguments: ids)
            {
                guard let id = UUID(text: row["event_id"] as String),
                    let status = Delivery.Status(rawValue: row["status"])
                else { continue }
                counts[id, default: [:]][status] = row["n"]
            }
            var deferred: [UUID: Int] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT event_id, SUM(size) AS n FROM fan_outs WHERE event_id IN (\(list)) GROUP BY 1",
                arguments: ids)
            {
                if let id = UUID(text: row["event_id"] as String) { deferred[id] = row["n"] }
            }
            return Page(
                items: events.map {
                    EventSummary(event: $0, deliveries: counts[$0.id] ?? [:], deferred: deferred[$0.id] ?? 0)
                }, page: query.page.page, limit: query.page.limit, total: total)
        }
    }

    public func listDeliveries(_ query: DeliveryQuery) async throws -> Page<Delivery> {
        try await pool.read { db in
            var conditions: [String] = []
            var arguments = StatementArguments()
            func add(_ condition: String, _ values: [(any DatabaseValueConvertible)?]) {
                conditions.append(condition)
                arguments += StatementArguments(values)
            }
            if let tenantId = query.tenantId { add("tenant_id = ?", [tenantId.text]) }
            if let scope = query.propertyScope {
                add(
                    "webhook_id IN (SELECT id FROM webhooks WHERE property_id IN (\(Self.placeholders(scope.count))))",
                    scope.map(\.text))
            } else if !query.includeGlobal {
                add("webhook_id IN (SELECT id FROM webhooks WHERE property_id IS NOT NULL)", [])
            }
            if let status = query.status { add("status = ?", [status.rawValue]) }
            if let eventId = query.eventId { add("event_id = ?", [eventId.text]) }
            if let webhookId = query.webhookId { add("webhook_id = ?", [webhookId.text]) }
            if let eventName = query.eventName { add("event_name = ?", [eventName]) }
            if let since = query.since { add("created_at >= ?", [Timestamp.millis(since)]) }
            if let until = query.until { add("created_at < ?", [Timestamp.millis(until)]) }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let total =
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM deliveries \(filter)", arguments: arguments) ?? 0
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM deliveries \(filter) ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                arguments: arguments + [query.page.limit, query.page.offset])
            return Page(
                items: try rows.map(Delivery.init(row:)), page: query.page.page, limit: query.page.limit, total: total)
        }
    }

    public func purge(before cutoff: Date, limit: Int) async throws -> Int {
        try await pool.write { db in
            // Deliveries and their attempts go with their events (ON DELETE CASCADE).
            try db.execute(
                sql: """
                    DELETE FROM events WHERE rowid IN (
                        SELECT e.rowid FROM events e
                        WHERE e.created_at < ?
                            AND NOT EXISTS (
                                SELECT 1 FROM deliveries d
                                WHERE d.event_id = e.id AND d.status IN ('pending', 'in_flight'))
                            AND NOT EXISTS (SELECT 1 FROM fan_outs f WHERE f.event_id = e.id)
                        ORDER BY e.created_at LIMIT ?)
                    """,
                arguments: [Timestamp.millis(cutoff), limit])
            return db.changesCount
        }
    }
}
