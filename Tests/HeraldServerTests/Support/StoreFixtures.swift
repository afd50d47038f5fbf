import Foundation
import HeraldCore

/// Rows the store-level tests write directly, without the API.
extension Webhook {
    /// An active webhook with a fresh signing secret: global when `property` is nil.
    static func active(
        _ tenant: Tenant, property: Property? = nil, url: String = "https://8.8.8.8/h", mask: String = "*",
        at date: Date
    ) throws -> Webhook {
        Webhook(
            tenantId: tenant.id, propertyId: property?.id, isGlobal: property == nil, callbackURL: url,
            eventMask: try EventMask(parsing: mask), isActive: true, sendData: true,
            secrets: [SigningSecret(value: KeyMaterial.newSigningSecret())], createdAt: date, updatedAt: date)
    }
}

extension HeraldStore {
    /// A tenant named `name`, stored.
    func seedTenant(_ name: String = "Acme", at date: Date) async throws -> Tenant {
        let tenant = Tenant(name: name, createdAt: date)
        try await insertTenant(tenant)
        return tenant
    }

    /// One tenant-wide `ari` event of `tenant`, stored with its deliveries.
    @discardableResult
    func publishARI(_ tenant: Tenant, at date: Date) async throws -> IngestResult {
        try await ingest(
            [Event(tenantId: tenant.id, propertyId: nil, name: "ari", payload: [], occurredAt: date, createdAt: date)],
            tenantId: tenant.id, now: date)[0]
    }
}
