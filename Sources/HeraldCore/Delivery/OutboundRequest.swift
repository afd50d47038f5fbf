import Foundation

/// The HTTP request a delivery makes: URL with `request_params`, headers, body, signature.
public struct OutboundRequest: Sendable {
    public var url: String
    /// Name and value, in sending order.
    public var headers: [(name: String, value: String)]
    public var body: Data

    public init(url: String, headers: [(name: String, value: String)], body: Data) {
        self.url = url
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    public static let userAgent = "Herald/\(HeraldVersion.current)"

    /// The signed POST of `body` for `webhook`, as message `messageId` sent at `timestamp`.
    ///
    /// `request_params` join the URL's query; user:password in the URL becomes `Authorization: Basic`
    /// (unless a custom `Authorization` header is set) and leaves the URL.
    public static func build(
        callbackURL: String, requestParams: [String: String]?, customHeaders: [String: String]?, secrets: [String],
        messageId: String, timestamp: Date, body: JSONValue
    ) throws(OutboundRequestError) -> OutboundRequest {
        guard var components = URLComponents(string: callbackURL), components.host != nil else {
            throw .invalidURL(callbackURL)
        }
        var headers: [(name: String, value: String)] = [
            ("Content-Type", "application/json"), ("User-Agent", userAgent),
        ]
        var basic: String?
        if let user = components.user {
            let credentials =
                "\(user.removingPercentEncoding ?? user):\(components.password?.removingPercentEncoding ?? "")"
            basic = "Basic " + Data(credentials.utf8).base64EncodedString()
            components.user = nil
            components.password = nil
        }
        if let requestParams, !requestParams.isEmpty {
            var items = components.queryItems ?? []
            for (name, value) in requestParams.sorted(by: { $0.key < $1.key }) {
                items.append(URLQueryItem(name: name, value: value))
            }
            components.percentEncodedQueryItems = items.map {
                URLQueryItem(name: Self.encodeQuery($0.name), value: $0.value.map(Self.encodeQuery))
            }
        }
        guard let url = components.string else { throw .invalidURL(callbackURL) }
        let custom = (customHeaders ?? [:]).sorted { $0.key < $1.key }
        if let basic, !custom.contains(where: { $0.key.lowercased() == "authorization" }) {
            headers.append(("Authorization", basic))
        }
        for (name, value) in custom where name.lowercased() != "user-agent" || !value.isEmpty {
            headers.removeAll { $0.name.lowercased() == name.lowercased() }
            headers.append((name, value))
        }
        let bytes = body.encoded()
        let seconds = Int64(timestamp.timeIntervalSince1970)
        headers.append(("webhook-id", messageId))
        headers.append(("webhook-timestamp", String(seconds)))
        if !secrets.isEmpty {
            headers.append(
                ("webhook-signature", Signer.header(id: messageId, timestamp: seconds, body: bytes, secrets: secrets)))
        }
        return OutboundRequest(url: url, headers: headers, body: bytes)
    }

    /// Query encoding that leaves unreserved characters alone and escapes the rest (`+`, `&`, `=` included).
    static func encodeQuery(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

public enum OutboundRequestError: Error, Sendable, CustomStringConvertible {
    case invalidURL(String)

    public var description: String {
        switch self {
        case .invalidURL: "callback URL cannot be used"
        }
    }
}

/// Herald's version, as `User-Agent` carries it.
public enum HeraldVersion {
    public static let current = "0.1.0"
}
