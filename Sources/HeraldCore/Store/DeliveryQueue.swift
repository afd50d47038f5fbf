import Foundation

/// The durable queue the dispatcher works from. Claims are leases: a worker that dies leaves rows
/// that any worker claims again once their lease expires.
public protocol DeliveryQueue: Sendable {
    /// Leases up to `limit` due deliveries (pending and due, or in flight with an expired lease) to
    /// `owner` until `now + lease`, with what it takes to send them.
    func claimDue(owner: String, now: Date, lease: TimeInterval, limit: Int) async throws -> [DispatchJob]
    /// Records attempts and moves deliveries on, in one transaction; rows whose lease `owner` lost
    /// keep their state (their attempts are still logged).
    func settle(_ settlements: [Settlement]) async throws
    /// Gives leased rows back, due at once (graceful shutdown).
    func release(deliveryIds: [String], owner: String) async throws
    /// When the earliest pending delivery or lease comes due, if any.
    func nextDueDate() async throws -> Date?
}

/// A claimed delivery and everything needed to send it.
public struct DispatchJob: Sendable {
    public var delivery: Delivery
    public var event: Event
    public var webhook: Webhook
    public var tenant: Tenant

    public init(delivery: Delivery, event: Event, webhook: Webhook, tenant: Tenant) {
        self.delivery = delivery
        self.event = event
        self.webhook = webhook
        self.tenant = tenant
    }
}

/// The delivery log: what happened to each delivery, and redelivery.
public protocol DeliveryLog: Sendable {
    func deliveries(webhookId: UUID, status: Delivery.Status?, page: PageRequest) async throws -> Page<Delivery>
    func delivery(id: String) async throws -> Delivery?
    func attempts(deliveryId: String) async throws -> [DeliveryAttempt]
    /// Makes a settled delivery due again; nil when it is in flight or pending already, or absent.
    func requeue(deliveryId: String, now: Date) async throws -> Delivery?
    /// Makes every failed delivery of the webhook created in `since..<until` due again; how many.
    func recover(webhookId: UUID, since: Date, until: Date, now: Date) async throws -> Int
}
