import Foundation

/// One event on its way to one webhook: a row of the durable queue.
public struct Delivery: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable, CaseIterable {
        case pending
        case inFlight = "in_flight"
        case succeeded
        case failed
    }

    /// `msg_…`: the Standard Webhooks `webhook-id`, the same on every retry.
    public var id: String
    public var eventId: UUID
    public var webhookId: UUID
    public var tenantId: UUID
    /// The `event` value the body carries (`booking` for an umbrella match).
    public var eventName: String
    /// ARI filters the payload passes through; empty: the payload as it is.
    public var ariFilters: [ARIFilter]
    public var status: Status
    public var attempts: Int
    public var nextAttemptAt: Date?
    public var leaseUntil: Date?
    public var leaseOwner: String?
    public var lastStatusCode: Int?
    public var lastError: String?
    public var createdAt: Date
    public var settledAt: Date?

    public init(
        id: String = Delivery.newId(), eventId: UUID, webhookId: UUID, tenantId: UUID, eventName: String,
        ariFilters: [ARIFilter] = [], status: Status = .pending, attempts: Int = 0, nextAttemptAt: Date?,
        leaseUntil: Date? = nil, leaseOwner: String? = nil, lastStatusCode: Int? = nil, lastError: String? = nil,
        createdAt: Date, settledAt: Date? = nil
    ) {
        self.id = id
        self.eventId = eventId
        self.webhookId = webhookId
        self.tenantId = tenantId
        self.eventName = eventName
        self.ariFilters = ariFilters
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.leaseUntil = leaseUntil
        self.leaseOwner = leaseOwner
        self.lastStatusCode = lastStatusCode
        self.lastError = lastError
        self.createdAt = createdAt
        self.settledAt = settledAt
    }

    /// ``ariFilters`` as stored: a JSON array, or nil for none.
    public var ariFiltersText: String? {
        ariFilters.isEmpty ? nil : JSONValue.array(ariFilters.map(\.json)).encodedString()
    }

    /// A new message id: `msg_` and 32 hex digits (no `.`, as Standard Webhooks asks), ordered by
    /// time (a version 7 UUID, like Svix's time-sortable ids) so that the deliveries table grows
    /// at its end.
    public static func newId() -> String {
        var bytes = Array("msg_".utf8)
        bytes.reserveCapacity(36)
        withUnsafeBytes(of: UUID.timeOrdered().uuid) { Hex.append($0, to: &bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// One HTTP exchange of a delivery, as the log shows it.
public struct DeliveryAttempt: Sendable, Hashable {
    public static let maxResponseBytes = 4096

    public var deliveryId: String
    /// 1 for the first try.
    public var number: Int
    public var startedAt: Date
    public var durationMs: Int
    /// nil when no response came (network error, timeout).
    public var statusCode: Int?
    /// At most ``maxResponseBytes`` of the response body.
    public var responseBody: String?
    public var error: String?

    public init(
        deliveryId: String, number: Int, startedAt: Date, durationMs: Int, statusCode: Int?, responseBody: String?,
        error: String?
    ) {
        self.deliveryId = deliveryId
        self.number = number
        self.startedAt = startedAt
        self.durationMs = durationMs
        self.statusCode = statusCode
        self.responseBody = responseBody
        self.error = error
    }
}
