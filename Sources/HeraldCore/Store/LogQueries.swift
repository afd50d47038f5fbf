import Foundation

/// Which events `GET /api/v1/events` shows, newest first.
public struct EventQuery: Sendable {
    /// nil: every tenant (platform admins).
    public var tenantId: UUID?
    /// Reach: nil means every event; a set limits them to events of those properties.
    public var propertyScope: Set<UUID>?
    public var name: String?
    public var propertyId: UUID?
    /// Accepted at or after.
    public var since: Date?
    /// Accepted before.
    public var until: Date?
    public var page: PageRequest

    public init(
        tenantId: UUID?, propertyScope: Set<UUID>? = nil, name: String? = nil, propertyId: UUID? = nil,
        since: Date? = nil, until: Date? = nil, page: PageRequest = PageRequest()
    ) {
        self.tenantId = tenantId
        self.propertyScope = propertyScope
        self.name = name
        self.propertyId = propertyId
        self.since = since
        self.until = until
        self.page = page
    }
}

/// An event with what became of the deliveries it made.
public struct EventSummary: Sendable, Hashable {
    public var event: Event
    /// Deliveries by status.
    public var deliveries: [Delivery.Status: Int]
    /// Deliveries of a large fan-out not made yet (they will be, pending).
    public var deferred: Int

    public init(event: Event, deliveries: [Delivery.Status: Int], deferred: Int) {
        self.event = event
        self.deliveries = deliveries
        self.deferred = deferred
    }

    public var total: Int { deliveries.values.reduce(deferred, +) }
}

/// Which deliveries `GET /api/v1/deliveries` shows, newest first.
public struct DeliveryQuery: Sendable {
    /// nil: every tenant (platform admins).
    public var tenantId: UUID?
    /// Reach: nil means every webhook's; a set limits them to webhooks of those properties.
    public var propertyScope: Set<UUID>?
    /// Reach: whether deliveries of webhooks with no property (global and OCTO ones) show.
    public var includeGlobal: Bool
    public var status: Delivery.Status?
    public var eventId: UUID?
    public var webhookId: UUID?
    /// The delivered event name (`event_name`).
    public var eventName: String?
    /// Made at or after.
    public var since: Date?
    /// Made before.
    public var until: Date?
    public var page: PageRequest

    public init(
        tenantId: UUID?, propertyScope: Set<UUID>? = nil, includeGlobal: Bool = true, status: Delivery.Status? = nil,
        eventId: UUID? = nil, webhookId: UUID? = nil, eventName: String? = nil, since: Date? = nil,
        until: Date? = nil, page: PageRequest = PageRequest()
    ) {
        self.tenantId = tenantId
        self.propertyScope = propertyScope
        self.includeGlobal = includeGlobal
        self.status = status
        self.eventId = eventId
        self.webhookId = webhookId
        self.eventName = eventName
        self.since = since
        self.until = until
        self.page = page
    }
}
