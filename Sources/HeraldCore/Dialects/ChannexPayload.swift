import Foundation

/// The body Channex-dialect webhooks receive:
/// `{"event", "payload", "property_id", "user_id", "timestamp"}`.
public enum ChannexPayload {
    public static func body(event: Event, deliveredName: String, ariFilters: [ARIFilter], sendData: Bool) -> JSONValue {
        var body: [String: JSONValue] = [
            "event": .string(deliveredName),
            "property_id": event.propertyId.map { .string($0.text) } ?? .null,
            "user_id": event.userId.map(JSONValue.string) ?? .null,
            "timestamp": .string(Timestamp.iso(event.occurredAt)),
        ]
        if sendData { body["payload"] = ARIFilter.apply(ariFilters, to: event.payload) }
        return .object(body)
    }
}
