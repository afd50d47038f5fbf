import Foundation

/// Who is calling: the rights of the API key that authenticated a request.
public struct Principal: Sendable, Hashable {
    public var keyId: UUID
    public var tenantId: UUID?
    public var role: Role
    /// nil: every property of the tenant.
    public var propertyScope: Set<UUID>?

    public init(keyId: UUID, tenantId: UUID?, role: Role, propertyScope: Set<UUID>?) {
        self.keyId = keyId
        self.tenantId = tenantId
        self.role = role
        self.propertyScope = propertyScope
    }

    public var isPlatformAdmin: Bool { tenantId == nil && role == .admin }
    public var isTenantAdmin: Bool { tenantId != nil && role == .admin }
    /// Admins of either kind.
    public var isAdmin: Bool { role == .admin }

    /// Whether this principal may see anything of `tenant`.
    public func reaches(tenant: UUID) -> Bool {
        isPlatformAdmin || tenantId == tenant
    }

    /// Whether `property` (of `tenant`) lies in this principal's reach and scope.
    public func reaches(property: UUID, of tenant: UUID) -> Bool {
        guard reaches(tenant: tenant) else { return false }
        return propertyScope?.contains(property) ?? true
    }

    /// Whether this principal may see `webhook`: users only see webhooks of properties in scope.
    public func canSee(_ webhook: Webhook) -> Bool {
        guard reaches(tenant: webhook.tenantId) else { return false }
        switch role {
        case .admin: return true
        case .user:
            guard let property = webhook.propertyId else { return false }
            return propertyScope?.contains(property) ?? true
        case .publisher: return false
        }
    }

    /// Whether this principal may change or delete `webhook`.
    public func canModify(_ webhook: Webhook) -> Bool {
        canSee(webhook) && (role == .admin || !webhook.isProtected)
    }
}
