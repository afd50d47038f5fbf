/// A field of a write model: absent from the body, or given (possibly as null).
public enum Presence<Value: Sendable>: Sendable {
    case absent
    case given(Value)

    public var value: Value? {
        if case .given(let value) = self { return value }
        return nil
    }

    public var isGiven: Bool {
        if case .given = self { return true }
        return false
    }

    /// The given value, else `current`.
    public func or(_ current: Value) -> Value { value ?? current }
}

extension Presence: Equatable where Value: Equatable {}
