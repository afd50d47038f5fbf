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
