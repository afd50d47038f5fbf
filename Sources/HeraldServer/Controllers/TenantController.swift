import Foundation
import HeraldCore
import Hummingbird

/// `/api/v1/tenants`: platform admins create and delete tenants; everyone sees their own, and its
/// admins change it.
struct TenantController<Store: TenantStore> {
    let store: Store
    let clock: HeraldClock
    let limits: BodyLimits

    /// The fields of a tenant; the read model's others are ignored.
    static var fields: FieldNames {
        FieldNames(["name", "demo_mode", "octo_supplier"], readOnly: ["id", "created_at"])
    }

    var endpoints: RouteCollection<HeraldRequestContext> {
        RouteCollection(context: HeraldRequestContext.self)
            .post(use: create)
            .get(use: list)
            .get(":id", use: show)
            .put(":id", use: update)
            .delete(":id", use: delete)
    }

    /// Changes the fields given (`name`, `demo_mode`, `octo_supplier`; null clears the supplier).
    @Sendable func update(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let principal = try context.requirePrincipal()
        let id = try context.uuidParameter("id")
        guard principal.reaches(tenant: id), var tenant = try await store.tenant(id: id) else {
            throw ChannexError.notFound
        }
        try principal.requireAdmin()
        var request = request
        var reader = FieldReader(try await request.wrappedObject("tenant", limits: limits))
        reader.refuseUnknown(Self.fields)
        if case .given(let name) = reader.string("name", maxLength: Tenant.maxNameLength) {
            if let problem = Tenant.nameProblem(name) { reader.fail("name", problem) } else { tenant.name = name! }
        }
        tenant.demoMode = reader.bool("demo_mode").or(tenant.demoMode)
        if let value = reader.object["octo_supplier"] {
            switch value {
            case .null: tenant.octoSupplier = nil
            case .object: tenant.octoSupplier = value
            default: reader.fail("octo_supplier", "must be an object or null")
            }
        }
        try reader.errors.check()
        try await store.updateTenant(tenant)
        return JSONResponse(body: ChannexEnvelope.single(ChannexEnvelope.tenant(tenant)))
    }

    /// Deletes the tenant and everything it owns (platform admins only).
    @Sendable func delete(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let principal = try context.requirePrincipal()
        let id = try context.uuidParameter("id")
        guard principal.reaches(tenant: id), try await store.tenant(id: id) != nil else { throw ChannexError.notFound }
        try principal.requirePlatformAdmin()
        try await store.deleteTenant(id: id)
        return JSONResponse(body: ChannexEnvelope.success)
    }

    @Sendable func create(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        try context.requirePrincipal().requirePlatformAdmin()
        var request = request
        var reader = FieldReader(try await request.wrappedObject("tenant", limits: limits))
        reader.refuseUnknown(Self.fields)
        let name = reader.string("name", maxLength: Tenant.maxNameLength).value ?? nil
        if reader.errors.details["name"] == nil, let problem = Tenant.nameProblem(name) { reader.fail("name", problem) }
        let demoMode = reader.bool("demo_mode")
        var supplier: JSONValue?
        if let value = reader.object["octo_supplier"], value != .null {
            if case .object = value { supplier = value } else { reader.fail("octo_supplier", "must be an object") }
        }
        try reader.errors.check()
        let tenant = Tenant(
            name: name!, demoMode: demoMode.or(false), octoSupplier: supplier, createdAt: clock.timestamp())
        try await store.insertTenant(tenant)
        return JSONResponse(status: .created, body: ChannexEnvelope.single(ChannexEnvelope.tenant(tenant)))
    }

    @Sendable func list(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let principal = try context.requirePrincipal()
        let page = try QueryParameters(request.uri).page()
        let tenants = try await store.listTenants(only: principal.tenantId, page: page)
        return JSONResponse(body: ChannexEnvelope.list(tenants, render: ChannexEnvelope.tenant))
    }

    @Sendable func show(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let principal = try context.requirePrincipal()
        let id = try context.uuidParameter("id")
        guard principal.reaches(tenant: id), let tenant = try await store.tenant(id: id) else {
            throw ChannexError.notFound
        }
        return JSONResponse(body: ChannexEnvelope.single(ChannexEnvelope.tenant(tenant)))
    }
}
