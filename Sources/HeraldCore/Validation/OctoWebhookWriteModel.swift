import Foundation

/// The body of `POST` and `PATCH /octo/webhooks` after validation.
public struct OctoWebhookWriteModel: Sendable {
    public var event: String?
    public var url: String?
    public var retryOnError: Bool?
    public var useContactLanguage: Bool?
    public var headers: Presence<[String: String]?> = .absent
    public var bodyCapabilities: [String]?

    public static let events = ["booking_update", "availability_update", "order_update", "product_update"]

    /// The fields of the OCTO write model; `id` (of the read model) is ignored.
    public static let fields = FieldNames(
        ["event", "url", "retryOnError", "useContactLanguage", "headers", "capabilities"],
        readOnly: ["id", "signingSecret"])

    /// `booking_update`, `booking.updated`, `BOOKING_UPDATE`: all the same event.
    public static func normalise(event text: String) -> String? {
        let lower = text.lowercased()
        let name = EventCatalog.aliases[lower] ?? lower
        return events.contains(name) ? name : nil
    }

    /// Reads the body; the message of the first problem otherwise.
    public static func parse(_ object: [String: JSONValue], creating: Bool) -> Result<
        OctoWebhookWriteModel, OctoValidationError
    > {
        var model = OctoWebhookWriteModel()
        func fail(_ message: String) -> Result<OctoWebhookWriteModel, OctoValidationError> {
            .failure(OctoValidationError(message: message))
        }
        if let name = fields.unknown(in: object).first {
            return .failure(
                OctoValidationError(
                    message: "\(FieldNames.shown(name)) \(fields.problem(with: name))",
                    unknownField: FieldNames.shown(name),
                    suggestion: fields.closest(to: name)))
        }
        switch object["event"] {
        case .string(let text)?:
            guard let event = normalise(event: text) else {
                return fail("event must be one of \(events.joined(separator: ", "))")
            }
            model.event = event
        case nil where creating: return fail("event is required")
        case nil: break
        default: return fail("event must be a string")
        }
        switch object["url"] {
        case .string(let url)?:
            if let problem = CallbackURL.problem(with: url) { return fail("url \(problem)") }
            model.url = CallbackURL.normalized(url)
        case nil where creating: return fail("url is required")
        case nil: break
        default: return fail("url must be a string")
        }
        for key in ["retryOnError", "useContactLanguage"] {
            guard let value = object[key] else { continue }
            guard case .bool(let flag) = value else { return fail("\(key) must be a boolean") }
            if key == "retryOnError" { model.retryOnError = flag } else { model.useContactLanguage = flag }
        }
        var reader = FieldReader(object)
        model.headers = reader.stringMap("headers", maxEntries: 32, maxLength: 8192)
        if let first = reader.errors.details.first { return fail("\(first.key) \(first.value.first ?? "is invalid")") }
        if case .given(let map?) = model.headers {
            for (name, value) in map.sorted(by: { $0.key < $1.key }) {
                if let problem = HeaderRules.problem(name: name, value: value) { return fail("headers: \(problem)") }
            }
        }
        if let list = object["capabilities"] {
            guard let items = list.arrayValue, items.allSatisfy({ $0.stringValue != nil }), items.count <= 50 else {
                return fail("capabilities must be a list of capability ids")
            }
            model.bodyCapabilities = items.compactMap(\.stringValue)
        }
        return .success(model)
    }

    /// The capabilities a webhook keeps: those of the `Octo-Capabilities` header but `octo/webhooks`
    /// (the body's as a fallback), plus `octo/cart` for `order_update`.
    public static func capabilities(header: [String], body: [String]?, event: String) -> [String] {
        var list = header.filter { !Self.webhooksCapabilities.contains($0) }
        if list.isEmpty, let body { list = body.filter { !Self.webhooksCapabilities.contains($0) } }
        if event == "order_update", !list.contains("octo/cart") { list.append("octo/cart") }
        var seen = Set<String>()
        return list.filter { seen.insert($0).inserted }
    }

    /// The capability ids that enable this API (`ventrata/webhooks` is Ventrata's older name).
    public static let webhooksCapabilities: Set<String> = ["octo/webhooks", "ventrata/webhooks"]
}

public struct OctoValidationError: Error, Sendable {
    public var message: String
    /// A field the body carries that the write model does not know (a 422 rather than a 400).
    public var unknownField: String?
    /// The known field it most likely meant.
    public var suggestion: String?

    public init(message: String, unknownField: String? = nil, suggestion: String? = nil) {
        self.message = message
        self.unknownField = unknownField
        self.suggestion = suggestion
    }
}
