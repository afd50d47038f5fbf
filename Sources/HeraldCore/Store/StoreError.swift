/// What a store reports beyond "not there" (which is a nil result).
public enum StoreError: Error, Sendable, Equatable {
    /// A unique constraint refused the write.
    case conflict(String)
    /// The row to change does not exist (any more).
    case notFound
    /// The API key a write was made with is revoked or gone.
    case revokedKey
    /// The events at these positions of an ingest name a property their tenant does not have.
    case unknownProperties([Int])
}
