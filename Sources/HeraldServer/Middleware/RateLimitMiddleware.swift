import Foundation
import HTTPTypes
import HeraldCore
import Hummingbird
import Synchronization

/// The request budgets of one process: per API key, per tenant and, for keys that fail to
/// authenticate, per client. Each table is bounded (``BucketTable``).
final class RequestBudgets: Sendable {
    let limits: RateLimits
    let clock: HeraldClock
    /// Proxies whose `X-Forwarded-For` names the client (behind them every peer is the proxy).
    let trustedProxies: [CIDR]
    /// Keys' and tenants' budgets, under one lock: a request checks both, then spends from both.
    private let spending: Mutex<(keys: BucketTable<UUID>, tenants: BucketTable<UUID>)>
    private let clients: Mutex<BucketTable<[UInt8]>>
    /// Hashes of keys that authenticated lately: a client whose failures ran out its budget still
    /// gets its good keys looked up (a neighbour behind the same address guessing keys must not
    /// lock it out). Bounded: emptied when full.
    private let knownGood = Mutex(Set<String>())
    static let knownGoodCapacity = 10_000

    init(limits: RateLimits, clock: HeraldClock, trustedProxies: [CIDR] = []) {
        self.limits = limits
        self.clock = clock
        self.trustedProxies = trustedProxies
        spending = Mutex((BucketTable(capacity: limits.capacity), BucketTable(capacity: limits.capacity)))
        clients = Mutex(BucketTable(capacity: limits.capacity))
    }

    /// Spends one request of `principal`'s key and tenant, if both have one; else how long to wait.
    func spend(_ principal: Principal) -> TimeInterval? {
        let now = clock.now()
        return spending.withLock { tables in
            let wait = max(
                principal.tenantId.map { tables.tenants.wait($0, now: now) } ?? 0,
                tables.keys.wait(principal.keyId, now: now))
            if wait > 0 { return wait }
            if let wait = tables.keys.take(principal.keyId, rate: limits.rate(for: principal.role), now: now) {
                return wait
            }
            guard let tenant = principal.tenantId else { return nil }
            return tables.tenants.take(tenant, rate: limits.perTenant, now: now)
        }
    }

    /// The client a request comes from: its peer, or, when the peer is a trusted proxy, the
    /// rightmost `X-Forwarded-For` entry that is not itself a trusted proxy (entries further left
    /// are the client's to write). nil when unknown.
    func client(peer: String?, forwardedFor: String?) -> IPAddress? {
        guard let peer = peer.flatMap(IPAddress.init(host:)) else { return nil }
        guard isTrusted(peer), let forwardedFor else { return peer }
        for entry in forwardedFor.split(separator: ",").reversed() {
            guard let address = IPAddress(host: entry.trimmingCharacters(in: .whitespaces)) else { return peer }
            if !isTrusted(address) { return address }
        }
        return peer
    }

    func isTrusted(_ address: IPAddress) -> Bool { trustedProxies.contains { $0.contains(address) } }

    /// The bucket a client's failures go to: an IPv4 address, or an IPv6 address's /64 (one
    /// host's usual share; fresh addresses inside it are free to whoever holds it).
    static func bucket(_ client: IPAddress) -> [UInt8] {
        client.isIPv4 ? client.bytes : Array(client.bytes.prefix(8))
    }

    /// Whether the key with `keyHash` authenticated lately.
    func isKnownGood(_ keyHash: String) -> Bool {
        knownGood.withLock { $0.contains(keyHash) }
    }

    /// How long `client` must wait before a key it presents is looked up (0: now). Unknown
    /// clients never wait.
    func authenticationWait(client: IPAddress?) -> TimeInterval {
        guard let client else { return 0 }
        return clients.withLock { $0.wait(Self.bucket(client), now: clock.now()) }
    }

    /// Counts a presented key that did not authenticate against `client`.
    func failedAuthentication(client: IPAddress?) {
        guard let client else { return }
        _ = clients.withLock { $0.take(Self.bucket(client), rate: limits.failedAuthentications, now: clock.now()) }
    }

    /// Remembers a key that authenticated.
    func authenticated(keyHash: String) {
        knownGood.withLock { known in
            if known.count >= Self.knownGoodCapacity { known.removeAll(keepingCapacity: true) }
            known.insert(keyHash)
        }
    }

    static func tooManyRequests(wait: TimeInterval) -> ChannexError {
        var error = ChannexError(status: .tooManyRequests, code: "http_too_many_requests", title: "Too Many Requests")
        error.headers[.retryAfter] = String(Int(min(wait, 86400).rounded(.up)))
        return error
    }

    static var forwardedFor: HTTPField.Name { HTTPField.Name("X-Forwarded-For")! }
}

/// Answers 429 `http_too_many_requests` with `Retry-After` once an API key, or its tenant across
/// all its keys, spends its budget.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = HeraldRequestContext

    let budgets: RequestBudgets

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        if let wait = budgets.spend(try context.requirePrincipal()) { throw RequestBudgets.tooManyRequests(wait: wait) }
        return try await next(request, context)
    }
}
