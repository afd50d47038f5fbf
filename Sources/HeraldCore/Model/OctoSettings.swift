/// What an OCTO-dialect webhook carries beyond the common fields.
public struct OctoSettings: Sendable, Hashable {
    /// The one event it subscribes to (`booking_update`, `availability_update`, `order_update`, `product_update`).
    public var event: String
    /// Capabilities from `Octo-Capabilities` at create or last PATCH (without `octo/webhooks`).
    public var capabilities: [String]
    /// false: one try only.
    public var retryOnError: Bool
    /// Render localized variants in the booking contact's language.
    public var useContactLanguage: Bool

    public init(event: String, capabilities: [String], retryOnError: Bool = true, useContactLanguage: Bool = true) {
        self.event = event
        self.capabilities = capabilities
        self.retryOnError = retryOnError
        self.useContactLanguage = useContactLanguage
    }

    public var json: JSONValue {
        [
            "event": .string(event), "capabilities": .array(capabilities.map(JSONValue.string)),
            "retryOnError": .bool(retryOnError), "useContactLanguage": .bool(useContactLanguage),
        ]
    }

    public init?(json: JSONValue) {
        guard let event = json["event"]?.stringValue else { return nil }
        self.init(
            event: event, capabilities: json["capabilities"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            retryOnError: json["retryOnError"]?.boolValue ?? true,
            useContactLanguage: json["useContactLanguage"]?.boolValue ?? true)
    }
}
