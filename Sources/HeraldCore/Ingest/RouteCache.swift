import Foundation
import Synchronization

/// The active webhooks ingest matches events against, kept in memory so that an event costs a
/// lookup rather than a query that decodes every candidate webhook.
///
/// Kept current by version, not by messages: the store counts every change to a tenant's
/// webhooks that matching can see (`tenants.webhooks_version`, moved by a trigger in the same
/// transaction as the change, whichever process or tool makes it), and ingest reads that count
/// with the tenant in the commit that writes its events. An entry cached at another count is stale and read
/// again, so every process sees a change from the first transaction after it committed.
///
/// Entries are per tenant and property (and one per tenant for its global webhooks), so a
/// change reloads only the scopes events then ask for. Bounded: beyond ``maxRoutes`` routes,
/// the least recently used entries go.
public final class RouteCache: Sendable {
    /// Whose routes: a property's webhooks, or with `propertyId` nil the tenant's global ones.
    public struct Key: Sendable, Hashable {
        public var tenantId: UUID
        public var propertyId: UUID?

        public init(tenantId: UUID, propertyId: UUID?) {
            self.tenantId = tenantId
            self.propertyId = propertyId
        }
    }

    private struct Entry {
        var version: Int64
        var routes: [WebhookRoute]
        var lastUsed: UInt64
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var routes = 0
        var tick: UInt64 = 0
    }

    private let state = Mutex(State())
    /// The most routes held; a scope with more than this is read each time.
    public let maxRoutes: Int

    public init(maxRoutes: Int = 250_000) {
        self.maxRoutes = maxRoutes
    }

    /// Routes held now.
    public var count: Int { state.withLock { $0.routes } }

    /// The scopes an ingest of events for `propertyIds` needs (each property's, and the tenant's
    /// global ones): those cached at `version`, and those the store is to read.
    public func lookup(tenantId: UUID, propertyIds: [UUID?], version: Int64) -> (
        found: [Key: [WebhookRoute]], missing: [Key]
    ) {
        let keys = Self.scopes(tenantId: tenantId, propertyIds: propertyIds)
        return state.withLock { state in
            state.tick += 1
            var found: [Key: [WebhookRoute]] = [:]
            var missing: [Key] = []
            for key in keys {
                if let entry = state.entries[key], entry.version == version {
                    state.entries[key]?.lastUsed = state.tick
                    found[key] = entry.routes
                } else {
                    missing.append(key)
                }
            }
            return (found, missing)
        }
    }

    /// Keeps what the store read for `version` (of the tenant's webhooks, read by the same commit).
    public func store(_ loaded: [Key: [WebhookRoute]], version: Int64) {
        state.withLock { state in
            state.tick += 1
            for (key, routes) in loaded where routes.count <= maxRoutes {
                if let old = state.entries[key], old.version > version { continue }
                state.routes += routes.count - (state.entries[key]?.routes.count ?? 0)
                state.entries[key] = Entry(version: version, routes: routes, lastUsed: state.tick)
            }
            guard state.routes > maxRoutes else { return }
            // Down to nine tenths, least recently used first, so eviction is not paid on every store.
            for (key, entry) in state.entries.sorted(by: { $0.value.lastUsed < $1.value.lastUsed }) {
                guard state.routes > maxRoutes * 9 / 10 else { break }
                state.entries[key] = nil
                state.routes -= entry.routes.count
            }
        }
    }

    /// The candidates for events of each of `propertyIds`, from the scopes found and read: the
    /// property's routes and the tenant's global ones (global ones only for events without a property).
    public static func candidates(tenantId: UUID, propertyIds: [UUID?], scopes: [Key: [WebhookRoute]]) -> [UUID?:
        [WebhookRoute]]
    {
        let globals = scopes[Key(tenantId: tenantId, propertyId: nil)] ?? []
        var candidates: [UUID?: [WebhookRoute]] = [:]
        for propertyId in propertyIds {
            guard let propertyId else {
                candidates[nil] = globals
                continue
            }
            candidates[propertyId] = (scopes[Key(tenantId: tenantId, propertyId: propertyId)] ?? []) + globals
        }
        return candidates
    }

    static func scopes(tenantId: UUID, propertyIds: [UUID?]) -> [Key] {
        var keys = [Key(tenantId: tenantId, propertyId: nil)]
        for case let propertyId? in propertyIds { keys.append(Key(tenantId: tenantId, propertyId: propertyId)) }
        return keys
    }
}
