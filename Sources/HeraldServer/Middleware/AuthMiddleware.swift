import Foundation
import HTTPTypes
import HeraldCore
import Hummingbird

/// Authenticates by API key: `user-api-key: <key>` or `Authorization: Bearer <key>`.
/// Unknown, malformed and revoked keys all answer 401.
struct AuthMiddleware<Store: TenantStore>: RouterMiddleware {
    typealias Context = HeraldRequestContext

    let store: Store
    let clock: HeraldClock
    /// How stale `last_used_at` may get before a request refreshes it (saves a write per request).
    var touchInterval: TimeInterval = 60

    static var userAPIKey: HTTPField.Name { HTTPField.Name("user-api-key")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard let key = Self.presentedKey(request.headers), key.count <= 256 else { throw ChannexError.unauthorized }
        let hash = KeyMaterial.hash(apiKey: key)
        guard let stored = try await store.apiKey(hash: hash), KeyMaterial.constantTimeEquals(stored.hash, hash),
            stored.revokedAt == nil
        else { throw ChannexError.unauthorized }
        let now = clock.timestamp()
        if stored.lastUsedAt.map({ now.timeIntervalSince($0) > touchInterval }) ?? true {
            try? await store.touchAPIKey(id: stored.id, at: now)
        }
        var context = context
        context.principal = stored.principal
        context.logger[metadataKey: "api_key"] = .string(stored.prefix)
        return try await next(request, context)
    }

    static func presentedKey(_ headers: HTTPFields) -> String? {
        if let key = headers[userAPIKey], !key.isEmpty { return key.trimmingCharacters(in: .whitespaces) }
        if let authorization = headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
}
