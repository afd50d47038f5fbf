import Foundation

/// An event a publisher posted: stored once, fanned out to every matching webhook.
public struct Event: Sendable, Hashable {
    public var id: UUID
    public var tenantId: UUID
    /// nil for tenant-wide events (only global webhooks receive them).
    public var propertyId: UUID?
    /// The catalog name (aliases resolved).
    public var name: String
    public var userId: String?
    public var payload: JSONValue
    /// When it happened (the delivered `timestamp`).
    public var occurredAt: Date
    public var idempotencyKey: String?
    /// Test events reach only webhooks that opt in to them.
    public var isTest: Bool
    public var createdAt: Date
    /// The W3C `traceparent` of the trace that took the event in, when tracing is on: its
    /// deliveries continue that trace, so a receiver's spans join the publisher's.
    public var traceParent: String?

    public init(
        id: UUID = .timeOrdered(), tenantId: UUID, propertyId: UUID?, name: String, userId: String? = nil,
        payload: JSONValue = [:], occurredAt: Date, idempotencyKey: String? = nil, isTest: Bool = false,
        createdAt: Date,
        traceParent: String? = nil
    ) {
        self.id = id
        self.tenantId = tenantId
        self.propertyId = propertyId
        self.name = name
        self.userId = userId
        self.payload = payload
        self.occurredAt = occurredAt
        self.idempotencyKey = idempotencyKey
        self.isTest = isTest
        self.createdAt = createdAt
        self.traceParent = traceParent
    }
}
