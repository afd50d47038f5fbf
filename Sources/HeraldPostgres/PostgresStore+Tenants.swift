import Foundation
import HeraldCore
import PostgresNIO

extension PostgresStore: TenantStore {
    public func insertTenant(_ tenant: Tenant) async throws {
        try await client.query(
            """
            INSERT INTO tenants (id, name, demo_mode, octo_supplier, created_at)
            VALUES (\(tenant.id), \(tenant.name), \(tenant.demoMode), \(tenant.octoSupplier.map { $0.encodedString() }),
                \(Timestamp.millis(tenant.createdAt)))
            """, logger: logger)
    }

    public func updateTenant(_ tenant: Tenant) async throws {
        let rows = try await client.query(
            """
            UPDATE tenants SET name = \(tenant.name), demo_mode = \(tenant.demoMode),
                octo_supplier = \(tenant.octoSupplier.map { $0.encodedString() })
            WHERE id = \(tenant.id) RETURNING id
            """, logger: logger
        ).all { _ in 1 }
        if rows.isEmpty { throw StoreError.notFound }
    }

    public func deleteTenant(id: UUID) async throws {
        let logger = self.logger
        try await transaction { connection in
            // The webhooks first, in id order, then the tenant: the order a settle takes them in
            // (webhooks, their deliveries, then the tenant row the version trigger moves). The
            // cascade from the tenant would take the tenant first and deadlock with such a settle.
            try await connection.query(
                """
                DELETE FROM webhooks WHERE id IN (SELECT id FROM webhooks WHERE tenant_id = \(id) ORDER BY id FOR UPDATE)
                """, logger: logger)
            // Everything else the tenant owns goes with it (ON DELETE CASCADE).
            let rows = try await connection.query("DELETE FROM tenants WHERE id = \(id) RETURNING id", logger: logger)
                .all { _ in 1 }
            if rows.isEmpty { throw StoreError.notFound }
        }
    }

    public func tenant(id: UUID) async throws -> Tenant? {
        try await client.query("SELECT * FROM tenants WHERE id = \(id)", logger: logger).all(Tenant.init(postgres:))
            .first
    }

    public func listTenants(only id: UUID?, page: PageRequest) async throws -> Page<Tenant> {
        var statement = StatementBuilder()
        if let id { statement.conditions.append("id = \(try statement.bind(id))") }
        return try await fetchPage(
            of: "tenants", statement, page: page, order: "created_at, id", make: Tenant.init(postgres:))
    }

    public func insertAPIKey(_ key: APIKey) async throws {
        let ids = key.propertyIds.map { JSONValue.array($0.map { .string($0.text) }).encodedString() }
        try await client.query(
            """
            INSERT INTO api_keys (id, tenant_id, role, property_ids, title, prefix, hash, created_at)
            VALUES (\(key.id), \(key.tenantId), \(key.role.rawValue), \(ids), \(key.title), \(key.prefix), \(key.hash),
                \(Timestamp.millis(key.createdAt)))
            """, logger: logger)
    }

    public func apiKey(hash: String) async throws -> APIKey? {
        try await client.all(Prepared.APIKeyByHash(hash: hash), logger: logger).first
    }

    public func apiKey(id: UUID) async throws -> APIKey? {
        try await client.query("SELECT * FROM api_keys WHERE id = \(id)", logger: logger).all(APIKey.init(postgres:))
            .first
    }

    public func listAPIKeys(tenantId: UUID?, page: PageRequest) async throws -> Page<APIKey> {
        var statement = StatementBuilder()
        if let tenantId { statement.conditions.append("tenant_id = \(try statement.bind(tenantId))") }
        return try await fetchPage(
            of: "api_keys", statement, page: page, order: "created_at, id", make: APIKey.init(postgres:))
    }

    public func revokeAPIKey(id: UUID, at date: Date) async throws {
        let rows = try await client.query(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, \(Timestamp.millis(date))) WHERE id = \(id) RETURNING id",
            logger: logger
        ).all { _ in 1 }
        if rows.isEmpty { throw StoreError.notFound }
    }

    public func touchAPIKey(id: UUID, at date: Date) async throws {
        try await client.query(
            "UPDATE api_keys SET last_used_at = \(Timestamp.millis(date)) WHERE id = \(id) AND revoked_at IS NULL",
            logger: logger)
    }

    public func hasAPIKeys() async throws -> Bool {
        try await client.query("SELECT EXISTS (SELECT 1 FROM api_keys) AS present", logger: logger)
            .all { try $0.value("present", as: Bool.self) }.first ?? false
    }

    public func insertProperty(_ property: Property) async throws {
        try await insertProperties([property])
    }

    public func insertProperties(_ properties: [Property]) async throws {
        let logger = self.logger
        try await transaction { connection in
            for property in properties {
                try await connection.query(
                    """
                    INSERT INTO properties (id, tenant_id, title, created_at)
                    VALUES (\(property.id), \(property.tenantId), \(property.title),
                        \(Timestamp.millis(property.createdAt)))
                    """, logger: logger)
            }
        }
    }

    public func property(id: UUID) async throws -> Property? {
        try await client.all(Prepared.PropertyById(id: id), logger: logger).first
    }

    public func listProperties(_ query: PropertyQuery) async throws -> Page<Property> {
        var statement = StatementBuilder()
        if let tenantId = query.tenantId { statement.conditions.append("tenant_id = \(try statement.bind(tenantId))") }
        if let ids = query.ids { statement.conditions.append("id = ANY(\(try statement.bind(Array(ids))))") }
        return try await fetchPage(
            of: "properties", statement, page: query.page, order: "created_at, id", make: Property.init(postgres:))
    }

    public func updateProperty(_ property: Property) async throws {
        let rows = try await client.query(
            "UPDATE properties SET title = \(property.title) WHERE id = \(property.id) RETURNING id", logger: logger
        ).all { _ in 1 }
        if rows.isEmpty { throw StoreError.notFound }
    }

    public func deleteProperty(id: UUID) async throws {
        let rows = try await client.query("DELETE FROM properties WHERE id = \(id) RETURNING id", logger: logger).all {
            _ in 1
        }
        if rows.isEmpty { throw StoreError.notFound }
    }

    /// One page of `table` under `statement`'s conditions, with the total.
    func fetchPage<T>(
        of table: String, _ statement: StatementBuilder, page: PageRequest, order: String,
        make: (PostgresRandomAccessRow) throws -> T
    ) async throws -> Page<T> {
        let filter = statement.whereClause
        let total =
            try await client.query(statement.query("SELECT COUNT(*) AS total FROM \(table) \(filter)"), logger: logger)
            .all { try $0.value("total", as: Int.self) }.first ?? 0
        var paged = statement
        let limit = try paged.bind(page.limit)
        let offset = try paged.bind(page.offset)
        let items = try await client.query(
            paged.query("SELECT * FROM \(table) \(filter) ORDER BY \(order) LIMIT \(limit) OFFSET \(offset)"),
            logger: logger
        ).all(make)
        return Page(items: items, page: page.page, limit: page.limit, total: total)
    }
}
