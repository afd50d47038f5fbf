import Foundation

/// The deliveries of an event that matched many webhooks, kept as their targets and made into
/// rows after the commit, a bounded part at a time.
///
/// Written whole at ingest, a fan-out to 10,000 webhooks held the one writer for 150–250 ms (five
/// index entries a delivery), and every other tenant's 202 waited behind it. The targets are
/// matched at ingest and stored in the event's transaction, so what the 202 promises is durable
/// and fixed then: a webhook created later gets nothing, one deleted before its part gets nothing
/// (its deliveries would have gone with it). Svix and Convoy fan out in a worker for the same reason.
public struct DeferredFanOut: Sendable, Hashable {
    /// One delivery to make: which webhook, the event name its body carries, its ARI filters.
    public struct Target: Sendable, Hashable {
        public var webhookId: UUID
        public var eventName: String
        public var ariFilters: [ARIFilter]

        public init(webhookId: UUID, eventName: String, ariFilters: [ARIFilter] = []) {
            self.webhookId = webhookId
            self.eventName = eventName
            self.ariFilters = ariFilters
        }
    }

    public var eventId: UUID
    public var tenantId: UUID
    /// When the event was accepted: the deliveries' creation and due time.
    public var createdAt: Date
    public var targets: [Target]

    public init(eventId: UUID, tenantId: UUID, createdAt: Date, targets: [Target]) {
        self.eventId = eventId
        self.tenantId = tenantId
        self.createdAt = createdAt
        self.targets = targets
    }

    /// Events that make more deliveries than this defer them.
    public static let threshold = 1_000
    /// The most deliveries one ingest transaction writes at once (concurrent ingests and batches
    /// share one): past it, events defer theirs even when each makes few.
    public static let transactionBudget = 5_000
    /// Targets a stored part holds, and so the most deliveries one expansion makes (it takes the
    /// oldest parts, of any events, up to this many): about 10 ms of SQLite's writer. An expansion
    /// reads only the parts it takes, however large the fan-out.
    public static let partSize = 1_000

    /// The deliveries of `targets`, each with a new message id.
    public func deliveries(of targets: some Sequence<Target>) -> [Delivery] {
        targets.map { target in
            Delivery(
                eventId: eventId, webhookId: target.webhookId, tenantId: tenantId, eventName: target.eventName,
                ariFilters: target.ariFilters, nextAttemptAt: createdAt, createdAt: createdAt)
        }
    }

    /// Stored parts taken at most by one expansion (most are of events that deferred a few
    /// deliveries, past a transaction's budget).
    public static let partsPerExpansion = 256

    /// How many of the oldest parts, of these sizes, one expansion takes: at least one, and then
    /// while the deliveries stay within ``partSize``.
    public static func partsToTake(sizes: [Int]) -> Int {
        var total = 0
        var taken = 0
        for size in sizes {
            if taken > 0 && total + size > partSize { break }
            total += size
            taken += 1
        }
        return taken
    }

    /// The targets in stored parts of at most ``partSize``, numbered from 0.
    public var parts: [(number: Int, targets: ArraySlice<Target>)] {
        stride(from: 0, to: targets.count, by: Self.partSize).enumerated().map { number, start in
            (number, targets[start..<min(start + Self.partSize, targets.count)])
        }
    }

    /// `targets` as stored: a JSON array of `[webhook_id, event_name, ari_filters or null]`.
    public static func text(of targets: some Sequence<Target>) -> String {
        JSONValue.array(
            targets.map { target in
                [
                    .string(target.webhookId.text), .string(target.eventName),
                    target.ariFilters.isEmpty ? .null : .array(target.ariFilters.map(\.json)),
                ]
            }
        ).encodedString()
    }

    /// Reads ``text(of:)``; nil when it is not that form.
    public static func targets(fromText text: String) -> [Target]? {
        guard case .array(let items)? = try? JSONValue.decode(text) else { return nil }
        var targets: [Target] = []
        targets.reserveCapacity(items.count)
        for item in items {
            guard case .array(let fields) = item, fields.count == 3,
                let id = fields[0].stringValue.flatMap(UUID.init(text:)),
                let name = fields[1].stringValue
            else { return nil }
            targets.append(
                Target(
                    webhookId: id, eventName: name,
                    ariFilters: fields[2].arrayValue?.compactMap(ARIFilter.init(json:)) ?? []))
        }
        return targets
    }
}

/// What one expansion did.
public struct FanOutProgress: Sendable, Hashable {
    /// Deliveries it made.
    public var created: Int
    /// Whether to expand again: parts may remain.
    public var remaining: Bool

    public init(created: Int, remaining: Bool) {
        self.created = created
        self.remaining = remaining
    }
}
