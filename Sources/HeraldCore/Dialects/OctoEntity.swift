/// The entity an OCTO event is about, found in its payload: `booking` (by `uuid`), `order` and
/// `product` (by `id`), or `availability` (by `id`, within `productId` and `optionId`).
public struct OctoEntity: Sendable, Hashable {
    /// The payload key and the kind stored: `booking`, `availability`, `order`, `product`.
    public var kind: String
    public var id: String
    public var body: JSONValue

    public static let keys: [String: String] = [
        "booking_update": "booking", "availability_update": "availability", "order_update": "order",
        "product_update": "product",
    ]

    /// The entity of an event with an OCTO name, if its payload carries one with an id.
    public static func of(event name: String, payload: JSONValue) -> OctoEntity? {
        guard let kind = keys[name], let body = payload[kind], case .object = body else { return nil }
        let id: String?
        switch kind {
        case "booking": id = body["uuid"]?.stringValue
        case "availability":
            id = body["id"]?.stringValue.map {
                [payload["productId"]?.stringValue ?? "", payload["optionId"]?.stringValue ?? "", $0].joined(
                    separator: "|")
            }
        default: id = body["id"]?.stringValue ?? body["id"].map { $0.encodedString() }
        }
        guard let id, !id.isEmpty else { return nil }
        return OctoEntity(kind: kind, id: id, body: body)
    }

    /// The payload with `diff` filled in against the last state seen (`previous`), unless the
    /// publisher sent one. The first sighting has an empty diff.
    public static func withDiff(_ payload: JSONValue, entity: OctoEntity, previous: JSONValue?) -> JSONValue {
        guard case .object(var object) = payload, object["diff"] == nil else { return payload }
        object["diff"] = .array(previous.map { JSONDiff.diff(from: $0, to: entity.body) } ?? [])
        return .object(object)
    }
}
