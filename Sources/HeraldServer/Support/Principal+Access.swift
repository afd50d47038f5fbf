import Foundation
import HeraldCore
import Hummingbird

extension Principal {
    /// Admins only (tenant or platform).
    func requireAdmin() throws {
        guard isAdmin else { throw ChannexError.forbidden("this action needs an admin key") }
    }

    /// Platform admins only.
    func requirePlatformAdmin() throws {
        guard isPlatformAdmin else { throw ChannexError.forbidden("this action needs a platform admin key") }
    }

    /// Admins and users: the roles that manage webhooks.
    func requireWebhookManager() throws {
        guard role != .publisher else { throw ChannexError.forbidden("publisher keys only post events") }
    }

    /// The tenant a write acts in: a platform admin names it (`field`), others act in their own.
    func actingTenant(named requested: UUID?, field: String = "tenant_id") throws -> UUID {
        if let tenantId {
            if let requested, requested != tenantId { throw ChannexError.validation(field, "not found") }
            return tenantId
        }
        guard let requested else { throw ChannexError.validation(field, "can't be blank") }
        return requested
    }
}

extension HeraldRequestContext {
    /// A UUID path parameter; anything else cannot name a resource, so it answers 404.
    func uuidParameter(_ name: String) throws -> UUID {
        guard let text = parameters.get(name), let id = UUID(text: text) else { throw ChannexError.notFound }
        return id
    }
}
