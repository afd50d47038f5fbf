import Foundation
import GRDB
import HeraldCore

extension SQLiteStore: TenantStore {
    public func insertTenant(_ tenant: Tenant) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO tenants (id, name, demo_mode, octo_supplier, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [
                    tenant.id.text, tenant.name, tenant.demoMode, tenant.octoSupplier.map { $0.encodedString() },
                    Timestamp.millis(tenant.createdAt),
                ])
        }
    }

    public func updateTenant(_ tenant: Tenant) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE tenants SET name = ?, demo_mode = ?, octo_supplier = ? WHERE id = ?",
                arguments: [
                    tenant.name, tenant.demoMode, tenant.octoSupplier.map { $0.encodedString() }, tenant.id.text,
                ])
            if db.changesCount == 0 { throw StoreError.notFound }
        }
    }

    public func deleteTenant(id: UUID) async throws {
        try await pool.write { db in
            // Everything the tenant owns goes with it (ON DELETE CASCADE).
            try db.execute(sql: "DELETE FROM tenants WHERE id = ?", arguments: [id.text])
            if db.changesCount == 0 { throw StoreError.notFound }
        }
    }

    public func tenant(id: UUID) async throws -> Tenant? {
        try pointRead { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM tenants WHERE id = ?"), arguments: [id.text]).map(
                Tenant.init(row:))
        }
    }

    public func listTenants(only id: UUID?, page: PageRequest) async throws -> Page<Tenant> {
        try await pool.read { db in
            let filter = id == nil ? "" : "WHERE id = ?"
            let arguments: StatementArguments = id.map { [$0.text] } ?? []
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tenants \(filter)", arguments: arguments) ?? 0
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM tenants \(filter) ORDER BY created_at, id LIMIT ? OFFSET ?",
                arguments: arguments + [page.limit, page.offset])
            return Page(items: try rows.map(Tenant.init(row:)), page: page.page, limit: page.limit, total: total)
        }
    }

    public func insertAPIKey(_ key: APIKey) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO api_keys (id, tenant_id, role, property_ids, title, prefix, hash, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    key.id.text, key.tenantId?.text, key.role.rawValue, key.propertyIds.map(Self.encodeIds), key.title,
                    key.prefix, key.hash, Timestamp.millis(key.createdAt),
                ])
        }
    }

    public func apiKey(hash: String) async throws -> APIKey? {
        try pointRead { db in
            try Row.decodeOne(
                db.cachedStatement(sql: "SELECT * FROM api_keys WHERE hash = ?"), arguments: [hash], APIKey.init(row:))
        }
    }

    public func apiKey(id: UUID) async throws -> APIKey? {
        try pointRead { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM api_keys WHERE id = ?"), arguments: [id.text]).map(
                APIKey.init(row:))
        }
    }

    public func listAPIKeys(tenantId: UUID?, page: PageRequest) async throws -> Page<APIKey> {
        try await pool.read { db in
            let filter = tenantId == nil ? "" : "WHERE tenant_id = ?"
            let arguments: StatementArguments = tenantId.map { [$0.text] } ?? []
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM api_keys \(filter)", arguments: arguments) ?? 0
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM api_keys \(filter) ORDER BY created_at, id LIMIT ? OFFSET ?",
                arguments: arguments + [page.limit, page.offset])
            return Page(items: try rows.map(APIKey.init(row:)), page: page.page, limit: page.limit, total: total)
        }
    }

    public func revokeAPIKey(id: UUID, at date: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?",
                arguments: [Timestamp.millis(date), id.text])
            if db.changesCount == 0 { throw StoreError.notFound }
        }
    }

    public func touchAPIKey(id: UUID, at date: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE api_keys SET last_used_at = ? WHERE id = ? AND revoked_at IS NULL",
                arguments: [Timestamp.millis(date), id.text])
        }
    }

    public func hasAPIKeys() async throws -> Bool {
        try await pool.read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM api_keys)") ?? false }
    }

    public func insertProperty(_ property: Property) async throws {
        try await insertProperties([property])
    }

    public func insertProperties(_ properties: [Property]) async throws {
        try await pool.write { db in
            for property in properties {
                try db.cachedStatement(
                    sql: "INSERT INTO properties (id, tenant_id, title, created_at) VALUES (?, ?, ?, ?)"
                ).execute(arguments: [
                    property.id.text, property.tenantId.text, property.title, Timestamp.millis(property.createdAt),
                ])
            }
        }
    }

    public func property(id: UUID) async throws -> Property? {
        try pointRead { db in
            try Row.decodeOne(
                db.cachedStatement(sql: "SELECT * FROM properties WHERE id = ?"), arguments: [id.text],
                Property.init(row:))
        }
    }

    public func listProperties(_ query: PropertyQuery) async throws -> Page<Property> {
        try await pool.read { db in
            var conditions: [String] = []
            var arguments = StatementArguments()
            if let tenantId = query.tenantId {
                conditions.append("tenant_id = ?")
                arguments += [tenantId.text]
            }
            if let ids = query.ids {
                conditions.append("id IN (\(Self.placeholders(ids.count)))")
                arguments += StatementArguments(ids.map(\.text))
            }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let total =
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM properties \(filter)", arguments: arguments) ?? 0
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM properties \(filter) ORDER BY created_at, id LIMIT ? OFFSET ?",
                arguments: arguments + [query.page.limit, query.page.offset])
            return Page(
                items: try rows.map(Property.init(row:)), page: query.page.page, limit: query.page.limit, total: total)
        }
    }

    public func updateProperty(_ property: Property) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE properties SET title = ? WHERE id = ?", arguments: [property.title, property.id.text])
            if db.changesCount == 0 { throw StoreError.notFound }
        }
    }

    public func deleteProperty(id: UUID) async throws {
        try await pool.write { db in
            // Webhooks of the property go with it (ON DELETE CASCADE).
            try db.execute(sql: "DELETE FROM properties WHERE id = ?", arguments: [id.text])
            if db.changesCount == 0 { throw StoreError.notFound }
        }
    }

    static func placeholders(_ count: Int) -> String {
        count == 0 ? "NULL" : Array(repeating: "?", count: count).joined(separator: ", ")
    }

    static func encodeIds(_ ids: [UUID]) -> String {
        JSONValue.array(ids.map { .string($0.text) }).encodedString()
    }
}
