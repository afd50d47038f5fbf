import Foundation

/// The body of `POST /events` (`{"event": {...}}`) after validation.
public struct EventWriteModel: Sendable {
    public var name: String
    public var propertyId: UUID?
    public var userId: String?
    public var payload: JSONValue
    public var occurredAt: Date?
    public var idempotencyKey: String?
    public var isTest: Bool

    /// The fields of an event; the read model's others are ignored.
    public static let fields = FieldNames(
        ["name", "property_id", "user_id", "payload", "timestamp", "idempotency_key", "test"],
        readOnly: ["id", "deliveries", "delivery_counts", "replayed", "created_at"])

    /// Field names in messages get `prefix` (e.g. `events[3].` in a batch).
    public static func parse(_ object: [String: JSONValue], prefix: String = "") throws(ValidationErrors)
        -> EventWriteModel
    {
        var reader = FieldReader(object, prefix: prefix)
        reader.refuseUnknown(fields)
        var name: String?
        switch reader.string("name", maxLength: 128) {
        case .given(let text?):
            name = EventCatalog.canonical(text)
            if name == nil { reader.fail("name", EventCatalog.unknownEventProblem(text)) }
            if let known = name, EventCatalog.operational.contains(known) {
                reader.fail("name", "is published by Herald only, about the tenant's own webhooks")
            }
        case .absent where object["name"] == nil: reader.fail("name", "can't be blank")
        default: break
        }
        let propertyId = reader.uuid("property_id", nullable: true).value ?? nil
        let userId = reader.string("user_id", maxLength: 128, nullable: true).value ?? nil
        var occurredAt: Date?
        if case .given(let text?) = reader.string("timestamp", maxLength: 64, nullable: true) {
            occurredAt = Timestamp.parse(text)
            if occurredAt == nil { reader.fail("timestamp", "must be an ISO 8601 date-time") }
        }
        let key = reader.string("idempotency_key", maxLength: 255, nullable: true).value ?? nil
        if key?.isEmpty == true { reader.fail("idempotency_key", "can't be empty") }
        let isTest = reader.bool("test").or(false)
        try reader.errors.check()
        return EventWriteModel(
            name: name!, propertyId: propertyId, userId: userId, payload: object["payload"] ?? [:],
            occurredAt: occurredAt, idempotencyKey: key, isTest: isTest)
    }

    public func event(tenantId: UUID, now: Date) -> Event {
        Event(
            tenantId: tenantId, propertyId: propertyId, name: name, userId: userId, payload: payload,
            occurredAt: occurredAt ?? now, idempotencyKey: idempotencyKey, isTest: isTest, createdAt: now)
    }
}
