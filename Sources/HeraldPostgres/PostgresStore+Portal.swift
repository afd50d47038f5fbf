import Foundation
import HeraldCore
import PostgresNIO

extension PostgresStore: PortalStore {
    public func insertPortalLink(_ link: PortalLink) async throws {
        let ids = link.propertyIds.map { JSONValue.array($0.map { .string($0.text) }).encodedString() }
        try await client.query(
            """
            INSERT INTO portal_links
                (id, tenant_id, role, property_ids, token_hash, created_by, created_at, expires_at)
            VALUES (\(link.id), \(link.tenantId), \(link.role.rawValue), \(ids), \(link.tokenHash), \(link.createdBy),
                \(Timestamp.millis(link.createdAt)), \(Timestamp.millis(link.expiresAt)))
            """, logger: logger)
    }

    public func portalLink(id: UUID) async throws -> PortalLink? {
        try await client.query("SELECT * FROM portal_links WHERE id = \(id)", logger: logger)
            .all(PortalLink.init(postgres:)).first
    }

    public func listPortalLinks(tenantId: UUID?, page: PageRequest) async throws -> Page<PortalLink> {
        var statement = StatementBuilder()
        if let tenantId { statement.conditions.append("tenant_id = \(try statement.bind(tenantId))") }
        return try await fetchPage(
            of: "portal_links", statement, page: page, order: "created_at DESC, id DESC",
            make: PortalLink.init(postgres:))
    }

    public func redeemPortalLink(tokenHash: String, now: Date) async throws -> PortalLink? {
        let millis = Timestamp.millis(now)
        // One UPDATE: of concurrent callers, the first to mark it used gets the row back.
        return try await client.query(
            """
            UPDATE portal_links SET used_at = \(millis)
            WHERE token_hash = \(tokenHash) AND used_at IS NULL AND revoked_at IS NULL AND expires_at > \(millis)
            RETURNING *
            """, logger: logger
        ).all(PortalLink.init(postgres:)).first
    }

    public func revokePortalLink(id: UUID, at date: Date) async throws {
        let rows = try await client.query(
            """
            UPDATE portal_links SET revoked_at = COALESCE(revoked_at, \(Timestamp.millis(date)))
            WHERE id = \(id) RETURNING id
            """, logger: logger
        ).all { _ in 1 }
        if rows.isEmpty { throw StoreError.notFound }
    }

    public func putPortalSession(key: String, value: String, expiresAt: Date?, _ write: PortalSessionWrite)
        async throws -> Bool
    {
        let rows: [Int]
        switch (write, expiresAt) {
        case (.create, let expiresAt?):
            rows = try await client.query(
                """
                INSERT INTO portal_sessions (key, value, expires_at) VALUES (\(key), \(value), \(Timestamp.millis(expiresAt)))
                ON CONFLICT DO NOTHING RETURNING 1 AS written
                """, logger: logger
            ).all { _ in 1 }
        case (.replace, let expiresAt?):
            rows = try await client.query(
                """
                INSERT INTO portal_sessions (key, value, expires_at) VALUES (\(key), \(value), \(Timestamp.millis(expiresAt)))
                ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
                RETURNING 1 AS written
                """, logger: logger
            ).all { _ in 1 }
        case (.update, let expiresAt?):
            rows = try await client.query(
                """
                UPDATE portal_sessions SET value = \(value), expires_at = \(Timestamp.millis(expiresAt))
                WHERE key = \(key) RETURNING 1 AS written
                """, logger: logger
            ).all { _ in 1 }
        case (.update, nil):
            rows = try await client.query(
                "UPDATE portal_sessions SET value = \(value) WHERE key = \(key) RETURNING 1 AS written", logger: logger
            ).all { _ in 1 }
        case (.create, nil), (.replace, nil):
            return false
        }
        return rows.count == 1
    }

    public func portalSession(key: String, now: Date) async throws -> (value: String, expiresAt: Date)? {
        try await client.query(
            """
            SELECT value, expires_at FROM portal_sessions WHERE key = \(key) AND expires_at > \(Timestamp.millis(now))
            """, logger: logger
        ).all { row in (try row.value("value", as: String.self), try row.date("expires_at")) }.first
    }

    public func deletePortalSession(key: String) async throws {
        try await client.query("DELETE FROM portal_sessions WHERE key = \(key)", logger: logger)
    }

    public func purgePortal(sessionsBefore: Date, linksBefore: Date, limit: Int) async throws -> Int {
        let sessions = try await client.query(
            """
            DELETE FROM portal_sessions WHERE key IN (
                SELECT key FROM portal_sessions WHERE expires_at < \(Timestamp.millis(sessionsBefore)) ORDER BY expires_at LIMIT \(limit))
            RETURNING 1 AS gone
            """, logger: logger
        ).all { _ in 1 }
        let links = try await client.query(
            """
            DELETE FROM portal_links WHERE id IN (
                SELECT id FROM portal_links WHERE expires_at < \(Timestamp.millis(linksBefore)) ORDER BY expires_at LIMIT \(limit))
            RETURNING 1 AS gone
            """, logger: logger
        ).all { _ in 1 }
        return sessions.count + links.count
    }

    public func deliveryCounts(webhookIds: [UUID], since: Date) async throws -> [DeliveryCount] {
        guard !webhookIds.isEmpty else { return [] }
        return try await client.query(
            """
            SELECT webhook_id, created_at / 3600000 AS hour, status, COUNT(*) AS n FROM deliveries
            WHERE webhook_id = ANY(\(webhookIds)) AND created_at >= \(Timestamp.millis(since))
            GROUP BY 1, 2, 3
            """, logger: logger
        ).all { row in
            guard let status = Delivery.Status(rawValue: try row.value("status")) else {
                throw CorruptRow(table: "deliveries", column: "status")
            }
            return DeliveryCount(
                webhookId: try row.value("webhook_id"),
                hour: Timestamp.date(millis: try row.value("hour", as: Int64.self) * 3_600_000), status: status,
                count: try row.value("n", as: Int.self))
        }
    }
}

extension PortalLink {
    init(postgres row: PostgresRandomAccessRow) throws {
        guard let role = Role(rawValue: try row.value("role")) else {
            throw CorruptRow(table: "portal_links", column: "role")
        }
        self.init(
            id: try row.value("id"), tenantId: try row.value("tenant_id"), role: role,
            propertyIds: try row.uuidList("property_ids", table: "portal_links"),
            tokenHash: try row.value("token_hash"), createdBy: try row.value("created_by"),
            createdAt: try row.date("created_at"), expiresAt: try row.date("expires_at"),
            usedAt: try row.optionalDate("used_at"), revokedAt: try row.optionalDate("revoked_at"))
    }
}
