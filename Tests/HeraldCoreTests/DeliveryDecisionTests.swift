import Foundation
import HeraldCore
import Testing

/// The dispatcher's decision as a table: what happened to a job, and how it settles.
@Suite struct DeliveryDecisionTests {
    static let started = Date(timeIntervalSince1970: 1_700_000_000)
    static let now = started.addingTimeInterval(1)
    static let decision = DeliveryDecision(owner: "worker-1")

    static func job(active: Bool = true, attempts: Int = 0, failingSince: Date? = nil, schedule: [Int] = [60])
        -> DispatchJob
    {
        let tenant = Tenant(name: "Acme", createdAt: started)
        let event = Event(
            tenantId: tenant.id, propertyId: nil, name: "booking_new", occurredAt: started, createdAt: started)
        var webhook = Webhook(
            tenantId: tenant.id, propertyId: nil, isGlobal: true, callbackURL: "https://a.example/hook",
            eventMask: try! EventMask(parsing: "*"), isActive: active, secrets: [],
            retryPolicy: RetryPolicy(scheduleSeconds: schedule), createdAt: started, updatedAt: started)
        webhook.failingSince = failingSince
        webhook.disabledReason = active ? nil : "endpoint answered 410 Gone"
        let delivery = Delivery(
            eventId: event.id, webhookId: webhook.id, tenantId: tenant.id, eventName: "booking_new",
            status: .inFlight, attempts: attempts, nextAttemptAt: nil, createdAt: started)
        return DispatchJob(delivery: delivery, event: event, webhook: webhook, tenant: tenant)
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var job: DispatchJob
        var outcome: AttemptOutcome
        var next: DeliveryLifecycle.Next
        var effect: DeliveryLifecycle.WebhookEffect
        var error: String?
        /// What the attempt tells the endpoint's circuit.
        var signal: EndpointSignal = .none
        var testDescription: String { name }
    }

    /// Retries land at `now + 60 s` (random 0.5 puts the jitter at zero).
    static let retry = DeliveryLifecycle.Next.retry(at: now.addingTimeInterval(60))

    static let table: [Row] = [
        Row(
            name: "2xx succeeds", job: job(),
            outcome: .answered(statusCode: 204, body: nil, retryAfter: nil, durationMs: 5),
            next: .succeeded, effect: .recovered, signal: .healthy),
        Row(
            name: "5xx retries", job: job(),
            outcome: .answered(statusCode: 503, body: "busy", retryAfter: nil, durationMs: 5),
            next: retry, effect: .failing(since: now), signal: .unhealthy),
        Row(
            name: "429 waits for Retry-After", job: job(),
            outcome: .answered(statusCode: 429, body: nil, retryAfter: 600, durationMs: 5),
            next: .retry(at: now.addingTimeInterval(600)), effect: .failing(since: now), signal: .unhealthy),
        Row(
            name: "4xx is final", job: job(),
            outcome: .answered(statusCode: 404, body: nil, retryAfter: nil, durationMs: 5),
            next: .failed, effect: .failing(since: now)),
        Row(
            name: "410 disables the webhook", job: job(),
            outcome: .answered(statusCode: 410, body: nil, retryAfter: nil, durationMs: 5),
            next: .failed, effect: .disable(reason: "endpoint answered 410 Gone")),
        Row(
            name: "a transport error retries", job: job(),
            outcome: .transportError("connection refused", durationMs: 1),
            next: retry, effect: .failing(since: now), error: "connection refused", signal: .unhealthy),
        Row(
            name: "an unresolvable name retries", job: job(), outcome: .refused(.unresolvable("hooks.example")),
            next: retry, effect: .failing(since: now), error: "target policy: host hooks.example does not resolve",
            signal: .unhealthy),
        Row(
            name: "a refused address is final", job: job(), outcome: .refused(.scheme),
            next: .failed, effect: .failing(since: now),
            error: "target policy: must be an absolute http or https URL"),
        Row(
            name: "an unsendable request retries", job: job(), outcome: .unsendable("callback URL cannot be used"),
            next: retry, effect: .failing(since: now), error: "callback URL cannot be used"),
        Row(
            name: "the last try fails", job: job(attempts: 1), outcome: .transportError("reset", durationMs: 1),
            next: .failed, effect: .failing(since: now), error: "reset", signal: .unhealthy),
        Row(
            name: "an inactive webhook fails without a try", job: job(active: false), outcome: .inactive,
            next: .failed, effect: .failing(since: started),
            error: "webhook is inactive: endpoint answered 410 Gone"),
        Row(
            name: "failing too long disables", job: job(failingSince: now.addingTimeInterval(-73 * 3600)),
            outcome: .answered(statusCode: 500, body: nil, retryAfter: nil, durationMs: 5),
            next: .failed, effect: .disable(reason: "no successful delivery for 72 hours"), signal: .unhealthy),
    ]

    @Test(arguments: table)
    func outcomeSettlesTheDelivery(row: Row) {
        let settlement = Self.decision.settle(
            row.job, outcome: row.outcome, startedAt: Self.started, now: Self.now, random: 0.5)
        #expect(settlement.next == row.next)
        #expect(settlement.effect == row.effect)
        #expect(settlement.leaseOwner == "worker-1")
        #expect(settlement.deliveryId == row.job.delivery.id)
        #expect(settlement.attempt.number == row.job.delivery.attempts + 1)
        #expect(settlement.attempt.statusCode == row.outcome.statusCode)
        #expect(settlement.attempt.durationMs == row.outcome.durationMs)
        #expect(settlement.attempt.error == row.error)
        #expect(settlement.signal == row.signal)
    }

    @Test func aSettlementMapsToTheDeliveryRow() {
        let job = Self.job()
        let succeeded = Self.decision.settle(
            job, outcome: .answered(statusCode: 200, body: "ok", retryAfter: nil, durationMs: 250),
            startedAt: Self.started, now: Self.now)
        #expect(succeeded.row.status == .succeeded)
        #expect(succeeded.row.settledAt == Self.started.addingTimeInterval(0.25))
        #expect(succeeded.row.nextAttemptAt == nil)
        let retried = Self.decision.settle(
            job, outcome: .transportError("reset", durationMs: 3), startedAt: Self.started, now: Self.now, random: 0.5)
        #expect(retried.row.status == .pending)
        #expect(retried.row.settledAt == nil)
        #expect(retried.row.nextAttemptAt == Self.now.addingTimeInterval(60))
    }
}
