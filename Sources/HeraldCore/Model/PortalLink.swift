import Foundation

/// A one-time link into the consumer portal: a tenant admin makes it for a partner, scoped to the
/// tenant or to some of its properties. Only the token's hash is kept; the token is in the URL,
/// shown once.
public struct PortalLink: Sendable, Hashable {
    public var id: UUID
    public var tenantId: UUID
    /// `admin`: every webhook of the tenant, global ones included; `user`: webhooks of properties.
    public var role: Role
    /// The properties the portal reaches; nil means every property of the tenant.
    public var propertyIds: [UUID]?
    /// Hex SHA-256 of the token.
    public var tokenHash: String
    /// The key that made the link (nil: the command line).
    public var createdBy: UUID?
    public var createdAt: Date
    /// Until when the link may be opened.
    public var expiresAt: Date
    /// When it was opened; a link opens once.
    public var usedAt: Date?
    /// When it was revoked; the session it opened ends with it.
    public var revokedAt: Date?

    public init(
        id: UUID = UUID(), tenantId: UUID, role: Role, propertyIds: [UUID]?, tokenHash: String, createdBy: UUID?,
        createdAt: Date, expiresAt: Date, usedAt: Date? = nil, revokedAt: Date? = nil
    ) {
        self.id = id
        self.tenantId = tenantId
        self.role = role
        self.propertyIds = propertyIds
        self.tokenHash = tokenHash
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.usedAt = usedAt
        self.revokedAt = revokedAt
    }

    /// The rights of a portal session opened by this link: those of an API key of the same scope.
    public var principal: Principal {
        Principal(keyId: id, tenantId: tenantId, role: role, propertyScope: propertyIds.map(Set.init))
    }
}

extension PortalLink {
    /// Portal tokens read `hpl_` + 43 base64url characters (32 random bytes).
    public static let tokenPrefix = "hpl_"
    /// How long a link stays openable unless its maker says otherwise, and at most.
    public static let defaultLifetime: TimeInterval = 3600
    public static let maxLifetime: TimeInterval = 7 * 86_400
    /// How long a link's record stays after it expires: its listing says who opened it and when,
    /// and a session it opened (12 hours at most) ends on its own terms, not with the record.
    public static let keptAfterExpiry: TimeInterval = 7 * 86_400

    /// Clears away up to 100 expired sessions and long-expired links: each sign-in and each new
    /// link (``issue(tenantId:role:propertyIds:lifetime:createdBy:now:in:)``) does, so the tables
    /// hold about as many rows as there are live sessions and links.
    public static func purgeExpired(in store: some PortalStore, now: Date) async throws -> Int {
        try await store.purgePortal(sessionsBefore: now, linksBefore: now - keptAfterExpiry, limit: 100)
    }

    /// A new link and its token, shown once: what the API and `herald portal link` both make,
    /// under the same rules as an API key of that scope.
    ///
    /// Throws ``ValidationErrors`` when the tenant is gone, the role is not admin or user, an admin
    /// link is given a property scope, a scoped property is not the tenant's, or the lifetime is
    /// out of range.
    public static func issue(
        tenantId: UUID, role: Role?, propertyIds: [UUID]?, lifetime: TimeInterval?, createdBy: UUID?, now: Date,
        in store: some TenantStore & PortalStore
    ) async throws -> (link: PortalLink, token: String) {
        // A link to the whole tenant shows its global webhooks too; one to properties, theirs.
        let role = role ?? (propertyIds == nil ? .admin : .user)
        var errors = ValidationErrors()
        if role == .publisher { errors.add("role", "must be one of admin, user") }
        if role == .admin, propertyIds != nil {
            errors.add("property_ids", "only user links take a property scope")
        }
        if let propertyIds, propertyIds.isEmpty { errors.add("property_ids", "can't be empty") }
        let lifetime = lifetime ?? defaultLifetime
        if !(60...maxLifetime).contains(lifetime) {
            errors.add("expires_in", "must be between 60 and \(Int(maxLifetime)) seconds")
        }
        try errors.check()
        guard try await store.tenant(id: tenantId) != nil else { throw ValidationErrors("tenant_id", "not found") }
        for id in propertyIds ?? [] {
            guard let property = try await store.property(id: id), property.tenantId == tenantId else {
                throw ValidationErrors("property_ids", "\(id.text) not found")
            }
        }
        let token = tokenPrefix + KeyMaterial.base64URL(KeyMaterial.randomBytes(32))
        let link = PortalLink(
            tenantId: tenantId, role: role,
            propertyIds: propertyIds.map { Array(Set($0)).sorted { $0.text < $1.text } },
            tokenHash: KeyMaterial.hash(apiKey: token), createdBy: createdBy, createdAt: now,
            expiresAt: now.addingTimeInterval(lifetime))
        try await store.insertPortalLink(link)
        _ = try? await purgeExpired(in: store, now: now)
        return (link, token)
    }
}
