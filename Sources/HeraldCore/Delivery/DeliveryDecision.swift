import Foundation

/// The dispatcher's one decision: from a claimed job and what happened when it was tried, the
/// attempt to log and where the delivery and its webhook go next. Pure; the dispatcher only
/// performs the I/O around it.
public struct DeliveryDecision: Sendable {
    public var lifecycle: DeliveryLifecycle
    /// The worker whose lease the settlement applies under.
    public var owner: String
    public var breaker: CircuitBreaker

    public init(
        lifecycle: DeliveryLifecycle = DeliveryLifecycle(), owner: String, breaker: CircuitBreaker = CircuitBreaker()
    ) {
        self.lifecycle = lifecycle
        self.owner = owner
        self.breaker = breaker
    }

    /// How `job`, tried at `startedAt`, settles now that `outcome` is known at `now`.
    ///
    /// - An inactive webhook fails the delivery without a try and keeps the webhook failing.
    /// - A refused address is final; a name that does not resolve now, a request that could not
    ///   be made and a transport error are retried by the schedule.
    /// - An answer is judged by ``DeliveryLifecycle/verdict(statusCode:retryAfter:)``.
    /// - What reached the endpoint, or failed to, tells its circuit: no answer in time, no
    ///   connection or a retryable answer counts against it; a 2xx closes it.
    public func settle(
        _ job: DispatchJob, outcome: AttemptOutcome, startedAt: Date, now: Date,
        random: Double = Double.random(in: 0..<1)
    ) -> Settlement {
        let number = job.delivery.attempts + 1
        let attempt = DeliveryAttempt(
            deliveryId: job.delivery.id, number: number, startedAt: startedAt, durationMs: outcome.durationMs,
            statusCode: outcome.statusCode, responseBody: outcome.responseBody,
            error: outcome.error(webhook: job.webhook))
        let verdict: DeliveryLifecycle.Verdict
        var signal = EndpointSignal.none
        switch outcome {
        case .inactive:
            return Settlement(
                deliveryId: job.delivery.id, webhookId: job.webhook.id, leaseOwner: owner, attempt: attempt,
                next: .failed, effect: .failing(since: job.webhook.failingSince ?? startedAt), breaker: breaker)
        case .refused(let refusal) where refusal.isFinal:
            verdict = .final
        case .unsendable:
            verdict = .retryable(retryAfter: nil)
        case .refused, .transportError:
            verdict = .retryable(retryAfter: nil)
            signal = .unhealthy
        case .answered(let statusCode, _, let retryAfter, _):
            verdict = DeliveryLifecycle.verdict(statusCode: statusCode, retryAfter: retryAfter)
            switch verdict {
            case .success: signal = .healthy
            case .retryable: signal = .unhealthy
            case .final, .gone: signal = .none
            }
        }
        let (next, effect) = lifecycle.next(
            after: number, verdict: verdict, policy: job.webhook.effectiveRetryPolicy,
            webhookFailingSince: job.webhook.failingSince, now: now, random: random)
        return Settlement(
            deliveryId: job.delivery.id, webhookId: job.webhook.id, leaseOwner: owner, attempt: attempt, next: next,
            effect: effect, signal: signal, breaker: breaker)
    }
}
