import Foundation

/// The columns of a webhook's row that hold secrets, as both stores write and read them: the
/// callback URL (credentials in its user, path or query), the request params (added to the
/// URL's query), the custom headers (one JSON object, names and values) and the signing secrets
/// (a JSON array). Each is sealed by the store's ``SecretBox`` when it has a key.
public struct SecretColumns: Sendable, Equatable {
    public var callbackURL: String
    public var requestParams: String?
    public var headers: String?
    public var secrets: String

    /// The columns' names, as both stores' schemas have them.
    public static let names = ["callback_url", "request_params", "headers", "secrets"]

    /// The columns as a row holds them.
    public init(callbackURL: String, requestParams: String?, headers: String?, secrets: String) {
        self.callbackURL = callbackURL
        self.requestParams = requestParams
        self.headers = headers
        self.secrets = secrets
    }

    /// How `webhook`'s secrets are written by a store that seals with `box`.
    public init(_ webhook: Webhook, box: SecretBox) {
        self.init(
            Opened(
                callbackURL: webhook.callbackURL, requestParams: webhook.requestParams, headers: webhook.headers,
                secrets: webhook.secrets),
            webhookId: webhook.id, box: box)
    }

    init(_ fields: Opened, webhookId: UUID, box: SecretBox) {
        let place = Place(webhookId)
        func map(_ map: [String: String]) -> String {
            JSONValue.object(map.mapValues(JSONValue.string)).encodedString()
        }
        callbackURL = box.seal(fields.callbackURL, context: place.callbackURL)
        requestParams = fields.requestParams.map { box.seal(map($0), context: place.requestParams) }
        headers = fields.headers.map { box.seal(map($0), context: place.headers) }
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
        public var requestParams: [String: String]?
        public var headers: [String: String]?
        public var secrets: [SigningSecret]
    }

    /// The columns opened with `box`; a value that does not open is an error, never taken for an
    /// absent one (a rewrite would then erase it).
    public func opened(webhookId: UUID, box: SecretBox) throws(UnreadableWebhook) -> Opened {
        do {
            return try open(webhookId: webhookId, box: box)
        } catch {
            throw UnreadableWebhook(id: webhookId, reason: error)
        }
    }

    func open(webhookId: UUID, box: SecretBox) throws(SecretBox.OpenError) -> Opened {
        let place = Place(webhookId)
        // A value that opens but does not parse is damaged too: read as absent, a rewrite would erase it.
        func map(_ stored: String?, _ context: String) throws(SecretBox.OpenError) -> [String: String]? {
            guard let stored else { return nil }
            let text = try box.open(stored, context: context)
            guard let map = (try? JSONValue.decode(text))?.objectValue else { throw .damaged }
            return map.compactMapValues(\.stringValue)
        }
        let secretsText = try box.open(secrets, context: place.secrets)
        guard let secretItems = (try? JSONValue.decode(secretsText))?.arrayValue else { throw .damaged }
        return Opened(
            callbackURL: try box.open(callbackURL, context: place.callbackURL),
            requestParams: try map(requestParams, place.requestParams),
            headers: try map(headers, place.headers),
            secrets: secretItems.compactMap { item in
                guard let value = item["secret"]?.stringValue else { return nil }
                var expiry: Date?
                if case .int(let millis)? = item["expires_at"] { expiry = Timestamp.date(millis: millis) }
                return SigningSecret(value: value, expiresAt: expiry)
            })
    }

    /// A stored callback URL opened, for matching (the route cache), which only compares it. A
    /// URL that does not open stands for an endpoint of its own, so that one webhook this process
    /// cannot read fails none of its tenant's events: its deliveries are made, and wait in the
    /// claim (``Claim/unreadable``) until a process with its key sends them.
    public static func routeURL(_ stored: String, webhookId: UUID, box: SecretBox) -> String {
        (try? box.open(stored, context: Place(webhookId).callbackURL)) ?? "unreadable://\(webhookId.text)"
    }

    /// The columns as `box` would write them now, or nil when they already are: what
    /// `herald secrets rotate-key` writes back.
    public func resealed(webhookId: UUID, box: SecretBox) throws(UnreadableWebhook) -> SecretColumns? {
        let fresh = SecretColumns(try opened(webhookId: webhookId, box: box), webhookId: webhookId, box: box)
        func key(_ value: String?) -> String? { value.flatMap(SecretBox.keyId(of:)) }
        let same =
            key(callbackURL) == key(fresh.callbackURL) && key(requestParams) == key(fresh.requestParams)
            && key(headers) == key(fresh.headers) && key(secrets) == key(fresh.secrets)
        return same ? nil : fresh
    }

    /// What each sealed value is bound to: its column and its row.
    struct Place {
        let callbackURL: String
        let requestParams: String
        let headers: String
        let secrets: String

        init(_ id: UUID) {
            callbackURL = "webhooks.callback_url/" + id.text
            requestParams = "webhooks.request_params/" + id.text
            headers = "webhooks.headers/" + id.text
            secrets = "webhooks.secrets/" + id.text
        }
    }
}

/// A webhook whose stored secrets do not open with the store's keys.
public struct UnreadableWebhook: Error, Equatable, CustomStringConvertible {
    public var id: UUID
    public var reason: SecretBox.OpenError

    public init(id: UUID, reason: SecretBox.OpenError) {
        self.id = id
        self.reason = reason
    }

    public var description: String { "webhook \(id.text): \(reason)" }

    /// The webhooks read, and apart those whose secrets did not open, so that one such row holds
    /// up only its own deliveries; any other error is thrown.
    public static func partition(_ reads: [Result<Webhook, any Error>]) throws -> (
        webhooks: [Webhook], unreadable: [UnreadableWebhook]
    ) {
        var webhooks: [Webhook] = []
        var unreadable: [UnreadableWebhook] = []
        for read in reads {
            switch read {
            case .success(let webhook): webhooks.append(webhook)
            case .failure(let error as UnreadableWebhook): unreadable.append(error)
            case .failure(let error): throw error
            }
        }
        return (webhooks, unreadable)
    }
}
