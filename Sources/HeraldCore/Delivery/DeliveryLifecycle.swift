import Foundation

/// The life of a delivery after each attempt: pending → in flight → succeeded, rescheduled or failed,
/// and what the attempt means for its webhook.
public struct DeliveryLifecycle: Sendable {
    /// What an attempt's result says.
    public enum Verdict: Sendable, Hashable {
        case success
        /// Worth another try (network error, timeout, 5xx, 408, 429, 3xx); the receiver's `Retry-After`.
        case retryable(retryAfter: TimeInterval?)
        /// Not worth retrying (other 4xx).
        case final
        /// 410 Gone: the endpoint asks to be forgotten; the webhook is disabled.
        case gone
    }

    public enum Next: Sendable, Hashable {
        case succeeded
        case retry(at: Date)
        case failed
    }

    public enum WebhookEffect: Sendable, Hashable {
        /// A success: the webhook is no longer failing.
        case recovered
        /// A failure: the webhook has been failing since this date (kept if already set).
        case failing(since: Date)
        /// Turn the webhook off, with this reason.
        case disable(reason: String)
    }

    /// How long a webhook may fail without one success before it is disabled.
    public var disableAfter: TimeInterval

    public init(disableAfter: TimeInterval = 72 * 3600) {
        self.disableAfter = disableAfter
    }

    public static func verdict(statusCode: Int?, retryAfter: TimeInterval?) -> Verdict {
        guard let statusCode else { return .retryable(retryAfter: nil) }
        switch statusCode {
        case 200..<300: return .success
        case 410: return .gone
        case 408, 429: return .retryable(retryAfter: retryAfter)
        case 300..<400: return .retryable(retryAfter: nil)
        case 400..<500: return .final
        default: return .retryable(retryAfter: retryAfter)
        }
    }

    /// The next state after attempt number `attempts` (1 for the first) ended with `verdict`.
    public func next(
        after attempts: Int, verdict: Verdict, policy: RetryPolicy, webhookFailingSince: Date?, now: Date,
        random: Double = Double.random(in: 0..<1)
    ) -> (next: Next, effect: WebhookEffect) {
        switch verdict {
        case .success:
            return (.succeeded, .recovered)
        case .gone:
            return (.failed, .disable(reason: "endpoint answered 410 Gone"))
        case .final, .retryable:
            let since = webhookFailingSince ?? now
            let effect: WebhookEffect =
                now.timeIntervalSince(since) > disableAfter
                ? .disable(reason: "no successful delivery for \(Int(disableAfter / 3600)) hours")
                : .failing(since: since)
            guard case .retryable(let retryAfter) = verdict,
                let delay = policy.delay(afterAttempts: attempts, random: random, retryAfter: retryAfter)
            else { return (.failed, effect) }
            if case .disable = effect { return (.failed, effect) }
            return (.retry(at: now.addingTimeInterval(delay)), effect)
        }
    }
}

/// What the dispatcher writes back for one attempt.
public struct Settlement: Sendable, Hashable {
    public var deliveryId: String
    public var webhookId: UUID
    public var leaseOwner: String
    public var attempt: DeliveryAttempt
    public var next: DeliveryLifecycle.Next
    public var effect: DeliveryLifecycle.WebhookEffect
    /// What the attempt says about the endpoint, for its circuit.
    public var signal: EndpointSignal
    /// The rules the store moves the endpoint's circuit by (against its current state).
    public var breaker: CircuitBreaker

    public init(
        deliveryId: String, webhookId: UUID, leaseOwner: String, attempt: DeliveryAttempt,
        next: DeliveryLifecycle.Next, effect: DeliveryLifecycle.WebhookEffect, signal: EndpointSignal = .none,
        breaker: CircuitBreaker = CircuitBreaker()
    ) {
        self.deliveryId = deliveryId
        self.webhookId = webhookId
        self.leaseOwner = leaseOwner
        self.attempt = attempt
        self.next = next
        self.effect = effect
        self.signal = signal
        self.breaker = breaker
    }

    /// How the endpoint's circuit moves once this attempt counts, from its state when the store
    /// settles: the state to write, and the opening or closing it makes; nil when it stays.
    public func circuitChange(from current: Circuit) -> (circuit: Circuit, transition: CircuitTransition?)? {
        let next = breaker.next(current, after: signal, startedAt: attempt.startedAt, now: endedAt)
        guard next != current else { return nil }
        let transition =
            next.isOpen == current.isOpen ? nil : CircuitTransition(webhookId: webhookId, opened: next.isOpen)
        return (next, transition)
    }

    /// When the attempt ended.
    public var endedAt: Date { attempt.startedAt.addingTimeInterval(Double(attempt.durationMs) / 1000) }

    /// The delivery row's new state: its status, when it is due again, when it settled.
    public var row: (status: Delivery.Status, nextAttemptAt: Date?, settledAt: Date?) {
        switch next {
        case .succeeded: (.succeeded, nil, endedAt)
        case .failed: (.failed, nil, endedAt)
        case .retry(let date): (.pending, date, nil)
        }
    }
}

/// What several settlements of one endpoint, in order, do to its failure state, as one change:
/// a store that settles a batch writes each endpoint once.
public struct FailureFold: Sendable, Hashable {
    public enum Failing: Sendable, Hashable {
        /// No settlement touched it.
        case untouched
        /// The last word was a success.
        case cleared
        /// Cleared, then failing again since this date.
        case set(Date)
        /// Failing since whichever is earlier known: the stored date, else this one.
        case keptOr(Date)
    }

    public private(set) var failing = Failing.untouched
    /// The reason to disable the endpoint with, if a settlement disabled it.
    public private(set) var disable: String?

    public init(_ effects: [DeliveryLifecycle.WebhookEffect]) {
        for effect in effects {
            switch effect {
            case .recovered:
                failing = .cleared
            case .failing(let since):
                switch failing {
                case .untouched: failing = .keptOr(since)
                case .cleared: failing = .set(since)
                case .set, .keptOr: break
                }
            case .disable(let reason):
                disable = reason
            }
        }
    }
}

/// One endpoint's share of a batch of settlements, in order: what a store writes to the
/// endpoint once for the whole batch.
public struct EndpointSettlements: Sendable {
    public var webhookId: UUID
    public var settlements: [Settlement]
    /// The change to its failure state.
    public var failure: FailureFold { FailureFold(settlements.map(\.effect)) }
    /// When the last of them ended (a disabling's `updated_at`).
    public var endedAt: Date? { settlements.last?.endedAt }
    /// Whether any says something about the endpoint's circuit (the store reads it only then).
    public var movesCircuit: Bool { settlements.contains { $0.signal != .none } }

    /// The circuit after each settlement moved it in turn from `current`, and the openings and
    /// closings on the way (the store writes the circuit only when it differs from `current`).
    public func circuit(from current: Circuit) -> (circuit: Circuit, transitions: [CircuitTransition]) {
        var circuit = current
        var transitions: [CircuitTransition] = []
        for settlement in settlements where settlement.signal != .none {
            guard let change = settlement.circuitChange(from: circuit) else { continue }
            circuit = change.circuit
            if let transition = change.transition { transitions.append(transition) }
        }
        return (circuit, transitions)
    }

    /// `settlements` by endpoint, each endpoint's in their order; endpoints in id order, the order
    /// claims lock them in, so that transactions of several processes never wait in a circle.
    public static func byEndpoint(_ settlements: [Settlement]) -> [EndpointSettlements] {
        Dictionary(grouping: settlements, by: \.webhookId)
            .map { EndpointSettlements(webhookId: $0.key, settlements: $0.value) }
            .sorted { $0.webhookId.text < $1.webhookId.text }
    }
}
