import Foundation
import HeraldCore
import Hummingbird
import Synchronization

/// The request budgets of one process: per API key, per tenant and, for keys that fail to
/// authenticate, per client address. Each table is bounded (``BucketTable``).
final class RequestBudgets: Sendable {
    let limits: RateLimits
    let clock: HeraldClock
    private let keys: Mutex<BucketTable<UUID>>
    private let tenants: Mutex<BucketTable<UUID>>
    private let addresses: Mutex<BucketTable<String>>

    init(limits: RateLimits, clock: HeraldClock) {
        self.limits = limits
        self.clock = clock
        keys = Mutex(BucketTable(capacity: limits.capacity))
        tenants = Mutex(BucketTable(capacity: limits.capacity))
        addresses = Mutex(BucketTable(capacity: limits.capacity))
    }

    /// Spends one request of `principal`'s key and tenant; else how long to wait.
    func spend(_ principal: Principal) -> TimeInterval? {
        let now = clock.now()
        if let wait = keys.withLock({ $0.take(principal.keyId, rate: limits.rate(for: principal.role), now: now) }) {
            return wait
        }
        guard let tenant = principal.tenantId else { return nil }
        return tenants.withLock { $0.take(tenant, rate: limits.perTenant, now: now) }
    }

    /// How long `address` must wait before a key it presents is looked up (0: now).
    func authenticationWait(_ address: String?) -> TimeInterval {
        addresses.withLock { $0.wait(address ?? "", now: clock.now()) }
    }

    /// Counts a presented key that did not authenticate against `address`.
    func failedAuthentication(_ address: String?) {
        _ = addresses.withLock { $0.take(address ?? "", rate: limits.failedAuthentications, now: clock.now()) }
    }

    static func tooManyRequests(wait: TimeInterval) -> ChannexError {
        var error = ChannexError(status: .tooManyRequests, code: "http_too_many_requests", title: "Too Many Requests")
        error.headers[.retryAfter] = String(Int(min(wait, 86400).rounded(.up)))
        return error
    }
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
