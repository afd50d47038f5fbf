import Foundation
import HeraldCore
import Synchronization

/// API keys that authenticated, by hash, for ``AuthMiddleware/cache``: each is read again from
/// the store ``lifetime`` after it was, so a revoked key that only ever sends requests refused
/// before the store (which checks it again) still stops authenticating within that time.
/// Bounded: emptied when full.
final class KeyCache: Sendable {
    static let capacity = 10_000
    static let lifetime: TimeInterval = 30

    private struct Entry {
        var key: APIKey
        var readAt: Date
    }

    private let entries = Mutex([String: Entry]())

    init() {}

    /// The key with `hash`, unless it was read from the store more than ``lifetime`` before `now`.
    func key(hash: String, now: Date) -> APIKey? {
        entries.withLock { entries in
            guard let entry = entries[hash] else { return nil }
            guard now.timeIntervalSince(entry.readAt) < Self.lifetime else {
                entries.removeValue(forKey: hash)
                return nil
            }
            return entry.key
        }
    }

    /// Keeps `key`, read from the store (live) at `readAt`; with `readAt` nil, updates the key
    /// kept (its `last_used_at`) without making it last longer.
    func remember(_ key: APIKey, at readAt: Date?) {
        entries.withLock { entries in
            guard let readAt = readAt ?? entries[key.hash]?.readAt else { return }
            if entries.count >= Self.capacity, entries[key.hash] == nil { entries.removeAll(keepingCapacity: true) }
            entries[key.hash] = Entry(key: key, readAt: readAt)
        }
    }

    func forget(hash: String) {
        _ = entries.withLock { $0.removeValue(forKey: hash) }
    }
}
