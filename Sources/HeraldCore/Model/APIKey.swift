import Foundation

/// A stored API key: only its hash is kept; the key itself is shown once, when it is made.
public struct APIKey: Sendable, Hashable {
    public var id: UUID
    /// nil for platform keys.
    public var tenantId: UUID?
    public var role: Role
    /// The properties the key may act on; nil means every property of its tenant.
    public var propertyIds: [UUID]?
    public var title: String?
    /// The first characters of the key, to tell keys apart in listings.
    public var prefix: String
    /// Hex SHA-256 of the whole key.
    public var hash: String
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?

    public init(
        id: UUID = UUID(), tenantId: UUID?, role: Role, propertyIds: [UUID]? = nil, title: String? = nil,
        prefix: String, hash: String, createdAt: Date, lastUsedAt: Date? = nil, revokedAt: Date? = nil
    ) {
        self.id = id
        self.tenantId = tenantId
        self.role = role
        self.propertyIds = propertyIds
        self.title = title
        self.prefix = prefix
        self.hash = hash
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }

    public var principal: Principal {
        Principal(keyId: id, tenantId: tenantId, role: role, propertyScope: propertyIds.map(Set.init))
    }
}

extension APIKey {
    public static let maxTitleLength = 200

    /// A new key for `tenantId` (nil: a platform key) and the key itself, shown once: what the API
    /// and `herald keys create` both make, under the same rules.
    ///
    /// Throws ``ValidationErrors`` when a platform key is not an admin key, the tenant is gone, an
    /// admin key is given a property scope, or a scoped property is not the tenant's.
    public static func issue(
        tenantId: UUID?, role: Role, propertyIds: [UUID]?, title: String?, now: Date, in store: some TenantStore
    ) async throws -> (key: APIKey, secret: String) {
        if let title, title.count > maxTitleLength {
            throw ValidationErrors("title", "is too long (at most \(maxTitleLength) characters)")
        }
        if let tenantId {
            guard try await store.tenant(id: tenantId) != nil else { throw ValidationErrors("tenant_id", "not found") }
        } else if role != .admin {
            throw ValidationErrors("role", "platform keys must be admin keys")
        }
        if let propertyIds {
            guard role != .admin else {
                throw ValidationErrors("property_ids", "only user and publisher keys take a property scope")
            }
            for id in propertyIds {
                guard let property = try await store.property(id: id), property.tenantId == tenantId else {
                    throw ValidationErrors("property_ids", "\(id.text) not found")
                }
            }
        }
        let material = KeyMaterial.newAPIKey()
        let key = APIKey(
            tenantId: tenantId, role: role,
            propertyIds: propertyIds.map { Array(Set($0)).sorted { $0.text < $1.text } },
            title: title, prefix: material.prefix, hash: material.hash, createdAt: now)
        try await store.insertAPIKey(key)
        return (key, material.key)
    }
}
