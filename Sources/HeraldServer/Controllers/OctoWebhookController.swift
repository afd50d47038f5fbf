import Foundation
import HTTPTypes
import HeraldCore
import HeraldDelivery
import Hummingbird
import NIOCore

/// `/octo/webhooks`: the OCTO `octo/webhooks` capability (Ventrata, Peek). OCTO webhooks are
/// tenant-wide; errors come in the OCTO shape.
struct OctoWebhookController<Store: TenantStore & WebhookStore> {
    let store: Store
    let clock: HeraldClock
    let limits: BodyLimits
    let targets: DeliveryTargets
    /// How many webhooks a tenant may have.
    let quota: WebhookQuota

    static var capabilitiesHeader: HTTPField.Name { HTTPField.Name("Octo-Capabilities")! }
    static var legacyCapabilitiesHeader: HTTPField.Name { HTTPField.Name("X-Capabilities")! }

    var endpoints: RouteCollection<HeraldRequestContext> {
        RouteCollection(context: HeraldRequestContext.self)
            .post(use: create)
            .get(use: list)
            .delete(use: deleteByURL)
            .patch(":id", use: update)
            .delete(":id", use: delete)
    }

    @Sendable func create(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let (tenantId, capabilities) = try access(request, context)
        let model = try await parse(request, creating: true)
        guard let event = model.event, let url = model.url else {
            throw OctoError.badRequest("event and url are required")
        }
        try await checkTarget(url)
        if let problem = try await quota.problem(for: tenantId, in: store) {
            throw OctoError.badRequest("webhook \(problem)")
        }
        let settings = OctoSettings(
            event: event,
            capabilities: OctoWebhookWriteModel.capabilities(
                header: capabilities, body: model.bodyCapabilities, event: event),
            retryOnError: model.retryOnError ?? true, useContactLanguage: model.useContactLanguage ?? true)
        let now = clock.timestamp()
        let webhook = Webhook(
            tenantId: tenantId, propertyId: nil, isGlobal: true, dialect: .octo, callbackURL: url,
            eventMask: try EventMask(parsing: event), headers: model.headers.value ?? nil, isActive: true,
            sendData: true, secrets: [SigningSecret(value: KeyMaterial.newSigningSecret())],
            retryPolicy: settings.retryOnError ? nil : RetryPolicy.none, octo: settings, createdAt: now, updatedAt: now)
        try await store.insertWebhook(webhook)
        // The signing secret comes back once, on create, as in the Channex dialect.
        guard case .object(var created) = OctoPayload.webhook(webhook) else { return answer(.null, request: request) }
        created["signingSecret"] = webhook.currentSecret.map { .string($0.value) } ?? .null
        return answer(.object(created), request: request)
    }

    @Sendable func list(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let (tenantId, _) = try access(request, context)
        let webhooks = try await all(of: tenantId)
        return answer(.array(webhooks.map(OctoPayload.webhook)), request: request)
    }

    @Sendable func update(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let (tenantId, capabilities) = try access(request, context)
        var webhook = try await octoWebhook(context, tenantId: tenantId)
        let model = try await parse(request, creating: false)
        var settings = webhook.octo ?? OctoSettings(event: webhook.eventMask.raw, capabilities: [])
        if let given = model.url,
            let problem = CallbackURL.maskedCredentialsProblem(given, current: webhook.callbackURL)
        {
            throw OctoError.badRequest("url \(problem)")
        }
        if let url = model.url.map({ CallbackURL.unmasked($0, current: webhook.callbackURL) }),
            url != webhook.callbackURL
        {
            try await checkTarget(url)
            webhook.callbackURL = url
        }
        if let event = model.event {
            settings.event = event
            webhook.eventMask = try EventMask(parsing: event)
        }
        if let retry = model.retryOnError { settings.retryOnError = retry }
        if let language = model.useContactLanguage { settings.useContactLanguage = language }
        if case .given(let headers) = model.headers { webhook.headers = headers }
        // Capabilities are recalculated from the header on every PATCH.
        settings.capabilities = OctoWebhookWriteModel.capabilities(
            header: capabilities, body: model.bodyCapabilities, event: settings.event)
        webhook.octo = settings
        webhook.retryPolicy = settings.retryOnError ? nil : RetryPolicy.none
        webhook.updatedAt = clock.timestamp()
        try await store.updateWebhook(webhook)
        return answer(OctoPayload.webhook(webhook), request: request)
    }

    @Sendable func delete(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let (tenantId, _) = try access(request, context)
        let webhook = try await octoWebhook(context, tenantId: tenantId)
        try await store.deleteWebhook(id: webhook.id)
        return answer(OctoPayload.webhook(webhook), request: request)
    }

    /// Deletes the tenant's OCTO webhooks with `url` (and `event`, if given), from the body or the query.
    @Sendable func deleteByURL(_ request: Request, context: HeraldRequestContext) async throws -> Response {
        let (tenantId, _) = try access(request, context)
        let query = QueryParameters(request.uri)
        var url = query["url"]
        var eventText = query["event"]
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limits.maxBytes)
        } catch is NIOTooManyBytesError {
            throw ChannexError.payloadTooLarge(limits.writeLimit)
        }
        if buffer.readableBytes > 0 {
            // A delete is the last place to let a typo through: `{"url": U, "evnt": E}` would
            // delete every webhook of U.
            let body = try await request.jsonBody(limit: limits.writeLimit, maxDepth: limits.maxDepth, buffer: buffer)
            guard case .object(let object) = body else { throw OctoError.badRequest("body must be a JSON object") }
            let fields = FieldNames(["url", "event"])
            if let name = fields.unknown(in: object).first {
                throw OctoError(
                    status: .unprocessableContent, code: "UNPROCESSABLE_ENTITY",
                    message: "\(name.prefix(FieldNames.maxNameLength)) \(fields.problem(with: name))",
                    extra: [
                        "field": .string(String(name.prefix(FieldNames.maxNameLength))),
                        "suggestion": fields.closest(to: name).map(JSONValue.string) ?? .null,
                    ])
            }
            for (key, given) in [("url", url), ("event", eventText)] {
                guard let value = object[key] else { continue }
                guard let text = value.stringValue else { throw OctoError.badRequest("\(key) must be a string") }
                if let given, given != text {
                    throw OctoError.badRequest("\(key) is given in the query and the body, differently")
                }
                if key == "url" { url = text } else { eventText = text }
            }
        }
        guard let url, !url.isEmpty else { throw OctoError.badRequest("url is required") }
        var event: String?
        if let eventText {
            guard let name = OctoWebhookWriteModel.normalise(event: eventText) else {
                throw OctoError.badRequest(
                    "event must be one of \(OctoWebhookWriteModel.events.joined(separator: ", "))")
            }
            event = name
        }
        let doomed = try await all(of: tenantId).filter {
            ($0.callbackURL == url || CallbackURL.masked($0.callbackURL) == url)
                && (event == nil || $0.octo?.event == event)
        }
        for webhook in doomed { try await store.deleteWebhook(id: webhook.id) }
        return answer(.array(doomed.map(OctoPayload.webhook)), request: request)
    }

    // MARK: - Helpers

    /// The caller's tenant and the request's capabilities; OCTO webhooks are tenant-wide, so only
    /// keys that reach the whole tenant manage them.
    func access(_ request: Request, _ context: HeraldRequestContext) throws -> (UUID, [String]) {
        let principal = try context.requirePrincipal()
        guard let tenantId = principal.tenantId else {
            throw OctoError.forbidden("OCTO webhooks belong to a tenant: use a tenant key")
        }
        // OCTO webhooks are tenant-wide, and tenant-wide webhooks are the tenant admins' (users
        // manage their properties' webhooks only, as in the Channex API).
        guard principal.role == .admin else {
            throw OctoError.forbidden("OCTO webhooks are tenant-wide: manage them with a tenant admin key")
        }
        let header = request.headers[Self.capabilitiesHeader] ?? request.headers[Self.legacyCapabilitiesHeader] ?? ""
        let capabilities = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty
        }
        guard capabilities.contains(where: OctoWebhookWriteModel.webhooksCapabilities.contains) else {
            throw OctoError.forbidden("The Octo-Capabilities header must include octo/webhooks")
        }
        return (tenantId, capabilities)
    }

    func parse(_ request: Request, creating: Bool) async throws -> OctoWebhookWriteModel {
        var request = request
        let body = try await request.jsonBody(limit: limits.writeLimit, maxDepth: limits.maxDepth)
        guard case .object(let object) = body else { throw OctoError.badRequest("body must be a JSON object") }
        switch OctoWebhookWriteModel.parse(object, creating: creating) {
        case .success(let model): return model
        case .failure(let error):
            guard let field = error.unknownField else { throw OctoError.badRequest(error.message) }
            throw OctoError(
                status: .unprocessableContent, code: "UNPROCESSABLE_ENTITY", message: error.message,
                extra: ["field": .string(field), "suggestion": error.suggestion.map(JSONValue.string) ?? .null])
        }
    }

    func checkTarget(_ url: String) async throws {
        do {
            _ = try await targets.check(url)
        } catch .unresolvable {
            return
        } catch {
            throw OctoError.badRequest("url \(error.description)")
        }
    }

    func octoWebhook(_ context: HeraldRequestContext, tenantId: UUID) async throws -> Webhook {
        let text = context.parameters.get("id") ?? ""
        guard let id = UUID(text: text), let webhook = try await store.webhook(id: id),
            webhook.tenantId == tenantId, webhook.dialect == .octo
        else { throw OctoError.invalidWebhookId(text) }
        return webhook
    }

    func all(of tenantId: UUID) async throws -> [Webhook] {
        var webhooks: [Webhook] = []
        var page = PageRequest(page: 1, limit: PageRequest.maxLimit)
        while true {
            let batch = try await store.listWebhooks(WebhookQuery(tenantId: tenantId, dialect: .octo, page: page))
            webhooks += batch.items
            if webhooks.count >= batch.total || batch.items.isEmpty { return webhooks }
            page = PageRequest(page: page.page + 1, limit: page.limit)
        }
    }

    /// A JSON answer that echoes the request's `Octo-Capabilities`.
    func answer(_ body: JSONValue, request: Request) -> Response {
        var response = JSONResponse(body: body).response()
        if let capabilities = request.headers[Self.capabilitiesHeader] {
            response.headers[Self.capabilitiesHeader] = capabilities
        }
        return response
    }
}
