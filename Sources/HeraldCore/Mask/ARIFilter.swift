/// The `ari:<restrictions>:<room_type_ids>:<rate_plan_ids>` form of an event mask item.
///
/// Each part is `*` (nil here: anything) or a set of values. An ARI item passes when it carries at
/// least one of the restriction fields and its room type and rate plan are among those listed.
public struct ARIFilter: Sendable, Hashable {
    public var restrictions: Set<String>?
    public var roomTypeIds: Set<String>?
    public var ratePlanIds: Set<String>?

    public init(restrictions: Set<String>? = nil, roomTypeIds: Set<String>? = nil, ratePlanIds: Set<String>? = nil) {
        self.restrictions = restrictions
        self.roomTypeIds = roomTypeIds
        self.ratePlanIds = ratePlanIds
    }

    /// The ARI fields a restriction token may name.
    public static let restrictionFields: Set<String> = [
        "rate", "availability", "booked", "min_stay", "min_stay_arrival", "min_stay_through", "max_stay",
        "closed_to_arrival", "closed_to_departure", "stop_sell", "stop_sell_manual", "max_availability",
        "availability_offset",
    ]

    /// Whether one item of an `ari` payload passes this filter. An item that lacks a field the
    /// filter names specifically (a room type, a rate plan) does not pass.
    public func keeps(_ item: JSONValue) -> Bool {
        guard case .object(let fields) = item else { return false }
        if let restrictions, !restrictions.contains(where: { fields[$0] != nil }) { return false }
        if let roomTypeIds {
            guard let room = fields["room_type_id"]?.stringValue, roomTypeIds.contains(room.lowercased()) else {
                return false
            }
        }
        if let ratePlanIds {
            guard let plan = fields["rate_plan_id"]?.stringValue, ratePlanIds.contains(plan.lowercased()) else {
                return false
            }
        }
        return true
    }
}

extension ARIFilter {
    /// The stored form: `{"restrictions", "room_type_ids", "rate_plan_ids"}`, each a list or null.
    public var json: JSONValue {
        func list(_ set: Set<String>?) -> JSONValue { set.map { .array($0.sorted().map(JSONValue.string)) } ?? .null }
        return [
            "restrictions": list(restrictions), "room_type_ids": list(roomTypeIds), "rate_plan_ids": list(ratePlanIds),
        ]
    }

    public init?(json: JSONValue) {
        guard case .object = json else { return nil }
        func set(_ key: String) -> Set<String>? { json[key]?.arrayValue.map { Set($0.compactMap(\.stringValue)) } }
        self.init(
            restrictions: set("restrictions"), roomTypeIds: set("room_type_ids"), ratePlanIds: set("rate_plan_ids"))
    }

    /// The items of an `ari` payload that pass any of `filters` (all of them when there is none).
    public static func apply(_ filters: [ARIFilter], to payload: JSONValue) -> JSONValue {
        guard !filters.isEmpty, case .array(let items) = payload else { return payload }
        return .array(items.filter { item in filters.contains { $0.keeps(item) } })
    }
}
