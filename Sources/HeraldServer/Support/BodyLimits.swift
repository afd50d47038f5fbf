/// How large and how deeply nested a JSON request body may be.
public struct BodyLimits: Sendable {
    /// Bodies of ordinary writes.
    public var maxBytes: Int
    /// Bodies of `POST /events`.
    public var maxEventBytes: Int
    /// Bodies of `POST /events/batch`.
    public var maxBatchBytes: Int
    /// How deeply arrays and objects may nest.
    public var maxDepth: Int

    /// What a 413 says of each limit: its size and the setting that raises it.
    var writeLimit: BodyLimit { BodyLimit(bytes: maxBytes, setting: "--max-body-bytes (HERALD_MAX_BODY_BYTES)") }
    var eventLimit: BodyLimit { BodyLimit(bytes: maxEventBytes, setting: "--max-event-bytes (HERALD_MAX_EVENT_BYTES)") }
    var batchLimit: BodyLimit {
        BodyLimit(bytes: maxBatchBytes, setting: "--max-event-bytes (HERALD_MAX_EVENT_BYTES), past 16 MiB,")
    }

    public init(
        maxBytes: Int = 64 * 1024, maxEventBytes: Int = 1024 * 1024, maxBatchBytes: Int = 16 * 1024 * 1024,
        maxDepth: Int = 32
    ) {
        self.maxBytes = maxBytes
        self.maxEventBytes = maxEventBytes
        self.maxBatchBytes = maxBatchBytes
        self.maxDepth = maxDepth
    }
}

/// One body limit, as a 413 names it.
struct BodyLimit: Sendable {
    var bytes: Int
    /// The setting that raises it, as a person would type it.
    var setting: String
}
