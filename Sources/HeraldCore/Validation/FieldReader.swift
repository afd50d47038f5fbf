import Foundation

/// Reads typed fields out of a JSON object, collecting a message per bad field instead of
/// stopping at the first.
public struct FieldReader {
    public let object: [String: JSONValue]
    public var errors = ValidationErrors()
    /// Prefix for field names in messages (e.g. `webhook.`); empty for Channex's flat `details`.
    let prefix: String

    public init(_ object: [String: JSONValue], prefix: String = "") {
        self.object = object
        self.prefix = prefix
    }

    public mutating func fail(_ field: String, _ message: String) {
        errors.add(prefix + field, message)
    }

    public mutating func string(_ field: String, maxLength: Int = 1024, nullable: Bool = false) -> Presence<String?> {
        guard let value = object[field] else { return .absent }
        switch value {
        case .null where nullable: return .given(nil)
        case .string(let text):
            if text.count > maxLength {
                fail(field, "is too long (at most \(maxLength) characters)")
                return .absent
            }
            return .given(text)
        default:
            fail(field, "must be a string")
            return .absent
        }
    }

    public mutating func bool(_ field: String) -> Presence<Bool> {
        guard let value = object[field] else { return .absent }
        guard case .bool(let flag) = value else {
            fail(field, "must be a boolean")
            return .absent
        }
        return .given(flag)
    }

    /// A whole number in `range` (or null, when `nullable`).
    public mutating func int(_ field: String, in range: ClosedRange<Int>, nullable: Bool = false) -> Presence<Int?> {
        guard let value = object[field] else { return .absent }
        switch value {
        case .null where nullable: return .given(nil)
        case .int(let number) where number >= range.lowerBound && number <= range.upperBound:
            return .given(Int(number))
        default:
            fail(
                field,
                "must be a whole number from \(range.lowerBound) to \(range.upperBound)\(nullable ? " or null" : "")")
            return .absent
        }
    }

    public mutating func uuid(_ field: String, nullable: Bool = false) -> Presence<UUID?> {
        guard let value = object[field] else { return .absent }
        switch value {
        case .null where nullable: return .given(nil)
        case .string(let text):
            guard let id = UUID(text: text) else {
                fail(field, "must be a valid UUID")
                return .absent
            }
            return .given(id)
        default:
            fail(field, nullable ? "must be a UUID or null" : "must be a UUID")
            return .absent
        }
    }

    /// A `{string: string}` object (or null), with bounded size.
    public mutating func stringMap(_ field: String, maxEntries: Int = 50, maxLength: Int = 4096) -> Presence<
        [String: String]?
    > {
        guard let value = object[field] else { return .absent }
        switch value {
        case .null: return .given(nil)
        case .object(let members):
            guard members.count <= maxEntries else {
                fail(field, "has too many entries (at most \(maxEntries))")
                return .absent
            }
            var map: [String: String] = [:]
            for (key, member) in members {
                guard case .string(let text) = member else {
                    fail(field, "value of '\(key)' must be a string")
                    continue
                }
                guard key.count <= 256, text.count <= maxLength else {
                    fail(field, "entry '\(key.prefix(64))' is too long")
                    continue
                }
                map[key] = text
            }
            return .given(map)
        default:
            fail(field, "must be an object of strings")
            return .absent
        }
    }

    /// A list of UUIDs (or null).
    public mutating func uuidList(_ field: String, maxEntries: Int = 1000) -> Presence<[UUID]?> {
        guard let value = object[field] else { return .absent }
        switch value {
        case .null: return .given(nil)
        case .array(let items):
            guard items.count <= maxEntries else {
                fail(field, "has too many entries (at most \(maxEntries))")
                return .absent
            }
            var ids: [UUID] = []
            for item in items {
                guard let text = item.stringValue, let id = UUID(text: text) else {
                    fail(field, "must be a list of UUIDs")
                    return .absent
                }
                ids.append(id)
            }
            return .given(ids)
        default:
            fail(field, "must be a list of UUIDs or null")
            return .absent
        }
    }
}
