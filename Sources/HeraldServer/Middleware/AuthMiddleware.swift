import Foundation
import HTTPTypes
import HeraldCore
import HeraldDelivery
import Hummingbird

/// Authenticates by API key: `user-api-key: <key>` or `Authorization: Bearer <key>`.
/// Unknown, malformed and revoked keys all answer 401.
struct AuthMiddleware<Store: TenantStore>: RouterMiddleware {
    typealias Context = HeraldRequestContext

    let store: Store
    let clock: HeraldClock
    /// Where presented keys that fail are counted per client address.
    let budgets: RequestBudgets
    /// Keys remembered between requests (for ``KeyCache/lifetime``), for routes whose handler
    /// checks the key again in the commit that writes (publishing events: the key is read
    /// with the events' tenant, so the cache saves a round trip per event and a revoked key
    /// still writes nothing). nil: every request reads its key.
    var cache: KeyCache? = nil
    /// How stale `last_used_at` may get before a request refreshes it (saves a write per request).
    var touchInterval: TimeInterval = 60

    static var userAPIKey: HTTPField.Name { HTTPField.Name("user-api-key")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard let key = Self.presentedKey(request.headers) else { throw ChannexError.unauthorized }
        let hash = KeyMaterial.hash(apiKey: key)
        // A client that keeps presenting keys that fail waits before the next is looked up:
        // guessing keys costs the database nothing. Keys that worked lately are looked up at once
        // (the common case: no client to work out either).
        let knownGood = budgets.isKnownGood(hash)
        let client = {
            budgets.client(peer: context.clientAddress, forwardedFor: request.headers[RequestBudgets.forwardedFor])
        }
        if !knownGood {
            let wait = budgets.authenticationWait(client: client())
            if wait > 0 { throw RequestBudgets.tooManyRequests(wait: wait) }
        }
        let now = clock.timestamp()
        let cached = cache?.key(hash: hash, now: now)
        let found: APIKey?
        if let cached { found = cached } else { found = try await Self.storedKey(key, hash: hash, in: store) }
        guard var stored = found else {
            budgets.failedAuthentication(client: client())
            throw ChannexError.unauthorized
        }
        if !knownGood { budgets.authenticated(keyHash: hash) }
        if stored.lastUsedAt.map({ now.timeIntervalSince($0) > touchInterval }) ?? true,
            (try? await store.touchAPIKey(id: stored.id, at: now)) != nil
        {
            stored.lastUsedAt = now
        }
        // Read now: kept from now on; from the cache and touched: kept as long as it was.
        if stored != cached { cache?.remember(stored, at: cached == nil ? now : nil) }
        var context = context
        context.principal = stored.principal
        context.logger[metadataKey: "api_key"] = .string(stored.prefix)
        do {
            return try await next(request, context)
        } catch StoreError.revokedKey {
            // Revoked (or its tenant deleted) since it was cached or read: forgotten, counted
            // against the client as any dead key is, and a 401.
            cache?.forget(hash: hash)
            budgets.failedAuthentication(client: client())
            throw ChannexError.unauthorized
        }
    }

    /// The stored, unrevoked key that `key` (whose hash is `hash`) is; nil for anything else.
    static func storedKey(_ key: String, hash: String, in store: Store) async throws -> APIKey? {
        guard key.count <= 256,
            let stored = try await StoreLatency.measure(.apiKey, { try await store.apiKey(hash: hash) }),
            KeyMaterial.constantTimeEquals(stored.hash, hash), stored.revokedAt == nil
        else { return nil }
        return stored
    }

    /// The key a request presents, without the blanks around it. Byte-wise: this runs on every
    /// request, and Foundation's `trimmingCharacters` cost 1.8% of all CPU under load.
    static func presentedKey(_ headers: HTTPFields) -> String? {
        if let key = headers[userAPIKey], !key.isEmpty { return String(trimmingBlanks(key[...])) }
        guard let authorization = headers[.authorization] else { return nil }
        let value = trimmingBlanks(authorization[...])
        guard let space = value.utf8.firstIndex(where: isBlank) else { return nil }
        // The scheme is case-insensitive (RFC 9110 §11.1).
        guard value.utf8[..<space].elementsEqual("bearer".utf8, by: { $0 | 0x20 == $1 }) else { return nil }
        let key = trimmingBlanks(value[space...])
        return key.isEmpty ? nil : String(key)
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    private static func trimmingBlanks(_ text: Substring) -> Substring {
        let bytes = text.utf8
        guard let first = bytes.firstIndex(where: { !isBlank($0) }), let last = bytes.lastIndex(where: { !isBlank($0) })
        else { return text[text.endIndex...] }
        return text[first...last]
    }
}
