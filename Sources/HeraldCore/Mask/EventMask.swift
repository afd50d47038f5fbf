import Foundation

/// A webhook's `event_mask`, parsed once when the webhook is written.
///
/// Grammar (Channex): `"*"`, or items separated by `;`, each an event name from ``EventCatalog``
/// or the ARI filter form `ari:<restrictions>:<room_type_ids>:<rate_plan_ids>`.
public struct EventMask: Sendable, Hashable, CustomStringConvertible {
    public enum Item: Sendable, Hashable {
        case event(String)
        case ari(ARIFilter)
    }

    /// How an event matched: which name the webhook receives and, for `ari`, which filters apply.
    public struct Match: Sendable, Hashable {
        /// The `event` value the delivery carries (`booking` for the umbrella match).
        public var deliveredName: String
        /// ARI filters to apply to the payload items; empty means the payload goes as it is.
        public var ariFilters: [ARIFilter]
    }

    public let raw: String
    public let matchesEverything: Bool
    public let items: [Item]

    public var description: String { raw }

    /// What may pad a mask and its items: any space or tab (the OpenAPI pattern's `\s` takes
    /// these and more). Masks are stored as given, so this stays as lenient as it always was:
    /// a stricter parser would fail stored webhooks.
    static let padding = CharacterSet.whitespaces

    public init(parsing raw: String) throws(EventMaskError) {
        let trimmed = raw.trimmingCharacters(in: Self.padding)
        guard !trimmed.isEmpty else { throw .empty }
        guard trimmed.count <= 4096 else { throw .tooLong }
        self.raw = trimmed
        if trimmed == "*" {
            self.matchesEverything = true
            self.items = []
            return
        }
        var items: [Item] = []
        for part in trimmed.split(separator: ";", omittingEmptySubsequences: false) {
            let token = part.trimmingCharacters(in: Self.padding)
            guard !token.isEmpty else { throw .emptyItem }
            if token == "*" { throw .wildcardNotAlone }
            if token.contains(":") {
                items.append(.ari(try Self.parseARIFilter(token)))
            } else {
                guard let name = EventCatalog.canonical(token) else { throw .unknownEvent(token) }
                items.append(.event(name))
            }
        }
        self.matchesEverything = false
        self.items = items
    }

    /// Whether an event named `event` reaches a webhook with this mask, and how.
    public func match(_ event: String) -> Match? {
        let name = EventCatalog.canonical(event) ?? event
        if matchesEverything {
            return EventCatalog.operational.contains(name) ? nil : Match(deliveredName: name, ariFilters: [])
        }
        var umbrella = false
        var filters: [ARIFilter] = []
        var plainARI = false
        for item in items {
            switch item {
            case .event(let subscribed):
                if subscribed == name {
                    if name == "ari" { plainARI = true } else { return Match(deliveredName: name, ariFilters: []) }
                } else if subscribed == "booking", EventCatalog.bookingRevisions.contains(name) {
                    umbrella = true
                }
            case .ari(let filter):
                if name == "ari" { filters.append(filter) }
            }
        }
        if name == "ari", plainARI || !filters.isEmpty {
            return Match(deliveredName: name, ariFilters: plainARI ? [] : filters)
        }
        if umbrella { return Match(deliveredName: "booking", ariFilters: []) }
        return nil
    }

    private static func parseARIFilter(_ token: String) throws(EventMaskError) -> ARIFilter {
        let parts = token.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, parts[0] == "ari" else { throw .malformedFilter(token) }
        func values(_ part: String) throws(EventMaskError) -> Set<String>? {
            if part == "*" { return nil }
            let list = part.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: Self.padding)
            }
            guard !list.contains(where: \.isEmpty) else { throw .malformedFilter(token) }
            return Set(list)
        }
        let restrictions = try values(parts[1])
        if let unknown = restrictions?.first(where: { !ARIFilter.restrictionFields.contains($0) }) {
            throw .unknownRestriction(unknown)
        }
        let rooms = try values(parts[2])
        let plans = try values(parts[3])
        for id in (rooms ?? []).union(plans ?? []) where UUID(text: id) == nil {
            throw .invalidIdentifier(id)
        }
        return ARIFilter(
            restrictions: restrictions,
            roomTypeIds: rooms.map { Set($0.map { $0.lowercased() }) },
            ratePlanIds: plans.map { Set($0.map { $0.lowercased() }) }
        )
    }
}

/// Why an `event_mask` was refused; the description is the validation message.
public enum EventMaskError: Error, Sendable, Equatable, CustomStringConvertible {
    case empty
    case tooLong
    case emptyItem
    case wildcardNotAlone
    case unknownEvent(String)
    case malformedFilter(String)
    case unknownRestriction(String)
    case invalidIdentifier(String)

    /// The form of a mask, for messages.
    public static let grammar =
        "a mask is '*' or event names separated by ';', e.g. 'booking_new;booking_cancellation', "
        + "with 'ari:<restrictions>:<room_type_ids>:<rate_plan_ids>' for filtered ARI; "
        + "GET /api/v1/event_types lists the events"

    public var description: String {
        switch self {
        case .empty: "can't be blank"
        case .tooLong: "is too long (at most 4096 characters)"
        case .emptyItem: "has an empty item between ';' (\(Self.grammar))"
        case .wildcardNotAlone: "'*' must stand alone (\(Self.grammar))"
        case .unknownEvent(let name) where name.contains(","):
            "has '\(name)': separate events with ';', not ',' (\(Self.grammar))"
        case .unknownEvent(let name):
            if let closest = FieldNames(EventCatalog.names).closest(to: name) {
                "has an unknown event '\(name)'; did you mean `\(closest)`? (\(Self.grammar))"
            } else {
                "has an unknown event '\(name)' (\(Self.grammar))"
            }
        case .malformedFilter(let item):
            "has a malformed ARI filter '\(item)' (expected ari:<restrictions>:<room_type_ids>:<rate_plan_ids>)"
        case .unknownRestriction(let name): "has an unknown ARI restriction '\(name)'"
        case .invalidIdentifier(let id): "has '\(id)' where a UUID is expected"
        }
    }
}
