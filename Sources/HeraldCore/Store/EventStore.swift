import Foundation

/// Where events come in: stored with their fan-out in one commit.
public protocol EventStore: Sendable {
    /// Stores `events` of `tenantId` and the deliveries each makes (none for a tenant in demo mode),
    /// all in one atomic commit (which may hold other calls' events too: ``GroupCommit``); returns
    /// once it committed. An event whose idempotency key the tenant used before is not stored
    /// again: its result is the first event, marked as replayed. Fails with
    /// ``StoreError/revokedKey`` when the request's key is no longer live at the commit, and with
    /// ``StoreError/unknownProperties(_:)`` when an event names a property the tenant does not have.
    func ingest(_ request: IngestRequest) async throws -> [IngestResult]
    func event(id: UUID) async throws -> Event?
    /// One page of events, newest first, each with its deliveries counted by status.
    func listEvents(_ query: EventQuery) async throws -> Page<EventSummary>
    /// Deletes up to `limit` of the oldest events accepted before `cutoff` whose deliveries have
    /// all settled (none pending, in flight or still to be made), with their deliveries and
    /// attempts; returns how many events went. One bounded transaction: ingest waits at most
    /// that long.
    func purge(before cutoff: Date, limit: Int) async throws -> Int
}

public struct IngestResult: Sendable, Hashable {
    public var event: Event
    public var deliveries: Int
    /// True when an earlier event with the same idempotency key answers instead.
    public var replayed: Bool

    public init(event: Event, deliveries: Int, replayed: Bool) {
        self.event = event
        self.deliveries = deliveries
        self.replayed = replayed
    }
}

extension EventStore {
    /// Stores `events` of `tenantId` on no key's behalf (operators, tools, tests).
    public func ingest(_ events: [Event], tenantId: UUID, now: Date) async throws -> [IngestResult] {
        try await ingest(IngestRequest(events: events, tenantId: tenantId, now: now))
    }
}

/// One call's events, as a store's group commit holds them until their transaction.
public struct IngestRequest: Sendable {
    public var events: [Event]
    public var tenantId: UUID
    public var now: Date
    /// The API key that posted the events: checked live (of the tenant, not revoked) in the
    /// events' own commit, so that the request may be authenticated from a cache. nil: no
    /// key to check.
    public var keyId: UUID?

    public init(events: [Event], tenantId: UUID, now: Date, keyId: UUID? = nil) {
        self.events = events
        self.tenantId = tenantId
        self.now = now
        self.keyId = keyId
    }
}
