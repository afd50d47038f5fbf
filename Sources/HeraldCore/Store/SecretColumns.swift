import Foundation

/// The three columns of a webhook's row that hold secrets, as both stores write and read them:
/// the signing secrets (a JSON array), the custom headers (one JSON object, names and values) and
/// the callback URL. Each is sealed by the store's ``SecretBox`` when it has a key; the URL only
/// when it carries credentials (a user, a password or a query string), so a URL that names no
/// more than an endpoint stays readable to an operator at the database.
public struct SecretColumns: Sendable, Equatable {
    public var callbackURL: String
    public var headers: String?
    public var secrets: String

    /// The columns as a row holds them.
    public init(callbackURL: String, headers: String?, secrets: String) {
        self.callbackURL = callbackURL
        self.headers = headers
        self.secrets = secrets
    }

    /// How `webhook`'s secrets are written by a store that seals with `box`.
    public init(_ webhook: Webhook, box: SecretBox) {
        self.init(
            Opened(callbackURL: webhook.callbackURL, headers: webhook.headers, secrets: webhook.secrets),
            webhookId: webhook.id, box: box)
    }

    init(_ fields: Opened, webhookId: UUID, box: SecretBox) {
        let place = Place(webhookId)
        callbackURL =
            CallbackURL.carriesCredentials(fields.callbackURL)
            ? box.seal(fields.callbackURL, context: place.callbackURL) : fields.callbackURL
        headers = fields.headers.map {
            box.seal(JSONValue.object($0.mapValues(JSONValue.string)).encodedString(), context: place.headers)
        }
        secrets = box.seal(
            JSONValue.array(
                fields.secrets.map { secret in
                    [
                        "secret": .string(secret.value),
                        "expires_at": secret.expiresAt.map { .int(Timestamp.millis($0)) } ?? .null,
                    ]
                }
            ).encodedString(), context: place.secrets)
    }

    /// What the columns hold, in clear.
    public struct Opened: Sendable, Equatable {
        public var callbackURL: String
        public var headers: [String: String]?
        public var secrets: [SigningSecret]
    }

    /// The columns opened with `box`.
    public func opened(webhookId: UUID, box: SecretBox) throws(SecretBox.OpenError) -> Opened {
        let place = Place(webhookId)
        let secretsText = try box.open(secrets, context: place.secrets)
        let secretItems = ((try? JSONValue.decode(secretsText))?.arrayValue ?? [])
        return Opened(
            callbackURL: try Self.callbackURL(callbackURL, webhookId: webhookId, box: box),
            headers: try headers.flatMap { stored throws(SecretBox.OpenError) in
                (try? JSONValue.decode(try box.open(stored, context: place.headers)))?.objectValue?
                    .compactMapValues(\.stringValue)
            },
            secrets: secretItems.compactMap { item in
                guard let value = item["secret"]?.stringValue else { return nil }
                var expiry: Date?
                if case .int(let millis)? = item["expires_at"] { expiry = Timestamp.date(millis: millis) }
                return SigningSecret(value: value, expiresAt: expiry)
            })
    }

    /// A stored callback URL opened: what a read that needs only the URL (the route cache) calls.
    public static func callbackURL(_ stored: String, webhookId: UUID, box: SecretBox) throws(SecretBox.OpenError)
        -> String
    {
        try box.open(stored, context: Place(webhookId).callbackURL)
    }

    /// The columns as `box` would write them now, or nil when they already are: what
    /// `herald secrets rotate-key` writes back.
    public func resealed(webhookId: UUID, box: SecretBox) throws(SecretBox.OpenError) -> SecretColumns? {
        let fresh = SecretColumns(try opened(webhookId: webhookId, box: box), webhookId: webhookId, box: box)
        let same =
            SecretBox.keyId(of: callbackURL) == SecretBox.keyId(of: fresh.callbackURL)
            && headers.flatMap(SecretBox.keyId(of:)) == fresh.headers.flatMap(SecretBox.keyId(of:))
            && SecretBox.keyId(of: secrets) == SecretBox.keyId(of: fresh.secrets)
        return same ? nil : fresh
    }

    /// What each sealed value is bound to: its column and its row.
    struct Place {
        let callbackURL: String
        let headers: String
        let secrets: String

        init(_ id: UUID) {
            callbackURL = "webhooks.callback_url/" + id.text
            headers = "webhooks.headers/" + id.text
            secrets = "webhooks.secrets/" + id.text
        }
    }
}
