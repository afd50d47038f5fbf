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
