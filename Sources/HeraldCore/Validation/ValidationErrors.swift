/// Validation messages by field, as the dialects report them (`details: {field: [message]}`).
public struct ValidationErrors: Error, Sendable, Equatable {
    public private(set) var details: [String: [String]] = [:]

    public init() {}

    public init(_ field: String, _ message: String) {
        add(field, message)
    }

    public var isEmpty: Bool { details.isEmpty }

    public mutating func add(_ field: String, _ message: String) {
        details[field, default: []].append(message)
    }

    /// Throws self when any message was added.
    public func check() throws(ValidationErrors) {
        if !isEmpty { throw self }
    }
}
