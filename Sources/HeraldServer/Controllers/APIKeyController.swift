import Foundation
import HeraldCore
import Hummingbird

/// `/api/v1/api_keys`: admins make keys (shown once) and revoke them.
struct APIKeyController<Store: TenantStore> {
    let store: Store
    let clock: HeraldClock
    let limits: BodyLimits

    /// The fields of a new API key; the read model's others are ignored.
    static var fields: FieldNames {
        FieldNames(
            ["role", "tenant_id", "property_ids", "title"],
            readOnly: ["id", "prefix", "created_at", "last_used_at", "revoked_at"])
    }

    var endpoints: RouteCollection<HeraldRequestContext> {
        RouteCollection(context: HeraldRequestContext.self)
            .post(use: create)
            .get(use: list)
            .delete(":id", use: revoke)
    }

    @Sendable func create(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let principal = try context.requirePrincipal()
        try principal.requireAdmin()
        var request = request
        var reader = FieldReader(try await request.wrappedObject("api_key", limits: limits))
        reader.refuseUnknown(Self.fields)
        let roleText = reader.string("role", maxLength: 32)
        let tenantField = reader.uuid("tenant_id", nullable: true)
        let propertyIds = reader.uuidList("property_ids")
        let title = reader.string("title", maxLength: APIKey.maxTitleLength, nullable: true)
        var role: Role?
        switch roleText {
        case .given(let text?):
            role = Role(rawValue: text)
            if role == nil { reader.fail("role", "must be one of admin, user, publisher") }
        case .absent where reader.object["role"] == nil: reader.fail("role", "can't be blank")
        default: break
        }
        try reader.errors.check()
        guard let role else { throw ChannexError.validation("role", "can't be blank") }

        // A platform admin makes platform keys with tenant_id null; every other key belongs to the
        // caller's tenant (admin keys carry no property scope, so the tenant is the whole reach).
        let tenantId: UUID? =
            if principal.isPlatformAdmin, case .given(nil) = tenantField {
                nil
            } else {
                try principal.actingTenant(named: tenantField.value ?? nil)
            }
        let (key, secret) = try await APIKey.issue(
            tenantId: tenantId, role: role, propertyIds: propertyIds.value ?? nil, title: title.value ?? nil,
            now: clock.timestamp(), in: store)
        return JSONResponse(
            status: .created, body: ChannexEnvelope.single(ChannexEnvelope.apiKey(key, secret: secret)))
    }

    @Sendable func list(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let principal = try context.requirePrincipal()
        try principal.requireAdmin()
        let query = QueryParameters(request.uri)
        let tenant = try principal.tenantId ?? query.uuid("filter[tenant_id]")
        let keys = try await store.listAPIKeys(tenantId: tenant, page: try query.page())
        return JSONResponse(body: ChannexEnvelope.list(keys) { ChannexEnvelope.apiKey($0) })
    }

    @Sendable func revoke(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let principal = try context.requirePrincipal()
        try principal.requireAdmin()
        let id = try context.uuidParameter("id")
        guard let key = try await store.apiKey(id: id),
            principal.isPlatformAdmin || (key.tenantId != nil && key.tenantId == principal.tenantId)
        else { throw ChannexError.notFound }
        try await store.revokeAPIKey(id: id, at: clock.timestamp())
        return JSONResponse(body: ChannexEnvelope.success)
    }
}
