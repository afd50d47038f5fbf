import Foundation
import HeraldCore
import Hummingbird

/// `/api/v1/portal_links`: admins make one-time links into the consumer portal (the URL is shown
/// once), list them and revoke them.
struct PortalLinkController<Store: TenantStore & PortalStore> {
    let store: Store
    let clock: HeraldClock
    let limits: BodyLimits
    /// Where partners reach Herald: the link's URL starts with it.
    let publicURL: String

    /// The fields of a new link; the read model's others are ignored.
    static var fields: FieldNames {
        FieldNames(
            ["tenant_id", "role", "property_ids", "expires_in"],
            readOnly: ["id", "url", "created_at", "expires_at", "used_at", "revoked_at"])
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
        var reader = FieldReader(try await request.wrappedObject("portal_link", limits: limits))
        reader.refuseUnknown(Self.fields)
        let tenantField = reader.uuid("tenant_id", nullable: true)
        let roleText = reader.string("role", maxLength: 32, nullable: true)
        let propertyIds = reader.uuidList("property_ids")
        let lifetime = reader.int("expires_in", in: 60...Int(PortalLink.maxLifetime), nullable: true)
        var role: Role?
        if case .given(let text?) = roleText {
            // A publisher role is the issuing rule's to refuse.
            role = Role(rawValue: text)
            if role == nil { reader.fail("role", "must be one of admin, user") }
        }
        try reader.errors.check()
        let tenantId = try principal.actingTenant(named: tenantField.value ?? nil)
        let (link, token) = try await PortalLink.issue(
            tenantId: tenantId, role: role, propertyIds: propertyIds.value ?? nil,
            lifetime: (lifetime.value ?? nil).map(TimeInterval.init), createdBy: principal.keyId,
            now: clock.timestamp(), in: store)
        return JSONResponse(
            status: .created,
            body: ChannexEnvelope.single(
                ChannexEnvelope.portalLink(link, url: PortalLinks.url(publicURL: publicURL, token: token))))
    }

    @Sendable func list(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let principal = try context.requirePrincipal()
        try principal.requireAdmin()
        var query = QueryReader(request.uri)
        let page = query.read { try $0.page() }
        let tenantFilter = principal.isPlatformAdmin ? query.read { try $0.uuid("filter[tenant_id]") } : nil
        try query.check()
        let links = try await store.listPortalLinks(
            tenantId: principal.tenantId ?? tenantFilter, page: page ?? PageRequest())
        return JSONResponse(body: ChannexEnvelope.list(links) { ChannexEnvelope.portalLink($0) })
    }

    @Sendable func revoke(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let principal = try context.requirePrincipal()
        try principal.requireAdmin()
        let id = try context.uuidParameter("id")
        guard let link = try await store.portalLink(id: id), principal.reaches(tenant: link.tenantId) else {
            throw ChannexError.notFound
        }
        try await store.revokePortalLink(id: id, at: clock.timestamp())
        return JSONResponse(body: ChannexEnvelope.success)
    }
}

/// Where a portal link leads.
public enum PortalLinks {
    /// The one-time URL of a link's token.
    public static func url(publicURL: String, token: String) -> String {
        var base = publicURL
        while base.hasSuffix("/") { base.removeLast() }
        return "\(base)/portal/enter?token=\(token)"
    }
}
