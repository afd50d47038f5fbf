import Foundation
import HeraldCore
import Hummingbird

/// `/api/v1/properties`: admins create, rename and delete them; keys see the ones in their scope.
struct PropertyController<Store: TenantStore> {
    let store: Store
    let clock: HeraldClock
    let limits: BodyLimits

    /// The fields of a property; the read model's others are ignored.
    static var fields: FieldNames { FieldNames(["title", "tenant_id"], readOnly: ["id", "created_at"]) }

    var endpoints: RouteCollection<HeraldRequestContext> {
        RouteCollection(context: HeraldRequestContext.self)
            .post(use: create)
            .get(use: list)
            .get(":id", use: show)
            .put(":id", use: update)
            .delete(":id", use: delete)
    }

    /// Changes the title; `tenant_id`, if given, must be the property's own.
    @Sendable func update(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        var property = try await visibleProperty(context)
        try context.requirePrincipal().requireAdmin()
        var request = request
        var reader = FieldReader(try await request.wrappedObject("property", limits: limits))
        reader.refuseUnknown(Self.fields)
        if case .given(let title) = reader.string("title", maxLength: 200) {
            if let title, !title.trimmingCharacters(in: .whitespaces).isEmpty {
                property.title = title
            } else {
                reader.fail("title", "can't be blank")
            }
        }
        if case .given(let tenantId?) = reader.uuid("tenant_id", nullable: true), tenantId != property.tenantId {
            reader.fail("tenant_id", "cannot be changed")
        }
        try reader.errors.check()
        try await store.updateProperty(property)
        return JSONResponse(body: ChannexEnvelope.single(ChannexEnvelope.property(property)))
    }

    @Sendable func create(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let principal = try context.requirePrincipal()
        try principal.requireAdmin()
        var request = request
        var reader = FieldReader(try await request.wrappedObject("property", limits: limits))
        reader.refuseUnknown(Self.fields)
        let title = reader.string("title", maxLength: 200).value ?? nil
        if title?.trimmingCharacters(in: .whitespaces).isEmpty ?? true, reader.errors.details["title"] == nil {
            reader.fail("title", "can't be blank")
        }
        let tenantField = reader.uuid("tenant_id", nullable: true)
        try reader.errors.check()
        let tenantId = try principal.actingTenant(named: tenantField.value ?? nil)
        guard try await store.tenant(id: tenantId) != nil else {
            throw ChannexError.validation("tenant_id", "not found")
        }
        let property = Property(tenantId: tenantId, title: title!, createdAt: clock.timestamp())
        try await store.insertProperty(property)
        return JSONResponse(status: .created, body: ChannexEnvelope.single(ChannexEnvelope.property(property)))
    }

    @Sendable func list(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let principal = try context.requirePrincipal()
        let page = try QueryParameters(request.uri).page()
        let properties = try await store.listProperties(
            PropertyQuery(tenantId: principal.tenantId, ids: principal.propertyScope, page: page))
        return JSONResponse(body: ChannexEnvelope.list(properties, render: ChannexEnvelope.property))
    }

    @Sendable func show(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let property = try await visibleProperty(context)
        return JSONResponse(body: ChannexEnvelope.single(ChannexEnvelope.property(property)))
    }

    @Sendable func delete(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let property = try await visibleProperty(context)
        try context.requirePrincipal().requireAdmin()
        try await store.deleteProperty(id: property.id)
        return JSONResponse(body: ChannexEnvelope.success)
    }

    private func visibleProperty(_ context: HeraldRequestContext) async throws -> Property {
        let principal = try context.requirePrincipal()
        let id = try context.uuidParameter("id")
        guard let property = try await store.property(id: id), principal.reaches(property: id, of: property.tenantId)
        else { throw ChannexError.notFound }
        return property
    }
}
