/// What a store reports beyond "not there" (which is a nil result).
public enum StoreError: Error, Sendable, Equatable {
    /// A unique constraint refused the write.
    case conflict(String)
    /// The row to change does not exist (any more).
    case notFound
}
