/// The OCTO dialect's shapes: the webhook object, and the body deliveries carry:
/// `{"webhook", "booking" | "availability" + "productId" + "optionId" | "order" | "product", "diff", "supplier"}`.
public enum OctoPayload {
    /// `{id, event, url, retryOnError, useContactLanguage, headers, capabilities}`, all always present.
    public static func webhook(_ webhook: Webhook) -> JSONValue {
        let octo = webhook.octo ?? OctoSettings(event: webhook.eventMask.raw, capabilities: [])
        return [
            "id": .string(webhook.id.text),
            "event": .string(octo.event),
            // Credentials in the URL are masked here too: the receiver knows its own.
            "url": .string(CallbackURL.masked(webhook.callbackURL)),
            "retryOnError": .bool(octo.retryOnError),
            "useContactLanguage": .bool(octo.useContactLanguage),
            "headers": .object((webhook.headers ?? [:]).mapValues(JSONValue.string)),
            "capabilities": .array(octo.capabilities.map(JSONValue.string)),
        ]
    }

    public static func body(event: Event, webhook: Webhook, supplier: JSONValue?) -> JSONValue {
        var body: [String: JSONValue] = ["webhook": Self.webhook(webhook)]
        let kind = OctoEntity.keys[event.name]
        if case .object(let payload) = event.payload {
            for (key, value) in payload where key != "localized" { body[key] = value }
            if let kind, let entity = payload[kind], let localized = payload["localized"]?.objectValue,
                webhook.octo?.useContactLanguage ?? true
            {
                body[kind] = localizedVariant(of: entity, in: localized)
            }
        }
        if body["diff"] == nil { body["diff"] = [] }
        if kind == "availability" {
            body["productId"] = body["productId"] ?? .null
            body["optionId"] = body["optionId"] ?? .null
        }
        body["supplier"] = supplier ?? .null
        return .object(body)
    }

    /// The variant for the booking contact's first locale (`de-DE`, else `de`), else the entity as it is.
    static func localizedVariant(of entity: JSONValue, in variants: [String: JSONValue]) -> JSONValue {
        let locales = entity["contact"]?["locales"]?.arrayValue?.compactMap(\.stringValue) ?? []
        for locale in locales {
            if let exact = variants[locale] { return exact }
            if let language = locale.split(separator: "-").first, let variant = variants[String(language)] {
                return variant
            }
        }
        return entity
    }
}
