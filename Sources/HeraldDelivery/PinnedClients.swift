import AsyncHTTPClient
import Synchronization

/// HTTP clients pinned to checked addresses, one per host and address, at most `capacity` kept.
/// When a new one needs room, the least recently used idle client is evicted, one at a time; a
/// client with a send in flight is never shut down (while all are busy the cache grows past its
/// bound, by at most the sends in flight).
final class PinnedClients: Sendable {
    private struct Entry {
        var client: HTTPClient
        var inUse: Int
        var lastUsed: UInt64
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var tick: UInt64 = 0
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var count: Int { state.withLock { $0.entries.count } }

    /// The client for `key` (made with `make` when there is none), marked in use until
    /// ``checkIn(_:)``; and the client evicted to make room, which the caller shuts down.
    func checkOut(_ key: String, make: () -> HTTPClient) -> (client: HTTPClient, evicted: HTTPClient?) {
        state.withLock { state in
            state.tick += 1
            if var entry = state.entries[key] {
                entry.inUse += 1
                entry.lastUsed = state.tick
                state.entries[key] = entry
                return (entry.client, nil)
            }
            var evicted: HTTPClient?
            if state.entries.count >= capacity,
                let idle = state.entries.filter({ $0.value.inUse == 0 }).min(by: {
                    $0.value.lastUsed < $1.value.lastUsed
                })
            {
                evicted = state.entries.removeValue(forKey: idle.key)?.client
            }
            let client = make()
            state.entries[key] = Entry(client: client, inUse: 1, lastUsed: state.tick)
            return (client, evicted)
        }
    }

    /// Marks one send on `key`'s client as finished.
    func checkIn(_ key: String) {
        state.withLock { state in
            if var entry = state.entries[key] {
                entry.inUse = max(0, entry.inUse - 1)
                state.entries[key] = entry
            }
        }
    }

    /// Empties the cache; the caller shuts the clients down.
    func removeAll() -> [HTTPClient] {
        state.withLock { state in
            defer { state.entries.removeAll() }
            return state.entries.values.map(\.client)
        }
    }
}
