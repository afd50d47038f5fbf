import Foundation
import HeraldCore
import Hummingbird
import Synchronization

/// Answers 429 `http_too_many_requests` with `Retry-After` once an API key spends its budget.
final class RateLimitMiddleware: RouterMiddleware, Sendable {
    typealias Context = HeraldRequestContext

    let limits: RateLimits
    let clock: HeraldClock
    private let buckets = Mutex<[UUID: TokenBucket]>([:])

    init(limits: RateLimits, clock: HeraldClock) {
        self.limits = limits
        self.clock = clock
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let principal = try context.requirePrincipal()
        let now = clock.now()
        let wait = buckets.withLock { buckets -> TimeInterval? in
            var bucket = buckets[principal.keyId] ?? TokenBucket(rate: limits.rate(for: principal.role), now: now)
            let wait = bucket.take(now: now)
            buckets[principal.keyId] = bucket
            return wait
        }
        if let wait {
            var error = ChannexError(
                status: .tooManyRequests, code: "http_too_many_requests", title: "Too Many Requests")
            error.headers[.retryAfter] = String(Int(min(wait, 86400).rounded(.up)))
            throw error
        }
        return try await next(request, context)
    }
}
