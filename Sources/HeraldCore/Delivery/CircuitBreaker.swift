import Foundation

/// An endpoint's circuit, as stored with its webhook. Closed, it takes sends; open, its due
/// deliveries wait (pending, no retry spent) until `probeAt`, when one probe may go.
public struct Circuit: Sendable, Hashable {
    public enum State: String, Sendable, Hashable {
        case closed
        case open
        /// Open, and the probe may go.
        case halfOpen = "half_open"
    }

    /// Failed attempts in a row since the last success.
    public var failures: Int
    /// When it opened; nil while closed.
    public var openedAt: Date?
    /// When the next probe may go; nil while closed.
    public var probeAt: Date?
    /// Probes that failed since it opened (they lengthen the back-off).
    public var failedProbes: Int

    public init(failures: Int = 0, openedAt: Date? = nil, probeAt: Date? = nil, failedProbes: Int = 0) {
        self.failures = failures
        self.openedAt = openedAt
        self.probeAt = probeAt
        self.failedProbes = failedProbes
    }

    public static let closed = Circuit()

    public var isOpen: Bool { probeAt != nil }

    public func state(at now: Date) -> State {
        guard let probeAt else { return .closed }
        return probeAt <= now ? .halfOpen : .open
    }
}

/// What an attempt says about its endpoint's health.
public enum EndpointSignal: Sendable, Hashable {
    /// It answered 2xx.
    case healthy
    /// No answer in time, no connection, or a 5xx, 408, 429 or redirect.
    case unhealthy
    /// Nothing about the endpoint's health: nothing was sent, or it answered a final 4xx.
    case none
}

/// When an endpoint's circuit opens, and how long it stays open: after `threshold` failures in a
/// row it opens for `backoff`; each failed probe doubles the wait, up to `maxBackoff`; a success
/// closes it.
public struct CircuitBreaker: Sendable, Hashable {
    public var threshold: Int
    public var backoff: TimeInterval
    public var maxBackoff: TimeInterval

    public init(threshold: Int = 5, backoff: TimeInterval = 30, maxBackoff: TimeInterval = 600) {
        self.threshold = threshold
        self.backoff = backoff
        self.maxBackoff = maxBackoff
    }

    /// The circuit after an attempt that started at `startedAt` (`now` when omitted) and ended at
    /// `now` with `signal`.
    public func next(_ circuit: Circuit, after signal: EndpointSignal, startedAt: Date? = nil, now: Date) -> Circuit {
        switch signal {
        case .none:
            return circuit
        case .healthy:
            return .closed
        case .unhealthy:
            var next = circuit
            next.failures += 1
            if let probeAt = circuit.probeAt {
                // A send that started once the probe could go is the probe; one that started
                // earlier was already under way when the circuit opened, and changes nothing.
                guard (startedAt ?? now) >= probeAt else { return next }
                next.failedProbes += 1
                next.probeAt = now.addingTimeInterval(delay(afterFailedProbes: next.failedProbes))
            } else if next.failures >= threshold {
                next.openedAt = now
                next.failedProbes = 0
                next.probeAt = now.addingTimeInterval(backoff)
            }
            return next
        }
    }

    func delay(afterFailedProbes count: Int) -> TimeInterval {
        min(maxBackoff, backoff * pow(2, Double(min(count, 30))))
    }
}

/// A circuit that opened or closed when an attempt settled.
public struct CircuitTransition: Sendable, Hashable {
    public var webhookId: UUID
    public var opened: Bool

    public init(webhookId: UUID, opened: Bool) {
        self.webhookId = webhookId
        self.opened = opened
    }
}
