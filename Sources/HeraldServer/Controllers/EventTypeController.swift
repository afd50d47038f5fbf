import Foundation
import HeraldCore
import Hummingbird

/// `/api/v1/event_types`: every event a webhook can subscribe to, with a sample payload, so that
/// event names are somewhere besides the code.
struct EventTypeController {
    /// The property id the sample payloads carry (the one of Channex's own examples).
    static let sampleProperty = UUID(uuidString: "716305c4-561a-4561-a187-7f5b8aeb5920")!

    var endpoints: RouteCollection<HeraldRequestContext> {
        RouteCollection(context: HeraldRequestContext.self)
            .get(use: list)
            .get(":name", use: show)
    }

    @Sendable func list(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        _ = try context.requirePrincipal()
        let query = QueryParameters(request.uri)
        let groups = Set(EventCatalog.types.map(\.group))
        var errors = ValidationErrors()
        let group = query["filter[group]"]
        if let group, !groups.contains(group) {
            errors.add("filter[group]", "must be one of \(groups.sorted().joined(separator: ", "))")
        }
        let dialect = query["filter[dialect]"]
        if let dialect, Webhook.Dialect(rawValue: dialect) == nil {
            errors.add("filter[dialect]", "must be channex or octo")
        }
        if !errors.isEmpty { throw ChannexError.validation(errors) }
        let types = EventCatalog.types.filter {
            (group == nil || $0.group == group) && (dialect == nil || $0.dialect.rawValue == dialect)
        }
        return JSONResponse(body: [
            "data": .array(types.map(Self.render)),
            "meta": ["total": .int(Int64(types.count)), "event_mask": .string(EventMaskError.grammar)],
        ])
    }

    @Sendable func show(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        _ = try context.requirePrincipal()
        let name = context.parameters.get("name") ?? ""
        guard let canonical = EventCatalog.canonical(name),
            let type = EventCatalog.types.first(where: { $0.name == canonical })
        else { throw ChannexError.notFound }
        return JSONResponse(body: ChannexEnvelope.single(Self.render(type)))
    }

    static func render(_ type: EventType) -> JSONValue {
        ChannexEnvelope.resource(
            type: "event_type", id: type.name,
            attributes: [
                "name": .string(type.name), "group": .string(type.group), "description": .string(type.description),
                "dialect": .string(type.dialect.rawValue),
                "sample_payload": type.samplePayload(propertyId: sampleProperty),
            ])
    }
}
