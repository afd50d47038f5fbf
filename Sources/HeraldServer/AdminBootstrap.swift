import Foundation
import HeraldCore

/// The first platform admin key of an empty database.
public enum AdminBootstrap {
    /// Creates a platform admin key when the database has no key at all: `seed` when given
    /// (`HERALD_ADMIN_KEY`), else a new random one. Returns the key it created, or nil.
    public static func ensureAdminKey(
        in store: some TenantStore, seed: String?, clock: HeraldClock = .system
    ) async throws -> String? {
        if let seed, let existing = try await store.apiKey(hash: KeyMaterial.hash(apiKey: seed)) {
            _ = existing
            return nil
        }
        if seed == nil, try await store.hasAPIKeys() { return nil }
        let key = seed ?? KeyMaterial.newAPIKey().key
        let hash = KeyMaterial.hash(apiKey: key)
        do {
            try await store.insertAPIKey(
                APIKey(
                    tenantId: nil, role: .admin, title: "bootstrap platform admin",
                    prefix: String(key.prefix(KeyMaterial.apiKeyPrefix.count + 8)), hash: hash,
                    createdAt: clock.timestamp()))
        } catch {
            // Several processes starting on one database: another one seeded the same key first.
            if seed != nil, try await store.apiKey(hash: hash) != nil { return nil }
            throw error
        }
        return seed == nil ? key : nil
    }
}
