import Foundation

/// Tenants, their API keys and properties.
public protocol TenantStore: Sendable {
    func insertTenant(_ tenant: Tenant) async throws
    func tenant(id: UUID) async throws -> Tenant?
    /// Every tenant when `id` is nil, else just that one.
    func listTenants(only id: UUID?, page: PageRequest) async throws -> Page<Tenant>
    /// Writes the tenant's name, `demo_mode` and `octo_supplier` (``StoreError/notFound`` when gone).
    func updateTenant(_ tenant: Tenant) async throws
    /// Deletes the tenant with everything it owns: keys, properties, webhooks, events, deliveries.
    func deleteTenant(id: UUID) async throws

    func insertAPIKey(_ key: APIKey) async throws
    func apiKey(hash: String) async throws -> APIKey?
    func apiKey(id: UUID) async throws -> APIKey?
    func listAPIKeys(tenantId: UUID?, page: PageRequest) async throws -> Page<APIKey>
    func revokeAPIKey(id: UUID, at date: Date) async throws
    /// Sets `last_used_at`, unless the key is revoked.
    func touchAPIKey(id: UUID, at date: Date) async throws
    /// Whether any key exists at all (an empty database gets a bootstrap admin key).
    func hasAPIKeys() async throws -> Bool

    func insertProperty(_ property: Property) async throws
    /// Inserts `properties` in one transaction (an import; the bench's large worlds).
    func insertProperties(_ properties: [Property]) async throws
    func property(id: UUID) async throws -> Property?
    func listProperties(_ query: PropertyQuery) async throws -> Page<Property>
    /// Writes the property's title (``StoreError/notFound`` when gone).
    func updateProperty(_ property: Property) async throws
    /// Deletes the property and its webhooks.
    func deleteProperty(id: UUID) async throws
}

/// Which properties a list shows.
public struct PropertyQuery: Sendable {
    /// nil: every tenant (platform admins).
    public var tenantId: UUID?
    /// nil: every property of the tenant.
    public var ids: Set<UUID>?
    public var page: PageRequest

    public init(tenantId: UUID?, ids: Set<UUID>? = nil, page: PageRequest = PageRequest()) {
        self.tenantId = tenantId
        self.ids = ids
        self.page = page
    }
}
