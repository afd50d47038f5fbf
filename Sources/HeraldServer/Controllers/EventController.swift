import Foundation
import HTTPTypes
import HeraldCore
import HeraldDelivery
import Hummingbird
import Metrics
import Tracing

/// `/api/v1/events`: publishers (and tenant admins) post events; each is stored with its fan-out
/// in one atomic commit before the 202.
struct EventController<Store: TenantStore & EventStore> {
    static var maxBatch: Int { 1000 }
    /// Fields a refused batch names at most.
    static var maxReportedProblems: Int { 100 }

    let store: Store
    let clock: HeraldClock
    let limits: BodyLimits

    /// Posting events: the store checks the posting key again in the events' commit, so
    /// these routes may authenticate from ``KeyCache``.
    var publishing: RouteCollection<HeraldRequestContext> {
        RouteCollection(context: HeraldRequestContext.self)
            .post(use: publish)
            .post("batch", use: publishBatch)
    }

    var reading: RouteCollection<HeraldRequestContext> {
        RouteCollection(context: HeraldRequestContext.self)
            .get(use: list)
    }

    /// The tenant's events, newest first, each with its deliveries counted by status.
    @Sendable func list(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let principal = try context.requirePrincipal()
        try principal.requireWebhookManager()
        var query = QueryReader(request.uri)
        let page = query.read { try $0.page() }
        let name = query.read { query -> String? in
            guard let text = query["filter[name]"] else { return nil }
            guard let name = EventCatalog.canonical(text) else {
                throw ChannexError.validation("filter[name]", EventCatalog.unknownEventProblem(text))
            }
            return name
        }
        let propertyId = query.read { try $0.uuid("filter[property_id]") }
        let since = query.read { try $0.date("filter[since]") }
        let until = query.read { try $0.date("filter[until]") }
        let tenantFilter = principal.isPlatformAdmin ? query.read { try $0.uuid("filter[tenant_id]") } : nil
        try query.check()
        let events = try await store.listEvents(
            EventQuery(
                tenantId: principal.tenantId ?? tenantFilter, propertyScope: principal.propertyScope, name: name,
                propertyId: propertyId, since: since, until: until, page: page ?? PageRequest()))
        return JSONResponse(body: ChannexEnvelope.list(events) { ChannexEnvelope.event($0) })
    }

    @Sendable func publish(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let tenantId = try publisherTenant(context)
        var request = request
        let body = try await request.jsonBody(limit: limits.eventLimit, maxDepth: limits.maxDepth)
        guard case .object(let top) = body else { throw ChannexError.badRequest("Request body must be a JSON object") }
        try request.refuseUnknown(in: top, FieldNames(["event"]), required: ["event"])
        guard let inner = top["event"] else { throw ChannexError.validation("event", "can't be blank") }
        guard case .object(let object) = inner else { throw ChannexError.validation("event", "must be an object") }
        var model = try EventWriteModel.parse(object)
        if let key = try Self.idempotencyKeyHeader(request) {
            if let given = model.idempotencyKey, given != key {
                throw ChannexError.validation("idempotency_key", "differs from the Idempotency-Key header")
            }
            model.idempotencyKey = key
        }
        let results = try await ingest([model], tenantId: tenantId, context: context)
        return JSONResponse(status: .accepted, body: ChannexEnvelope.single(ChannexEnvelope.event(results[0])))
    }

    @Sendable func publishBatch(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let tenantId = try publisherTenant(context)
        var request = request
        let body = try await request.jsonBody(limit: limits.batchLimit, maxDepth: limits.maxDepth + 1)
        guard case .object(let top) = body else { throw ChannexError.badRequest("Request body must be a JSON object") }
        try request.refuseUnknown(in: top, FieldNames(["events"]), required: ["events"])
        guard case .array(let items)? = top["events"] else {
            throw ChannexError.validation("events", "must be a list of events")
        }
        guard !items.isEmpty, items.count <= Self.maxBatch else {
            throw ChannexError.validation("events", "must hold 1 to \(Self.maxBatch) events")
        }
        var errors = ValidationErrors()
        var models: [EventWriteModel] = []
        for (index, item) in items.enumerated() {
            // A bounded answer, however many events are wrong.
            if errors.details.count >= Self.maxReportedProblems {
                errors.add("events", "has more problems after events[\(index - 1)]")
                break
            }
            guard case .object(let object) = item else {
                errors.add("events[\(index)]", "must be an object")
                continue
            }
            do {
                models.append(try EventWriteModel.parse(object, prefix: "events[\(index)]."))
            } catch {
                for (field, messages) in error.details { messages.forEach { errors.add(field, $0) } }
            }
        }
        if !errors.isEmpty { throw ChannexError.validation(errors) }
        // One key for the request: each event without a key of its own gets `<key>/<index>`, so
        // the whole batch posted again replays.
        if let key = try Self.idempotencyKeyHeader(request) {
            for index in models.indices where models[index].idempotencyKey == nil {
                models[index].idempotencyKey = "\(key)/\(index)"
            }
        }
        let results = try await ingest(models, tenantId: tenantId, context: context)
        return JSONResponse(status: .accepted, body: ["data": .array(results.map(ChannexEnvelope.event))])
    }

    /// Checks the properties against the key's scope, then stores the events with their
    /// deliveries (the store wakes the workers, and checks the key is live and the properties
    /// the tenant's), in an `events.ingest` span that the events' deliveries continue.
    func ingest(_ models: [EventWriteModel], tenantId: UUID, context: HeraldRequestContext) async throws
        -> [IngestResult]
    {
        try await withSpan("events.ingest") { span in
            span.attributes["herald.tenant.id"] = tenantId.text
            span.attributes["herald.events"] = models.count
            return try await ingest(models, tenantId: tenantId, context: context, trace: span.context)
        }
    }

    func ingest(
        _ models: [EventWriteModel], tenantId: UUID, context: HeraldRequestContext, trace: ServiceContext
    ) async throws -> [IngestResult] {
        let principal = try context.requirePrincipal()
        let field = { (index: Int) in models.count == 1 ? "property_id" : "events[\(index)].property_id" }
        var errors = ValidationErrors()
        for (index, model) in models.enumerated() {
            guard let propertyId = model.propertyId else {
                // A key scoped to properties speaks for those properties only, not the tenant.
                if principal.propertyScope != nil {
                    errors.add(field(index), "can't be blank: this key is scoped to properties")
                }
                continue
            }
            // Whether the property is the tenant's at all is read by the events' commit.
            if !principal.reaches(property: propertyId, of: tenantId) { errors.add(field(index), "not found") }
        }
        if !errors.isEmpty { throw ChannexError.validation(errors) }
        let now = clock.timestamp()
        let traceParent = TraceContext.traceParent(of: trace)
        let events = models.map { model in
            var event = model.event(tenantId: tenantId, now: now)
            event.traceParent = traceParent
            return event
        }
        // Matching and the deliveries it makes are written in the events' own commit.
        let results = try await withSpan("fan_out") { span in
            let results: [IngestResult]
            do {
                results = try await StoreLatency.measure(.ingest) {
                    try await store.ingest(
                        IngestRequest(events: events, tenantId: tenantId, now: now, keyId: principal.keyId))
                }
            } catch StoreError.unknownProperties(let indices) {
                var unknown = ValidationErrors()
                for index in indices { unknown.add(field(index), "not found") }
                throw ChannexError.validation(unknown)
            }
            span.attributes["herald.deliveries"] = results.reduce(0) { $0 + $1.deliveries }
            return results
        }
        // By event and dialect (32 names, two dialects: a bounded label set); replays add nothing.
        var counts: [String: Int] = [:]
        for result in results where !result.replayed { counts[result.event.name, default: 0] += 1 }
        for (name, count) in counts {
            let dialect = EventCatalog.octo.contains(name) ? "octo" : "channex"
            Counter(label: "herald_events_ingested_total", dimensions: [("event", name), ("dialect", dialect)])
                .increment(by: count)
        }
        return results
    }

    static var idempotencyKeyName: HTTPField.Name { HTTPField.Name("Idempotency-Key")! }

    /// The `Idempotency-Key` header, as the IETF draft and Stripe name it; nil when absent.
    static func idempotencyKeyHeader(_ request: Request) throws -> String? {
        guard let key = request.headers[idempotencyKeyName] else { return nil }
        guard !key.isEmpty, key.utf8.count <= 240 else {
            throw ChannexError.validation("Idempotency-Key", "must be 1 to 240 characters")
        }
        return key
    }

    func publisherTenant(_ context: HeraldRequestContext) throws -> UUID {
        let principal = try context.requirePrincipal()
        guard let tenantId = principal.tenantId, principal.role == .publisher || principal.role == .admin else {
            throw ChannexError.forbidden("events are posted with a publisher or tenant admin key")
        }
        return tenantId
    }
}
