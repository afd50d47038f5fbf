import Foundation

/// The durable queue the dispatcher works from. Claims are leases: a worker that dies leaves rows
/// that any worker claims again once their lease expires.
public protocol DeliveryQueue: Sendable {
    /// Leases due deliveries (pending and due, or in flight with an expired lease) to the
    /// request's owner, as many and as spread over tenants and endpoints as ``FairClaim`` plans
    /// from the endpoints' backlogs, in one transaction that also moves rate-limited endpoints'
    /// next send times; with what it takes to send them.
    func claim(_ request: ClaimRequest) async throws -> Claim
    /// Records attempts and moves deliveries and their endpoints' circuits on, in one transaction;
    /// rows whose lease the owner lost keep their state (their attempts are still logged).
    /// Returns the circuits that opened or closed.
    @discardableResult
    func settle(_ settlements: [Settlement]) async throws -> [CircuitTransition]
    /// Makes the deliveries of the oldest stored part of a ``DeferredFanOut`` (none for webhooks
    /// deleted since) and drops the part, in one transaction; cheap when none waits.
    func expandFanOuts() async throws -> FanOutProgress
    /// When the earliest pending delivery, lease or deferred fan-out comes due, if any.
    func nextDueDate() async throws -> Date?
    /// The queue's depth at `now`, each count stopping at `cap` (a scrape's cost stays bounded
    /// however long the backlog).
    func queueStats(now: Date, cap: Int) async throws -> QueueStats
    /// Yields whenever a commit made deliveries due (ingest, redelivery, recovery), in this
    /// process or, where the store is shared, in any other.
    func workAvailable() -> AsyncStream<Void>
}

/// What a worker asks of a claim.
public struct ClaimRequest: Sendable {
    /// The worker's name on its leases.
    public var owner: String
    public var now: Date
    /// How long the leases hold.
    public var lease: TimeInterval
    /// The most deliveries to claim.
    public var limit: Int
    /// The worker's capacity and its sends under way.
    public var load: WorkerLoad

    public init(owner: String, now: Date, lease: TimeInterval, limit: Int, load: WorkerLoad) {
        self.owner = owner
        self.now = now
        self.lease = lease
        self.limit = limit
        self.load = load
    }
}

/// What a claim leased, and when there may be more.
public struct Claim: Sendable {
    public var jobs: [DispatchJob]
    /// The earliest time more may be claimed without a wake-up: a delivery or a lease coming due,
    /// a circuit's probe, a rate-limit slot. nil: nothing is scheduled.
    public var wakeAt: Date?
    /// Webhooks of claimed deliveries whose secrets did not open (a key this process lacks): their
    /// deliveries stay leased until the lease ends and are claimed again then, while every other
    /// webhook's go out.
    public var unreadable: [UnreadableWebhook]

    public init(jobs: [DispatchJob], wakeAt: Date?, unreadable: [UnreadableWebhook] = []) {
        self.jobs = jobs
        self.wakeAt = wakeAt
        self.unreadable = unreadable
    }
}

extension DeliveryQueue {
    /// Claims as a worker with room for `limit` sends and none under way.
    public func claimDue(owner: String, now: Date, lease: TimeInterval, limit: Int) async throws -> [DispatchJob] {
        try await claim(
            ClaimRequest(
                owner: owner, now: now, lease: lease, limit: limit,
                load: WorkerLoad(concurrency: Int(Int32.max)))
        ).jobs
    }
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

    /// The jobs of claimed `deliveries`, given the rows they refer to; a delivery whose event,
    /// webhook or tenant is gone makes no job.
    public static func assemble(
        _ deliveries: [Delivery], events: [Event], webhooks: [Webhook], tenants: [Tenant]
    ) -> [DispatchJob] {
        let events = Dictionary(events.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let webhooks = Dictionary(webhooks.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let tenants = Dictionary(tenants.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return deliveries.compactMap { delivery in
            guard let event = events[delivery.eventId], let webhook = webhooks[delivery.webhookId],
                let tenant = tenants[delivery.tenantId]
            else { return nil }
            return DispatchJob(delivery: delivery, event: event, webhook: webhook, tenant: tenant)
        }
    }
}

/// The delivery log: what happened to each delivery, and redelivery.
public protocol DeliveryLog: Sendable {
    func deliveries(webhookId: UUID, status: Delivery.Status?, page: PageRequest) async throws -> Page<Delivery>
    /// One page of deliveries across webhooks, newest first.
    func listDeliveries(_ query: DeliveryQuery) async throws -> Page<Delivery>
    func delivery(id: String) async throws -> Delivery?
    func attempts(deliveryId: String) async throws -> [DeliveryAttempt]
    /// Makes a delivery due now: a settled one again, a pending one without waiting for its next
    /// retry; nil when it is in flight, or absent.
    func requeue(deliveryId: String, now: Date) async throws -> Delivery?
    /// Makes every failed delivery of the webhook created in `since..<until` due again; how many.
    func recover(webhookId: UUID, since: Date, until: Date, now: Date) async throws -> Int
}

/// How deep the delivery queue is (`GET /metrics`).
public struct QueueStats: Sendable, Hashable {
    /// Pending deliveries whose time has come.
    public var dueNow: Int
    /// Pending deliveries waiting for a later attempt.
    public var scheduled: Int
    /// Deliveries being sent (leased).
    public var inFlight: Int
    /// When the longest-waiting due delivery came due.
    public var oldestDue: Date?
    /// Webhooks whose endpoint circuit is open.
    public var openCircuits: Int
    /// The tenants with the most due deliveries (at most ``busiest``), and how many each has:
    /// the noisy tenant an operator looks for.
    public var dueByTenant: [UUID: Int]
    /// The tenants with the most open circuits (at most ``busiest``).
    public var openCircuitsByTenant: [UUID: Int]

    /// How many tenants the per-tenant figures name, so their labels stay bounded.
    public static let busiest = 10

    public init(
        dueNow: Int, scheduled: Int, inFlight: Int, oldestDue: Date?, openCircuits: Int = 0,
        dueByTenant: [UUID: Int] = [:], openCircuitsByTenant: [UUID: Int] = [:]
    ) {
        self.dueNow = dueNow
        self.scheduled = scheduled
        self.inFlight = inFlight
        self.oldestDue = oldestDue
        self.openCircuits = openCircuits
        self.dueByTenant = dueByTenant
        self.openCircuitsByTenant = openCircuitsByTenant
    }
}
