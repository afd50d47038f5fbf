import Foundation

/// A token bucket: `burst` requests at once, refilled at `rate` per second.
public struct TokenBucket: Sendable, Hashable {
    public struct Rate: Sendable, Hashable {
        public var perSecond: Double
        public var burst: Double

        public init(perSecond: Double, burst: Double) {
            self.perSecond = perSecond
            self.burst = burst
        }
    }

    public let rate: Rate
    private var tokens: Double
    private var updated: Date

    public init(rate: Rate, now: Date) {
        self.rate = rate
        self.tokens = rate.burst
        self.updated = now
    }

    /// Takes a token if there is one; else how long until there is.
    public mutating func take(now: Date) -> TimeInterval? {
        let elapsed = max(0, now.timeIntervalSince(updated))
        tokens = min(rate.burst, tokens + elapsed * rate.perSecond)
        updated = now
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        return rate.perSecond > 0 ? (1 - tokens) / rate.perSecond : .infinity
    }
}

/// The request budgets per API key: publishers post events in bulk and get a larger one.
public struct RateLimits: Sendable, Hashable {
    public var perKey: TokenBucket.Rate
    public var publisher: TokenBucket.Rate

    public init(
        perKey: TokenBucket.Rate = .init(perSecond: 20, burst: 100),
        publisher: TokenBucket.Rate = .init(perSecond: 500, burst: 2000)
    ) {
        self.perKey = perKey
        self.publisher = publisher
    }

    public func rate(for role: Role) -> TokenBucket.Rate { role == .publisher ? publisher : perKey }
}
