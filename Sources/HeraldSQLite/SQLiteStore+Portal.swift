import Foundation
import GRDB
import HeraldCore

extension SQLiteStore: PortalStore {
    public func insertPortalLink(_ link: PortalLink) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO portal_links
                        (id, tenant_id, role, property_ids, token_hash, created_by, created_at, expires_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    link.id.text, link.tenantId.text, link.role.rawValue, link.propertyIds.map(Self.encodeIds),
                    link.tokenHash, link.createdBy?.text, Timestamp.millis(link.createdAt),
                    Timestamp.millis(link.expiresAt),
                ])
        }
    }

    public func portalLink(id: UUID) async throws -> PortalLink? {
        try pointRead { db in
            try Row.decodeOne(
                db.cachedStatement(sql: "SELECT * FROM portal_links WHERE id = ?"), arguments: [id.text],
                PortalLink.init(row:))
        }
    }

    public func listPortalLinks(tenantId: UUID?, page: PageRequest) async throws -> Page<PortalLink> {
        try await pool.read { db in
            let filter = tenantId == nil ? "" : "WHERE tenant_id = ?"
            let arguments: StatementArguments = tenantId.map { [$0.text] } ?? []
            let total =
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM portal_links \(filter)", arguments: arguments) ?? 0
            let items = try Row.decodeAll(
                db.makeStatement(
                    sql: "SELECT * FROM portal_links \(filter) ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"),
                arguments: arguments + [page.limit, page.offset], PortalLink.init(row:))
            return Page(items: items, page: page.page, limit: page.limit, total: total)
        }
    }

    public func redeemPortalLink(tokenHash: String, now: Date) async throws -> PortalLink? {
        try await pool.write { db in
            // One writer at a time: the first to mark it used gets it.
            let millis = Timestamp.millis(now)
            try db.execute(
                sql: """
                    UPDATE portal_links SET used_at = ?
                    WHERE token_hash = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?
                    """,
                arguments: [millis, tokenHash, millis])
            guard db.changesCount == 1 else { return nil }
            return try Row.decodeOne(
                db.cachedStatement(sql: "SELECT * FROM portal_links WHERE token_hash = ?"), arguments: [tokenHash],
                PortalLink.init(row:))
        }
    }

    public func revokePortalLink(id: UUID, at date: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE portal_links SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?",
                arguments: [Timestamp.millis(date), id.text])
            if db.changesCount == 0 { throw StoreError.notFound }
        }
    }

    public func putPortalSession(key: String, value: String, expiresAt: Date?, _ write: PortalSessionWrite)
        async throws -> Bool
    {
        try await pool.write { db in
            switch (write, expiresAt) {
            case (.create, let expiresAt?):
                try db.execute(
                    sql: "INSERT INTO portal_sessions (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    arguments: [key, value, Timestamp.millis(expiresAt)])
            case (.replace, let expiresAt?):
                try db.execute(
                    sql: """
                        INSERT INTO portal_sessions (key, value, expires_at) VALUES (?, ?, ?)
                        ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
                        """,
                    arguments: [key, value, Timestamp.millis(expiresAt)])
            case (.update, let expiresAt?):
                try db.execute(
                    sql: "UPDATE portal_sessions SET value = ?, expires_at = ? WHERE key = ?",
                    arguments: [value, Timestamp.millis(expiresAt), key])
            case (.update, nil):
                try db.execute(sql: "UPDATE portal_sessions SET value = ? WHERE key = ?", arguments: [value, key])
            case (.create, nil), (.replace, nil):
                return false
            }
            return db.changesCount == 1
        }
    }

    public func portalSession(key: String, now: Date) async throws -> (value: String, expiresAt: Date)? {
        try pointRead { db in
            try Row.decodeOne(
                db.cachedStatement(
                    sql: "SELECT value, expires_at FROM portal_sessions WHERE key = ? AND expires_at > ?"),
                arguments: [key, Timestamp.millis(now)]
            ) { row in (row["value"] as String, row.date("expires_at")) }
        }
    }

    public func deletePortalSession(key: String) async throws {
        try await pool.write { db in try db.execute(sql: "DELETE FROM portal_sessions WHERE key = ?", arguments: [key])
        }
    }

    public func purgePortal(sessionsBefore: Date, linksBefore: Date, limit: Int) async throws -> Int {
        try await pool.write { db in
            try db.execute(
                sql: """
                    DELETE FROM portal_sessions WHERE key IN (
                        SELECT key FROM portal_sessions WHERE expires_at < ? ORDER BY expires_at LIMIT ?)
                    """,
                arguments: [Timestamp.millis(sessionsBefore), limit])
            var purged = db.changesCount
            try db.execute(
                sql: """
                    DELETE FROM portal_links WHERE id IN (
                        SELECT id FROM portal_links WHERE expires_at < ? ORDER BY expires_at LIMIT ?)
                    """,
                arguments: [Timestamp.millis(linksBefore), limit])
            purged += db.changesCount
            return purged
        }
    }

    public func deliveryCounts(webhookIds: [UUID], since: Date) async throws -> [DeliveryCount] {
        guard !webhookIds.isEmpty else { return [] }
        return try await pool.read { db in
            try Row.decodeAll(
                db.makeStatement(
                    sql: """
                        SELECT webhook_id, created_at / 3600000 AS hour, status, COUNT(*) AS n FROM deliveries
                        WHERE webhook_id IN (\(Self.placeholders(webhookIds.count))) AND created_at >= ?
                        GROUP BY webhook_id, hour, status
                        """),
                arguments: StatementArguments(webhookIds.map(\.text)) + [Timestamp.millis(since)]
            ) { row in
                guard let status = Delivery.Status(rawValue: row["status"]) else {
                    throw CorruptRow(table: "deliveries", column: "status")
                }
                return DeliveryCount(
                    webhookId: try row.uuid("webhook_id", table: "deliveries"),
                    hour: Timestamp.date(millis: (row["hour"] as Int64) * 3_600_000), status: status,
                    count: row["n"])
            }
        }
    }
}

extension PortalLink {
    init(row: Row) throws {
        guard let role = Role(rawValue: row["role"]) else { throw CorruptRow(table: "portal_links", column: "role") }
        self.init(
            id: try row.uuid("id", table: "portal_links"),
            tenantId: try row.uuid("tenant_id", table: "portal_links"),
            role: role,
            propertyIds: try row.uuidList("property_ids", table: "portal_links"),
            tokenHash: row["token_hash"],
            createdBy: try row.optionalUUID("created_by", table: "portal_links"),
            createdAt: row.date("created_at"),
            expiresAt: row.date("expires_at"),
            usedAt: row.optionalDate("used_at"),
            revokedAt: row.optionalDate("revoked_at"))
    }
}
