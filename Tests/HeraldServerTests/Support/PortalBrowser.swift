import Foundation
import HTTPTypes
import HeraldCore
import Hummingbird
import HummingbirdTesting
import Synchronization

/// A browser for the portal's pages over the test client: it keeps cookies as a browser would
/// and posts forms with the token of the last page it read.
final class PortalBrowser: Sendable {
    struct Page: Sendable {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var html: String

        var location: String? { headers[.location] }
        /// The CSRF token of the page's forms.
        var csrf: String? { Self.first(#"name="csrf" value="([^"]*)""#, in: html) }
        var setCookies: [String] { headers[values: .setCookie] }

        static func first(_ pattern: String, in text: String) -> String? {
            guard let regex = try? NSRegularExpression(pattern: pattern),
                let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
                let range = Range(match.range(at: 1), in: text)
            else { return nil }
            return String(text[range])
        }
    }

    let client: any TestClientProtocol
    private let jar = Mutex<[String: String]>([:])
    private let lastCSRF = Mutex<String?>(nil)

    init(_ client: any TestClientProtocol) {
        self.client = client
    }

    var cookies: [String: String] { jar.withLock { $0 } }

    func setCookies(_ cookies: [String: String]) { jar.withLock { $0 = cookies } }

    func get(_ path: String) async throws -> Page {
        try await send(.get, path, body: nil)
    }

    /// Posts `fields` as a form; `csrf` nil takes the last page's token.
    func post(_ path: String, _ fields: [(String, String)] = [], csrf: String? = nil, origin: String? = nil)
        async throws -> Page
    {
        let token = csrf ?? lastCSRF.withLock { $0 } ?? ""
        let all = [("csrf", token)] + fields
        let body = all.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        return try await send(.post, path, body: body, origin: origin)
    }

    /// Opens a portal link's URL: its page, then its button.
    func open(_ url: String) async throws -> Page {
        guard let range = url.range(of: "/portal/enter") else { throw TestFailure("not a portal link: \(url)") }
        let page = try await get(String(url[range.lowerBound...]))
        guard let token = Page.first(#"name="token" value="([^"]*)""#, in: page.html) else {
            throw TestFailure("no token on \(page.html)")
        }
        return try await post("/portal/enter", [("token", token)])
    }

    private func send(_ method: HTTPRequest.Method, _ path: String, body: String?, origin: String? = nil)
        async throws -> Page
    {
        var headers: HTTPFields = [:]
        let cookie = jar.withLock { $0.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        if !cookie.isEmpty { headers[.cookie] = cookie }
        if body != nil { headers[.contentType] = "application/x-www-form-urlencoded" }
        if let origin { headers[.origin] = origin }
        let response = try await client.executeRequest(
            uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        for line in response.headers[values: .setCookie] {
            let parts = line.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let pair = parts.first, let equals = pair.firstIndex(of: "=") else { continue }
            let name = String(pair[..<equals])
            let value = String(pair[pair.index(after: equals)...])
            // As a browser does: a cookie whose time is up is dropped.
            let expired =
                value.isEmpty || parts.contains { $0.lowercased() == "max-age=0" }
                || parts.contains { part in
                    guard part.lowercased().hasPrefix("expires=") else { return false }
                    return Self.cookieDate.date(from: String(part.dropFirst(8))).map { $0 <= Date() } ?? false
                }
            jar.withLock { if expired { $0[name] = nil } else { $0[name] = value } }
        }
        let page = Page(status: response.status, headers: response.headers, html: String(buffer: response.body))
        if let token = page.csrf { lastCSRF.withLock { $0 = token } }
        return page
    }

    static let cookieDate: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter
    }()

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

extension TestAPI {
    /// A portal link made with `key` (the tenant's admin key); returns its URL.
    func portalLink(key: String, _ fields: [String: JSONValue] = [:]) async throws -> String {
        let reply = try await call(.post, "/api/v1/portal_links", key: key, body: ["portal_link": .object(fields)])
        guard reply.status == .created, let url = reply.attributes?["url"]?.stringValue else {
            throw TestFailure("no portal link: \(reply.status) \(reply.json.encodedString())")
        }
        return url
    }

    /// A browser signed in through a new portal link of `fields`.
    func portal(key: String, _ fields: [String: JSONValue] = [:]) async throws -> PortalBrowser {
        let browser = PortalBrowser(client)
        let entered = try await browser.open(try await portalLink(key: key, fields))
        guard entered.status == .seeOther, entered.location == "/portal/webhooks" else {
            throw TestFailure("the link did not open: \(entered.status) \(entered.html)")
        }
        return browser
    }
}
