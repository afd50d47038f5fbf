import Foundation

/// Which webhooks an event reaches, and how: the pure half of ingest.
public enum FanOut {
    public struct Target: Sendable, Hashable {
        public var webhook: Webhook
        public var match: EventMask.Match
    }

    /// The targets of `event` among `candidates` (the tenant's webhooks of the event's property and
    /// its global ones; anything else is ignored here too).
    ///
    /// - Only active webhooks, of the event's tenant, whose mask matches.
    /// - Test events reach only test endpoints (`receivesTestEvents`), live events only the others.
    /// - An `ari` webhook whose filters keep no item of the payload gets nothing.
    /// - A global and a property webhook on the same endpoint deliver once, through the property webhook.
    public static func targets(of event: Event, among candidates: [Webhook]) -> [Target] {
        var targets: [Target] = []
        for webhook in candidates
        where webhook.isActive && webhook.tenantId == event.tenantId && webhook.receivesTestEvents == event.isTest {
            let inScope = webhook.isGlobal || (webhook.propertyId != nil && webhook.propertyId == event.propertyId)
            guard inScope, let match = webhook.eventMask.match(event.name) else { continue }
            if !match.ariFilters.isEmpty {
                guard case .array(let kept) = ARIFilter.apply(match.ariFilters, to: event.payload), !kept.isEmpty else {
                    continue
                }
            }
            targets.append(Target(webhook: webhook, match: match))
        }
        let propertyEndpoints = Set(targets.filter { !$0.webhook.isGlobal }.map { endpointKey($0.webhook.callbackURL) })
        return targets.filter {
            !$0.webhook.isGlobal || !propertyEndpoints.contains(endpointKey($0.webhook.callbackURL))
        }
    }

    /// The deliveries `event` makes, due at `now`.
    public static func deliveries(of event: Event, among candidates: [Webhook], now: Date) -> [Delivery] {
        targets(of: event, among: candidates).map { target in
            Delivery(
                eventId: event.id, webhookId: target.webhook.id, tenantId: event.tenantId,
                eventName: target.match.deliveredName, ariFilters: target.match.ariFilters, nextAttemptAt: now,
                createdAt: now)
        }
    }

    /// Endpoints compare without case in scheme and host and without a trailing slash.
    static func endpointKey(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return url }
        components.scheme = components.scheme?.lowercased()
        components.host = components.host?.lowercased()
        if components.path.hasSuffix("/") { components.path.removeLast() }
        return components.string ?? url
    }
}
