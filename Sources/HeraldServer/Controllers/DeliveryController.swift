import Foundation
import HeraldCore
import Hummingbird

/// `/api/v1/deliveries/{id}`: one delivery with its attempts, and manual redelivery.
struct DeliveryController<Store: WebhookStore & DeliveryLog> {
    let store: Store
    let clock: HeraldClock

    var endpoints: RouteCollection<HeraldRequestContext> {
        RouteCollection(context: HeraldRequestContext.self)
            .get(use: list)
            .get(":id", use: show)
            .post(":id/retry", use: retry)
    }

    /// Deliveries across the webhooks the key sees, newest first.
    @Sendable func list(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let principal = try context.requirePrincipal()
        try principal.requireWebhookManager()
        var query = QueryReader(request.uri)
        let page = query.read { try $0.page() }
        let status = query.read { query -> Delivery.Status? in
            guard let text = query["filter[status]"] else { return nil }
            guard let status = Delivery.Status(rawValue: text) else {
                throw ChannexError.validation("filter[status]", "must be one of pending, in_flight, succeeded, failed")
            }
            return status
        }
        let eventId = query.read { try $0.uuid("filter[event_id]") }
        let webhookId = query.read { try $0.uuid("filter[webhook_id]") }
        let since = query.read { try $0.date("filter[since]") }
        let until = query.read { try $0.date("filter[until]") }
        let tenantFilter = principal.isPlatformAdmin ? query.read { try $0.uuid("filter[tenant_id]") } : nil
        try query.check()
        let deliveries = try await store.listDeliveries(
            DeliveryQuery(
                tenantId: principal.tenantId ?? tenantFilter, propertyScope: principal.propertyScope,
                includeGlobal: principal.isAdmin, status: status, eventId: eventId, webhookId: webhookId, since: since,
                until: until, page: page ?? PageRequest()))
        return JSONResponse(body: ChannexEnvelope.list(deliveries) { ChannexEnvelope.delivery($0) })
    }

    @Sendable func show(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let delivery = try await visibleDelivery(context)
        let attempts = try await store.attempts(deliveryId: delivery.id)
        return JSONResponse(body: ChannexEnvelope.single(ChannexEnvelope.delivery(delivery, attempts: attempts)))
    }

    @Sendable func retry(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let (delivery, webhook) = try await visibleDeliveryAndWebhook(context)
        let requeued = try await retry(delivery, of: webhook, by: try context.requirePrincipal())
        return JSONResponse(status: .accepted, body: ChannexEnvelope.single(ChannexEnvelope.delivery(requeued)))
    }

    /// Sends `delivery` again, now: the API's retry and the portal's redeliver.
    func retry(_ delivery: Delivery, of webhook: Webhook, by principal: Principal) async throws -> Delivery {
        // Sending again acts for the webhook: a protected one's deliveries need an admin key.
        guard principal.canModify(webhook) else {
            throw ChannexError.forbidden("deliveries of protected webhooks can only be retried with an admin key")
        }
        guard let requeued = try await store.requeue(deliveryId: delivery.id, now: clock.timestamp()) else {
            throw ChannexError.validation(
                "status", "is in_flight: it is being sent now; retry it once it settles")
        }
        return requeued
    }

    /// The delivery named in the path, if the caller may see its webhook.
    func visibleDelivery(_ context: HeraldRequestContext) async throws -> Delivery {
        try await visibleDeliveryAndWebhook(context).delivery
    }

    /// The delivery named in the path and its webhook, if the caller may see the webhook.
    func visibleDeliveryAndWebhook(_ context: HeraldRequestContext) async throws -> (
        delivery: Delivery, webhook: Webhook
    ) {
        let principal = try context.requirePrincipal()
        try principal.requireWebhookManager()
        return try await visibleDeliveryAndWebhook(id: context.parameters.get("id") ?? "", by: principal)
    }

    /// Delivery `id` and its webhook, if `principal` may see the webhook; anything else is 404.
    func visibleDeliveryAndWebhook(id: String, by principal: Principal) async throws -> (
        delivery: Delivery, webhook: Webhook
    ) {
        try principal.requireWebhookManager()
        guard Self.isDeliveryId(id), let delivery = try await store.delivery(id: id),
            let webhook = try await store.webhook(id: delivery.webhookId),
            principal.canSee(webhook)
        else { throw ChannexError.notFound }
        return (delivery, webhook)
    }

    static func isDeliveryId(_ text: String) -> Bool {
        text.hasPrefix("msg_") && text.count == 36 && text.dropFirst(4).allSatisfy(\.isHexDigit)
    }
}
