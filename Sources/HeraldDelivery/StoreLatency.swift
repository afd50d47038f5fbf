import Metrics

/// How long the store's hot operations take, as `herald_store_duration_seconds{operation}` (a
/// histogram): what an operator reads first when ingest or delivery slows down.
public enum StoreLatency {
    public enum Operation: String, Sendable, CaseIterable {
        /// Storing events and their deliveries (with the group commit's wait).
        case ingest
        /// Reading an API key, on every authenticated request.
        case apiKey = "api_key"
        /// Claiming due deliveries.
        case claim
        /// Writing back a group of attempts.
        case settle
        /// The queue's depth, at each scrape.
        case queueStats = "queue_stats"
        /// A retention run, its batches together.
        case purge
    }

    /// One timer an operation, made at first use (after the metrics system is bootstrapped), so a
    /// hot path does not look its handle up on every call.
    private static let timers: [Operation: Timer] = Dictionary(
        uniqueKeysWithValues: Operation.allCases.map { operation in
            (
                operation,
                Timer(
                    label: "herald_store_duration_seconds", dimensions: [("operation", operation.rawValue)],
                    preferredDisplayUnit: .seconds)
            )
        })

    /// Runs `body`, recording how long it took (whether it threw or not).
    public static func measure<T>(_ operation: Operation, _ body: () async throws -> T) async rethrows -> T {
        let start = ContinuousClock.now
        defer {
            let elapsed = (ContinuousClock.now - start).components
            timers[operation]?.recordNanoseconds(elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
        }
        return try await body()
    }
}
