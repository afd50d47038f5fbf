import Foundation

/// How long events, their deliveries and attempts are kept (`--retention-days`), and how the
/// purge goes: in bounded batches, each its own short transaction, so ingest never waits long.
public struct Retention: Sendable {
    /// Events accepted longer ago than this are purged once their deliveries have settled.
    public var age: TimeInterval
    /// Events a transaction deletes at most.
    public var batch: Int
    /// How often the background purge runs.
    public var interval: TimeInterval

    public init(age: TimeInterval, batch: Int = 1_000, interval: TimeInterval = 60) {
        self.age = age
        self.batch = max(1, batch)
        self.interval = interval
    }

    /// Purges every event past `age` at `now`, a batch at a time; how many events went.
    public func purge(_ store: some EventStore, now: Date) async throws -> Int {
        let cutoff = now.addingTimeInterval(-age)
        var total = 0
        while !Task.isCancelled {
            let deleted = try await store.purge(before: cutoff, limit: batch)
            total += deleted
            if deleted < batch { break }
            await Task.yield()
        }
        return total
    }
}
