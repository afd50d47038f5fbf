import Foundation
import HTTPTypes
import HeraldCore
import Hummingbird
import HummingbirdAuth
import NIOCore

/// Every portal answer: headers that keep pages out of caches, frames and other origins' reach,
/// and errors as pages (a 401 as the sign-in page) instead of the API's JSON.
struct PortalPageMiddleware: RouterMiddleware {
    typealias Context = PortalRequestContext
    let renderer: PortalRenderer

    /// No script may run, nothing may load from elsewhere, forms post only here.
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as ChannexError {
            response = page(for: error)
        } catch let error as ValidationErrors {
            response = page(for: .validation(error))
        } catch let error as HTTPError {
            response = page(for: ChannexError(status: error.status, code: "error", title: error.status.reasonPhrase))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // As the API's error middleware does: logged in full, answered without the details.
            context.logger.error("portal request failed", metadata: ["error": "\(error)"])
            response = page(for: .internalError)
        }
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[Self.frameOptions] = "DENY"
        response.headers[.xContentTypeOptions] = "nosniff"
        // The enter page's URL holds a token: no page sends its address to another site. (Not
        // no-referrer: with it, browsers post forms with `Origin: null`.)
        response.headers[Self.referrerPolicy] = "same-origin"
        response.headers[.cacheControl] = "no-store"
        return response
    }

    static let frameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!

    func page(for error: ChannexError) -> Response {
        if error.status == .unauthorized { return Response.redirect(to: "/portal/sign-in", type: .found) }
        var text = PortalMessage.sentence(error.details ?? [:])
        if error.status == .tooManyRequests {
            text = "Too many requests: try again in \(error.headers[.retryAfter] ?? "a few") seconds."
        } else if error.status == .notFound {
            text = "There is nothing here, or it is not yours to see."
        }
        var response = renderer.render(
            "message",
            PortalMessage(heading: error.title, text: text.isEmpty ? error.title : text),
            title: error.title, chrome: nil, status: error.status)
        response.headers.append(contentsOf: error.headers)
        return response
    }
}

/// Lets a request into the portal's pages only with a live session, whose link or key still
/// stands, and a form's POST only with the session's CSRF token. Sessions end after
/// `idleTimeout` without a request, and `maxLifetime` after sign-in whatever happens.
struct PortalAuthMiddleware<Store: TenantStore & PortalStore>: RouterMiddleware {
    typealias Context = PortalRequestContext
    let store: Store
    let clock: HeraldClock
    let budgets: RequestBudgets
    let limits: BodyLimits
    let idleTimeout: Duration
    let maxLifetime: TimeInterval
    /// Where a POST may come from.
    let origin: PortalOrigin

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard let session = context.sessions.session else {
            return Response.redirect(to: "/portal/sign-in", type: .found)
        }
        let now = clock.timestamp()
        guard now.timeIntervalSince(session.signedInAt) < maxLifetime,
            let principal = try await principal(of: session)
        else {
            context.sessions.clearSession()
            return Response.redirect(to: "/portal/sign-in?notice=ended", type: .found)
        }
        var request = request
        if request.method != .get && request.method != .head {
            try origin.check(request)
            let form = try await PortalForm(&request, limit: limits.writeLimit)
            guard let token = form["csrf"], KeyMaterial.constantTimeEquals(token, session.csrf) else {
                throw ChannexError.forbidden("the form is out of date: reload the page and try again")
            }
        }
        if let wait = budgets.spend(principal) { throw RequestBudgets.tooManyRequests(wait: wait) }
        // Idle time restarts with each request; written at most once a minute (or half the idle time).
        let slack = min(Duration.seconds(60), idleTimeout / 2)
        context.sessions.withLockedSession { data in
            if let left = data?.expiresIn, left < idleTimeout - slack { data?.expiresIn = idleTimeout }
        }
        var context = context
        context.principal = principal
        context.logger[metadataKey: "portal_session"] = .string(session.credentialId.text)
        return try await next(request, context)
    }

    /// The rights the session's link or key gives today; nil once it is revoked or gone.
    func principal(of session: PortalSession) async throws -> Principal? {
        switch session.credential {
        case .link:
            guard let link = try await store.portalLink(id: session.credentialId), link.revokedAt == nil else {
                return nil
            }
            return link.principal
        case .apiKey:
            guard let key = try await store.apiKey(id: session.credentialId), key.revokedAt == nil,
                PortalAuthMiddleware.maySignIn(key.principal)
            else { return nil }
            return key.principal
        }
    }

    /// Tenant admin and user keys sign in; publisher keys only post events, and platform keys
    /// reach every tenant (a portal link is made for one).
    static func maySignIn(_ principal: Principal) -> Bool {
        principal.tenantId != nil && principal.role != .publisher
    }

}

/// The origin the portal's forms are posted from: the public URL's, or the request's own host
/// (a browser sends the Origin of the page the form was on). Compared as browsers write an
/// Origin: lower case, without a default port.
struct PortalOrigin: Sendable {
    let allowed: String

    init(publicURL: String) {
        allowed =
            URLComponents(string: publicURL).map { Self.origin(scheme: $0.scheme, host: $0.host, port: $0.port) }
            ?? ""
    }

    /// A form posted from another origin is refused, beside the CSRF token and the SameSite cookie.
    func check(_ request: Request) throws {
        guard let given = request.headers[.origin]?.lowercased() else { return }
        var own: [String] = []
        if let authority = request.head.authority?.lowercased() {
            own = ["http://\(authority)", "https://\(authority)"]
        }
        guard given == allowed || own.contains(given) else {
            throw ChannexError.forbidden("forms are accepted from this site only")
        }
    }

    static func origin(scheme: String?, host: String?, port: Int?) -> String {
        let scheme = (scheme ?? "http").lowercased()
        let defaultPort = scheme == "https" ? 443 : 80
        let shownPort = port.flatMap { $0 == defaultPort ? nil : ":\($0)" } ?? ""
        return "\(scheme)://\((host ?? "").lowercased())\(shownPort)"
    }
}

/// A posted `application/x-www-form-urlencoded` body: its fields by name (the last of a name
/// wins), and every value of names that repeat (`events[]`).
struct PortalForm {
    var values: [String: [String]] = [:]

    init(_ request: inout Request, limit: BodyLimit) async throws {
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit.bytes)
        } catch is NIOTooManyBytesError {
            throw ChannexError.payloadTooLarge(limit)
        }
        let text = String(buffer: buffer)
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                let spaced = part.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            let name = decode(parts[0])
            values[name, default: []].append(parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    subscript(name: String) -> String? { values[name]?.last }

    func all(_ name: String) -> [String] { values[name] ?? [] }
}
