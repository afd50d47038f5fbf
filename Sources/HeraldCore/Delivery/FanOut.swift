import Foundation

/// Which webhooks an event reaches, and how: the pure half of ingest.
public enum FanOut {
    public struct Target: Sendable, Hashable {
        public var route: WebhookRoute
        public var match: EventMask.Match
    }

    /// The targets of `event` among `candidates` (the tenant's webhooks of the event's property and
    /// its global ones; anything else is ignored here too).
    ///
    /// - Only active webhooks, of the event's tenant, whose mask matches.
    /// - Test events reach only test endpoints (`receivesTestEvents`), live events only the others.
    /// - An `ari` webhook whose filters keep no item of the payload gets nothing.
    /// - A global and a property webhook on the same endpoint deliver once, through the property webhook.
    public static func targets(of event: Event, among candidates: [WebhookRoute]) -> [Target] {
        var targets: [Target] = []
        var anyGlobal = false
        for route in candidates
        where route.isActive && route.tenantId == event.tenantId && route.receivesTestEvents == event.isTest {
            let inScope = route.isGlobal || (route.propertyId != nil && route.propertyId == event.propertyId)
            guard inScope, let match = route.eventMask.match(event.name) else { continue }
            if !match.ariFilters.isEmpty {
                guard case .array(let kept) = ARIFilter.apply(match.ariFilters, to: event.payload), !kept.isEmpty else {
                    continue
                }
            }
            anyGlobal = anyGlobal || route.isGlobal
            targets.append(Target(route: route, match: match))
        }
        // Endpoints are compared (a URL parse each) only when a global webhook could repeat a property's.
        guard anyGlobal else { return targets }
        let propertyEndpoints = Set(targets.filter { !$0.route.isGlobal }.map(\.route.endpoint))
        guard !propertyEndpoints.isEmpty else { return targets }
        return targets.filter { !$0.route.isGlobal || !propertyEndpoints.contains($0.route.endpoint) }
    }

    /// What `event` is to be delivered to, as of `now`: its targets, not yet made into deliveries.
    public static func matches(of event: Event, among candidates: [WebhookRoute], now: Date) -> DeferredFanOut {
        DeferredFanOut(
            eventId: event.id, tenantId: event.tenantId, createdAt: now,
            targets: targets(of: event, among: candidates).map { target in
                DeferredFanOut.Target(
                    webhookId: target.route.id, eventName: target.match.deliveredName,
                    ariFilters: target.match.ariFilters)
            })
    }

    /// The deliveries `event` makes, due at `now`.
    public static func deliveries(of event: Event, among candidates: [WebhookRoute], now: Date) -> [Delivery] {
        let matched = matches(of: event, among: candidates, now: now)
        return matched.deliveries(of: matched.targets)
    }

    /// Endpoints compare without case in scheme and host and without a trailing slash.
    public static func endpointKey(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return url }
        components.scheme = components.scheme?.lowercased()
        components.host = components.host?.lowercased()
        if components.path.hasSuffix("/") { components.path.removeLast() }
        return components.string ?? url
    }
}

/// What fan-out needs of a webhook, and no more: the lean form the route cache keeps of each
/// active webhook (a full ``Webhook`` carries secrets, headers and settings that matching never reads).
public struct WebhookRoute: Sendable, Hashable {
    public var id: UUID
    public var tenantId: UUID
    public var propertyId: UUID?
    public var isGlobal: Bool
    public var isActive: Bool
    public var receivesTestEvents: Bool
    public var eventMask: EventMask
    public var callbackURL: String
    /// The callback URL as endpoints compare (``FanOut/endpointKey(_:)``).
    public var endpoint: String { FanOut.endpointKey(callbackURL) }

    public init(
        id: UUID, tenantId: UUID, propertyId: UUID?, isGlobal: Bool, isActive: Bool, receivesTestEvents: Bool,
        eventMask: EventMask, callbackURL: String
    ) {
        self.id = id
        self.tenantId = tenantId
        self.propertyId = propertyId
        self.isGlobal = isGlobal
        self.isActive = isActive
        self.receivesTestEvents = receivesTestEvents
        self.eventMask = eventMask
        self.callbackURL = callbackURL
    }

    public init(_ webhook: Webhook) {
        self.init(
            id: webhook.id, tenantId: webhook.tenantId, propertyId: webhook.propertyId, isGlobal: webhook.isGlobal,
            isActive: webhook.isActive, receivesTestEvents: webhook.receivesTestEvents, eventMask: webhook.eventMask,
            callbackURL: webhook.callbackURL)
    }
}
