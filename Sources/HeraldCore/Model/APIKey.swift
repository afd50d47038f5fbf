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
