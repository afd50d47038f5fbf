import Foundation
import HeraldCore
import Hummingbird

/// `/api/v1/deliveries/{id}`: one delivery with its attempts, and manual redelivery.
struct DeliveryController<Store: WebhookStore & DeliveryLog> {
    let store: Store
    let clock: HeraldClock

    var endpoints: RouteCollection<HeraldRequestContext> {
        RouteCollection(context: HeraldRequestContext.self)
            .get(":id", use: show)
            .post(":id/retry", use: retry)
    }

    @Sendable func show(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let delivery = try await visibleDelivery(context)
        let attempts = try await store.attempts(deliveryId: delivery.id)
        return JSONResponse(body: ChannexEnvelope.single(ChannexEnvelope.delivery(delivery, attempts: attempts)))
    }

    @Sendable func retry(_ request: Request, context: HeraldRequestContext) async throws -> JSONResponse {
        let delivery = try await visibleDelivery(context)
        guard let requeued = try await store.requeue(deliveryId: delivery.id, now: clock.timestamp()) else {
            throw ChannexError.validation(
                "status", "is \(delivery.status.rawValue); only settled deliveries can be retried")
        }
        return JSONResponse(status: .accepted, body: ChannexEnvelope.single(ChannexEnvelope.delivery(requeued)))
    }

    /// The delivery named in the path, if the caller may see its webhook.
    func visibleDelivery(_ context: HeraldRequestContext) async throws -> Delivery {
        let principal = try context.requirePrincipal()
        try principal.requireWebhookManager()
        guard let id = context.parameters.get("id"), Self.isDeliveryId(id),
            let delivery = try await store.delivery(id: id),
            let webhook = try await store.webhook(id: delivery.webhookId),
            principal.canSee(webhook)
        else { throw ChannexError.notFound }
        return delivery
    }

    static func isDeliveryId(_ text: String) -> Bool {
        text.hasPrefix("msg_") && text.count == 36 && text.dropFirst(4).allSatisfy(\.isHexDigit)
    }
}
