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

    /// How long until a token is there, without taking one (0: there is one now).
    public func wait(now: Date) -> TimeInterval {
        let available = tokens(at: now)
        if available >= 1 { return 0 }
        return rate.perSecond > 0 ? (1 - available) / rate.perSecond : .infinity
    }

    /// The tokens there are at `now`.
    public func tokens(at now: Date) -> Double {
        min(rate.burst, tokens + max(0, now.timeIntervalSince(updated)) * rate.perSecond)
    }
}

/// Token buckets by key, bounded: a bucket that has refilled is the same as none and is dropped
/// when the table is full; if every bucket is in use, the fullest tenth go (they are the ones
/// least behind their budget), so the table never holds more than `capacity` buckets, whatever
/// number of keys, tenants or addresses come.
public struct BucketTable<Key: Hashable & Sendable>: Sendable {
    public let capacity: Int
    private var buckets: [Key: TokenBucket] = [:]

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    public var count: Int { buckets.count }

    /// Takes a token from `key`'s bucket; else how long until there is one.
    public mutating func take(_ key: Key, rate: TokenBucket.Rate, now: Date) -> TimeInterval? {
        if buckets[key] == nil, buckets.count >= capacity { prune(now: now) }
        var bucket = buckets[key] ?? TokenBucket(rate: rate, now: now)
        let wait = bucket.take(now: now)
        buckets[key] = bucket
        return wait
    }

    /// How long until `key`'s bucket has a token, without taking one (0: now).
    public func wait(_ key: Key, now: Date) -> TimeInterval {
        buckets[key]?.wait(now: now) ?? 0
    }

    /// Down to nine tenths of the capacity at most, so the next tenth of new keys costs nothing:
    /// a prune that freed only a bucket or two would run again at the next new key.
    mutating func prune(now: Date) {
        buckets = buckets.filter { $0.value.tokens(at: now) < $0.value.rate.burst }
        let keep = capacity * 9 / 10
        guard buckets.count > keep else { return }
        let kept = buckets.sorted { $0.value.tokens(at: now) < $1.value.tokens(at: now) }.prefix(keep)
        buckets = Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
    }
}

/// The request budgets: per API key (publishers post events in bulk and get a larger one), per
/// tenant across all its keys, and per client address for keys that fail to authenticate.
public struct RateLimits: Sendable, Hashable {
    public var perKey: TokenBucket.Rate
    public var publisher: TokenBucket.Rate
    /// A tenant's budget across all its keys (minting keys buys no more).
    public var perTenant: TokenBucket.Rate
    /// Presented keys that turn out unknown or revoked, per client address: past it the address
    /// gets 429 before its keys are looked up.
    public var failedAuthentications: TokenBucket.Rate
    /// The most buckets each table keeps.
    public var capacity: Int

    public init(
        perKey: TokenBucket.Rate = .init(perSecond: 20, burst: 100),
        publisher: TokenBucket.Rate = .init(perSecond: 500, burst: 2000),
        perTenant: TokenBucket.Rate = .init(perSecond: 2000, burst: 8000),
        failedAuthentications: TokenBucket.Rate = .init(perSecond: 5, burst: 50),
        capacity: Int = 100_000
    ) {
        self.perKey = perKey
        self.publisher = publisher
        self.perTenant = perTenant
        self.failedAuthentications = failedAuthentications
        self.capacity = capacity
    }

    public func rate(for role: Role) -> TokenBucket.Rate { role == .publisher ? publisher : perKey }
}
