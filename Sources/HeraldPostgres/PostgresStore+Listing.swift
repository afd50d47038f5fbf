import Foundation
import HeraldCore
import PostgresNIO

/// The tenant-wide lists: events with their deliveries counted, and deliveries.
extension PostgresStore {
    public func listEvents(_ query: EventQuery) async throws -> Page<EventSummary> {
        var statement = StatementBuilder()
        if let tenantId = query.tenantId { statement.conditions.append("tenant_id = \(try statement.bind(tenantId))") }
        if let scope = query.propertyScope {
            statement.conditions.append("property_id = ANY(\(try statement.bind(Array(scope))))")
        }
        if let name = query.name { statement.conditions.append("name = \(try statement.bind(name))") }
        if let propertyId = query.propertyId {
            statement.conditions.append("property_id = \(try statement.bind(propertyId))")
        }
        if let since = query.since {
            statement.conditions.append("created_at >= \(try statement.bind(Timestamp.millis(since)))")
        }
        if let until = query.until {
            statement.conditions.append("created_at < \(try statement.bind(Timestamp.millis(until)))")
        }
        let page = try await fetchPage(
            of: "events", statement, page: query.page, order: "created_at DESC, id DESC", make: Event.init(postgres:))
        let ids = page.items.map(\.id)
        var counts: [UUID: [Delivery.Status: Int]] = [:]
        for try await (id, status, count) in try await client.query(
            "SELECT event_id, status, COUNT(*) FROM deliveries WHERE event_id = ANY(\(ids)) GROUP BY 1, 2",
            logger: logger
        ).decode((UUID, String, Int).self) {
            guard let status = Delivery.Status(rawValue: status) else { continue }
            counts[id, default: [:]][status] = count
        }
        var deferred: [UUID: Int] = [:]
        for try await (id, size) in try await client.query(
            "SELECT event_id, SUM(size)::bigint FROM fan_outs WHERE event_id = ANY(\(ids)) GROUP BY 1", logger: logger
        ).decode((UUID, Int).self) {
            deferred[id] = size
        }
        return Page(
            items: page.items.map {
                EventSummary(event: $0, deliveries: counts[$0.id] ?? [:], deferred: deferred[$0.id] ?? 0)
            }, page: page.page, limit: page.limit, total: page.total)
    }

    public func listDeliveries(_ query: DeliveryQuery) async throws -> Page<Delivery> {
        var statement = StatementBuilder()
        if let tenantId = query.tenantId { statement.conditions.append("tenant_id = \(try statement.bind(tenantId))") }
        if let scope = query.propertyScope {
            statement.conditions.append(
                "webhook_id IN (SELECT id FROM webhooks WHERE property_id = ANY(\(try statement.bind(Array(scope)))))")
        } else if !query.includeGlobal {
            statement.conditions.append("webhook_id IN (SELECT id FROM webhooks WHERE property_id IS NOT NULL)")
        }
        if let status = query.status { statement.conditions.append("status = \(try statement.bind(status.rawValue))") }
        if let eventId = query.eventId { statement.conditions.append("event_id = \(try statement.bind(eventId))") }
        if let webhookId = query.webhookId {
            statement.conditions.append("webhook_id = \(try statement.bind(webhookId))")
        }
        if let eventName = query.eventName {
            statement.conditions.append("event_name = \(try statement.bind(eventName))")
        }
        if let since = query.since {
            statement.conditions.append("created_at >= \(try statement.bind(Timestamp.millis(since)))")
        }
        if let until = query.until {
            statement.conditions.append("created_at < \(try statement.bind(Timestamp.millis(until)))")
        }
        return try await fetchPage(
            of: "deliveries", statement, page: query.page, order: "created_at DESC, id DESC",
            make: Delivery.init(postgres:))
    }

    public func purge(before cutoff: Date, limit: Int) async throws -> Int {
        // Deliveries and their attempts go with their events (ON DELETE CASCADE). SKIP LOCKED:
        // two processes purging take different events.
        try await client.query(
            """
            DELETE FROM events WHERE id IN (
                SELECT e.id FROM events e
                WHERE e.created_at < \(Timestamp.millis(cutoff))
                    AND NOT EXISTS (
                        SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status IN ('pending', 'in_flight'))
                    AND NOT EXISTS (SELECT 1 FROM fan_outs f WHERE f.event_id = e.id)
                ORDER BY e.created_at LIMIT \(limit)
                FOR UPDATE SKIP LOCKED)
            RETURNING 1
            """, logger: logger
        ).all { _ in 1 }.count
    }
}
