import Foundation
import HeraldCore
import HeraldDelivery
import Hummingbird

/// `/api/v1/webhooks`: the Channex webhook collection, field for field, plus Herald's secret routes.
struct WebhookController<Store: TenantStore & WebhookStore & DeliveryLog> {
    let store: Store
    let clock: HeraldClock
    let limits: BodyLimits
    let courier: Courier
    /// How many webhooks a tenant may have.
    let quota: WebhookQuota
    /// How long a rotated-out secret keeps signing.
    let secretGracePeriod: TimeInterval
    /// At most this many retired secrets sign beside the current one.
    static var maxPreviousSecrets: Int { 9 }

    var endpoints: RouteCollection<HeraldRequestContext> {
        RouteCollection(context: HeraldRequestContext.self)
            .get(use: list)
            .post(use: create)
            .get(":id", use: show)
            .put(":id", use: update)
            .delete(":id", use: delete)
            .get(":id/secret", use: secret)
            .post(":id/secret/rotate", use: rotateSecret)
            .post("test", use: test)
            .post(":id/test", use: testSaved)
            .get(":id/deliveries", use: deliveries)
            .post(":id/recover", use: recover)
    }

    @Sendable func list(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let principal = try context.requirePrincipal()
        try principal.requireWebhookManager()
        var query = QueryReader(request.uri)
        let page = query.read { try $0.page() }
        let propertyId = query.read { try $0.uuid("filter[property_id]") }
        let isActive = query.read { try $0.bool("filter[is_active]") }
        let isGlobal = query.read { try $0.bool("filter[is_global]") }
        let tenantFilter = principal.isPlatformAdmin ? query.read { try $0.uuid("filter[tenant_id]") } : nil
        try query.check()

        let webhooks = try await store.listWebhooks(
            WebhookQuery(
                tenantId: principal.tenantId ?? tenantFilter,
                propertyScope: principal.propertyScope,
                includeGlobal: principal.isAdmin,
                propertyId: propertyId,
                isActive: isActive,
                isGlobal: isGlobal,
                page: page ?? PageRequest()))
        return JSONResponse(
            body: ChannexEnvelope.list(webhooks) {
                ChannexEnvelope.webhook($0, redacted: !principal.canModify($0))
            })
    }

    @Sendable func show(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let webhook = try await visibleWebhook(context)
        let redacted = try !context.requirePrincipal().canModify(webhook)
        return JSONResponse(body: ChannexEnvelope.single(ChannexEnvelope.webhook(webhook, redacted: redacted)))
    }

    @Sendable func create(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let principal = try context.requirePrincipal()
        try principal.requireWebhookManager()
        var request = request
        let webhook = try await create(try await request.wrappedObject("webhook", limits: limits), by: principal)
        let body = ChannexEnvelope.webhook(webhook, signingSecret: webhook.currentSecret?.value)
        return JSONResponse(status: .created, body: ChannexEnvelope.single(body))
    }

    /// Stores a new webhook from a write body (`{"webhook": {...}}`'s object), under every rule
    /// the API holds it to: the API and the portal both create through here.
    func create(_ object: [String: JSONValue], by principal: Principal) async throws -> Webhook {
        try principal.requireWebhookManager()
        let model = try WebhookWriteModel.parse(object, mode: .create)
        let tenantId = try await tenant(for: model, principal: principal)
        guard let webhook = model.newWebhook(tenantId: tenantId, now: clock.timestamp()) else {
            throw ChannexError.validation("webhook", "can't be blank")
        }
        try await check(webhook, by: principal)
        try await checkTarget(webhook.callbackURL)
        if let problem = try await quota.problem(for: tenantId, in: store) {
            throw ChannexError.validation("webhook", problem)
        }
        try await store.insertWebhook(webhook)
        return webhook
    }

    @Sendable func update(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let principal = try context.requirePrincipal()
        let current = try await modifiableWebhook(context)
        var request = request
        let updated = try await update(
            current, with: try await request.wrappedObject("webhook", limits: limits), by: principal)
        return JSONResponse(body: ChannexEnvelope.single(ChannexEnvelope.webhook(updated)))
    }

    /// Changes `current` (one `principal` may modify) as a write body says: the API's PUT and the
    /// portal's edit and toggle.
    func update(_ current: Webhook, with object: [String: JSONValue], by principal: Principal) async throws -> Webhook {
        let model = try WebhookWriteModel.parse(object, mode: .update, current: current)
        if case .given(let requested?) = model.tenantId, requested != current.tenantId {
            throw ChannexError.validation("tenant_id", "cannot be changed")
        }
        let updated = model.applied(to: current, now: clock.timestamp())
        try await check(updated, by: principal)
        if updated.callbackURL != current.callbackURL { try await checkTarget(updated.callbackURL) }
        try await store.updateWebhook(updated)
        return updated
    }

    @Sendable func delete(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let webhook = try await modifiableWebhook(context)
        try await store.deleteWebhook(id: webhook.id)
        return JSONResponse(body: ChannexEnvelope.success)
    }

    @Sendable func secret(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        // Whoever holds the secret can forge the webhook's messages: only those who may change it.
        let webhook = try await actionableWebhook(context, "protected webhooks' secrets need an admin key")
        return JSONResponse(
            body: ChannexEnvelope.single(ChannexEnvelope.webhookSecret(webhook, now: clock.timestamp())))
    }

    @Sendable func rotateSecret(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let webhook = try await rotateSecret(of: try await modifiableWebhook(context))
        return JSONResponse(
            body: ChannexEnvelope.single(ChannexEnvelope.webhookSecret(webhook, now: clock.timestamp())))
    }

    /// Gives `webhook` a new signing secret; the ones it had keep signing for the grace period.
    func rotateSecret(of webhook: Webhook) async throws -> Webhook {
        var webhook = webhook
        let now = clock.timestamp()
        let expiry = now.addingTimeInterval(secretGracePeriod)
        let retired = webhook.signingSecrets(at: now).map { secret in
            SigningSecret(value: secret.value, expiresAt: secret.expiresAt ?? expiry)
        }
        webhook.secrets =
            [SigningSecret(value: KeyMaterial.newSigningSecret())] + retired.prefix(Self.maxPreviousSecrets)
        webhook.updatedAt = now
        try await store.updateWebhook(webhook)
        return webhook
    }

    /// Sends one signed test message for an unsaved webhook and answers what the endpoint said.
    @Sendable func test(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let principal = try context.requirePrincipal()
        try principal.requireWebhookManager()
        var request = request
        let object = try await request.wrappedObject("webhook", limits: limits)
        let model = try WebhookWriteModel.parse(object, mode: .test)
        var secret = KeyMaterial.newSigningSecret()
        if let given = object["signing_secret"] {
            guard let text = given.stringValue, text.hasPrefix("whsec_"), text.count <= 200 else {
                throw ChannexError.validation("signing_secret", "must be a whsec_ secret")
            }
            secret = text
        }
        guard let url = model.callbackURL.value, let mask = model.eventMask.value else {
            throw ChannexError.validation("webhook", "can't be blank")
        }
        let propertyId = (model.propertyId.value ?? nil) ?? UUID()
        let now = clock.timestamp()
        let tenantId = principal.tenantId ?? UUID()
        let webhook = Webhook(
            tenantId: tenantId, propertyId: propertyId, isGlobal: false, callbackURL: url, eventMask: mask,
            requestParams: model.requestParams.value ?? nil, headers: model.headers.value ?? nil, isActive: true,
            sendData: model.sendData.or(false), secrets: [SigningSecret(value: secret)], createdAt: now, updatedAt: now)
        var answer = try await sendTest(
            to: webhook, tenant: Tenant(id: tenantId, name: "", createdAt: now), propertyId: propertyId)
        if object["signing_secret"] == nil { answer["signing_secret"] = .string(secret) }
        return JSONResponse(body: .object(answer))
    }

    /// Sends one signed test message to a saved webhook, as its deliveries go (its secret, headers
    /// and request parameters), whether it is active or not; stores nothing.
    @Sendable func testSaved(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let principal = try context.requirePrincipal()
        try principal.requireWebhookManager()
        let webhook = try await testableWebhook(id: try context.uuidParameter("id"), by: principal)
        var request = request
        if request.headers[.contentLength].flatMap(Int.init) ?? 0 > 0 {
            // Nothing to say yet; an empty object (or none) is the only body.
            let body = try await request.jsonBody(limit: limits.writeLimit, maxDepth: limits.maxDepth)
            guard case .object(let object) = body else {
                throw ChannexError.badRequest("Request body must be a JSON object")
            }
            try request.refuseUnknown(in: object, FieldNames([]))
        }
        return JSONResponse(body: .object(try await sendTest(toSaved: webhook)))
    }

    /// One test message to a saved webhook, as its deliveries go, whether it is active or not.
    func sendTest(toSaved webhook: Webhook) async throws -> [String: JSONValue] {
        guard let tenant = try await store.tenant(id: webhook.tenantId) else { throw ChannexError.notFound }
        var saved = webhook
        saved.isActive = true
        return try await sendTest(to: saved, tenant: tenant, propertyId: webhook.propertyId ?? UUID())
    }

    /// One attempt of a test event for `webhook`'s mask: what the endpoint answered.
    func sendTest(to webhook: Webhook, tenant: Tenant, propertyId: UUID) async throws -> [String: JSONValue] {
        let now = clock.timestamp()
        let name = SampleEvents.name(for: webhook.eventMask)
        let event = Event(
            tenantId: tenant.id, propertyId: propertyId, name: name,
            payload: SampleEvents.payload(for: name, propertyId: propertyId), occurredAt: now, isTest: true,
            createdAt: now)
        let job = DispatchJob(
            delivery: Delivery(
                eventId: event.id, webhookId: webhook.id, tenantId: tenant.id,
                eventName: webhook.eventMask.match(name)?.deliveredName ?? name, nextAttemptAt: now, createdAt: now),
            event: event, webhook: webhook, tenant: tenant)
        let outcome = await courier.attempt(job, at: now)
        if case .refused(let refusal) = outcome, refusal.isFinal {
            throw ChannexError.validation("callback_url", refusal.description)
        }
        var answer: [String: JSONValue] = [
            "status_code": .int(Int64(outcome.statusCode ?? 0)),
            "body": .string(outcome.responseBody ?? ""),
            "duration_ms": .int(Int64(outcome.durationMs)),
            "webhook_id": .string(job.delivery.id),
        ]
        if let error = outcome.failure { answer["error"] = .string(error) }
        return answer
    }

    @Sendable func deliveries(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let webhook = try await visibleWebhook(context)
        let query = QueryParameters(request.uri)
        var status: Delivery.Status?
        if let text = query["filter[status]"] {
            status = Delivery.Status(rawValue: text)
            if status == nil {
                throw ChannexError.validation("filter[status]", "must be one of pending, in_flight, succeeded, failed")
            }
        }
        let page = try await store.deliveries(webhookId: webhook.id, status: status, page: try query.page())
        return JSONResponse(body: ChannexEnvelope.list(page) { ChannexEnvelope.delivery($0) })
    }

    /// Requeues the webhook's failed deliveries created between `since` and `until` (default now).
    @Sendable func recover(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let webhook = try await actionableWebhook(
            context, "deliveries of protected webhooks can only be recovered with an admin key")
        var request = request
        let body = try await request.jsonBody(limit: limits.writeLimit, maxDepth: limits.maxDepth)
        guard case .object(let top) = body else { throw ChannexError.badRequest("Request body must be a JSON object") }
        if let wrapped = top["recover"], wrapped.objectValue == nil {
            throw ChannexError.validation("recover", "must be an object")
        }
        let object = top["recover"]?.objectValue ?? top
        if top["recover"] != nil { try request.refuseUnknown(in: top, FieldNames(["recover"])) }
        let count = try await recover(webhook, range: object)
        return JSONResponse(body: ["meta": ["message": "Success", "requeued": .int(Int64(count))]])
    }

    /// Requeues `webhook`'s failed deliveries made in the range `object` gives (`since`, and
    /// `until`, default now): the API's recover and the portal's. Returns how many.
    func recover(_ webhook: Webhook, range object: [String: JSONValue]) async throws -> Int {
        var reader = FieldReader(object)
        reader.refuseUnknown(FieldNames(["since", "until"]))
        let now = clock.timestamp()
        var since: Date?
        var until = now
        switch reader.string("since", maxLength: 64) {
        case .given(let text?):
            since = Timestamp.parse(text)
            if since == nil { reader.fail("since", "must be an ISO 8601 date-time") }
        default:
            if object["since"] == nil { reader.fail("since", "can't be blank") }
        }
        if case .given(let text?) = reader.string("until", maxLength: 64, nullable: true) {
            if let date = Timestamp.parse(text) {
                until = date
            } else {
                reader.fail("until", "must be an ISO 8601 date-time")
            }
        }
        if let since, since > until { reader.fail("since", "must be before until") }
        try reader.errors.check()
        return try await store.recover(webhookId: webhook.id, since: since!, until: until, now: now)
    }

    // MARK: - Access

    /// The webhook named in the path, if the caller may see it; anything else is 404.
    func visibleWebhook(_ context: HeraldRequestContext) async throws -> Webhook {
        let principal = try context.requirePrincipal()
        try principal.requireWebhookManager()
        return try await visibleWebhook(id: try context.uuidParameter("id"), by: principal)
    }

    /// The webhook `id`, if `principal` may see it; anything else is 404.
    func visibleWebhook(id: UUID, by principal: Principal) async throws -> Webhook {
        try principal.requireWebhookManager()
        guard let webhook = try await store.webhook(id: id), principal.canSee(webhook) else {
            throw ChannexError.notFound
        }
        return webhook
    }

    /// The webhook named in the path, if the caller may act for it (read its secrets, send as
    /// it, resend its deliveries): those who may change it. Either dialect.
    func actionableWebhook(_ context: HeraldRequestContext, _ refusal: String) async throws -> Webhook {
        let principal = try context.requirePrincipal()
        try principal.requireWebhookManager()
        return try await actionableWebhook(id: try context.uuidParameter("id"), by: principal, refusal)
    }

    /// The webhook `id`, if `principal` may act for it.
    func actionableWebhook(id: UUID, by principal: Principal, _ refusal: String) async throws -> Webhook {
        let webhook = try await visibleWebhook(id: id, by: principal)
        guard principal.canModify(webhook) else { throw ChannexError.forbidden(refusal) }
        return webhook
    }

    /// The webhook `id`, if `principal` may send it a test: a test goes signed with its secret
    /// and carries its headers, so it acts for it; OCTO webhooks are tested through their dialect.
    func testableWebhook(id: UUID, by principal: Principal) async throws -> Webhook {
        let webhook = try await actionableWebhook(
            id: id, by: principal, "protected webhooks can only be tested with an admin key")
        guard webhook.dialect == .channex else {
            throw ChannexError.forbidden("OCTO webhooks are managed through /octo/webhooks")
        }
        return webhook
    }

    /// The webhook named in the path, if the caller may change it.
    func modifiableWebhook(_ context: HeraldRequestContext) async throws -> Webhook {
        let principal = try context.requirePrincipal()
        try principal.requireWebhookManager()
        return try await modifiableWebhook(id: try context.uuidParameter("id"), by: principal)
    }

    /// The webhook `id`, if `principal` may change it.
    func modifiableWebhook(id: UUID, by principal: Principal) async throws -> Webhook {
        let webhook = try await visibleWebhook(id: id, by: principal)
        guard webhook.dialect == .channex else {
            throw ChannexError.forbidden("OCTO webhooks are managed through /octo/webhooks")
        }
        guard principal.canModify(webhook) else {
            throw ChannexError.forbidden("protected webhooks can only be changed with an admin key")
        }
        return webhook
    }

    /// The tenant a new webhook belongs to: the caller's, or for platform admins the property's
    /// (or the named `tenant_id` of a global webhook).
    func tenant(for model: WebhookWriteModel, principal: Principal) async throws -> UUID {
        if let tenantId = principal.tenantId {
            if case .given(let requested?) = model.tenantId, requested != tenantId {
                throw ChannexError.validation("tenant_id", "not found")
            }
            return tenantId
        }
        if case .given(let propertyId?) = model.propertyId {
            guard let property = try await store.property(id: propertyId) else {
                throw ChannexError.validation("property_id", "not found")
            }
            return property.tenantId
        }
        let tenantId = try principal.actingTenant(named: model.tenantId.value ?? nil)
        guard try await store.tenant(id: tenantId) != nil else {
            throw ChannexError.validation("tenant_id", "not found")
        }
        return tenantId
    }

    /// Refuses callback URLs the target policy forbids. A name that does not resolve yet is
    /// accepted: every delivery checks again before it connects.
    func checkTarget(_ url: String) async throws {
        do {
            _ = try await courier.targets.check(url)
        } catch .unresolvable {
            return
        } catch {
            throw ChannexError.validation("callback_url", error.description)
        }
    }

    /// The rules a webhook must meet to be stored by `principal`.
    func check(_ webhook: Webhook, by principal: Principal) async throws {
        try WebhookWriteModel.checkScope(of: webhook)
        if principal.role == .user {
            if webhook.isGlobal { throw ChannexError.forbidden("global webhooks need a tenant admin key") }
            if webhook.isProtected { throw ChannexError.forbidden("only admin keys may protect a webhook") }
        }
        if let propertyId = webhook.propertyId {
            guard let property = try await store.property(id: propertyId), property.tenantId == webhook.tenantId,
                principal.reaches(property: propertyId, of: property.tenantId)
            else { throw ChannexError.validation("property_id", "not found") }
        }
    }
}
